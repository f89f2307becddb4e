package agentshape_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape"
	"github.com/agentshape/agentshape/host/emulator"
)

const demoAgent = "0XxAA0000000001AAA"

// TestStartAgainstOrg starts sessions in a stand-alone emulator named by an
// Org: the right secret answers 200, a wrong one the Flow action's
// "401 Exception", with the outcome and an error.
func TestStartAgainstOrg(t *testing.T) {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	org := emulator.DefaultOrg()
	app := org.ClientApps[0]
	for _, tc := range []struct {
		secret, output string
		code           int
	}{{app.ClientSecret, "200", 200}, {"wrong-secret", "401 Exception", 400}} { // the token endpoint answers 400 invalid_client {
		h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml", CacheDir: "-",
			Org: &agentshape.Org{MyDomain: org.MyDomain, ClientID: app.ClientID, ClientSecret: tc.secret,
				APIBaseURL: srv.URL, TokenURL: srv.URL + emulator.TokenPath}})
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.Start(ctx, demoAgent, agentshape.Context{ConversationID: "c-1"})
		if out == nil || out.Output != tc.output || out.ResponseCode != tc.code {
			t.Fatalf("secret %q: outcome %+v, err %v; want %s", tc.secret, out, err, tc.output)
		}
		if (err != nil) != (tc.output != "200") {
			t.Fatalf("secret %q: err %v with %s", tc.secret, err, out.Output)
		}
		if u, _ := h.EmulatorURL(ctx); u != "" {
			t.Fatalf("an Org was given but the embedded emulator started at %s", u)
		}
		_ = h.Close(ctx)
	}
}

// TestShapeInvalidNamesPlugin: a base whose field no plugin fixes is refused
// with an *InvalidError, and nothing can be started from the zero Request.
func TestShapeInvalid(t *testing.T) {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{CacheDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	req, err := h.Shape(ctx, agentshape.Context{}, json.RawMessage(`{"externalSessionKey": 7}`))
	var inv *agentshape.InvalidError
	if !errors.As(err, &inv) || !req.IsZero() {
		t.Fatalf("Shape: req %v, err %v; want an *InvalidError and a zero Request", req, err)
	}
	if len(inv.Violations) == 0 || !strings.Contains(err.Error(), "externalSessionKey") || len(inv.Draft) == 0 {
		t.Fatalf("InvalidError: draft %s, violations %+v, message %q; want the draft and the externalSessionKey violation", inv.Draft, inv.Violations, err)
	}
	if b, err := json.Marshal(req); err == nil || !strings.Contains(err.Error(), "Shape") {
		t.Fatalf("json.Marshal of the zero Request: %s, %v; want an error saying to use Shape's Request", b, err)
	}
	if res, err := h.Explain(ctx, agentshape.Context{}, json.RawMessage(`{"externalSessionKey": 7}`)); !errors.As(err, &inv) || res == nil || !res.Request.IsZero() {
		t.Fatalf("Explain: %+v, %v; want the draft with an *InvalidError", res, err)
	}
	if out, err := h.StartRequest(ctx, demoAgent, req); out != nil || err == nil {
		t.Fatalf("StartRequest of a zero Request: %v, %v; want refused", out, err)
	}
	if u, _ := h.EmulatorURL(ctx); u == "" {
		t.Fatal("no Org: EmulatorURL returned no URL")
	}
}

// TestNewSetupSteps: New's errors say which step failed, keeping the
// cause's message.
func TestNewSetupSteps(t *testing.T) {
	ctx := context.Background()
	_, err := agentshape.New(ctx, agentshape.Options{Manifest: "testdata-does-not-exist.yaml"})
	var se *agentshape.SetupError
	if !errors.As(err, &se) || se.Step != agentshape.StepManifest || !strings.Contains(err.Error(), "testdata-does-not-exist.yaml") {
		t.Fatalf("missing manifest: %v", err)
	}
	_, err = agentshape.New(ctx, agentshape.Options{Org: &agentshape.Org{MyDomain: "https://acme.my.salesforce.com", ClientID: "id", ClientSecret: "s", APIBaseURL: "ftp://x"}})
	if !errors.As(err, &se) || se.Step != agentshape.StepOrg {
		t.Fatalf("malformed API base URL: %v", err)
	}
}

// TestOrgHidesSecret: the client secret reaches neither a log nor a
// formatted value.
func TestOrgHidesSecret(t *testing.T) {
	o := agentshape.Org{MyDomain: "https://acme.my.salesforce.com", ClientID: "id", ClientSecret: "s3cr3t-value"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("org", "org", o)
	for _, s := range []string{buf.String(), fmt.Sprint(o), fmt.Sprintf("%v %+v %#v", o, o, &o)} {
		if strings.Contains(s, "s3cr3t-value") {
			t.Fatalf("secret printed: %s", s)
		}
	}
}

// TestOrgFromEnv: all three variables or none; a partial set names what is
// missing; the My Domain is normalised.
func TestOrgFromEnv(t *testing.T) {
	for _, k := range []string{agentshape.EnvMyDomain, agentshape.EnvClientID, agentshape.EnvClientSecret, agentshape.EnvAPIBaseURL, agentshape.EnvTokenURL} {
		t.Setenv(k, "")
	}
	if o, err := agentshape.OrgFromEnv(); o != nil || err != nil {
		t.Fatalf("none set: %v, %v", o, err)
	}
	t.Setenv(agentshape.EnvMyDomain, "acme.my.salesforce.com/")
	if _, err := agentshape.OrgFromEnv(); err == nil || !strings.Contains(err.Error(), "SF_CLIENT_ID, SF_CLIENT_SECRET not") {
		t.Fatalf("partial: %v", err)
	}
	t.Setenv(agentshape.EnvClientID, "id")
	t.Setenv(agentshape.EnvClientSecret, "secret")
	o, err := agentshape.OrgFromEnv()
	if err != nil || o.MyDomain != "https://acme.my.salesforce.com" {
		t.Fatalf("all set: %+v, %v", o, err)
	}
}

// TestStartEmulatorOrg: with no Org the embedded emulator serves
// Options.EmulatorOrg; Start fills the context's org.myDomain with its My
// Domain (the endpoint plugin writes it, the emulator accepts it), and a
// context naming another My Domain gets the API's 500 (Default Exception).
func TestStartEmulatorOrg(t *testing.T) {
	ctx := context.Background()
	org := emulator.DefaultOrg()
	org.MyDomain = "https://other-co.my.salesforce.com"
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml", CacheDir: "-", EmulatorOrg: org})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	if h.MyDomain() != org.MyDomain {
		t.Fatalf("MyDomain %q, want the emulator org's %q", h.MyDomain(), org.MyDomain)
	}
	out, err := h.Start(ctx, demoAgent, agentshape.Context{})
	if err != nil || out.Output != "200" {
		t.Fatalf("context without myDomain: %+v, %v; want 200", out, err)
	}
	c := agentshape.Context{}
	c.Org.MyDomain = "https://example-co.my.salesforce.com"
	out, err = h.Start(ctx, demoAgent, c)
	if err == nil || out == nil || out.ResponseCode != 500 || out.Output != "Default Exception" {
		t.Fatalf("context naming the demo My Domain: %+v, %v; want 500 (the action reports it as Default Exception)", out, err)
	}
}

// TestSendStream: a session started on a Handle streams its answer through
// SendStream, each event handed over as it arrives, ending with the turn.
func TestSendStream(t *testing.T) {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	c := agentshape.Context{}
	c.ConversationID = "stream-1"
	req, err := h.Shape(ctx, c, json.RawMessage(`{"externalSessionKey":"7d7b7c39-4a8e-4f5e-9d2c-2c0b6a3c8e01","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"streamingCapabilities":{"chunkTypes":["Text"]},"bypassUser":true}`))
	if err != nil {
		t.Fatal(err)
	}
	started, err := h.StartRequest(ctx, demoAgent, req)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	out, err := h.SendStream(ctx, started.Session.SessionID, agentshape.Message{Type: "Text", SequenceID: 1, Text: "hello"}, func(e agentshape.StreamEvent) error {
		types = append(types, e.Type)
		return nil
	})
	if err != nil || out.Output != "200" || len(types) == 0 || types[len(types)-1] != emulator.EventEndOfTurn {
		t.Fatalf("SendStream: %+v, %v, events %v; want 200 ending with %s", out, err, types, emulator.EventEndOfTurn)
	}

	// ErrStopStream from the handler ends the stream early without an error.
	second, err := h.StartRequest(ctx, demoAgent, req)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	out, err = h.SendStream(ctx, second.Session.SessionID, agentshape.Message{Type: "Text", SequenceID: 1, Text: "hello"}, func(e agentshape.StreamEvent) error {
		n++
		return agentshape.ErrStopStream
	})
	if err != nil || n != 1 || out == nil || out.Output != "200" {
		t.Fatalf("SendStream stopped by ErrStopStream: %+v, %v after %d events; want 200, no error, one event", out, err, n)
	}
}

// TestStartRefusesMalformedAgentID: an agent ID that is not 0Xx… of 15 or 18
// characters is refused before any plugin runs or anything is sent.
func TestStartRefusesMalformedAgentID(t *testing.T) {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	out, err := h.Start(ctx, "001AA0000000001AAA", agentshape.Context{})
	if out != nil || err == nil || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("Start with an account ID: %+v, %v; want refused, nothing sent", out, err)
	}
}

// TestOptionsChooseFallbacks: Options.Stop and Options.Engine reach the
// plugin runtime. Under StopByWazero a plugin with a fuel limit is refused
// at the plugins step (wazero's mechanism counts no fuel); on the
// interpreter, stopped by wazero, the example pipeline shapes the same body
// as on the default runtime.
func TestOptionsChooseFallbacks(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	wasm, err := os.ReadFile("plugins/build/endpoint.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "endpoint.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(manifest, []byte("version: 1\nplugins:\n  - name: endpoint\n    path: endpoint.wasm\n    limits: {fuel: 1000000}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if h, err := agentshape.New(ctx, agentshape.Options{Manifest: manifest, CacheDir: "-", Logger: quiet}); err != nil {
		t.Fatalf("default runtime with limits.fuel: %v", err)
	} else {
		_ = h.Close(ctx)
	}
	_, err = agentshape.New(ctx, agentshape.Options{Manifest: manifest, CacheDir: "-", Logger: quiet, Stop: agentshape.StopByWazero})
	var se *agentshape.SetupError
	if !errors.As(err, &se) || se.Step != agentshape.StepPlugins || !strings.Contains(err.Error(), "limits.fuel") {
		t.Fatalf("StopByWazero with limits.fuel: %v; want refused at the plugins step naming limits.fuel", err)
	}

	// The interpreter compiles nothing, so it leaves the compiled-plugin
	// cache empty where the default engine fills it.
	c := agentshape.Context{ConversationID: "fallback-1"}
	c.Org.MyDomain = "example-co"
	var bodies []string
	for _, opts := range []agentshape.Options{
		{},
		{Engine: agentshape.EngineInterpreter, Stop: agentshape.StopByWazero},
	} {
		opts.Manifest, opts.CacheDir, opts.Logger, opts.Deterministic = "plugins/examples/pipeline.yaml", t.TempDir(), quiet, true
		h, err := agentshape.New(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		req, err := h.Shape(ctx, c, nil)
		_ = h.Close(ctx)
		if err != nil {
			t.Fatalf("%v/%v: %v", opts.Engine, opts.Stop, err)
		}
		bodies = append(bodies, string(req.Body()))
		if compiled := countFiles(t, opts.CacheDir); (opts.Engine == agentshape.EngineInterpreter) != (compiled == 0) {
			t.Fatalf("%v/%v: %d files in the compiled-plugin cache; want none exactly on the interpreter", opts.Engine, opts.Stop, compiled)
		}
	}
	if bodies[0] != bodies[1] {
		t.Fatalf("interpreter stopped by wazero shaped\n%s\nwant the default runtime's\n%s", bodies[1], bodies[0])
	}
}

// countFiles counts the regular files under dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
