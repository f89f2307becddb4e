package docs_test

import (
	"go/ast"
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
	documented := documentedPackages(t, root)
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

// documentedPackages returns the packages README's "Embedding in Go" table
// lists as supported, relative to the module root.
func documentedPackages(t *testing.T, root string) []string {
	t.Helper()
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
	return documented
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

// TestPublicAPINamesNoInternalType: the exported API of the root package and
// of every package README lists as supported names no type of an internal/
// package — in a signature, an alias, a struct's exported field or an
// interface — and its doc comments point callers at no identifier of one:
// code outside the module can neither name nor look up such a type
// (go doc shows "type Request = shaper.Request" and nothing more).
func TestPublicAPINamesNoInternalType(t *testing.T) {
	root := repoRoot(t)
	const module = "github.com/agentshape/agentshape"
	for _, pkg := range append([]string{"."}, documentedPackages(t, root)...) {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, filepath.Join(root, pkg), func(fi fs.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs {
			for _, f := range p.Files {
				internal := map[string]bool{} // the file's names for internal packages
				for _, imp := range f.Imports {
					path := strings.Trim(imp.Path.Value, `"`)
					if !strings.HasPrefix(path, module+"/") || !slices.Contains(strings.Split(path, "/"), "internal") {
						continue
					}
					name := path[strings.LastIndex(path, "/")+1:]
					if imp.Name != nil {
						name = imp.Name.Name
					}
					internal[name] = true
				}
				for _, leak := range internalNames(f, internal) {
					t.Errorf("%s: the exported %s %s; give the API a type or value of its own, or say it in words",
						fset.Position(leak.pos), leak.what, leak.name)
				}
			}
		}
	}
}

// internalLeak is one mention of an internal package's identifier in the
// exported API.
type internalLeak struct {
	pos        token.Pos
	what, name string
}

// internalNames lists the mentions, in f's exported declarations and their
// doc comments (the package comment included), of an identifier of a
// package whose file-local name is in internal.
func internalNames(f *ast.File, internal map[string]bool) []internalLeak {
	if len(internal) == 0 {
		return nil
	}
	var leaks []internalLeak
	inType := func(what string, n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && internal[x.Name] {
					leaks = append(leaks, internalLeak{sel.Pos(), what + " names the internal type", x.Name + "." + sel.Sel.Name})
				}
			}
			return true
		})
	}
	mention := regexp.MustCompile(`\*?\b([a-z][a-z0-9]*)\.([A-Z][A-Za-z0-9_]*)`)
	inDoc := func(what string, g *ast.CommentGroup) {
		if g == nil {
			return
		}
		for _, c := range g.List {
			for _, m := range mention.FindAllStringSubmatch(c.Text, -1) {
				if internal[m[1]] {
					leaks = append(leaks, internalLeak{c.Pos(), what + "'s doc comment points at the internal", m[0]})
				}
			}
		}
	}
	inDoc("package", f.Doc)
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || (d.Recv != nil && !exportedReceiver(d.Recv)) {
				continue
			}
			inType("func "+d.Name.Name, d.Type)
			inDoc("func "+d.Name.Name, d.Doc)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					what := "type " + s.Name.Name
					inDoc(what, d.Doc)
					inDoc(what, s.Doc)
					switch tt := s.Type.(type) {
					case *ast.StructType:
						for _, fld := range tt.Fields.List {
							if len(fld.Names) == 0 || slices.ContainsFunc(fld.Names, (*ast.Ident).IsExported) {
								inType(what+"'s field", fld.Type)
								inDoc(what+"'s field", fld.Doc)
								inDoc(what+"'s field", fld.Comment)
							}
						}
					default:
						inType(what, s.Type)
					}
				case *ast.ValueSpec:
					if !slices.ContainsFunc(s.Names, (*ast.Ident).IsExported) {
						continue
					}
					what := "value " + s.Names[0].Name
					inType(what, s.Type)
					inDoc(what, d.Doc)
					inDoc(what, s.Doc)
					inDoc(what, s.Comment)
				}
			}
		}
	}
	return leaks
}

// exportedReceiver reports whether a method's receiver type is exported.
func exportedReceiver(recv *ast.FieldList) bool {
	t := recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if g, ok := t.(*ast.IndexExpr); ok {
		t = g.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
