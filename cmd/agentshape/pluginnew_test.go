package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/plugins/kits"
)

// buildCLI builds the agentshape binary the generated Makefiles call.
func buildCLI(t *testing.T) string {
	t.Helper()
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "agentshape")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/agentshape")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/agentshape: %v\n%s", err, out)
	}
	return bin
}

// offlineEnv is the environment of a plugin team's machine with no module
// proxy and no agentshape checkout: GOPROXY=off, GOFLAGS=-mod=mod (go may
// resolve and record modules, but only from what is on disk), no toolchain
// download, npm from its cache, and agentshape found on PATH in bin.
func offlineEnv(bin string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOPROXY", "GOFLAGS", "GOTOOLCHAIN", "GOWORK", "MAKEFLAGS", "AGENTSHAPE", "AGENTSHAPE_DIR", "PATH":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOPROXY=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "MAKEFLAGS=",
		"npm_config_prefer_offline=true", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// ciStep is one command of a generated CI file, with the name GitHub shows.
type ciStep struct{ name, run string }

// ciCommands reads the commands the generated GitHub workflow runs, in
// order, and checks .gitlab-ci.yml runs the same ones.
func ciCommands(t *testing.T, dir string) []ciStep {
	t.Helper()
	var gh struct {
		Jobs map[string]struct {
			Container string `yaml:"container"`
			Steps     []struct {
				Name string `yaml:"name"`
				Uses string `yaml:"uses"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	var gl map[string]struct {
		Image        string   `yaml:"image"`
		BeforeScript []string `yaml:"before_script"`
		Script       []string `yaml:"script"`
		Artifacts    struct {
			Reports struct {
				JUnit string `yaml:"junit"`
			} `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	for file, v := range map[string]any{".github/workflows/agentshape.yml": &gh, ".gitlab-ci.yml": &gl} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, v); err != nil {
			t.Fatalf("%s is not YAML: %v\n%s", file, err, b)
		}
	}
	job, ok := gh.Jobs["gate"]
	if !ok || len(gl) != 1 {
		t.Fatalf("want one GitHub job \"gate\" and one GitLab job; got %d and %d", len(gh.Jobs), len(gl))
	}
	var steps []ciStep
	var ghRuns []string
	for _, s := range job.Steps {
		if s.Run != "" {
			steps = append(steps, ciStep{s.Name, s.Run})
			ghRuns = append(ghRuns, s.Run)
		}
	}
	for name, j := range gl {
		if got := append(append([]string(nil), j.BeforeScript...), j.Script...); !slices.Equal(got, ghRuns) {
			t.Errorf("GitLab job %s runs\n  %q\nGitHub runs\n  %q", name, got, ghRuns)
		}
		if j.Image != job.Container {
			t.Errorf("GitLab image %q, GitHub container %q", j.Image, job.Container)
		}
		if j.Artifacts.Reports.JUnit != "build/conformance.xml" {
			t.Errorf("GitLab does not read the gate's JUnit report: %q", j.Artifacts.Reports.JUnit)
		}
	}
	return steps
}

// TestPluginNewBuildsAndPasses generates a project in every language in an
// empty directory outside any checkout, with no module proxy, then runs the
// commands of its generated CI workflow in order, as CI would — the
// install step runs this checkout's agentshape instead, and the toolchain
// step is left to this machine's toolchains — and then the author's other
// targets: pin and a one-plugin shape. The gate runs against the project's
// org.yaml (the demo org, as emulator --print-org prints it); a team that
// sets its own My Domain there still passes, and (Go) a plugin that takes
// the My Domain from the context passes while one hard-coding the demo My
// Domain fails, naming --org.
func TestPluginNewBuildsAndPasses(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed: install it (Debian: apt-get install make)")
	}
	bin := buildCLI(t)
	binDir := filepath.Dir(bin)
	for _, lang := range []string{"go", "c", "assemblyscript", "rust"} {
		t.Run(lang, func(t *testing.T) {
			work := t.TempDir()
			for d := work; ; d = filepath.Dir(d) {
				for _, f := range []string{"go.mod", "go.work"} {
					if _, err := os.Stat(filepath.Join(d, f)); err == nil {
						t.Fatalf("the temporary directory %s is inside a Go module (%s): the test must run outside any checkout", work, filepath.Join(d, f))
					}
				}
				if filepath.Dir(d) == d {
					break
				}
			}
			name := "tag-" + lang
			dir := filepath.Join(work, name)
			env := offlineEnv(binDir)
			gen := exec.Command(bin, "plugin", "new", name, "--lang", lang)
			gen.Dir, gen.Env = work, env
			out, err := gen.CombinedOutput()
			if err != nil {
				t.Fatalf("plugin new: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "make build test inspect conformance") {
				t.Errorf("plugin new does not say what to do next:\n%s", out)
			}
			for _, f := range []string{"Makefile", "README.md", "pipeline.yaml", "org.yaml", "test.sh", "tests/channel.envelope.json", "tests/channel.want.json", ".gitignore"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			goMod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
			if lang == "go" {
				for _, line := range strings.Split(string(goMod), "\n") {
					if _, target, ok := strings.Cut(line, "=>"); ok && strings.TrimSpace(target) != "./shapekit" {
						t.Errorf("go.mod replaces with %q, want the project's own ./shapekit:\n%s", target, goMod)
					}
				}
				if strings.Contains(string(goMod), work) || strings.Contains(string(goMod), "github.com/agentshape/agentshape ") {
					t.Errorf("go.mod holds a machine path or requires the agentshape host module:\n%s", goMod)
				}
			}

			checkOrgFile(t, bin, dir)

			var log strings.Builder
			for _, step := range ciCommands(t, dir) {
				switch {
				case strings.HasPrefix(step.run, "go install github.com/agentshape/agentshape/cmd/agentshape@"):
					if want := "@latest"; !strings.HasSuffix(step.run, want) {
						t.Errorf("a development build's project installs %q, want %s", step.run, want)
					}
					continue // bin is on PATH as agentshape instead
				case strings.HasPrefix(step.name, "Install the "):
					if lang == "go" {
						t.Errorf("a Go project's CI installs a toolchain: %s", step.run)
					}
					continue // this machine has the toolchains (make toolchains)
				}
				cmd := exec.Command("sh", "-ec", step.run)
				cmd.Dir, cmd.Env = dir, env
				got, err := cmd.CombinedOutput()
				fmt.Fprintf(&log, "$ %s\n%s", step.run, got)
				if err != nil {
					t.Fatalf("CI step %q (%s) in the generated %s project: %v\n%s", step.name, step.run, lang, err, log.String())
				}
			}
			for _, want := range []string{"ok   tests/channel", "ok   tests/replace", "ok   tests/no-channel",
				"verdict: the host accepts this plugin", "conformance PASSED", "org: https://example-co.my.salesforce.com from org.yaml, agent 0XxAA0000000001AAA"} {
				if !strings.Contains(log.String(), want) {
					t.Errorf("CI output lacks %q:\n%s", want, log.String())
				}
			}
			if lang == "go" && !strings.Contains(log.String(), "ok  \t"+"example.com/"+name) {
				t.Errorf("the Go unit tests did not run:\n%s", log.String())
			}
			if lang == "rust" && !strings.Contains(log.String(), "test result: ok. 2 passed") {
				t.Errorf("the Rust unit tests did not run:\n%s", log.String())
			}
			var junit struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
			}
			if b, err := os.ReadFile(filepath.Join(dir, "build", "conformance.xml")); err != nil || xml.Unmarshal(b, &junit) != nil || junit.Tests == 0 || junit.Failures != 0 {
				t.Errorf("CI's JUnit report: %+v (%v)\n%s", junit, err, b)
			}
			if _, err := os.Stat(filepath.Join(dir, "build", "conformance.html")); err != nil {
				t.Errorf("CI's HTML report: %v", err)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, "go.mod")); !bytes.Equal(after, goMod) {
				t.Errorf("building changed go.mod:\n%s", after)
			}

			mk := exec.Command("make", "pin", "shape")
			mk.Dir, mk.Env = dir, env
			got, err := mk.CombinedOutput()
			if err != nil || !strings.Contains(string(got), `"/variables/0/value": "`+name+`"`) {
				t.Fatalf("make pin shape in the generated %s project: %v\n%s", lang, err, got)
			}
			wasm, err := os.ReadFile(filepath.Join(dir, "build", name+".wasm"))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(wasm)
			manifest, _ := os.ReadFile(filepath.Join(dir, "pipeline.yaml"))
			if !strings.Contains(string(manifest), `sha256: "`+hex.EncodeToString(sum[:])+`"`) {
				t.Errorf("make pin did not pin the build's sha256 %x:\n%s", sum, manifest)
			}
			// The pinned manifest runs through the CLI.
			code, stdout, errOut := runShapeCLI(t, "shape", "--manifest", filepath.Join(dir, "pipeline.yaml"),
				"--context", filepath.Join(dir, "context.json"), "--request", filepath.Join(dir, "base.json"))
			if code != exitOK {
				t.Fatalf("shape with the pinned manifest: exit %d\n%s", code, errOut)
			}
			var req struct {
				Variables []struct{ Name, Type, Value string }
			}
			if err := json.Unmarshal([]byte(stdout), &req); err != nil || len(req.Variables) != 1 || req.Variables[0].Value != "web" {
				t.Fatalf("shaped request %s (%v)", stdout, err)
			}

			// The team describes its own org: the gate checks against it.
			orgFile := filepath.Join(dir, "org.yaml")
			org, _ := os.ReadFile(orgFile)
			acme := bytes.Replace(org, []byte("\nmyDomain: https://example-co.my.salesforce.com\n"), []byte("\nmyDomain: https://acme.my.salesforce.com\n"), 1)
			if bytes.Equal(acme, org) {
				t.Fatalf("org.yaml names no myDomain to change:\n%s", org)
			}
			if err := os.WriteFile(orgFile, acme, 0o644); err != nil {
				t.Fatal(err)
			}
			runMake := func(targets ...string) (string, error) {
				mk := exec.Command("make", targets...)
				mk.Dir, mk.Env = dir, env
				got, err := mk.CombinedOutput()
				return string(got), err
			}
			const acmeOrg = "org: https://acme.my.salesforce.com from org.yaml"
			if got, err := runMake("conformance"); err != nil || !strings.Contains(got, "conformance PASSED") || !strings.Contains(got, acmeOrg) {
				t.Fatalf("make conformance with the team's My Domain in org.yaml: %v\n%s", err, got)
			}
			if lang != "go" {
				return
			}
			// The plugin sets instanceConfig.endpoint: from the context's My
			// Domain it passes against the team's org; hard-coded to the demo
			// org's it fails, and the failure names --org.
			for _, tc := range []struct {
				name, endpoint string
				passes         bool
			}{
				{"from the context", `domain`, true},
				{"hard-coded", `"https://example-co.my.salesforce.com"`, false},
			} {
				src := `package main

import (
	"strings"

	"` + kits.GoKitModule + `"
)

func shape(env shapekit.Envelope) (shapekit.Request, error) {
	domain := env.Context.Org.MyDomain
	if domain == "" {
		return env.Request, nil
	}
	if !strings.Contains(domain, "://") {
		domain = "https://" + domain + ".my.salesforce.com"
	}
	if err := env.Request.Set("instanceConfig.endpoint", ` + tc.endpoint + `); err != nil {
		return nil, err
	}
	return env.Request, nil
}

func init() { shapekit.Register(shape) }

func main() {}
`
				if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
				got, err := runMake("build", "conformance")
				switch {
				case tc.passes && (err != nil || !strings.Contains(got, "conformance PASSED") || !strings.Contains(got, acmeOrg)):
					t.Errorf("a plugin taking the My Domain %s: %v\n%s", tc.name, err, got)
				case !tc.passes && (err == nil || !strings.Contains(got, `instanceConfig.endpoint is "https://example-co.my.salesforce.com", but --org org.yaml says the org's My Domain is https://acme.my.salesforce.com`)):
					t.Errorf("a plugin with the My Domain %s: want the gate to fail naming --org: %v\n%s", tc.name, err, got)
				}
			}
		})
	}
}

// checkOrgFile checks the project's org.yaml: comments telling the team what
// to set, then exactly the demo org `agentshape emulator --print-org` prints.
func checkOrgFile(t *testing.T, bin, dir string) {
	t.Helper()
	org, err := os.ReadFile(filepath.Join(dir, "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var comments, body []string
	for _, line := range strings.SplitAfter(string(org), "\n") {
		if strings.HasPrefix(line, "#") && len(body) == 0 {
			comments = append(comments, line)
		} else {
			body = append(body, line)
		}
	}
	for _, says := range []string{"--org org.yaml", "myDomain   your org's My Domain", "agents     your agent", "variables", "real client secret"} {
		if !strings.Contains(strings.Join(comments, ""), says) {
			t.Errorf("org.yaml's comments do not say %q:\n%s", says, org)
		}
	}
	demo, err := exec.Command(bin, "emulator", "--print-org").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(body, ""); got != string(demo) {
		t.Errorf("org.yaml's body is not what emulator --print-org prints:\n%s\nwant:\n%s", got, demo)
	}
}

// TestPluginNewRefuses checks the mistakes an author can make leave nothing
// behind and say what to do.
func TestPluginNewRefuses(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	occupied := filepath.Join(tmp, "occupied")
	if err := os.MkdirAll(occupied, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(occupied, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plugin", "new", "ok-name", "--lang", "c", "--dir", occupied}, "already exists and is not empty"},
		{[]string{"plugin", "new", "Bad_Name", "--lang", "c", "--dir", filepath.Join(tmp, "x")}, "use lower-case letters, digits and single hyphens"},
		{[]string{"plugin", "new", "ok-name", "--lang", "cobol", "--dir", filepath.Join(tmp, "y")}, "use go, c, assemblyscript or rust"},
		{[]string{"plugin", "new", "ok-name", "--dir", filepath.Join(tmp, "z")}, `required flag(s) "lang" not set`},
	}
	for _, tc := range cases {
		code, _, errOut := runShapeCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want exit %d and %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Fatalf("the occupied directory was touched: %q %v", b, err)
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("refused runs left files behind: %v", names)
	}
	// An existing empty directory is fine.
	empty := filepath.Join(tmp, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runShapeCLI(t, "plugin", "new", "fine", "--lang", "assemblyscript", "--dir", empty); code != exitOK {
		t.Fatalf("empty dir: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(empty, "assembly", "agentshape", "json.ts")); err != nil {
		t.Fatalf("AssemblyScript kit not copied: %v", err)
	}
}

// TestUnbuiltProjectHints: in a project written by plugin new, every command
// that meets the missing build says to run the project's own `make build`
// (in the project), not the agentshape checkout's `make plugins`.
func TestUnbuiltProjectHints(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tier")
	if code, _, errOut := runShapeCLI(t, "plugin", "new", "tier", "--lang", "c", "--dir", dir); code != exitOK {
		t.Fatalf("plugin new: exit %d %s", code, errOut)
	}
	wasm := filepath.Join(dir, "build", "tier.wasm")
	manifest := filepath.Join(dir, "pipeline.yaml")
	for _, args := range [][]string{
		{"plugin", "call", wasm, "--input", filepath.Join(dir, "tests", "channel.envelope.json")},
		{"plugin", "inspect", wasm},
		{"conformance", "--plugin", wasm, "-q"},
		{"conformance", "--manifest", manifest, "-q"},
		{"shape", "--manifest", manifest, "--context", filepath.Join(dir, "context.json"), "--request", filepath.Join(dir, "base.json")},
	} {
		code, _, errOut := runShapeCLI(t, args...)
		if code == exitOK || !strings.Contains(errOut, "`make build` in "+dir) || strings.Contains(errOut, "make plugins") {
			t.Errorf("%v: exit %d, stderr %q; want it to say `make build` in %s and not make plugins", args[:2], code, errOut, dir)
		}
	}
}
