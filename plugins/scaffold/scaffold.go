// Package scaffold writes a new, ready-to-build agentshape plugin project in
// Go, C, AssemblyScript or Rust: the plugin source with a working shape function,
// a copy of the kit, a Makefile (build, test, inspect, conformance, pin),
// golden tests run through the real host, unit tests (Go, Rust), a pipeline
// manifest entry, the org file the gate checks against (org.yaml, the demo
// org to start from), CI for GitHub Actions and GitLab, and a README.
// It backs `agentshape plugin new`.
//
// A project needs nothing from an agentshape checkout or the network to build
// (beyond the AssemblyScript compiler from npm): the C kit is one header, the
// AssemblyScript kit a few modules, the Go kit a standard-library-only Go
// module that go.mod points at with a relative replace (./shapekit), and the
// Rust kit a standard-library-only crate built with rustc alone (no Cargo).
//
// The project is written to a temporary directory next to the target and
// renamed into place at the end, so a failure never leaves half a project.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"text/template"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/plugins/kits"
)

//go:embed all:templates
var templates embed.FS

// Languages a project can be generated in.
const (
	Go             = "go"
	C              = "c"
	AssemblyScript = "assemblyscript"
	Rust           = "rust"
)

// Languages lists the accepted --lang values.
var Languages = []string{Go, C, AssemblyScript, Rust}

// Options say what to generate.
type Options struct {
	// Name is the plugin's name: lower-case letters, digits and single
	// hyphens, starting with a letter (it names the .wasm and the manifest entry).
	Name string
	// Lang is one of Languages ("as" and "ts" are accepted for AssemblyScript,
	// "rs" for Rust).
	Lang string
	// Dir is the project directory to create; it must not exist or be empty.
	Dir string
	// AgentshapeVersion is the version of the agentshape writing the project
	// (internal/version). The generated CI installs that release, or the
	// latest one when it is not a release (a development or checkout build).
	AgentshapeVersion string
}

// Result describes what was written.
type Result struct {
	// Dir is the absolute project directory.
	Dir string
	// Lang is the normalised language.
	Lang string
	// Files lists the written files, relative to Dir, in write order.
	Files []string
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// NormalizeLang maps accepted spellings to one of Languages.
func NormalizeLang(lang string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(lang)) {
	case "go", "golang":
		return Go, nil
	case "c":
		return C, nil
	case "assemblyscript", "as", "ts":
		return AssemblyScript, nil
	case "rust", "rs":
		return Rust, nil
	}
	return "", fmt.Errorf("language %q is not supported: use go, c, assemblyscript or rust", lang)
}

// data is what the templates see.
type data struct {
	Name, Lang, LangTitle, SourceFile string
	// GoModule is a Go project's module path; GoKitModule and GoKitDir the
	// kit module's path and its directory in the project.
	GoModule, GoKitModule, GoKitDir string
	ASCVersion                      string
	MemoryMaxPages                  int
	HasUnit                         bool
	// AgentshapeVersion is the version the project was written by ("" for a
	// development build); InstallVersion the one its CI installs.
	AgentshapeVersion, InstallVersion string
	// CIImage is the container image the CI jobs run in; CIToolchain the
	// command that installs the language's toolchain in it ("" for none).
	CIImage, CIToolchain string
	// OrgYAML is the demo org as an org file (emulator --print-org), which
	// org.yaml starts from.
	OrgYAML string
}

// goKitDir is where a Go project keeps its copy of the Go kit module.
const goKitDir = "shapekit"

// ciDebian is the Debian release of the CI image: the one agentshape's own
// plugin builds are tested on (.ci/install-toolchains.sh), whose package
// names ciCToolchain uses.
const ciDebian = "bookworm"

// ciCToolchain installs clang for wasm32-wasi, lld and wasi-libc in the CI image.
const ciCToolchain = "apt-get update -qq && apt-get install -y -qq --no-install-recommends clang lld wasi-libc libclang-rt-dev-wasm32"

// ciRustToolchain installs Debian's rustc (1.63 in bookworm) with the Rust
// standard library for wasm32-wasi, and lld, which provides the rust-lld
// that rustc links wasm with (libstd-rust-dev-wasm32 only recommends it).
const ciRustToolchain = "apt-get update -qq && apt-get install -y -qq --no-install-recommends rustc libstd-rust-dev-wasm32 lld"

// CINodeVersion is the Node.js release the generated CI of an AssemblyScript
// project installs: the assemblyscript compiler the kit pins needs Node 20
// or later, and Debian bookworm ships 18. It is the Node.js agentshape's own
// AssemblyScript builds are tested with (a test keeps the major in step).
const CINodeVersion = "v20.20.2"

// ciNodeTarball is the Node.js release tarball for linux-x64, the CI
// runners' platform.
const ciNodeTarball = "node-" + CINodeVersion + "-linux-x64.tar.gz"

// ciASToolchain installs Node.js (and npm) from nodejs.org's release
// tarball, unpacked only once its sha256 matches the release's
// SHASUMS256.txt (in a subshell, so GitLab's later commands keep their
// directory). One line: it is a plain YAML scalar in both CI files, so it
// holds no ": " and no " #".
const ciASToolchain = "(cd /tmp && curl --proto =https -fsSLO https://nodejs.org/dist/" + CINodeVersion + "/" + ciNodeTarball +
	" && curl --proto =https -fsSLO https://nodejs.org/dist/" + CINodeVersion + "/SHASUMS256.txt" +
	" && grep ' " + ciNodeTarball + "$' SHASUMS256.txt | sha256sum -c -" +
	" && tar -xzf " + ciNodeTarball + " -C /usr/local --strip-components=1)"

// releaseRE matches a release version `go install …@VERSION` can fetch:
// vMAJOR.MINOR.PATCH with an optional dot-separated pre-release, but not
// a Go pseudo-version, `git describe` output or build metadata.
var releaseRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$`)

// goReleaseRE matches a Go release's runtime.Version, go1.26 or go1.26.8.
var goReleaseRE = regexp.MustCompile(`^go([0-9]+\.[0-9]+)(\.[0-9]+)?$`)

// InstallVersion is the agentshape version a generated CI job installs for
// a project written by agentshape version v: v itself when it is a release,
// else "latest".
func InstallVersion(v string) string {
	if releaseRE.MatchString(v) {
		return v
	}
	return "latest"
}

// goImageTag is the golang image tag for the Go release this binary was
// built with (go1.26.8 -> 1.26-bookworm), which is at least the Go the
// agentshape module needs; a development toolchain gets the newest release.
func goImageTag(goVersion string) string {
	if m := goReleaseRE.FindStringSubmatch(goVersion); m != nil {
		return m[1] + "-" + ciDebian
	}
	return ciDebian
}

// New writes the project and returns what it wrote.
func New(opts Options) (*Result, error) {
	if !nameRE.MatchString(opts.Name) || len(opts.Name) > 48 {
		return nil, fmt.Errorf("plugin name %q: use lower-case letters, digits and single hyphens, starting with a letter, at most 48 characters (e.g. \"order-tier\")", opts.Name)
	}
	lang, err := NormalizeLang(opts.Lang)
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		dir = opts.Name
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("project directory: %w", err)
	}
	if err := checkTarget(dir); err != nil {
		return nil, err
	}
	d := data{Name: opts.Name, Lang: lang, GoModule: "example.com/" + opts.Name,
		GoKitModule: kits.GoKitModule, GoKitDir: goKitDir,
		InstallVersion: InstallVersion(opts.AgentshapeVersion),
		CIImage:        "golang:" + goImageTag(runtime.Version())}
	if releaseRE.MatchString(opts.AgentshapeVersion) {
		d.AgentshapeVersion = opts.AgentshapeVersion
	}
	org, err := emulator.DefaultOrg().YAML()
	if err != nil {
		return nil, fmt.Errorf("the demo org for org.yaml: %w", err)
	}
	d.OrgYAML = strings.TrimSuffix(string(org), "\n")
	var goKit []kits.File
	switch lang {
	case Go:
		d.LangTitle, d.SourceFile, d.MemoryMaxPages, d.HasUnit = "Go", "`main.go`", 512, true
		if goKit, err = kits.GoKit(); err != nil {
			return nil, err
		}
	case C:
		d.LangTitle, d.SourceFile, d.MemoryMaxPages = "C", "`"+opts.Name+".c`", 64
		d.CIToolchain = ciCToolchain
	case AssemblyScript:
		d.LangTitle, d.SourceFile, d.MemoryMaxPages = "AssemblyScript", "`assembly/index.ts`", 64
		d.CIToolchain = ciASToolchain
		if d.ASCVersion, err = kits.AssemblyScriptCompilerVersion(); err != nil {
			return nil, err
		}
	case Rust:
		d.LangTitle, d.SourceFile, d.MemoryMaxPages, d.HasUnit = "Rust", "`src/lib.rs`", 64, true
		d.CIToolchain = ciRustToolchain
	}

	// Write everything into a fresh sibling directory, then rename it into place.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-*")
	if err != nil {
		return nil, fmt.Errorf("create a working directory next to %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	res := &Result{Dir: dir, Lang: lang}
	write := func(rel string, content []byte, mode os.FileMode) error {
		p := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content, mode); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		res.Files = append(res.Files, rel)
		return nil
	}
	for _, root := range []string{"templates/common", "templates/" + lang} {
		if err := renderTree(root, d, write); err != nil {
			return nil, err
		}
	}
	switch lang {
	case Go:
		for _, f := range goKit {
			if err := write(goKitDir+"/"+f.Name, f.Data, 0o644); err != nil {
				return nil, err
			}
		}
	case C:
		if err := write("agentshape.h", kits.CHeader, 0o644); err != nil {
			return nil, err
		}
	case AssemblyScript:
		lock, err := kits.AssemblyScriptLock(opts.Name, "0.1.0")
		if err != nil {
			return nil, err
		}
		if err := write("package-lock.json", lock, 0o644); err != nil {
			return nil, err
		}
		kit := kits.AssemblyScript()
		err = fs.WalkDir(kit, ".", func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := fs.ReadFile(kit, p)
			if err != nil {
				return err
			}
			return write("assembly/agentshape/"+p, b, 0o644)
		})
		if err != nil {
			return nil, fmt.Errorf("copy the AssemblyScript kit: %w", err)
		}
	case Rust:
		for _, f := range kits.RustKit() {
			mode := os.FileMode(0o644)
			if strings.HasSuffix(f.Name, ".sh") {
				mode = 0o755
			}
			if err := write(f.Name, f.Data, mode); err != nil {
				return nil, err
			}
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	// The target may exist as an empty directory: remove it so rename can take its place.
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		if err := os.Remove(dir); err != nil {
			return nil, fmt.Errorf("replace empty directory %s: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("move the new project into %s: %w", dir, err)
	}
	done = true
	return res, nil
}

// partials is where templates shared by several files live, each one
// callable from any template by its file name ([[template "x.tmpl" .]]).
const partials = "templates/partials"

// renderTree renders every .tmpl file under root (an embedded directory)
// into the project: "_name_" in a file name becomes the plugin name, a
// "dot-" prefix of a file or directory name becomes "." (dot-github ->
// .github), and ".sh" files are executable.
func renderTree(root string, d data, write func(string, []byte, os.FileMode) error) error {
	return fs.WalkDir(templates, root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		src, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
		rel = strings.ReplaceAll(rel, "_name_", d.Name)
		elems := strings.Split(rel, "/")
		for i, e := range elems {
			if rest, ok := strings.CutPrefix(e, "dot-"); ok {
				elems[i] = "." + rest
			}
		}
		rel = path.Join(elems...)
		t, err := template.New(p).Delims("[[", "]]").Option("missingkey=error").Parse(string(src))
		if err != nil {
			return fmt.Errorf("scaffold template %s: %w", p, err)
		}
		if t, err = t.ParseFS(templates, partials+"/*.tmpl"); err != nil {
			return fmt.Errorf("scaffold template %s: %w", p, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, d); err != nil {
			return fmt.Errorf("scaffold template %s: %w", p, err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(rel, ".sh") {
			mode = 0o755
		}
		return write(rel, buf.Bytes(), mode)
	})
}

func checkTarget(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return fmt.Errorf("%s exists and is not a directory: choose another --dir", dir)
		}
		return fmt.Errorf("project directory %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("%s already exists and is not empty: choose another --dir (nothing was written)", dir)
	}
	return nil
}
