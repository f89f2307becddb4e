package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// stats is the JSON line plugin call --stats prints.
type stats struct {
	Fuel          int64  `json:"fuel"`
	MemoryPages   int64  `json:"memoryPages"`
	DurationNs    int64  `json:"durationNs"`
	Deterministic *bool  `json:"deterministic"`
	Seed          *int64 `json:"seed"`
}

// callStats runs plugin call with --stats and returns its exit code, its
// stderr and the stats line it printed there.
func callStats(t *testing.T, rel string, args ...string) (int, string, stats) {
	t.Helper()
	env := writeShapeFile(t, "env.json", `{"abi":1,"plugin":{"name":"p","config":{}},"context":{"org":{"myDomain":"acme"}},"request":{"variables":[]}}`)
	args = append([]string{"plugin", "call", catalog.MustPath(t, rel), "--input", env, "--stats", "--cache-dir", "-"}, args...)
	code, _, stderr := runShapeCLI(t, args...)
	line, _, _ := strings.Cut(stderr, "\n")
	var st stats
	if err := json.Unmarshal([]byte(line), &st); err != nil {
		t.Fatalf("stderr does not start with the stats JSON: %v\n%s", err, stderr)
	}
	return code, stderr, st
}

// TestPluginCallStats: --stats prints the call's fuel, peak memory pages and
// duration, measured as the gate measures — fixed clock, randomness seeded
// by --seed (default 1) — unless --deterministic=false is given, and says
// which; the fuel of a Go plugin (whose runtime seeds its maps from the
// randomness it reads at start-up) repeats on every run.
func TestPluginCallStats(t *testing.T) {
	t.Parallel()
	code, stderr, first := callStats(t, "endpoint")
	if code != 0 || first.Fuel <= 0 || first.MemoryPages <= 0 || first.DurationNs <= 0 {
		t.Fatalf("exit %d, stats %+v; want exit 0 and positive fuel, memoryPages, durationNs\n%s", code, first, stderr)
	}
	if first.Deterministic == nil || !*first.Deterministic || first.Seed == nil || *first.Seed != 1 {
		t.Fatalf("--stats alone: %s; want \"deterministic\":true and \"seed\":1 (the gate's conditions)", stderr)
	}
	for _, args := range [][]string{nil, {"--deterministic"}, {"--seed", "1"}} {
		if _, _, again := callStats(t, "endpoint", args...); again.Fuel != first.Fuel {
			t.Fatalf("fuel %d then %d (%v) for the same module, envelope and seed", first.Fuel, again.Fuel, args)
		}
	}
	if _, stderr, s2 := callStats(t, "endpoint", "--seed", "2"); s2.Seed == nil || *s2.Seed != 2 || !*s2.Deterministic {
		t.Fatalf("--seed 2: %s; want \"deterministic\":true and \"seed\":2", stderr)
	}
	if code, stderr, real := callStats(t, "endpoint", "--deterministic=false"); code != 0 || real.Deterministic == nil || *real.Deterministic || real.Seed != nil || real.Fuel <= 0 {
		t.Fatalf("--deterministic=false: exit %d, %s; want \"deterministic\":false, no seed, and the fuel", code, stderr)
	}
}

// TestPluginCallFuel: an endless loop under --fuel and a one-hour timeout
// fails with "fuel exhausted" (exit 1) having used the limit plus one; a
// negative --fuel is a usage error.
func TestPluginCallFuel(t *testing.T) {
	t.Parallel()
	code, stderr, st := callStats(t, "testdata/hostile/infinite-loop", "--fuel", "1000000", "--timeout", "1h")
	if code != exitFailure || !strings.Contains(stderr, `plugin "infinite-loop": call: fuel exhausted: the call used more than limits.fuel 1000000`) || st.Fuel != 1_000_001 {
		t.Fatalf("exit %d, stats %v, stderr %q", code, st, stderr)
	}
	code, _, stderr = runShapeCLI(t, "plugin", "call", catalog.MustPath(t, "endpoint"), "--input", "-", "--fuel", "-1")
	if code != exitUsage || !strings.Contains(stderr, "--fuel -1: write a positive fuel limit") {
		t.Fatalf("--fuel -1: exit %d, stderr %q", code, stderr)
	}
}

// TestPluginCallPrintsOnlyAnOutputTheHostReads: an output the host rejects
// (a member named twice) is not printed — stdout stays empty, the rejection
// is on stderr, exit 1; the plugin's own refusal is an output the host
// reads, so it is printed (and still exits 1).
func TestPluginCallPrintsOnlyAnOutputTheHostReads(t *testing.T) {
	t.Parallel()
	env := writeShapeFile(t, "envp.json", `{"abi":1,"context":{},"request":{},"config":{}}`)
	code, stdout, stderr := runShapeCLI(t, "plugin", "call", catalog.MustPath(t, "testdata/hostile/duplicate-keys"), "--input", env, "--cache-dir", "-")
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, "twice") {
		t.Fatalf("rejected output: exit %d, stdout %q, stderr %s; want exit 1, nothing on stdout, the rejection on stderr", code, stdout, stderr)
	}
	code, stdout, stderr = runShapeCLI(t, "plugin", "call", catalog.MustPath(t, "session-key"), "--input", env, "--config", "replace=true", "--config", "mode=conversation", "--cache-dir", "-")
	if code != exitFailure || !strings.Contains(stdout, `"no_conversation_id"`) {
		t.Fatalf("refusal: exit %d, stdout %q, stderr %s; want exit 1 with the refusal printed", code, stdout, stderr)
	}
}
