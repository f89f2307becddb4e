// Package kittest holds what the plugin kits' tests share: a host runtime
// with captured logs, envelope calls with a per-call config, the check that
// a kit keeps a pooled instance's memory flat, a context with every
// host/abi.Context field set, and the session-key twins' comparison. The
// tests run real modules built by `make plugins` in the real host.
package kittest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// LogBuffer collects the host's slog records for assertions.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Runtime returns a deterministic host runtime (seed 7, no compilation
// cache), closed at cleanup; with logs, the host logs there at debug level.
func Runtime(t testing.TB, logs *LogBuffer) *plugin.Runtime {
	t.Helper()
	opts := plugin.RuntimeOptions{CacheDir: "-", Deterministic: true, Seed: 7}
	if logs != nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rt, err := plugin.NewRuntime(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// Load loads the built plugin rel (a catalog path) into rt under name (rel
// when empty) with config; it is closed at cleanup.
func Load(t testing.TB, rt *plugin.Runtime, rel, name string, config map[string]any) *plugin.Plugin {
	t.Helper()
	if name == "" {
		name = rel
	}
	p, err := rt.Load(context.Background(), plugin.Spec{Name: name, Path: catalog.MustPath(t, rel), Config: config})
	if err != nil {
		t.Fatalf("load %s: %v", rel, err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// Call runs p on an envelope with config cfg, context c and request, as the
// host would send it had the manifest given p that config, and decodes the
// output as the host does (a refusal is an error wrapping
// *abi.PluginError). A test loads and compiles a plugin once and varies the
// config per call.
func Call(t testing.TB, p *plugin.Plugin, cfg map[string]any, c abi.Context, request string) (json.RawMessage, error) {
	t.Helper()
	env, err := json.Marshal(map[string]any{"abi": 1, "plugin": map[string]any{"name": p.Name(), "config": cfg}, "context": c, "request": json.RawMessage(request)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Call(context.Background(), env)
	if err != nil {
		return nil, err
	}
	return p.Decode(out)
}

// Decode parses JSON output, numbers as json.Number, failing t when it is not JSON.
func Decode(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	return v
}

// MemoryStaysFlat calls one raw instance of the built kitbench module rel
// 2000 times with a large envelope: a kit that frees each call's input and
// the previous output keeps the instance's memory from growing with the
// call count.
func MemoryStaysFlat(t *testing.T, rel string) {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	if _, err := r.NewHostModuleBuilder(abi.HostModule).NewFunctionBuilder().
		WithFunc(func(context.Context, api.Module, uint32, uint32, uint32) {}).Export(abi.LogImport).Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(catalog.MustPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithStartFunctions(abi.InitializeExport))
	if err != nil {
		t.Fatal(err)
	}
	vars := make([]string, 200)
	for i := range vars {
		vars[i] = fmt.Sprintf(`{"name":"v%d","type":"Text","value":"%s"}`, i, strings.Repeat("x", 100))
	}
	in := []byte(`{"abi":1,"plugin":{"name":"k","config":{}},"context":{"channel":"web"},"request":{"variables":[` + strings.Join(vars, ",") + `]}}`)
	var pagesAfter100 uint32
	for i := 0; i < 2000; i++ {
		res, err := mod.ExportedFunction(abi.AllocExport).Call(ctx, uint64(len(in)))
		if err != nil {
			t.Fatal(err)
		}
		mod.Memory().Write(uint32(res[0]), in)
		out, err := mod.ExportedFunction(abi.ShapeExport).Call(ctx, res[0], uint64(len(in)))
		if err != nil {
			t.Fatal(err)
		}
		if n := uint32(out[0]); n < 20000 {
			t.Fatalf("output is %d bytes, want the 200 variables back (over 20000 bytes)", n)
		}
		if i == 99 {
			pagesAfter100 = mod.Memory().Size() / 65536
		}
	}
	if pages := mod.Memory().Size() / 65536; pages > pagesAfter100 {
		t.Fatalf("memory grew from %d pages after 100 calls to %d after 2000: the kit leaks", pagesAfter100, pages)
	}
}

// FullContext returns a context with every host/abi.Context field set, and
// fails t when a field is left empty (a field added to abi.Context since),
// telling the author to teach kit's Context to decode it.
func FullContext(t testing.TB, kit string) abi.Context {
	t.Helper()
	c := abi.Context{
		AgentID: "0XxAA0000000001AAA", Channel: "web", ConversationID: "c1",
		Org:  abi.Org{MyDomain: "example-co", Kind: "sandbox", Sandbox: "uat"},
		User: abi.User{Locale: "de_DE", Timezone: "Europe/Berlin", Attributes: map[string]any{"tier": "gold"}},
	}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if f.Kind() == reflect.Struct {
				walk(f, path+"."+v.Type().Field(i).Name)
			} else if f.IsZero() {
				t.Fatalf("kittest.FullContext leaves abi.Context%s.%s empty: set it there and teach %s's Context to decode it", path, v.Type().Field(i).Name, kit)
			}
		}
	}
	walk(reflect.ValueOf(c), "")
	return c
}

// TwinCase is one envelope the session-key twins must answer alike.
type TwinCase struct {
	Config  map[string]any
	Context abi.Context
	Request string
}

// SessionKeyCases covers every mode, config error and refusal of the
// session-key example (plugins/examples/session-key).
var SessionKeyCases = []TwinCase{
	{nil, abi.Context{ConversationID: "conv-42"}, `{}`},
	{nil, abi.Context{ConversationID: "日本語 conversation ✓"}, `{"tz":"UTC"}`},
	{nil, abi.Context{}, `{"tz":"UTC"}`},
	{map[string]any{"mode": "random"}, abi.Context{ConversationID: "ignored"}, `{}`},
	{map[string]any{"namespace": "6ba7b811-9dad-11d1-80b4-00c04fd430c8"}, abi.Context{ConversationID: "x"}, `{}`},
	{map[string]any{"namespace": "6BA7B811-9DAD-11D1-80B4-00C04FD430C8"}, abi.Context{ConversationID: strings.Repeat("long", 100)}, `{}`},
	{nil, abi.Context{ConversationID: "c"}, `{"externalSessionKey":"caller-key"}`},
	{nil, abi.Context{ConversationID: "c"}, `{"externalSessionKey":" \t"}`},
	{map[string]any{"replace": true}, abi.Context{ConversationID: "c"}, `{"externalSessionKey":"caller-key"}`},
	{map[string]any{"mode": "conversation"}, abi.Context{}, `{}`},
	{map[string]any{"mode": "sometimes"}, abi.Context{}, `{}`},
	{map[string]any{"mode": 3}, abi.Context{}, `{}`},
	{map[string]any{"replace": "yes"}, abi.Context{}, `{}`},
	{map[string]any{"namespace": "not-a-uuid"}, abi.Context{ConversationID: "c"}, `{}`},
	{map[string]any{"namespace": "6ba7b810-9dad-11d1-80b4-00c04fd430cg"}, abi.Context{ConversationID: "c"}, `{}`},
}

// SessionKeyTwins loads the Go session-key example and its twin (a catalog
// path) under one name, so in deterministic mode both draw the same random
// bytes, and checks they answer every SessionKeyCases envelope alike:
// the same request (as JSON values) or the same refusal.
func SessionKeyTwins(t *testing.T, twin string) {
	rt := Runtime(t, nil)
	goP := Load(t, rt, "session-key", "session-key", nil)
	twinP := Load(t, rt, twin, "session-key", nil)
	for i, tc := range SessionKeyCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			goOut, goErr := Call(t, goP, tc.Config, tc.Context, tc.Request)
			twinOut, twinErr := Call(t, twinP, tc.Config, tc.Context, tc.Request)
			if (goErr == nil) != (twinErr == nil) {
				t.Fatalf("go: %s %v\n%s: %s %v", goOut, goErr, twin, twinOut, twinErr)
			}
			if goErr != nil {
				var g, w *abi.PluginError
				if !errors.As(goErr, &g) || !errors.As(twinErr, &w) || *g != *w {
					t.Fatalf("refusals differ:\n go %v\n %s %v", goErr, twin, twinErr)
				}
				return
			}
			if !reflect.DeepEqual(Decode(t, goOut), Decode(t, twinOut)) {
				t.Fatalf("outputs differ:\n go %s\n %s %s", goOut, twin, twinOut)
			}
		})
	}
}
