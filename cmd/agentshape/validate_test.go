package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/schemas"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateCLI(t *testing.T) {
	t.Parallel()
	valid := writeTemp(t, "ok.json", `{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`)
	invalid := writeTemp(t, "bad.json", `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.lightning.force.com"},"tenantKeyId":"t"}`)
	malformed := writeTemp(t, "broken.json", "{\n  \"a\": ]")
	flow := writeTemp(t, "flow.json", `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://api.salesforce.com"},"message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":"de"}}}`)

	code, out, _ := runShapeCLI(t, "validate", valid)
	if code != exitOK || !strings.Contains(out, "valid start-session-request") {
		t.Errorf("valid: %d %q", code, out)
	}
	code, out, errOut := runShapeCLI(t, "validate", invalid)
	if code != exitFailure ||
		!strings.Contains(out, "instanceConfig.endpoint: must be your My Domain URL such as https://acme.my.salesforce.com, not a Lightning URL") ||
		!strings.Contains(out, `[rule reserved at "/tenantKeyId"]`) ||
		!strings.Contains(out, "advice: externalSessionKey") || !strings.Contains(errOut, "2 violation") {
		t.Errorf("invalid: %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runShapeCLI(t, "validate", malformed)
	if code != exitUsage || !strings.Contains(errOut, "byte offset 9 (line 2, column 8)") {
		t.Errorf("malformed: %d %q", code, errOut)
	}
	code, _, errOut = runShapeCLI(t, "validate", filepath.Join(t.TempDir(), "missing.json"))
	if code != exitUsage || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing: %d %q", code, errOut)
	}
	code, _, errOut = runShapeCLI(t, "validate", "--schema", "nope", valid)
	if code != exitUsage || !strings.Contains(errOut, "unknown schema") {
		t.Errorf("unknown schema: %d %q", code, errOut)
	}
	code, _, _ = runShapeCLI(t, "validate", "--format", "xml", valid)
	if code != exitUsage {
		t.Errorf("bad format: %d", code)
	}
	if code, out, _ = runShapeCLI(t, "validate", "--schema", "flow-start-session-request", flow); code != exitOK {
		t.Errorf("flow body: %d %s", code, out)
	}

	// --format json is machine-readable, also for invalid and malformed input.
	code, out, errOut = runShapeCLI(t, "validate", "--format", "json", invalid)
	var rep validateReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFailure || rep.Valid || len(rep.Violations) != 2 || errOut != "" {
		t.Fatalf("json invalid: %d %v %+v stderr=%q", code, err, rep, errOut)
	}
	if rep.Violations[0].Pointer != "/instanceConfig/endpoint" || rep.Violations[0].Rule != "lightning-url" || rep.Violations[0].Field != "instanceConfig.endpoint" {
		t.Errorf("json violation = %+v", rep.Violations[0])
	}
	code, out, _ = runShapeCLI(t, "validate", "--format", "json", malformed)
	rep = validateReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitUsage || rep.Valid || !strings.Contains(rep.Error, "byte offset") {
		t.Errorf("json malformed: %d %v %+v", code, err, rep)
	}

	// YAML is accepted for the manifest schema.
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runShapeCLI(t, "validate", "--schema", "pipeline-manifest", filepath.Join(root, "plugins", "examples", "pipeline.yaml"))
	if code != exitOK {
		t.Errorf("manifest: %d %s %s", code, out, errOut)
	}
}

func TestValidateStdin(t *testing.T) {
	t.Parallel()
	stdin := strings.NewReader(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"http://acme.my.salesforce.com"}}`)
	code, out, _ := runCLI(t, nil, stdin, "validate", "-")
	if code != exitFailure || !strings.Contains(out, "-: instanceConfig.endpoint: must use https") {
		t.Errorf("stdin: %d %q", code, out)
	}
}

func TestSchemasCLI(t *testing.T) {
	t.Parallel()
	code, out, _ := runShapeCLI(t, "schemas", "list")
	if code != exitOK {
		t.Fatalf("list: %d", code)
	}
	for _, n := range schemas.List() {
		if !strings.Contains(out, string(n)+" ") || !strings.Contains(out, schemas.URL(n)) {
			t.Errorf("list lacks %s:\n%s", n, out)
		}
	}
	// every answer the client reads has a schema (agent-api.md §7, §11, §12)
	for _, n := range []string{"send-message-response", "end-session-response", "stream-event", "token-response", "start-session-response", "error-response"} {
		if !strings.Contains(out, n+" ") {
			t.Errorf("list lacks %s:\n%s", n, out)
		}
	}
	code, out, _ = runShapeCLI(t, "schemas", "show", "start-session-request")
	src, _ := schemas.Source(schemas.StartSessionRequest)
	if code != exitOK || out != string(src) {
		t.Errorf("show: %d, output differs from the embedded schema", code)
	}
	if code, _, errOut := runShapeCLI(t, "schemas", "show", "nope"); code != exitUsage || !strings.Contains(errOut, "start-session-request") {
		t.Errorf("show nope: %d %q", code, errOut)
	}
}

// TestShapeValidatesAndAttributes: `agentshape shape` validates the shaped
// request; a plugin that adds an unknown field makes it exit 3 with the
// violation attributed to that plugin.
func TestShapeValidatesAndAttributes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	manifest := filepath.Join(dir, "pipeline.yaml")
	body := "version: 1\nplugins:\n" +
		"  - {name: endpoint, path: " + catalog.MustPath(t, "endpoint") + "}\n" +
		"  - {name: session-key, path: " + catalog.MustPath(t, "session-key") + "}\n" +
		"  - {name: wrong-field, path: " + catalog.MustPath(t, "testdata/broken/wrong-field") + "}\n"
	if err := os.WriteFile(manifest, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctxFile := writeTemp(t, "ctx.json", `{"org":{"myDomain":"acme"}}`)
	code, _, errOut := runShapeCLI(t, "shape", "--manifest", manifest, "--context", ctxFile, "--cache-dir", "-")
	if code != exitInvalid || !strings.Contains(errOut, `userId: is an unrecognized field`) || !strings.Contains(errOut, "(set by plugin wrong-field)") {
		t.Errorf("shape: %d\n%s", code, errOut)
	}
}

// A YAML manifest whose aliases expand a few hundred bytes into millions of
// nodes is refused before it is expanded (exit 2), not validated for minutes.
func TestValidateRefusesAliasBombs(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 1\nplugins:\n  - path: a.wasm\n    config:\n      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 7; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "      a%d: &a%d [%s]\n", i, i, refs)
	}
	code, _, errOut := runShapeCLI(t, "validate", "--schema", "pipeline-manifest", writeTemp(t, "bomb.yaml", b.String()))
	if code != exitUsage || !strings.Contains(errOut, "aliases") {
		t.Fatalf("exit %d, stderr %q; want 2 about the aliases", code, errOut)
	}
}
