package docs_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestPublicPackagesAreTheDocumentedAPI: every importable library package
// of the module outside the root package (not under internal/, not a
// command, not a test harness) is one README's "Embedding in Go" table
// lists as supported, and every package the table lists exists. A new
// package must be put under internal/ or documented there.
func TestPublicPackagesAreTheDocumentedAPI(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(b)
	if i := strings.Index(section, "\n## Embedding in Go"); i >= 0 {
		section = section[i+1:]
		if j := strings.Index(section[3:], "\n## "); j >= 0 {
			section = section[:j+3]
		}
	} else {
		t.Fatal(`README.md has no "## Embedding in Go" section`)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z/]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	if len(documented) == 0 {
		t.Fatal(`README.md "Embedding in Go" lists no packages in its table`)
	}
	// Library packages live in host/ and schemas/; cmd/, contracts/,
	// features/, docs/ and plugins/ hold commands, tests and plugin sources.
	var public []string
	for _, top := range []string{"host", "schemas"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if d.Name() == "internal" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if name := libraryPackage(t, path); name != "" {
				rel, _ := filepath.Rel(root, path)
				public = append(public, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(public)
	slices.Sort(documented)
	for _, p := range public {
		if !slices.Contains(documented, p) {
			t.Errorf("package %s is importable but README.md's \"Embedding in Go\" table does not list it: document it as supported or move it under internal/", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(public, p) {
			t.Errorf("README.md's \"Embedding in Go\" table lists %s, which is not an importable package of the module", p)
		}
	}
}

// libraryPackage returns the package name of the non-test Go files in dir,
// or "" when there are none or they are a command (package main).
func libraryPackage(t *testing.T, dir string) string {
	t.Helper()
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.PackageClauseOnly)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	for name := range pkgs {
		if name != "main" {
			return name
		}
	}
	return ""
}
