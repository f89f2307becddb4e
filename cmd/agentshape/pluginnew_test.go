package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
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

// TestPluginNewBuildsAndPasses generates a project in every language, then
// builds it with the real toolchain and runs its own targets exactly as an
// author would: unit and golden tests, inspect, the conformance gate, pin
// and a one-plugin shape.
func TestPluginNewBuildsAndPasses(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed: install it (Debian: apt-get install make)")
	}
	bin := buildCLI(t)
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"go", "c", "assemblyscript"} {
		t.Run(lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "plugins", "tag-"+lang)
			name := "tag-" + lang
			code, out, errOut := runShapeCLI(t, "plugin", "new", name, "--lang", lang, "--dir", dir, "--agentshape-dir", root)
			if code != exitOK {
				t.Fatalf("plugin new: exit %d\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(out, "make build test inspect conformance") {
				t.Errorf("plugin new does not say what to do next:\n%s", out)
			}
			for _, f := range []string{"Makefile", "README.md", "pipeline.yaml", "test.sh", "tests/channel.envelope.json", "tests/channel.want.json", ".gitignore"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			mk := exec.Command("make", "build", "test", "inspect", "conformance", "pin", "shape", "AGENTSHAPE="+bin)
			mk.Dir = dir
			mk.Env = append(os.Environ(), "CGO_ENABLED=0", "MAKEFLAGS=")
			got, err := mk.CombinedOutput()
			log := string(got)
			if err != nil {
				t.Fatalf("make in the generated %s project: %v\n%s", lang, err, log)
			}
			for _, want := range []string{"ok   tests/channel", "ok   tests/replace", "ok   tests/no-channel",
				"verdict: the host accepts this plugin", "conformance PASSED", `"/variables/0/value": "` + name + `"`} {
				if !strings.Contains(log, want) {
					t.Errorf("make output lacks %q:\n%s", want, log)
				}
			}
			if lang == "go" && !strings.Contains(log, "ok  \t"+"example.com/"+name) {
				t.Errorf("the Go unit tests did not run:\n%s", log)
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
			code, out, errOut = runShapeCLI(t, "shape", "--manifest", filepath.Join(dir, "pipeline.yaml"),
				"--context", filepath.Join(dir, "context.json"), "--request", filepath.Join(dir, "base.json"))
			if code != exitOK {
				t.Fatalf("shape with the pinned manifest: exit %d\n%s", code, errOut)
			}
			var req struct {
				Variables []struct{ Name, Type, Value string }
			}
			if err := json.Unmarshal([]byte(out), &req); err != nil || len(req.Variables) != 1 || req.Variables[0].Value != "web" {
				t.Fatalf("shaped request %s (%v)", out, err)
			}
		})
	}
}

// TestPluginNewRefuses checks the mistakes an author can make leave nothing
// behind and say what to do.
func TestPluginNewRefuses(t *testing.T) {
	tmp := t.TempDir()
	occupied := filepath.Join(tmp, "occupied")
	if err := os.MkdirAll(occupied, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(occupied, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	notCheckout := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plugin", "new", "ok-name", "--lang", "c", "--dir", occupied}, "already exists and is not empty"},
		{[]string{"plugin", "new", "Bad_Name", "--lang", "c", "--dir", filepath.Join(tmp, "x")}, "use lower-case letters, digits and single hyphens"},
		{[]string{"plugin", "new", "ok-name", "--lang", "rust", "--dir", filepath.Join(tmp, "y")}, "use go, c or assemblyscript"},
		{[]string{"plugin", "new", "ok-name", "--dir", filepath.Join(tmp, "z")}, `required flag(s) "lang" not set`},
		{[]string{"plugin", "new", "ok-name", "--lang", "go", "--dir", filepath.Join(tmp, "w"), "--agentshape-dir", notCheckout}, "it must be an agentshape checkout"},
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
