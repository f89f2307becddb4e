package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// runShapeCLI runs the CLI in-process (run, as main does) with an empty
// environment and no stdin, and returns its exit code, stdout and stderr.
func runShapeCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, nil, nil, args...)
}

// runCLI runs the CLI in-process with env as its whole environment and
// stdin as its input (nil: empty), and returns its exit code, stdout and
// stderr. Runs share nothing, so tests that use it may run in parallel.
func runCLI(t *testing.T, env map[string]string, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	code := run(args, func(k string) string { return env[k] }, stdin, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// shapeCacheDir is shared by the CLI tests so Go-guest plugins compile once.
var shapeCacheDir = filepath.Join(os.TempDir(), "agentshape-cli-test-cache")

func writeShapeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func examplePipeline(t *testing.T) string {
	return writeShapeFile(t, "pipeline.yaml", `version: 1
plugins:
  - name: endpoint
    path: `+catalog.MustPath(t, "endpoint")+`
  - name: context-vars
    path: `+catalog.MustPath(t, "context-vars")+`
  - name: session-key
    path: `+catalog.MustPath(t, "session-key")+`
`)
}

const shapeContext = `{"agentId":"0XxAA0000000001AAA","org":{"myDomain":"acme"},"conversationId":"c-1","user":{"locale":"fr_FR"}}`

func TestShapeCommandPrintsShapedRequest(t *testing.T) {
	t.Parallel()
	manifest := examplePipeline(t)
	ctxFile := writeShapeFile(t, "ctx.json", shapeContext)
	base := writeShapeFile(t, "base.json", `{"bypassUser":false}`)
	code, stdout, stderr := runShapeCLI(t, "shape", "--manifest", manifest, "--context", ctxFile, "--request", base, "--deterministic", "--cache-dir", shapeCacheDir)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var req map[string]any
	if err := json.Unmarshal([]byte(stdout), &req); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	// agent-api.md §5: instanceConfig.endpoint is the org's My Domain URL.
	if ep := req["instanceConfig"].(map[string]any)["endpoint"]; ep != "https://acme.my.salesforce.com" || req["bypassUser"] != false || req["externalSessionKey"] == nil {
		t.Fatalf("shaped request %s", stdout)
	}
	// Same inputs, --deterministic: same bytes.
	_, again, _ := runShapeCLI(t, "shape", "--manifest", manifest, "--context", ctxFile, "--request", base, "--deterministic", "--cache-dir", shapeCacheDir)
	if again != stdout {
		t.Fatalf("--deterministic output differs:\n%s\n%s", stdout, again)
	}

	code, stdout, stderr = runShapeCLI(t, "shape", "-m", manifest, "-c", ctxFile, "-r", base, "--explain", "--cache-dir", shapeCacheDir)
	if code != exitOK {
		t.Fatalf("--explain exit %d: %s", code, stderr)
	}
	var ex struct {
		Request    map[string]any    `json:"request"`
		Provenance map[string]string `json:"provenance"`
	}
	if err := json.Unmarshal([]byte(stdout), &ex); err != nil {
		t.Fatalf("--explain output: %v\n%s", err, stdout)
	}
	if ex.Provenance["/instanceConfig/endpoint"] != "endpoint" || ex.Provenance["/externalSessionKey"] != "session-key" ||
		ex.Provenance["/variables/0/value"] != "context-vars" || ex.Provenance["/bypassUser"] != "base" || ex.Request["instanceConfig"] == nil {
		t.Fatalf("--explain provenance %v", ex.Provenance)
	}
}

func TestShapeCommandErrors(t *testing.T) {
	t.Parallel()
	ctxFile := writeShapeFile(t, "ctx.json", shapeContext)
	trapManifest := writeShapeFile(t, "pipeline.yaml", "version: 1\nplugins:\n  - name: boom\n    path: "+catalog.MustPath(t, "testdata/hostile/trap")+"\n")
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"missing flags", []string{"shape"}, exitUsage, `required flag(s) "context", "manifest" not set`},
		{"bad manifest", []string{"shape", "-m", writeShapeFile(t, "bad.yaml", "version: 1\nplugins:\n  - name: a\n    paht: x.wasm\n"), "-c", ctxFile}, exitUsage, `bad.yaml:4: column 5: unknown field "paht"`},
		{"unknown context field", []string{"shape", "-m", trapManifest, "-c", writeShapeFile(t, "c.json", `{"agent":"x"}`)}, exitUsage, `unknown field "agent"`},
		{"base not object", []string{"shape", "-m", trapManifest, "-c", ctxFile, "-r", writeShapeFile(t, "b.json", `[1]`)}, exitUsage, "--request"},
		{"plugin fails", []string{"shape", "-m", trapManifest, "-c", ctxFile, "--cache-dir", "-"}, exitFailure, `plugin "boom": call: trapped`},
		{"missing plugin file", []string{"shape", "-m", writeShapeFile(t, "p.yaml", "version: 1\nplugins:\n  - path: nowhere.wasm\n"), "-c", ctxFile}, exitFailure, "build plugins with `make plugins`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runShapeCLI(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.says) {
				t.Fatalf("exit %d stderr %q; want exit %d saying %q", code, stderr, c.code, c.says)
			}
			if stdout != "" {
				t.Fatalf("failure printed to stdout: %q", stdout)
			}
		})
	}
}

func TestPluginCallCommand(t *testing.T) {
	env := writeShapeFile(t, "env.json", `{"abi":1,"plugin":{"name":"endpoint","config":{}},"context":{"org":{"myDomain":"acme"}},"request":{"bypassUser":true}}`)
	code, stdout, stderr := runShapeCLI(t, "plugin", "call", catalog.MustPath(t, "endpoint"), "--input", env, "--cache-dir", shapeCacheDir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Request map[string]any `json:"request"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.Request["instanceConfig"].(map[string]any)["endpoint"] != "https://acme.my.salesforce.com" || out.Request["bypassUser"] != true {
		t.Fatalf("output %q (%v)", stdout, err)
	}

	// --config reaches the plugin: moody misbehaves on config mode=loop,
	// and --timeout bounds it.
	moody := catalog.MustPath(t, "testdata/hostile/moody")
	code, stdout, stderr = runShapeCLI(t, "plugin", "call", moody, "--input", env, "--config", "mode=loop", "--timeout", "200ms", "--cache-dir", "-")
	if code != exitFailure || !strings.Contains(stderr, `plugin "moody": call: timed out`) || !strings.Contains(stderr, "200ms") || stdout != "" {
		t.Fatalf("loop: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runShapeCLI(t, "plugin", "call", moody, "--input", env, "--config", `mode="grow"`, "--memory-max-pages", "32", "--name", "m", "--cache-dir", "-")
	if code != exitFailure || !strings.Contains(stderr, `memory limit exceeded`) || !strings.Contains(stderr, "limits.memoryMaxPages 32") {
		t.Fatalf("grow: exit %d stderr %q", code, stderr)
	}
	// A refusal prints the raw output and exits 1 with the plugin's message.
	code, stdout, stderr = runShapeCLI(t, "plugin", "call", catalog.MustPath(t, "testdata/hostile/read-env"), "--input", env, "--cache-dir", "-")
	if code != exitFailure || !strings.Contains(stdout, `"code":"denied"`) || !strings.Contains(stderr, "refused the request: denied") {
		t.Fatalf("refusal: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	// Command plugins work too; the envelope arrives on stdin.
	code, stdout, _ = runShapeCLI(t, "plugin", "call", catalog.MustPath(t, "testdata/command"), "--input", env, "--deterministic", "--cache-dir", "-")
	if code != exitOK || !strings.Contains(stdout, `"command":"ran"`) {
		t.Fatalf("command: exit %d stdout %q", code, stdout)
	}
	// Grants open the sandbox as a manifest's do.
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "value.txt"), []byte("from-cli\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GRANT_TEST_VALUE", "cli-env")
	reader := catalog.MustPath(t, "testdata/grants/reader")
	code, stdout, stderr = runShapeCLI(t, "plugin", "call", reader, "--input", env, "--grant-env", "GRANT_TEST_VALUE", "--grant-dir", data+":/data", "--cache-dir", "-")
	if code != exitOK || !strings.Contains(stdout, `"value":"cli-env"`) || !strings.Contains(stdout, `"value":"from-cli"`) {
		t.Fatalf("grants: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	// Grants that cannot be honoured are usage errors, named by their flag.
	for _, c := range []struct{ flag, value, says string }{
		{"--grant-env", "SF_CLIENT_SECRET", "Salesforce credential"},
		{"--grant-env", "A=B", "not an environment variable name"},
		{"--grant-env", "NOT_SET_ANYWHERE_42", "NOT_SET_ANYWHERE_42 is not set"},
		{"--grant-dir", data + ":data", "clean absolute path"},
		{"--grant-dir", filepath.Join(data, "none") + ":/data", "create it or fix the path"},
	} {
		if code, _, stderr = runShapeCLI(t, "plugin", "call", reader, "--input", env, c.flag, c.value, "--cache-dir", "-"); code != exitUsage || !strings.Contains(stderr, c.says) {
			t.Errorf("%s %s: exit %d %q, want 2 saying %q", c.flag, c.value, code, stderr, c.says)
		}
	}
	if code, _, stderr = runShapeCLI(t, "plugin", "call", reader, "--input", env, "--grant-dir", "/data", "--cache-dir", "-"); code != exitUsage || !strings.Contains(stderr, "HOST:GUEST") {
		t.Fatalf("bad --grant-dir: exit %d %q", code, stderr)
	}
	// Usage errors.
	if code, _, stderr = runShapeCLI(t, "plugin", "call", moody, "--input", writeShapeFile(t, "x.json", "nope")); code != exitUsage || !strings.Contains(stderr, "--input") || !strings.Contains(stderr, "malformed JSON") {
		t.Fatalf("bad input: exit %d %q", code, stderr)
	}
	if code, _, stderr = runShapeCLI(t, "plugin", "call", moody, "--input", env, "--config", "novalue"); code != exitUsage || !strings.Contains(stderr, "KEY=VALUE") {
		t.Fatalf("bad --config: exit %d %q", code, stderr)
	}
	if code, _, _ = runShapeCLI(t, "plugin", "call", "--input", env); code != exitUsage {
		t.Fatalf("missing plugin arg: exit %d", code)
	}
}

// TestInputFileErrors: every unusable --context, --request or --input names
// the flag, the file and what is wrong with it, and exits 2; nothing that is
// not one clean JSON document is taken.
func TestInputFileErrors(t *testing.T) {
	t.Parallel()
	manifest := examplePipeline(t)
	ctxFile := writeShapeFile(t, "ctx.json", shapeContext)
	endpoint := catalog.MustPath(t, "endpoint")
	for _, tc := range []struct {
		name string
		args []string
		says []string
	}{
		{"empty context", []string{"shape", "-m", manifest, "-c", writeShapeFile(t, "empty.json", " \n")}, []string{"--context", "empty.json", "empty document"}},
		{"context with trailing data", []string{"shape", "-m", manifest, "-c", writeShapeFile(t, "two.json", shapeContext+`{"agentId":"0XxAA0000000002AAA"}`)}, []string{"--context", "two.json", "after the JSON value"}},
		{"context member of the wrong type", []string{"shape", "-m", manifest, "-c", writeShapeFile(t, "type.json", `{"agentId":5}`)}, []string{"--context", "type.json", "agentId must be a JSON string, not number"}},
		{"truncated request", []string{"shape", "-m", manifest, "-c", ctxFile, "-r", writeShapeFile(t, "trunc.json", `{"tz":`)}, []string{"--request", "trunc.json", "line 1, column 7"}},
		{"request array", []string{"shape", "-m", manifest, "-c", ctxFile, "-r", writeShapeFile(t, "arr.json", `[{}]`)}, []string{"--request", "arr.json", "is an array, not a JSON object"}},
		{"envelope plugin not an object", []string{"plugin", "call", endpoint, "--input", writeShapeFile(t, "env.json", `{"abi":1,"plugin":5}`)}, []string{"--input", `"plugin" must be {"name": string, "config": object}`}},
		{"plugin file missing", []string{"plugin", "call", filepath.Join(t.TempDir(), "gone.wasm"), "--input", ctxFile}, []string{"gone.wasm", "no such file", "make plugins"}},
		{"plugin file is a directory", []string{"plugin", "call", t.TempDir(), "--input", ctxFile}, []string{"is a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runShapeCLI(t, tc.args...)
			if code != exitUsage || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2", code, stdout, stderr)
			}
			for _, s := range tc.says {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr %q does not say %q", stderr, s)
				}
			}
			if strings.Contains(stderr, "Go ") || strings.Contains(stderr, "struct") {
				t.Errorf("stderr leaks Go internals: %q", stderr)
			}
		})
	}
	dir := t.TempDir()
	code, _, stderr := runShapeCLI(t, "validate", dir)
	if code != exitUsage || !strings.Contains(stderr, "is a directory") || strings.Count(stderr, dir) != 1 {
		t.Errorf("validate DIR: exit %d, stderr %q; want exit 2 naming the directory once", code, stderr)
	}
}

// TestLimitFlagsMustBePositive: a zero or negative timeout, limit or case
// count is refused with exit 2 naming the flag, instead of silently meaning
// the default (timeouts cannot be switched off; README "Sandbox and limits").
func TestLimitFlagsMustBePositive(t *testing.T) {
	t.Parallel()
	env := writeShapeFile(t, "env.json", `{"abi":1,"context":{"org":{"myDomain":"acme"}},"request":{}}`)
	endpoint := catalog.MustPath(t, "endpoint")
	call := []string{"plugin", "call", endpoint, "--input", env, "--cache-dir", shapeCacheDir}
	start := []string{"start", "--manifest", demoManifest, "--agent-id", "0XxAA0000000001AAA", "--context", demoContext, "--cache-dir", shapeCacheDir}
	for _, tc := range []struct {
		base      []string
		flag, val string
	}{
		{call, "--timeout", "0s"},
		{call, "--timeout", "-1s"},
		{call, "--memory-max-pages", "0"},
		{call, "--max-output-bytes", "0"},
		{call, "--max-output-bytes", "-5"},
		{start, "--timeout", "-1s"},
		{start, "--timeout", "0s"},
		{[]string{"conformance", "--plugin", endpoint}, "--cases", "-5"},
		{[]string{"conformance", "--plugin", endpoint}, "--cases", "0"},
	} {
		args := append(append([]string{}, tc.base...), tc.flag, tc.val)
		code, stdout, stderr := runShapeCLI(t, args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.flag+" "+tc.val) || !strings.Contains(stderr, "must be") {
			t.Errorf("%s %s %s: exit %d, stdout %q, stderr %q; want exit 2 naming the flag", tc.base[0], tc.flag, tc.val, code, stdout, stderr)
		}
	}
}

// TestStdinForOneInputOnly: stdin holds one document, so --context - and
// --request - together are a usage error naming both flags, not a confusing
// "empty document" for whichever flag read second.
func TestStdinForOneInputOnly(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"shape", "-m", demoManifest, "-c", "-", "-r", "-"},
		{"start", "-m", demoManifest, "--agent-id", "0XxAA0000000001AAA", "-c", "-", "-r", "-"},
	} {
		code, stdout, stderr := runShapeCLI(t, args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "--context and --request both read stdin") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 naming both flags", args[0], code, stdout, stderr)
		}
	}
}

// TestGoPluginBuiltWithoutCSharedRefusedAtLoad: plugin call, shape and start
// refuse a Go plugin built without -buildmode=c-shared when they load it
// (exit 1), saying so with the build line; they used to load it and report
// a trap in alloc, and start sent nothing either way.
func TestGoPluginBuiltWithoutCSharedRefusedAtLoad(t *testing.T) {
	t.Parallel()
	wasm := catalog.MustPath(t, "testdata/inspect/go-without-c-shared")
	manifest := writeShapeFile(t, "pipeline.yaml", "version: 1\nplugins:\n  - name: gokit\n    path: "+wasm+"\n")
	ctxFile := writeShapeFile(t, "ctx.json", shapeContext)
	envelope := writeShapeFile(t, "envelope.json", `{"abi":1,"plugin":{"name":"gokit","config":{}},"context":{},"request":{}}`)
	env, srv := orgEnv(t, nil)
	for name, args := range map[string][]string{
		"plugin call": {"plugin", "call", wasm, "--input", envelope, "--cache-dir", shapeCacheDir},
		"shape":       {"shape", "-m", manifest, "-c", ctxFile, "--cache-dir", shapeCacheDir},
		"start":       {"start", "-m", manifest, "-c", ctxFile, "--cache-dir", shapeCacheDir},
	} {
		code, stdout, stderr := runCLI(t, env, nil, args...)
		if code != exitFailure || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q; want exit %d and nothing printed", name, code, stdout, exitFailure)
		}
		for _, says := range []string{"load: does not follow ABI v1", "built without -buildmode=c-shared", buildhint.GoLine} {
			if !strings.Contains(stderr, says) {
				t.Errorf("%s: stderr does not say %q:\n%s", name, says, stderr)
			}
		}
		if strings.Contains(stderr, "alloc(") {
			t.Errorf("%s: the plugin was called:\n%s", name, stderr)
		}
	}
	if st := srv.State(); st.Requests["start"] != 0 || st.TokensIssued != 0 {
		t.Errorf("start reached the API: %+v", st.Requests)
	}
}
