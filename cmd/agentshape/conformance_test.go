package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestConformanceCLIPasses: a good plugin exits 0 and writes every report.
func TestConformanceCLIPasses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junit, cuke, html := filepath.Join(dir, "c.xml"), filepath.Join(dir, "c.json"), filepath.Join(dir, "c.html")
	code, out, errOut := runShapeCLI(t, "conformance", "--plugin", catalog.MustPath(t, "endpoint"),
		"--config", "override=false", "--cases", "10", "--seed", "3", "--cache-dir", shapeCacheDir,
		"--junit", junit, "--cucumber", cuke, "--html", html)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "conformance PASSED") || !strings.Contains(out, "seed 3, 10 generated cases") {
		t.Errorf("summary: %s", out)
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(x, &suites); err != nil || suites.Tests < 10 || suites.Failures != 0 {
		t.Errorf("junit report: %v tests=%d failures=%d", err, suites.Tests, suites.Failures)
	}
	c, _ := os.ReadFile(cuke)
	var features []map[string]any
	// the contract's four features, then the plugins' fuel
	if err := json.Unmarshal(c, &features); err != nil || len(features) != 5 || features[4]["name"] != "Fuel per plugin" {
		t.Errorf("cucumber report: %v, %d features", err, len(features))
	}
	h, _ := os.ReadFile(html)
	if !strings.Contains(string(h), `data-verdict="passed"`) {
		t.Errorf("html report has no passed verdict")
	}
}

// TestConformanceCLIFails: a broken plugin exits 1 and prints a reproducer.
func TestConformanceCLIFails(t *testing.T) {
	t.Parallel()
	wasm := catalog.MustPath(t, "testdata/broken/forbidden-field")
	repro := t.TempDir()
	code, out, errOut := runShapeCLI(t, "conformance", "-q", "--plugin", wasm, "--cases", "5",
		"--cache-dir", shapeCacheDir, "--repro-dir", repro)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"conformance FAILED", "[reserved]", "tenantKeyId", "re-run:   agentshape plugin call " + wasm + " --input " + repro} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "reproducers are in "+repro) {
		t.Errorf("stderr: %s", errOut)
	}
}

// TestConformanceCLIUsage: bad flags exit 2 with a message that says what to do.
func TestConformanceCLIUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"conformance"}, "exactly one of a plugin"},
		{[]string{"conformance", "--plugin", "a.wasm", "--manifest", "m.yaml"}, "exactly one of a plugin"},
		{[]string{"conformance", "--manifest", "m.yaml", "--config", "a=b"}, "--config goes with --plugin"},
		{[]string{"conformance", "--plugin", "x.wasm", "--config", "novalue"}, "write key=value"},
		{[]string{"conformance", "--plugin", filepath.Join(t.TempDir(), "none.wasm")}, "make plugins"},
		{[]string{"conformance", "--manifest", filepath.Join(t.TempDir(), "none.yaml")}, "none.yaml"},
		{[]string{"conformance", "--manifest", "m.yaml", "--grant-env", "SALT"}, "a manifest carries each plugin's grants"},
		{[]string{"conformance", "--plugin", "x.wasm", "--grant-env", "A=B"}, "not an environment variable name"},
		{[]string{"conformance", "--plugin", "x.wasm", "--grant-env", "SF_CLIENT_SECRET"}, "Salesforce credential"},
		{[]string{"conformance", "--plugin", "x.wasm", "--grant-dir", "data:/a/../b"}, "clean absolute path"},
		{[]string{"conformance", "--manifest", "m.yaml", "--baseline", "old.wasm"}, "--baseline goes with --plugin"},
		{[]string{"conformance", "--plugin", "x.wasm", "--baseline-manifest", "old.yaml"}, "--baseline-manifest goes with --manifest"},
		{[]string{"conformance", "--plugin", "x.wasm", "--fail-on-diff"}, "--fail-on-diff needs a baseline"},
		{[]string{"conformance", "--plugin", "x.wasm", "--fuel-seeds", "-1"}, "--fuel-seeds -1: write how many seeds"},
		{[]string{"conformance", "--plugin", "x.wasm", "--fuel-seeds", "33"}, "--fuel-seeds 33: write how many seeds besides --seed to measure fuel under, 0 (--seed alone) to 32"},
	} {
		code, _, errOut := runShapeCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestConformanceCLIReportFiles: reports are ordinary files (readable by the
// CI job that uploads them, like any file this user creates: 0666 less the
// umask, not 0600), and a report path that cannot be written is a usage error
// named by its flag before the gate runs.
func TestConformanceCLIReportFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ref := filepath.Join(dir, "reference")
	if err := os.WriteFile(ref, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	refInfo, err := os.Stat(ref)
	if err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "c.xml")
	code, out, errOut := runShapeCLI(t, "conformance", "-q", "--plugin", catalog.MustPath(t, "timezone"), "--cases", "3",
		"--cache-dir", shapeCacheDir, "--junit", junit)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	info, err := os.Stat(junit)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != refInfo.Mode().Perm() {
		t.Errorf("report mode %v, want %v (what this user's new files get)", info.Mode().Perm(), refInfo.Mode().Perm())
	}

	for _, tc := range []struct {
		flag, path, want string
	}{
		{"--junit", dir, "is a directory"},
		{"--html", filepath.Join(dir, "missing", "r.html"), "missing"},
		{"--cucumber", filepath.Join(ref, "r.json"), "not a directory"},
	} {
		code, out, errOut := runShapeCLI(t, "conformance", "-q", "--plugin", catalog.MustPath(t, "timezone"), "--cache-dir", shapeCacheDir, tc.flag, tc.path)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.flag+" "+tc.path) || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want exit 2 before the run, naming the flag and %q", tc.flag, tc.path, code, out, errOut, tc.want)
		}
	}
}

// A plugin checked on its own gets --grant-env/--grant-dir as in a pipeline:
// with the grant the gate runs it (it passes), and a granted variable that
// is not set fails the check, naming it.
func TestConformanceCLIGrants(t *testing.T) {
	reader := catalog.MustPath(t, "testdata/grants/reader")
	t.Setenv("GRANT_TEST_VALUE", "salt")
	code, out, errOut := runShapeCLI(t, "conformance", "--plugin", reader, "--cases", "2", "--grant-env", "GRANT_TEST_VALUE", "--quiet", "--cache-dir", shapeCacheDir)
	if code != exitOK || !strings.Contains(out, "conformance PASSED") {
		t.Fatalf("with its grant: exit %d\n%s\n%s", code, out, errOut)
	}
	os.Unsetenv("GRANT_TEST_VALUE")
	code, out, errOut = runShapeCLI(t, "conformance", "--plugin", reader, "--cases", "2", "--grant-env", "GRANT_TEST_VALUE", "--quiet", "--cache-dir", shapeCacheDir)
	if code != exitFailure || !strings.Contains(out+errOut, "GRANT_TEST_VALUE is not set") {
		t.Fatalf("an unset granted variable: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestConformanceCLIOrg: --org makes the gate check against the team's org:
// a plugin hard-coded to that org's My Domain fails without it (the output
// names --org) and passes with it; an unreadable org file is a usage error.
func TestConformanceCLIOrg(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	org := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(org, []byte("myDomain: https://acme.my.salesforce.com\nagents: [{id: 0XxAA0000000002AAA}]\n"+
		"clientApps: [{clientId: ci, clientSecret: s3cret, runAs: {username: ci@acme.example, manageAIAgents: true}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"conformance", "-q", "--plugin", catalog.MustPath(t, "endpoint"), "--config", "myDomain=https://acme.my.salesforce.com",
		"--config", "override=true", "--cases", "5", "--cache-dir", shapeCacheDir, "--repro-dir", dir}
	code, out, errOut := runShapeCLI(t, args...)
	if code != exitFailure || !strings.Contains(out, "org: the built-in demo org") || !strings.Contains(out, "pass it with --org ORG.yaml") {
		t.Fatalf("without --org: exit %d, want 1 naming --org\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut = runShapeCLI(t, append(args, "--org", org)...)
	if code != exitOK || !strings.Contains(out, "org: https://acme.my.salesforce.com from "+org+", agent 0XxAA0000000002AAA") {
		t.Fatalf("with --org: exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, _, errOut = runShapeCLI(t, append(args, "--org", filepath.Join(dir, "missing.yaml"))...)
	if code != exitUsage || !strings.Contains(errOut, "--print-org") {
		t.Fatalf("missing org file: exit %d, want 2\nstderr: %s", code, errOut)
	}
}

// TestConformanceCLIPipelineReplay: an end-to-end failure names the plugin
// that wrote the refused field (not the pipeline's last plugin), and its
// re-run command — start over the pipeline up to that plugin, on the
// embedded emulator serving the org the gate checked against (--org, or the
// demo org) — runs as printed and fails as the gate's Start Session did:
// exit 4, 500 EngineConfigLookupException. The replay manifest's notes give
// the shape --explain command, which shows the field with its writer. A
// plugin checked on its own gets the same replay.
func TestConformanceCLIPipelineReplay(t *testing.T) {
	t.Parallel()
	acme, err := filepath.Abs(acmeOrgFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, domain string // the My Domain the endpoint plugin hard-codes
		subject      func(dir string) []string
		org          []string
		blamed       string
	}{
		{"pipeline, demo org", "https://acme.my.salesforce.com", pipelineSubject(t, "acme-endpoint", "https://acme.my.salesforce.com"), nil, "acme-endpoint"},
		{"pipeline, --org", "https://example-co.my.salesforce.com", pipelineSubject(t, "demo-endpoint", "https://example-co.my.salesforce.com"), []string{"--org", acme}, "demo-endpoint"},
		{"plugin, --org", "https://example-co.my.salesforce.com", func(string) []string {
			return []string{"--plugin", catalog.MustPath(t, "endpoint"), "--config", "myDomain=https://example-co.my.salesforce.com", "--config", "override=true"}
		}, []string{"--org", acme}, "endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append(append([]string{"conformance", "-q", "--cases", "3", "--cache-dir", shapeCacheDir, "--repro-dir", dir}, tc.subject(dir)...), tc.org...)
			code, out, errOut := runShapeCLI(t, args...)
			if code != exitFailure || !strings.Contains(out, `last written by plugin "`+tc.blamed+`"`) {
				t.Fatalf("exit %d, want 1 blaming %s\nstdout: %s\nstderr: %s", code, tc.blamed, out, errOut)
			}
			var replay []string
			for _, line := range strings.Split(out, "\n") {
				if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "re-run:   agentshape start "); ok {
					replay = append([]string{"start"}, strings.Fields(cmd)...)
					break
				}
			}
			if replay == nil {
				t.Fatalf("no start re-run command:\n%s", out)
			}
			if tc.org != nil && !strings.Contains(strings.Join(replay, " "), "--org "+tc.org[1]) {
				t.Errorf("the replay %v does not serve the gate's org", replay)
			}
			code, stdout, stderr := runShapeCLI(t, append(replay, "--cache-dir", shapeCacheDir)...)
			if code != exitAPIError || !strings.Contains(stdout, `"responseCode": 500`) || !strings.Contains(stdout, "EngineConfigLookupException") ||
				!strings.Contains(stdout, `no org found for instanceConfig.endpoint \"`+tc.domain+`\"`) {
				t.Fatalf("replay %v: exit %d, want %d with the gate's 500 EngineConfigLookupException\nstdout: %s\nstderr: %s", replay, code, exitAPIError, stdout, stderr)
			}
			// The manifest's notes: shape --explain names the endpoint's writer.
			var manifest string
			for i, a := range replay {
				if a == "--manifest" && i+1 < len(replay) {
					manifest = replay[i+1]
				}
			}
			notes, err := os.ReadFile(manifest)
			if err != nil {
				t.Fatal(err)
			}
			var explain []string
			for _, line := range strings.Split(string(notes), "\n") {
				if cmd, ok := strings.CutPrefix(line, "#   agentshape shape "); ok {
					explain = append([]string{"shape"}, strings.Fields(cmd)...)
				}
			}
			if explain == nil || explain[len(explain)-1] != "--explain" {
				t.Fatalf("the replay manifest's notes give no shape --explain command:\n%s", notes)
			}
			code, stdout, stderr = runShapeCLI(t, append(explain, "--cache-dir", shapeCacheDir)...)
			if code != exitOK || !strings.Contains(stdout, `"endpoint": "`+tc.domain+`"`) || !strings.Contains(stdout, `"/instanceConfig/endpoint": "`+tc.blamed+`"`) || strings.Contains(stdout, "session-key") {
				t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", explain, code, stdout, stderr)
			}
		})
	}
}

// pipelineSubject returns the conformance flags of a pipeline whose first
// plugin, name, hard-codes the My Domain domain, followed by session-key.
func pipelineSubject(t *testing.T, name, domain string) func(dir string) []string {
	return func(dir string) []string {
		manifest := filepath.Join(dir, "pipeline.yaml")
		if err := os.WriteFile(manifest, []byte("version: 1\nplugins:\n"+
			"  - name: "+name+"\n    path: "+catalog.MustPath(t, "endpoint")+"\n    config: {myDomain: \""+domain+"\", override: true}\n"+
			"  - name: session-key\n    path: "+catalog.MustPath(t, "session-key")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return []string{"--manifest", manifest}
	}
}

// TestConformanceCLIDiff: differences from the baseline are listed and keep
// the gate's exit code, unless --fail-on-diff turns them into exit 1; twin
// plugins that answer alike pass even with --fail-on-diff.
func TestConformanceCLIDiff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	manifest := func(name, mode string) string {
		path := filepath.Join(dir, name)
		body := "version: 1\nplugins:\n  - name: session-key\n    path: " + catalog.MustPath(t, "session-key") + "\n    config: {replace: true, mode: " + mode + "}\n"
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	old, new := manifest("old.yaml", "conversation"), manifest("new.yaml", "random")
	args := []string{"conformance", "-q", "--manifest", new, "--baseline-manifest", old, "--cases", "4", "--cache-dir", shapeCacheDir}
	code, out, errOut := runShapeCLI(t, args...)
	if code != exitOK || !strings.Contains(out, "conformance PASSED") || !strings.Contains(out, "7 of 7 cases differ") ||
		!strings.Contains(out, `answer: refusal "no_conversation_id" by session-key -> request`) || !strings.Contains(out, "/externalSessionKey: \"") {
		t.Fatalf("without --fail-on-diff: exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// the replay commands shape the first differing case with each version, giving the listed keys
	var replays [][]string
	for _, line := range strings.Split(out, "\n") {
		if _, cmd, ok := strings.Cut(line, "replay "); ok && len(replays) < 2 {
			_, cmd, _ = strings.Cut(cmd, "agentshape ")
			replays = append(replays, strings.Fields(cmd))
		}
	}
	if len(replays) != 2 {
		t.Fatalf("replay commands: %q\n%s", replays, out)
	}
	for i, want := range []string{`"6a8ee6c0-3732-538e-8a2a-03cbbd0add26"`, "170324d2-"} {
		if code, got, errOut := runShapeCLI(t, replays[i]...); code != exitOK || !strings.Contains(got, want) || !strings.Contains(out, want) {
			t.Errorf("replay %q: exit %d, output %s (want %s, as the diff says)\nstderr: %s", replays[i], code, got, want, errOut)
		}
	}
	code, out, errOut = runShapeCLI(t, append(args, "--fail-on-diff")...)
	if code != exitFailure || !strings.Contains(errOut, "differs from the baseline "+old+" in 7 case(s) (--fail-on-diff)") ||
		!strings.HasPrefix(out, "conformance FAILED (the behaviour differs from the baseline in 7 case(s), --fail-on-diff): ") || strings.Contains(out, "PASSED") {
		t.Fatalf("with --fail-on-diff: exit %d, want 1 and a FAILED headline\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut = runShapeCLI(t, "conformance", "-q", "--plugin", catalog.MustPath(t, "session-key-as"), "--baseline", catalog.MustPath(t, "session-key"),
		"--config", "replace=true", "--cases", "4", "--cache-dir", shapeCacheDir, "--fail-on-diff")
	if code != exitOK || !strings.Contains(out, "no differences in 7 cases") {
		t.Fatalf("twins: exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// their fuel differs, and each listed figure is what the replay's --stats prints
	fuel := regexp.MustCompile(`fuel session-key-as: (\d+) -> (\d+) .*\n\s+replay baseline: agentshape (.*)\n\s+replay new: +agentshape (.*)\n`).FindStringSubmatch(out)
	if fuel == nil {
		t.Fatalf("no fuel change with its replays listed:\n%s", out)
	}
	for i, figure := range fuel[1:3] {
		if code, _, stats := runShapeCLI(t, strings.Fields(fuel[3+i])...); code != exitOK || !strings.Contains(stats, `"fuel":`+figure+`,`) {
			t.Errorf("replay %s: exit %d, stats %s; want fuel %s", fuel[3+i], code, stats, figure)
		}
	}
}

// TestConformanceFuelIsPluginCallStats: the fuel the gate reports for a
// call on a fresh instance is what `plugin call --stats` prints for the
// same envelope and seed, with no flag to ask for the gate's conditions.
// The Go endpoint plugin's costliest call is its first on an instance (its
// runtime starts lazily); a budget one under the gate's max makes that call
// fail, under the seed whose max it is (the run's or one of the fuel
// sweep's), and the failure's reproducer is that call.
func TestConformanceFuelIsPluginCallStats(t *testing.T) {
	args := []string{"conformance", "-q", "--plugin", catalog.MustPath(t, "endpoint"), "--cases", "4", "--seed", "5", "--cache-dir", shapeCacheDir, "--repro-dir", t.TempDir()}
	code, out, errOut := runShapeCLI(t, args...)
	m := regexp.MustCompile(`plugin endpoint: fuel max (\d+), .* under seeds 5, 6, 7, 8 \(max under seed (\d+)\)`).FindStringSubmatch(out)
	if code != exitOK || m == nil {
		t.Fatalf("exit %d, want 0 and the fuel line under seeds 5-8\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	max, _ := strconv.ParseInt(m[1], 10, 64)
	code, out, errOut = runShapeCLI(t, append(args, "--fuel", strconv.FormatInt(max-1, 10))...)
	rerun := regexp.MustCompile(`re-run:   agentshape (plugin call .* --deterministic --seed (\d+)) --fuel \d+\n`).FindStringSubmatch(out)
	if code != exitFailure || rerun == nil || rerun[2] != m[2] {
		t.Fatalf("budget %d: exit %d, want 1 and a reproducer under seed %s (the max's)\nstdout: %s\nstderr: %s", max-1, code, m[2], out, errOut)
	}
	call := strings.Fields(rerun[1])
	call = slices.DeleteFunc(call, func(a string) bool { return a == "--deterministic" })
	code, _, stderr := runShapeCLI(t, append(call, "--stats")...)
	if want := fmt.Sprintf(`{"fuel":%d,`, max); code != exitOK || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, `"deterministic":true,"seed":`+m[2]+"}") {
		t.Fatalf("%s --stats: exit %d, stderr %s; want %s… as the gate measured, deterministic under seed %s", strings.Join(call, " "), code, stderr, want, m[2])
	}
}
