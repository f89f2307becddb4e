package plugin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/wasmbin"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/schemas"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newRuntime(t testing.TB, opts plugin.RuntimeOptions) *plugin.Runtime {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = "-"
	}
	rt, err := plugin.NewRuntime(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewRuntime: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

func load(t testing.TB, rt *plugin.Runtime, rel string, limits plugin.Limits, config map[string]any) *plugin.Plugin {
	t.Helper()
	p, err := rt.Load(context.Background(), plugin.Spec{Path: catalog.MustPath(t, rel), Limits: limits, Config: config})
	if err != nil {
		t.Fatalf("Load %s: %v", rel, err)
	}
	return p
}

func TestPassthroughReturnsTheRequestAndLogs(t *testing.T) {
	var logs syncBuffer
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	p := load(t, rt, "testdata/passthrough", plugin.Limits{}, map[string]any{"request": "decoy in config"})
	if p.Kind() != plugin.Reactor || p.Name() != "passthrough" {
		t.Fatalf("kind %v name %q, want reactor passthrough", p.Kind(), p.Name())
	}
	// A request with nested braces in strings and a "request" key inside,
	// and a context whose attributes contain a "request" key too.
	req := json.RawMessage(`{"instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"name":"x","type":"Text","value":"}{\"request\":"}],"request":{"nested":true}}`)
	c := abi.Context{AgentID: "0XxAA0000000001AAA", User: abi.User{Attributes: map[string]any{"request": map[string]any{"a": 1}}}}
	got, err := p.Shape(context.Background(), c, req)
	if err != nil {
		t.Fatalf("Shape: %v", err)
	}
	if !bytes.Equal(got, req) {
		t.Fatalf("passthrough changed the request:\n got %s\nwant %s", got, req)
	}
	if s := logs.String(); !strings.Contains(s, "plugin=passthrough") || !strings.Contains(s, "passthrough: returning the request unchanged") {
		t.Fatalf("agentshape.log did not reach the logger tagged with the plugin: %q", s)
	}
	// nil request means {}
	got, err = p.Shape(context.Background(), abi.Context{}, nil)
	if err != nil || string(got) != "{}" {
		t.Fatalf("Shape(nil) = %s, %v; want {}", got, err)
	}
}

// TestShapeDecodedIsShapeWithTheValue: ShapeDecoded returns Shape's text
// and, beside it, that text as schemas.Decode decodes it (json.Number,
// nesting, escapes), and Shape's errors with no value.
func TestShapeDecodedIsShapeWithTheValue(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p := load(t, rt, "testdata/passthrough", plugin.Limits{}, nil)
	ctx := context.Background()
	req := json.RawMessage(`{"n":1.50,"big":12345678901234567890,"s":"a\u00e9\"b","v":[{"name":"x","value":null},true,[]],"o":{}}`)
	text, value, err := p.ShapeDecoded(ctx, abi.Context{}, req)
	if err != nil {
		t.Fatalf("ShapeDecoded: %v", err)
	}
	shaped, err := p.Shape(ctx, abi.Context{}, req)
	if err != nil || !bytes.Equal(text, shaped) {
		t.Fatalf("ShapeDecoded text %s, Shape %s (%v)", text, shaped, err)
	}
	want, err := schemas.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(any(value), want) {
		t.Fatalf("ShapeDecoded value %#v, want schemas.Decode of its text %#v", value, want)
	}
	if _, value, err := p.ShapeDecoded(ctx, abi.Context{}, nil); err != nil || value == nil || len(value) != 0 {
		t.Fatalf("ShapeDecoded(nil) value %#v, %v; want an empty object", value, err)
	}

	refuses := load(t, rt, "testdata/hostile/read-env", plugin.Limits{}, nil)
	_, wantErr := refuses.Shape(ctx, abi.Context{}, nil)
	text, value, err = refuses.ShapeDecoded(ctx, abi.Context{}, nil)
	if !errors.Is(err, plugin.ErrPluginRefused) || err.Error() != wantErr.Error() || text != nil || value != nil {
		t.Fatalf("refusal: ShapeDecoded = %s, %#v, %v; want no request and Shape's error %v", text, value, err, wantErr)
	}
}

func TestPerCallLogger(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.DiscardHandler)})
	p := load(t, rt, "testdata/passthrough", plugin.Limits{}, nil)
	var logs syncBuffer
	ctx := plugin.WithLogger(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)).With("call", "c1"))
	if _, err := p.Shape(ctx, abi.Context{}, nil); err != nil {
		t.Fatal(err)
	}
	if s := logs.String(); !strings.Contains(s, "call=c1") || !strings.Contains(s, "plugin=passthrough") {
		t.Fatalf("per-call logger not used: %q", s)
	}
}

func TestCommandPluginReadsStdinWritesStdout(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p := load(t, rt, "testdata/command", plugin.Limits{}, nil)
	if p.Kind() != plugin.Command {
		t.Fatalf("kind = %v, want command", p.Kind())
	}
	env, err := p.Envelope(abi.Context{Channel: "web"}, json.RawMessage(`{"bypassUser":true}`))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // a fresh instance per call
		out, err := p.Call(context.Background(), env)
		if err != nil {
			t.Fatalf("Call: %v", err)
		}
		want := `{"request":{"command":"ran","envelopeBytes":"` + itoa(len(env)) + `"}}`
		if string(out) != want {
			t.Fatalf("output %s, want %s", out, want)
		}
	}
	if st := p.Stats(); st.Instantiated != 3 {
		t.Fatalf("command instantiated %d times for 3 calls, want 3", st.Instantiated)
	}
	// Output cap applies to commands' stdout too.
	small, err := rt.Load(context.Background(), plugin.Spec{Path: catalog.MustPath(t, "testdata/command"), Limits: plugin.Limits{MaxOutputBytes: 20}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = small.Call(context.Background(), env)
	if !errors.Is(err, plugin.ErrOutputTooLarge) {
		t.Fatalf("command output over cap: err = %v, want ErrOutputTooLarge", err)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSHA256PinIsCheckedBeforeCompiling(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	path := catalog.MustPath(t, "testdata/trivial")
	bin, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	good := hex.EncodeToString(sum[:])
	if _, err := rt.Load(context.Background(), plugin.Spec{Path: path, SHA256: "sha256:" + strings.ToUpper(good)}); err != nil {
		t.Fatalf("matching pin refused: %v", err)
	}
	bad := strings.Repeat("0", 64)
	_, err = rt.Load(context.Background(), plugin.Spec{Path: path, SHA256: bad})
	var pe *plugin.Error
	if !errors.As(err, &pe) || !errors.Is(err, plugin.ErrHashMismatch) || pe.Phase != plugin.PhaseLoad || !strings.Contains(err.Error(), good) {
		t.Fatalf("mismatched pin: err = %v, want ErrHashMismatch at load naming the actual sum", err)
	}
	// Garbage bytes with a wrong pin: refused for the pin, never compiled.
	_, err = rt.Load(context.Background(), plugin.Spec{Name: "garbage", Bytes: []byte("not wasm at all"), SHA256: bad})
	if !errors.Is(err, plugin.ErrHashMismatch) {
		t.Fatalf("garbage with wrong pin: err = %v, want ErrHashMismatch (checked before compiling)", err)
	}
	_, err = rt.Load(context.Background(), plugin.Spec{Name: "garbage", Bytes: []byte("not wasm at all")})
	if !errors.Is(err, plugin.ErrInvalidModule) {
		t.Fatalf("garbage: err = %v, want ErrInvalidModule", err)
	}
}

func TestCompilationCacheIsReusedAcrossRuntimes(t *testing.T) {
	dir := t.TempDir()
	snapshot := func() map[string]time.Time {
		m := map[string]time.Time{}
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				st, _ := d.Info()
				m[p] = st.ModTime()
			}
			return nil
		})
		return m
	}
	start := func() {
		rt := newRuntime(t, plugin.RuntimeOptions{CacheDir: dir})
		if rt.CacheDir() != dir {
			t.Fatalf("CacheDir() = %q, want %q", rt.CacheDir(), dir)
		}
		p := load(t, rt, "testdata/passthrough", plugin.Limits{}, nil)
		if _, err := p.Shape(context.Background(), abi.Context{}, nil); err != nil {
			t.Fatal(err)
		}
		_ = rt.Close(context.Background())
	}
	start()
	first := snapshot()
	if len(first) == 0 {
		t.Fatalf("no compiled code cached under %s", dir)
	}
	start()
	second := snapshot()
	if len(second) != len(first) {
		t.Fatalf("second start wrote new cache entries (%d -> %d files): it recompiled", len(first), len(second))
	}
	for p, mt := range first {
		if !second[p].Equal(mt) {
			t.Fatalf("cache entry %s rewritten on the second start: it recompiled", p)
		}
	}
}

func TestPoolServesConcurrentCallers(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p := load(t, rt, "testdata/passthrough", plugin.Limits{PoolSize: 2}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				req := json.RawMessage(`{"g":` + itoa(g) + `,"i":` + itoa(i) + `}`)
				got, err := p.Shape(context.Background(), abi.Context{}, req)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, req) {
					errs <- errors.New("crossed outputs: got " + string(got) + " want " + string(req))
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Instantiated > 2 || st.Calls != 64 || st.Discarded != 0 {
		t.Fatalf("stats %+v: want at most 2 instances for pool size 2, 64 calls, none discarded", st)
	}
}

var entropyRE = regexp.MustCompile(`^\{"request":\{"random":"([0-9a-f]{16})","now":"([0-9]{20})"\}\}$`)

func entropy(t *testing.T, p *plugin.Plugin) (random, now string) {
	t.Helper()
	env, _ := p.Envelope(abi.Context{}, nil)
	out, err := p.Call(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	m := entropyRE.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("entropy output %s", out)
	}
	return m[1], m[2]
}

func TestDeterministicModeFixesClockAndRandomness(t *testing.T) {
	var logs syncBuffer
	det := func(seed int64) *plugin.Plugin {
		rt := newRuntime(t, plugin.RuntimeOptions{Deterministic: true, Seed: seed, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		return load(t, rt, "testdata/entropy", plugin.Limits{PoolSize: 2}, nil)
	}
	a, b := det(42), det(42)
	r1, n1 := entropy(t, a)
	r2, n2 := entropy(t, a) // same instance again: stream restarts per call
	r3, n3 := entropy(t, b) // another runtime, same seed
	wantNow := itoa(int(plugin.FixedWalltime.UnixNano()))
	wantNow = strings.Repeat("0", 20-len(wantNow)) + wantNow
	if r1 != r2 || r1 != r3 || n1 != wantNow || n2 != wantNow || n3 != wantNow {
		t.Fatalf("deterministic mode varied: random %s %s %s, now %s %s %s (want now %s)", r1, r2, r3, n1, n2, n3, wantNow)
	}
	if r4, _ := entropy(t, det(43)); r4 == r1 {
		t.Fatalf("seed 43 gave the same randomness as seed 42: %s", r4)
	}
	// Real mode: randomness differs per call, clock is close to now.
	real := load(t, newRuntime(t, plugin.RuntimeOptions{}), "testdata/entropy", plugin.Limits{}, nil)
	x1, now := entropy(t, real)
	x2, _ := entropy(t, real)
	if x1 == x2 {
		t.Fatalf("real mode returned the same random bytes twice: %s", x1)
	}
	var ns int64
	_ = json.Unmarshal([]byte(strings.TrimLeft(now, "0")), &ns)
	if d := time.Since(time.Unix(0, ns)); d < 0 || d > time.Minute {
		t.Fatalf("real mode clock %s is not the host's time", time.Unix(0, ns))
	}
	if !strings.Contains(logs.String(), `msg="entropy: called" plugin=entropy stream=stdout`) {
		t.Fatalf("reactor stdout not routed to the plugin log: %q", logs.String())
	}
}

func TestCanceledContext(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p := load(t, rt, "testdata/hostile/infinite-loop", plugin.Limits{Timeout: 10 * time.Second}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := p.Shape(ctx, abi.Context{}, nil)
	if !errors.Is(err, plugin.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrCanceled wrapping context.Canceled", err)
	}
}

func TestPluginRefusalAndOutputDecoding(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p := load(t, rt, "testdata/hostile/read-env", plugin.Limits{}, nil)
	_, err := p.Shape(context.Background(), abi.Context{}, nil)
	var pe *abi.PluginError
	if !errors.Is(err, plugin.ErrPluginRefused) || !errors.As(err, &pe) || pe.Code != "denied" {
		t.Fatalf("err = %v, want ErrPluginRefused with *abi.PluginError code denied", err)
	}
	if _, err := p.Shape(context.Background(), abi.Context{}, json.RawMessage(`[1]`)); !errors.Is(err, plugin.ErrABI) {
		t.Fatalf("non-object request: err = %v, want ErrABI", err)
	}
}

func TestClosedPlugin(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p := load(t, rt, "testdata/trivial", plugin.Limits{}, nil)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Shape(context.Background(), abi.Context{}, nil); !errors.Is(err, plugin.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

// wasmWithImport hand-assembles a module with one type ()->() and one import.
func wasmWithImport(module, name string, kind byte, desc ...byte) []byte {
	str := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	imp := append(append(append([]byte{1}, str(module)...), str(name)...), kind)
	imp = append(imp, desc...)
	b := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	b = append(b, 1, 4, 1, 0x60, 0, 0) // type section: () -> ()
	b = append(b, 2, byte(len(imp)))   // import section
	return append(b, imp...)
}

func TestLoadRefusesForbiddenImportsAndOversizeMemory(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	cases := []struct {
		name string
		bin  []byte
		says string
	}{
		{"unknown wasi function", wasmWithImport("wasi_snapshot_preview1", "sock_open_everything", 0, 0), "imports wasi_snapshot_preview1.sock_open_everything, which is not a wasi_snapshot_preview1 function this host provides"},
		{"imported memory", wasmWithImport("env", "memory", 2, 0, 1), "imports env.memory (a memory)"},
		{"agentshape non-log", wasmWithImport("agentshape", "exec", 0, 0), "imports agentshape.exec (a function)"},
		{"wrong log type", wasmWithImport("agentshape", "log", 0, 0), "imports agentshape.log with type () -> (), want (i32, i32, i32) -> ()"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rt.Load(context.Background(), plugin.Spec{Name: "x", Bytes: c.bin})
			if !errors.Is(err, plugin.ErrABI) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("err = %v, want ErrABI saying %q", err, c.says)
			}
		})
	}
	// oversize-output declares 40 initial pages: over a 16-page limit at load.
	_, err := rt.Load(context.Background(), plugin.Spec{Path: catalog.MustPath(t, "testdata/hostile/oversize-output"), Limits: plugin.Limits{MemoryMaxPages: 16}})
	if !errors.Is(err, plugin.ErrMemoryLimit) || !strings.Contains(err.Error(), "starts at 40 pages, over limits.memoryMaxPages 16") {
		t.Fatalf("err = %v, want ErrMemoryLimit at load", err)
	}
}

func TestWarmFillsThePool(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p := load(t, rt, "testdata/passthrough", plugin.Limits{PoolSize: 3}, nil)
	if st := p.Stats(); st.Instantiated != 1 {
		t.Fatalf("after Load: %+v, want one instance", st)
	}
	if err := p.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Instantiated != 3 {
		t.Fatalf("after Warm: %+v, want 3 instances", st)
	}
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Shape(context.Background(), abi.Context{}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if st := p.Stats(); st.Instantiated != 3 || st.Calls != 6 {
		t.Fatalf("after concurrent calls on a warm pool: %+v, want no new instances", st)
	}
}

// TestLogFloodIsCapped: a plugin that logs in a loop gets MaxLogMessages
// messages per call into the log, then one warning; the next call starts over.
func TestLogFloodIsCapped(t *testing.T) {
	var logs syncBuffer
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	p := load(t, rt, "testdata/hostile/moody", plugin.Limits{PoolSize: 1}, map[string]any{"mode": "chatty"})
	for call := 1; call <= 2; call++ {
		out, err := p.Shape(context.Background(), abi.Context{}, nil)
		if err != nil || string(out) != `{"ok":true}` {
			t.Fatalf("call %d: %s, %v", call, out, err)
		}
		s := logs.String()
		if n := strings.Count(s, `msg="this is not JSON!"`); n != call*plugin.MaxLogMessages {
			t.Fatalf("after call %d: %d messages logged, want %d", call, n, call*plugin.MaxLogMessages)
		}
		if n := strings.Count(s, "dropping the rest of this call's messages"); n != call {
			t.Fatalf("after call %d: %d drop warnings, want %d", call, n, call)
		}
	}
}

func TestCacheDirErrors(t *testing.T) {
	// An explicit cache dir that cannot be created is an error naming it.
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{CacheDir: filepath.Join(file, "cache")})
	if err == nil || !strings.Contains(err.Error(), "compilation cache at "+filepath.Join(file, "cache")) {
		t.Fatalf("err = %v, want an error naming the cache dir", err)
	}
	// Without a usable default location the runtime still works, uncached.
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	var logs syncBuffer
	rt, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("no default cache dir: %v", err)
	}
	defer rt.Close(context.Background())
	if rt.CacheDir() != "" || !strings.Contains(logs.String(), "no usable compilation cache") {
		t.Fatalf("CacheDir %q, logs %q: want uncached with a warning", rt.CacheDir(), logs.String())
	}
	p := load(t, rt, "testdata/trivial", plugin.Limits{}, nil)
	if _, err := p.Shape(context.Background(), abi.Context{}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestCacheDirDashDisablesTheCache: CacheDir "-" is the one way to run
// without the on-disk compilation cache (the CLI's --cache-dir -): nothing
// is written, not even a directory named "-".
func TestCacheDirDashDisablesTheCache(t *testing.T) {
	path := catalog.MustPath(t, "testdata/trivial")
	t.Chdir(t.TempDir())
	ctx := context.Background()
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{CacheDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	p, err := rt.Load(ctx, plugin.Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Shape(ctx, abi.Context{}, nil); err != nil {
		t.Fatal(err)
	}
	if rt.CacheDir() != "" {
		t.Errorf("CacheDir() = %q, want \"\" (no cache)", rt.CacheDir())
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("the runtime wrote %v into the working directory", entries)
	}
}

// TestLoadRefusesGoBuiltWithoutCShared: a Go wasip1 plugin built without
// -buildmode=c-shared is refused at load, as an ABI error naming the cause
// and the build line (it loaded, then every call trapped in alloc); the same
// module with every sign of Go stripped is not taken for Go, and a Go plugin
// built as a reactor loads.
func TestLoadRefusesGoBuiltWithoutCShared(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	path := catalog.MustPath(t, "testdata/inspect/go-without-c-shared")
	_, err := rt.Load(context.Background(), plugin.Spec{Path: path})
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Phase != plugin.PhaseLoad || !errors.Is(err, plugin.ErrABI) || !errors.Is(err, plugin.ErrGoNotCShared) {
		t.Fatalf("err = %v, want a load error of kind ErrABI caused by ErrGoNotCShared", err)
	}
	for _, says := range []string{`plugin "go-without-c-shared": load: does not follow ABI v1`, "built without -buildmode=c-shared", buildhint.GoLine} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("the error does not say %q: %v", says, err)
		}
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	anon, err := wasmbin.WithoutCustomSections(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Load(context.Background(), plugin.Spec{Name: "anonymous", Bytes: anon}); errors.Is(err, plugin.ErrGoNotCShared) {
		t.Errorf("a module with no sign of Go was refused as Go: %v", err)
	}
	load(t, rt, "testdata/kitbench/go", plugin.Limits{}, nil)
}
