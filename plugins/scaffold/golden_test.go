package scaffold_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/plugins/scaffold"
)

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
	cli := filepath.Join(t.TempDir(), "agentshape")
	build := exec.Command("go", "build", "-o", cli, "./cmd/agentshape")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/agentshape: %v\n%s", err, out)
	}
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
// (main_test.go, natively with the kit from this checkout), as `make unit`
// does: the template's shape function must pass the tests it ships with.
func TestGoProjectUnitTests(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := scaffold.New(scaffold.Options{Name: "unit", Lang: "go", Dir: dir, AgentshapeDir: root}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "./...")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test in the generated project: %v\n%s", err, out)
	}
}
