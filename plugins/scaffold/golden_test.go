package scaffold_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/plugins/scaffold"
)

// buildCLI builds the agentshape CLI of the checkout at root.
func buildCLI(t *testing.T, root string) string {
	t.Helper()
	cli := filepath.Join(t.TempDir(), "agentshape")
	build := exec.Command("go", "build", "-o", cli, "./cmd/agentshape")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/agentshape: %v\n%s", err, out)
	}
	return cli
}

// goldenRun runs a generated project's test.sh with the real agentshape CLI
// on wasm, with tests/ holding exactly cases (name -> envelope, want).
func goldenRun(t *testing.T, cli, wasm string, cases map[string][2]string) (string, error) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := scaffold.New(scaffold.Options{Name: "golden", Lang: "c", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	tests := filepath.Join(dir, "tests")
	if err := os.RemoveAll(tests); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(tests, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, c := range cases {
		if err := os.WriteFile(filepath.Join(tests, name+".envelope.json"), []byte(c[0]), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tests, name+".want.json"), []byte(c[1]+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", "test.sh", wasm)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AGENTSHAPE="+cli)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestGoldenRefusals: a golden case may expect a refusal — the generated
// README and test.sh say each case must print exactly its want file, and
// `agentshape plugin call` prints a refusal's {"error": …} (exiting 1) — while
// a mismatching refusal and a plugin fault still fail, with the host's error.
func TestGoldenRefusals(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cli := buildCLI(t, root)
	refuse := catalog.MustPath(t, "testdata/ckit/refuse")
	env := `{"abi":1,"plugin":{"name":"golden","config":{"mode":"given","code":"no_tier","message":"pass the tier"}},"context":{},"request":{}}`

	out, err := goldenRun(t, cli, refuse, map[string][2]string{"no-tier": {env, `{"error":{"code":"no_tier","message":"pass the tier"}}`}})
	if err != nil || !strings.Contains(out, "ok   tests/no-tier") {
		t.Errorf("a refusal matching its want file must pass: %v\n%s", err, out)
	}

	out, err = goldenRun(t, cli, refuse, map[string][2]string{"no-tier": {env, `{"error":{"code":"other","message":"pass the tier"}}`}})
	if err == nil || !strings.Contains(out, "FAIL tests/no-tier") {
		t.Errorf("a refusal differing from its want file must fail: %v\n%s", err, out)
	}

	trap := catalog.MustPath(t, "testdata/hostile/trap")
	out, err = goldenRun(t, cli, trap, map[string][2]string{"trap": {env, ``}})
	if err == nil || !strings.Contains(out, "FAIL tests/trap") || !strings.Contains(out, "trapped") {
		t.Errorf("a plugin fault must fail and show the host's error: %v\n%s", err, out)
	}
}

// TestGoProjectUnitTests runs a generated Go project's own unit tests
// (main_test.go, natively with the project's copy of the kit), as `make
// unit` does, with no module proxy: the template's shape function must pass
// the tests it ships with.
func TestGoProjectUnitTests(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := scaffold.New(scaffold.Options{Name: "unit", Lang: "go", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test in the generated project: %v\n%s", err, out)
	}
}

// TestCTemplateLongChannel: the generated C plugin sets the variable from a
// context.channel of any length, like the Go and AssemblyScript templates
// (it used to treat a channel over 1023 bytes as missing and log "empty").
func TestCTemplateLongChannel(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed: install it (Debian: apt-get install make)")
	}
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cli := buildCLI(t, root)
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := scaffold.New(scaffold.Options{Name: "long", Lang: "c", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	mk := exec.Command("make", "build")
	mk.Dir = dir
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make build in the generated C project: %v\n%s", err, out)
	}
	channel := strings.Repeat("wé", 1500)
	env, _ := json.Marshal(map[string]any{"abi": 1, "plugin": map[string]any{"name": "long", "config": map[string]any{}},
		"context": map[string]any{"channel": channel}, "request": map[string]any{}})
	call := exec.Command(cli, "plugin", "call", filepath.Join(dir, "build", "long.wasm"), "--input", "-")
	call.Stdin = strings.NewReader(string(env))
	out, err := call.Output()
	if err != nil {
		t.Fatalf("plugin call: %v\n%s", err, out)
	}
	var got struct {
		Request struct {
			Variables []map[string]string `json:"variables"`
		} `json:"request"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Request.Variables) != 1 || got.Request.Variables[0]["value"] != channel {
		t.Fatalf("a %d-byte channel: output %.200s (%v), want one variable holding the channel", len(channel), out, err)
	}
}
