package scaffold_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/plugins/kits"
	"github.com/agentshape/agentshape/plugins/scaffold"
)

// TestNewWritesEveryLanguage checks the files of each language and that the
// kit copies are the repository's kits, byte for byte. (Building and running
// the generated projects is cmd/agentshape's TestPluginNewBuildsAndPasses.)
func TestNewWritesEveryLanguage(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	common := []string{".gitignore", "Makefile", "README.md", "base.json", "context.json", "pipeline.yaml", "org.yaml", "test.sh",
		"tests/channel.envelope.json", "tests/channel.want.json", ".github/workflows/agentshape.yml", ".gitlab-ci.yml"}
	want := map[string][]string{
		scaffold.Go:             {"go.mod", "main.go", "main_test.go", "shapekit/go.mod", "shapekit/shapekit.go", "shapekit/export_wasip1.go"},
		scaffold.C:              {"agentshape.h", "my-plugin.c"},
		scaffold.AssemblyScript: {"package.json", "package-lock.json", "assembly/index.ts", "assembly/agentshape/index.ts", "assembly/agentshape/json.ts", "assembly/agentshape/host.ts"},
		scaffold.Rust:           {"src/lib.rs", "agentshape/lib.rs", "agentshape/json.rs", "agentshape/host.rs", "find-rustc.sh"},
	}
	for lang, files := range want {
		t.Run(lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "proj")
			res, err := scaffold.New(scaffold.Options{Name: "my-plugin", Lang: lang, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range append(common, files...) {
				if !slices.Contains(res.Files, f) {
					t.Errorf("%s not in result %v", f, res.Files)
				}
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b, []byte("[[")) || bytes.Contains(b, []byte("<no value>")) {
					t.Errorf("%s has an unexpanded template action", f)
				}
				if strings.HasSuffix(f, ".json") && !json.Valid(b) {
					t.Errorf("%s is not valid JSON:\n%s", f, b)
				}
			}
			if st, err := os.Stat(filepath.Join(dir, "test.sh")); err != nil || st.Mode()&0o100 == 0 {
				t.Errorf("test.sh is not executable: %v", err)
			}
			switch lang {
			case scaffold.Go:
				mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
				if !strings.Contains(string(mod), "\nreplace "+kits.GoKitModule+" => ./shapekit\n") {
					t.Errorf("go.mod does not point at the project's copy of the kit:\n%s", mod)
				}
				repo, err := kits.ReadGoKit(filepath.Join(root, "plugins", "kits", "go", "shapekit"))
				if err != nil {
					t.Fatal(err)
				}
				copied, err := kits.ReadGoKit(filepath.Join(dir, "shapekit"))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(copied, repo) {
					t.Error("shapekit/ is not the repository's Go kit module (go.mod and sources)")
				}
			case scaffold.C:
				h, _ := os.ReadFile(filepath.Join(dir, "agentshape.h"))
				repo, _ := os.ReadFile(filepath.Join(root, "plugins", "kits", "c", "agentshape.h"))
				if !bytes.Equal(h, repo) || !bytes.Equal(h, kits.CHeader) {
					t.Error("agentshape.h is not the repository's C kit")
				}
			case scaffold.AssemblyScript:
				for _, f := range []string{"index.ts", "json.ts", "host.ts"} {
					got, _ := os.ReadFile(filepath.Join(dir, "assembly", "agentshape", f))
					repo, _ := os.ReadFile(filepath.Join(root, "plugins", "kits", "assemblyscript", "assembly", f))
					if !bytes.Equal(got, repo) {
						t.Errorf("assembly/agentshape/%s is not the repository's kit", f)
					}
				}
				v, err := kits.AssemblyScriptCompilerVersion()
				pkg, _ := os.ReadFile(filepath.Join(dir, "package.json"))
				if err != nil || !strings.Contains(string(pkg), `"assemblyscript": "`+v+`"`) {
					t.Errorf("package.json does not pin assemblyscript %s (%v):\n%s", v, err, pkg)
				}
			case scaffold.Rust:
				// Every file of the kit's crate and find-rustc.sh, as in the repository.
				repo, _ := filepath.Glob(filepath.Join(root, "plugins", "kits", "rust", "agentshape", "*.rs"))
				repo = append(repo, filepath.Join(root, "plugins", "kits", "rust", "find-rustc.sh"))
				for _, f := range repo {
					rel, _ := filepath.Rel(filepath.Join(root, "plugins", "kits", "rust"), f)
					got, err := os.ReadFile(filepath.Join(dir, rel))
					want, _ := os.ReadFile(f)
					if err != nil || !bytes.Equal(got, want) {
						t.Errorf("%s is not the repository's Rust kit (%v)", rel, err)
					}
				}
				if len(repo) < 6 {
					t.Errorf("the Rust kit has only %d files: %v", len(repo), repo)
				}
				if st, err := os.Stat(filepath.Join(dir, "find-rustc.sh")); err != nil || st.Mode()&0o100 == 0 {
					t.Errorf("find-rustc.sh is not executable: %v", err)
				}
			}
		})
	}
}

// TestNewRefusesWithoutWriting checks bad options fail before anything is written.
func TestNewRefusesWithoutWriting(t *testing.T) {
	tmp := t.TempDir()
	cases := []struct {
		opts scaffold.Options
		want string
	}{
		{scaffold.Options{Name: "-x", Lang: "c", Dir: filepath.Join(tmp, "a")}, "plugin name"},
		{scaffold.Options{Name: "double--hyphen", Lang: "c", Dir: filepath.Join(tmp, "b")}, "plugin name"},
		{scaffold.Options{Name: strings.Repeat("a", 49), Lang: "c", Dir: filepath.Join(tmp, "c")}, "at most 48"},
		{scaffold.Options{Name: "ok", Lang: "cobol", Dir: filepath.Join(tmp, "d")}, "not supported"},
	}
	for _, tc := range cases {
		if _, err := scaffold.New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.opts, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("refusals wrote %d entries", len(entries))
	}
	// A file where the directory should go.
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	if _, err := scaffold.New(scaffold.Options{Name: "ok", Lang: "c", Dir: file}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("dir is a file: %v", err)
	}
	for _, l := range []string{"AS", "ts", "golang", "C", "rs", "Rust"} {
		if _, err := scaffold.NormalizeLang(l); err != nil {
			t.Errorf("NormalizeLang(%q): %v", l, err)
		}
	}
}

// TestCIInstallsTheWritingVersion: the generated CI installs the agentshape
// release that wrote the project, and the latest release when a development
// build wrote it (its version names no published module version).
func TestCIInstallsTheWritingVersion(t *testing.T) {
	for v, want := range map[string]string{
		"v1.2.3":                               "v1.2.3",
		"v0.4.0-rc.1":                          "v0.4.0-rc.1",
		"":                                     "latest",
		"unknown":                              "latest",
		"devel":                                "latest",
		"v0.2.0-3-g1a2b3c4":                    "latest", // git describe
		"v0.2.0-3-g1a2b3c4-dirty":              "latest",
		"v0.0.0-20260101120000-0123456789ab":   "latest", // pseudo-version
		"v1.2.4-0.20260101120000-0123456789ab": "latest",
		"v1.2.3+dirty":                         "latest",
	} {
		if got := scaffold.InstallVersion(v); got != want {
			t.Errorf("InstallVersion(%q) = %q, want %q", v, got, want)
		}
	}
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := scaffold.New(scaffold.Options{Name: "pinned", Lang: "go", Dir: dir, AgentshapeVersion: "v1.2.3"}); err != nil {
		t.Fatal(err)
	}
	install := "go install github.com/agentshape/agentshape/cmd/agentshape@v1.2.3\n"
	for _, f := range []string{".github/workflows/agentshape.yml", ".gitlab-ci.yml"} {
		b, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if !strings.Contains(string(b), install) || strings.Contains(string(b), "@latest") {
			t.Errorf("%s does not install v1.2.3:\n%s", f, b)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); !strings.Contains(string(b), "(agentshape v1.2.3)") {
		t.Errorf("go.mod does not say which agentshape wrote the kit copy:\n%s", b)
	}
}

// TestCINodeIsTheTestedNode: the Node.js the generated AssemblyScript CI
// installs has the major version this machine builds and tests the
// AssemblyScript kit with (make test), and appears in both CI files.
func TestCINodeIsTheTestedNode(t *testing.T) {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v (the AssemblyScript kit's tests need Node.js: make toolchains)", err)
	}
	major := func(v string) string { m, _, _ := strings.Cut(strings.TrimSpace(v), "."); return m }
	if major(string(out)) != major(scaffold.CINodeVersion) {
		t.Errorf("the generated CI installs Node.js %s, this machine tests with %s: move scaffold.CINodeVersion to the tested major", scaffold.CINodeVersion, out)
	}
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := scaffold.New(scaffold.Options{Name: "node", Lang: "as", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".github/workflows/agentshape.yml", ".gitlab-ci.yml"} {
		b, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if !strings.Contains(string(b), "https://nodejs.org/dist/"+scaffold.CINodeVersion+"/node-"+scaffold.CINodeVersion+"-linux-x64.tar.gz") {
			t.Errorf("%s does not install Node.js %s:\n%s", f, scaffold.CINodeVersion, b)
		}
	}
}

// TestCIRustToolchainIsTheTestedOne: the Debian packages the generated CI of
// a Rust project installs are ones `make toolchains` installs for this
// repository's own Rust builds (.ci/install-toolchains.sh), and appear in
// both CI files.
func TestCIRustToolchainIsTheTestedOne(t *testing.T) {
	script := catalog.MustReadRepoFile(t, ".ci/install-toolchains.sh")
	m := regexp.MustCompile(`(?m)^pkgs=\((.*)\)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal(".ci/install-toolchains.sh has no pkgs=(...) line")
	}
	tested := strings.Fields(string(m[1]))
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := scaffold.New(scaffold.Options{Name: "rusty", Lang: "rust", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".github/workflows/agentshape.yml", ".gitlab-ci.yml"} {
		b, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		install := regexp.MustCompile(`apt-get install -y -qq --no-install-recommends ([a-z0-9 .+-]+)`).FindSubmatch(b)
		if install == nil {
			t.Fatalf("%s installs no Debian packages:\n%s", f, b)
		}
		pkgs := strings.Fields(string(install[1]))
		for _, want := range []string{"rustc", "libstd-rust-dev-wasm32", "lld"} {
			if !slices.Contains(pkgs, want) {
				t.Errorf("%s does not install %s: %v", f, want, pkgs)
			}
		}
		for _, p := range pkgs {
			if !slices.Contains(tested, p) {
				t.Errorf("%s installs %s, which make toolchains does not (so no test builds with it)", f, p)
			}
		}
	}
}
