package shaper_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/shaper"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/schemas"
)

// cacheDir is a compilation cache shared by the tests of this package, so
// each plugin is compiled once per run.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shaper-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// demoContext is the caller's context of the demo (plugins/examples/context.json).
var demoContext = abi.Context{
	AgentID: "0XxAA0000000001AAA",
	Org:     abi.Org{MyDomain: "example-co", Kind: "production"},
	Channel: "web", ConversationID: "web-chat-42",
	User: abi.User{Locale: "de_DE", Timezone: "Europe/Berlin", Attributes: map[string]any{"tier": "gold"}},
}

// step is one plugin of a test pipeline: a built plugin and its config.
type step struct {
	name, rel string
	config    string // YAML flow mapping, or ""
}

// newPipeline loads real built plugins (run `make plugins` first) into a
// pipeline through a manifest, as the CLI does.
func newPipeline(t *testing.T, steps ...step) *pipeline.Pipeline {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("version: 1\nplugins:\n")
	for _, s := range steps {
		p := catalog.MustPath(t, s.rel)
		fmt.Fprintf(&b, "  - name: %s\n    path: %s\n", s.name, p)
		if s.config != "" {
			fmt.Fprintf(&b, "    config: %s\n", s.config)
		}
	}
	path := filepath.Join(t.TempDir(), "pipeline.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := pipeline.LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{CacheDir: cacheDir, Deterministic: true, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	pl, err := pipeline.New(ctx, rt, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pl.Close(ctx) })
	return pl
}

var (
	endpointStep   = step{"endpoint", "endpoint", ""}
	sessionKeyStep = step{"session-key", "session-key", "{mode: auto}"}
	varsStep       = step{"context-vars", "context-vars", "{variables: [{attribute: tier, name: orderTier, type: Text}]}"}
)

func TestShapeValidRequestIsSendable(t *testing.T) {
	pl := newPipeline(t, endpointStep, sessionKeyStep, varsStep)
	req, prov, err := shaper.Shape(context.Background(), pl, demoContext, nil)
	if err != nil || req.IsZero() {
		t.Fatalf("Shape: %v zero=%v", err, req.IsZero())
	}
	if again, err := schemas.Validate(schemas.StartSessionRequest, req.Body()); err != nil || len(again) != 0 {
		t.Fatalf("sendable body is not valid: %v %v", again, err)
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body(), &body); err != nil {
		t.Fatal(err)
	}
	if got := body["instanceConfig"].(map[string]any)["endpoint"]; got != "https://example-co.my.salesforce.com" {
		t.Errorf("endpoint = %v", got)
	}
	if prov["/instanceConfig/endpoint"] != "endpoint" || prov["/externalSessionKey"] != "session-key" {
		t.Errorf("provenance = %v", prov)
	}
	m, err := json.Marshal(struct{ R shaper.Request }{req})
	if err != nil || !strings.Contains(string(m), "example-co.my.salesforce.com") {
		t.Errorf("marshal: %s %v", m, err)
	}
	if len(req.Advice()) != 0 {
		t.Errorf("advice = %v", req.Advice())
	}
}

// TestShapeAttributesViolationsToPlugins: each violation names the plugin
// that last wrote the pointer, and the request is not sendable.
func TestShapeAttributesViolationsToPlugins(t *testing.T) {
	cases := []struct {
		name    string
		steps   []step
		base    string
		pointer string
		rule    string
		plugin  string
	}{
		{"unknown field from a plugin", []step{endpointStep, sessionKeyStep, {"wrong-field", "testdata/broken/wrong-field", ""}},
			"", "/userId", "additionalProperties", "wrong-field"},
		{"reserved field from a plugin", []step{endpointStep, sessionKeyStep, {"forbidden-field", "testdata/broken/forbidden-field", ""}},
			"", "/tenantKeyId", "reserved", "forbidden-field"},
		{"missing endpoint: owner of the parent", []step{sessionKeyStep},
			"", "/instanceConfig", "required", "session-key"},
		{"bad value from the base request", []step{sessionKeyStep},
			`{"instanceConfig":{"endpoint":"https://acme.lightning.force.com"}}`, "/instanceConfig/endpoint", "lightning-url", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl := newPipeline(t, c.steps...)
			var base json.RawMessage
			if c.base != "" {
				base = json.RawMessage(c.base)
			}
			req, prov, err := shaper.Shape(context.Background(), pl, demoContext, base)
			if !req.IsZero() || req.Body() != nil {
				t.Fatal("an invalid request came back sendable")
			}
			if _, merr := json.Marshal(req); merr == nil {
				t.Error("the zero Request marshalled")
			}
			var inv *shaper.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("err = %v, want *InvalidError", err)
			}
			if prov == nil || len(inv.Draft) == 0 {
				t.Errorf("provenance %v, draft %s", prov, inv.Draft)
			}
			for _, v := range inv.Violations {
				if v.Pointer == c.pointer && v.Rule == c.rule {
					if v.Plugin != c.plugin {
						t.Errorf("violation %+v: plugin %q, want %q", v, v.Plugin, c.plugin)
					}
					want := "(set by plugin " + c.plugin + ")"
					if c.plugin == "" {
						want = "(from the base request)"
					}
					if !strings.Contains(err.Error(), v.Message+" "+want) {
						t.Errorf("error text lacks the attributed message:\n%v", err)
					}
					return
				}
			}
			t.Errorf("no violation %s at %s in %+v", c.rule, c.pointer, inv.Violations)
		})
	}
}

// counting wraps a real pipeline and counts runs.
type counting struct {
	shaper.Runner
	runs atomic.Int32
}

func (c *counting) Run(ctx context.Context, a abi.Context, base json.RawMessage) (*pipeline.Result, error) {
	c.runs.Add(1)
	return c.Runner.Run(ctx, a, base)
}

// TestShapeRefusesTenantKeyInBase: a caller may not set the Tenant Key ID;
// the request is refused before any plugin sees it (agent-api.md §6).
func TestShapeRefusesTenantKeyInBase(t *testing.T) {
	pl := &counting{Runner: newPipeline(t, endpointStep, sessionKeyStep)}
	for _, key := range []string{"tenantKeyId", "Tenant Key ID", "tenant_key"} {
		base, _ := json.Marshal(map[string]any{key: "t-1"})
		req, _, err := shaper.Shape(context.Background(), pl, demoContext, base)
		var inv *shaper.InvalidError
		if !errors.As(err, &inv) || !req.IsZero() || len(inv.Violations) != 1 {
			t.Fatalf("%s: %v, want an *InvalidError with one violation", key, err)
		}
		vs := inv.Violations
		if vs[0].Rule != "reserved" || vs[0].Pointer != "/"+key {
			t.Errorf("%s: %v %+v", key, err, vs)
		}
		if !strings.HasPrefix(vs[0].Message, vs[0].Field+": is reserved for Salesforce internal use") {
			t.Errorf("%s: message %q", key, vs[0].Message)
		}
	}
	if n := pl.runs.Load(); n != 0 {
		t.Errorf("the pipeline ran %d times on a base with a Tenant Key ID", n)
	}
	// Bad base input is an error, not a violation.
	if _, _, err := shaper.Shape(context.Background(), pl, demoContext, json.RawMessage(`[1]`)); err == nil || !strings.Contains(err.Error(), "JSON object") {
		t.Errorf("array base: %v", err)
	}
	if _, _, err := shaper.Shape(context.Background(), pl, demoContext, json.RawMessage(`{"a":`)); err == nil || !strings.Contains(err.Error(), "byte offset") {
		t.Errorf("malformed base: %v", err)
	}
}

// TestShapePluginFailureIsAnError: a plugin refusal (endpoint refuses a
// Lightning My Domain) is an error wrapping *plugin.Error, not a violation.
func TestShapePluginFailureIsAnError(t *testing.T) {
	pl := newPipeline(t, endpointStep, sessionKeyStep)
	c := demoContext
	c.Org.MyDomain = "https://example-co.lightning.force.com"
	req, _, err := shaper.Shape(context.Background(), pl, c, nil)
	var pe *plugin.Error
	var inv *shaper.InvalidError
	if !errors.As(err, &pe) || pe.Plugin != "endpoint" || !req.IsZero() || errors.As(err, &inv) {
		t.Fatalf("got %v zero=%v", err, req.IsZero())
	}
}

func TestCheckWithoutProvenance(t *testing.T) {
	good := []byte(`{"externalSessionKey":"conv-1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`)
	req, err := shaper.Check(good, nil)
	if err != nil || req.IsZero() {
		t.Fatalf("Check: %v", err)
	}
	if adv := req.Advice(); len(adv) != 1 || adv[0].Rule != schemas.RuleUUIDRecommended {
		t.Errorf("advice = %v", adv)
	}
	// Body returns a copy: mutating it does not change the Request.
	b := req.Body()
	b[0] = '['
	if req.Body()[0] != '{' {
		t.Error("Body is not a copy")
	}
	if _, err := shaper.Check([]byte(`{`), nil); err == nil || !strings.Contains(err.Error(), "byte offset") {
		t.Errorf("malformed: %v", err)
	}
}

// A plugin that sets the Tenant Key ID is named even when a later plugin
// removes it again: no plugin may set it (agent-api.md §6), even in passing,
// and the run's request is not sendable.
func TestShapeRefusesTenantKeySetInPassing(t *testing.T) {
	pl := newPipeline(t, endpointStep, sessionKeyStep,
		step{"sets-tenant-key", "testdata/broken/forbidden-field", ""},
		step{"drops-it", "testdata/provenance/drop", "{member: tenantKeyId}"})
	req, _, err := shaper.Shape(context.Background(), pl, demoContext, nil)
	var inv *shaper.InvalidError
	if !errors.As(err, &inv) || !req.IsZero() {
		t.Fatalf("err = %v, req sendable = %v; want an InvalidError and nothing to send", err, !req.IsZero())
	}
	if strings.Contains(string(inv.Draft), "tenantKeyId") {
		t.Fatalf("the final draft still has the key, the test does not exercise removal: %s", inv.Draft)
	}
	if vs := inv.Violations; len(vs) != 1 || vs[0].Rule != "reserved" || vs[0].Plugin != "sets-tenant-key" || vs[0].Pointer != "/tenantKeyId" ||
		!strings.Contains(vs[0].Message, "removed by a later one") {
		t.Fatalf("violations %+v; want one reserved violation blaming sets-tenant-key", vs)
	}
}
