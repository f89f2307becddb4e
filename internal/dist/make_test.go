package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestMakeDistAndInstall runs the real `make dist` and `make install` with
// only their outputs moved into a temporary directory.
//
// make dist builds one platform here — the machine's own, so the binary can
// be run — not the six of a release: each cross-compiled platform compiles
// every package again (about 50 s on 2 cores), which would cost make test
// several minutes, while the host platform reuses the packages make vet has
// already compiled with the same flags. The matrix itself is
// TestDefaultPlatformsAreTheReleaseMatrix; that all six compile is checked
// by running make dist before a release.
func TestMakeDistAndInstall(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed: install it (Debian: apt-get install make)")
	}
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	changelog := filepath.Join(tmp, "CHANGELOG.md")
	original, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(changelog, original, 0o644); err != nil {
		t.Fatal(err)
	}
	const version = "v0.0.0-test.1"
	commit := strings.TrimSpace(string(runIn(t, root, "git", "rev-parse", "HEAD")))
	platform := runtime.GOOS + "/" + runtime.GOARCH
	distDir := filepath.Join(tmp, "dist")
	makeDist := func() {
		runIn(t, root, "make", "--no-print-directory", "dist", "VERSION="+version, "DIST_DIR="+distDir,
			"CHANGELOG="+changelog, "RELEASE_DATE=2030-01-02", "DIST_PLATFORMS="+platform)
	}
	makeDist()

	// The changelog: [Unreleased] became the release, under a fresh heading.
	stamped, _ := os.ReadFile(changelog)
	if !bytes.Contains(stamped, []byte("## [Unreleased]\n\n## [0.0.0-test.1] - 2030-01-02\n")) {
		t.Errorf("CHANGELOG not stamped:\n%.600s", stamped)
	}

	base := "agentshape-" + version + "-" + runtime.GOOS + "-" + runtime.GOARCH
	bin, archive := base+exe(runtime.GOOS), base+".tar.gz"
	if runtime.GOOS == "windows" {
		archive = base + ".zip"
	}
	names := dirNames(t, distDir)
	if want := slices.Sorted(slices.Values([]string{bin, archive, sumsFile})); !slices.Equal(names, want) {
		t.Fatalf("dist holds %v, want %v", names, want)
	}

	// Everyone may read what is shipped; the binary runs.
	for n, perm := range map[string]os.FileMode{bin: 0o755, archive: 0o644, sumsFile: 0o644} {
		fi, err := os.Stat(filepath.Join(distDir, n))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != perm {
			t.Errorf("%s: mode %v, want %v", n, fi.Mode().Perm(), perm)
		}
	}

	// SHA256SUMS lists every other file with its real digest.
	sums := readSums(t, filepath.Join(distDir, sumsFile))
	if len(sums) != 2 {
		t.Errorf("SHA256SUMS has %d lines, want 2: %v", len(sums), sums)
	}
	for _, n := range []string{bin, archive} {
		got, err := fileSHA256(filepath.Join(distDir, n))
		if err != nil {
			t.Fatal(err)
		}
		if sums[n] != got {
			t.Errorf("SHA256SUMS says %s is %q; it is %q", n, sums[n], got)
		}
	}

	// The binary is stamped, and static.
	binPath := filepath.Join(distDir, bin)
	wantVersion := "agentshape " + version + " (commit " + commit + ")"
	if out := string(runIn(t, root, binPath, "--version")); !strings.HasPrefix(out, wantVersion+" ") {
		t.Errorf("--version: %q, want it to start with %q", out, wantVersion)
	}
	if runtime.GOOS == "linux" {
		f, err := elf.Open(binPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s is dynamically linked (program header %v)", bin, p.Type)
			}
		}
		f.Close()
	}

	// The archive: the same binary and the docs, the stamped changelog.
	binBytes, _ := os.ReadFile(binPath)
	packed := readArchive(t, filepath.Join(distDir, archive))
	// Markdown docs have their links to files left out of the archive made
	// absolute (TestShippedDocsLinksLeadSomewhere checks where they lead).
	shippedDocs := map[string]bool{"CHANGELOG.md": true}
	for _, d := range docs {
		shippedDocs[d] = true
	}
	want := map[string][]byte{"agentshape" + exe(runtime.GOOS): binBytes, "CHANGELOG.md": absoluteLinks(stamped, version, shippedDocs)}
	for _, d := range docs {
		b, err := os.ReadFile(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(d, ".md") {
			b = absoluteLinks(b, version, shippedDocs)
		}
		want[d] = b
	}
	if readme := packed[base+"/README.md"]; bytes.Contains(readme, []byte("](docs/")) || !bytes.Contains(readme, []byte("]("+repoBlobURL+version+"/docs/agent-api.md")) {
		t.Errorf("%s: README.md's links to docs/ lead nowhere inside the archive", archive)
	}
	for name, content := range want {
		if got, ok := packed[base+"/"+name]; !ok {
			t.Errorf("%s has no %s/%s (has %v)", archive, base, name, mapKeys(packed))
		} else if !bytes.Equal(got, content) {
			t.Errorf("%s: %s differs from the original", archive, name)
		}
	}
	if len(packed) != len(want) {
		t.Errorf("%s holds %v, want exactly %v", archive, mapKeys(packed), mapKeys(want))
	}

	// Running it again is safe and gives the same bytes (the changelog is
	// already stamped; archive times are the commit's).
	sumsBefore, _ := os.ReadFile(filepath.Join(distDir, sumsFile))
	makeDist()
	if again, _ := os.ReadFile(changelog); !bytes.Equal(again, stamped) {
		t.Errorf("a second make dist stamped the changelog again:\n%.600s", again)
	}
	if sumsAfter, _ := os.ReadFile(filepath.Join(distDir, sumsFile)); !bytes.Equal(sumsBefore, sumsAfter) {
		t.Errorf("a second make dist gave other bytes:\n%s\nthen\n%s", sumsBefore, sumsAfter)
	}

	// make install: BIN → $(DESTDIR)$(PREFIX)/bin, executable, stamped.
	stage := filepath.Join(tmp, "stage")
	runIn(t, root, "make", "--no-print-directory", "install", "VERSION="+version, "BIN="+filepath.Join(tmp, "build", "agentshape"),
		"DESTDIR="+stage, "PREFIX=/opt/agentshape")
	installed := filepath.Join(stage, "opt", "agentshape", "bin", "agentshape")
	fi, err := os.Stat(installed)
	if err != nil {
		t.Fatalf("make install: %v", err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("installed with mode %v, want 0755", fi.Mode().Perm())
	}
	if out := string(runIn(t, root, installed, "version")); !strings.HasPrefix(out, wantVersion+" ") {
		t.Errorf("installed version: %q, want it to start with %q", out, wantVersion)
	}
}

// runIn runs a command in dir and returns its stdout; it fails the test,
// with the command's output, when the command fails.
func runIn(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// readSums parses a SHA256SUMS file: "<64 hex>  <name>" per line.
func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 || name == "" {
			t.Fatalf("%s: malformed line %q", path, sc.Text())
		}
		sums[name] = sum
	}
	return sums
}

// readArchive returns every regular file of a .tar.gz or .zip by name.
func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name], _ = io.ReadAll(rc)
			rc.Close()
		}
		return files
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			files[hdr.Name], _ = io.ReadAll(tr)
		}
	}
}

func mapKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
