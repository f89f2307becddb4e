// Package rust_test tests the Rust kit (plugins/kits/rust/agentshape)
// through real modules built by `make plugins` (plugins/testdata/rskit, the
// kitbench and session-key-rs plugins) running in the real host
// (host/plugin), runs the kit's own Rust unit tests natively, and checks
// find-rustc.sh picks a rustc that can build plugins.
package rust_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/plugins/kits/internal/kittest"
	"github.com/tetratelabs/wazero"
)

var (
	newRuntime = kittest.Runtime
	decode     = kittest.Decode
	call       = kittest.Call
)

func load(t *testing.T, rt *plugin.Runtime, rel string) *plugin.Plugin {
	return kittest.Load(t, rt, rel, "", nil)
}

// shape is kittest.Call for a call that must succeed.
func shape(t *testing.T, p *plugin.Plugin, cfg map[string]any, c abi.Context, request string) []byte {
	t.Helper()
	out, err := call(t, p, cfg, c, request)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRoundTrip sends requests full of JSON corner cases through the kit's
// parser and writer unchanged: what comes out must be the same JSON value,
// byte for byte where the kit promises it (member order, number text).
func TestRoundTrip(t *testing.T) {
	p := load(t, newRuntime(t, nil), "testdata/rskit")
	requests := []string{
		`{}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://a.my.salesforce.com"}}`,
		`{"s":"\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t \u0001 \u001f 日本 ĳ"}`,
		`{"n":[0,-0,1,-1,1.5,-0.25e-3,1E+21,123456789012345678901234567890,5e-324]}`,
		`{"nested":{"a":{"b":{"c":[[[],{}],[null,true,false]]}}},"empty":"","sp":"  "}`,
		`{"variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"de"}],"tz":null,"bypassUser":true}`,
		"{ \"ws\" : [ 1 , 2 ] ,\n\t\"x\" : { } }",
		`{"dup":1,"other":0,"dup":2}`,
		`{"long":"` + strings.Repeat("abcdefghij", 5000) + `"}`,
		`{"z":1,"a":2,"m":3}`,
	}
	for i, req := range requests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			env, err := p.Envelope(abi.Context{}, json.RawMessage(req))
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Call(context.Background(), env)
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Request json.RawMessage }
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output %s: %v", out, err)
			}
			want := decode(t, []byte(req))
			if i == 7 { // a repeated name: the last value wins, in the first one's place
				want = map[string]any{"dup": json.Number("2"), "other": json.Number("0")}
				if string(got.Request) != `{"dup":2,"other":0}` {
					t.Errorf("repeated member: %s, want {\"dup\":2,\"other\":0}", got.Request)
				}
			}
			if !reflect.DeepEqual(decode(t, got.Request), want) {
				t.Fatalf("round trip changed the request:\n in  %s\n out %s", req, got.Request)
			}
			if i == 3 && !bytes.Contains(got.Request, []byte("[0,-0,1,-1,1.5,-0.25e-3,1E+21,123456789012345678901234567890,5e-324]")) {
				t.Errorf("numbers not kept as written: %s", got.Request)
			}
			if i == 9 && string(got.Request) != req {
				t.Errorf("member order changed: %s, want %s", got.Request, req)
			}
		})
	}
}

// TestBuild checks the Value and Object constructors, editors and the
// request's dotted paths against the expected document, byte for byte
// (members in the order they were inserted).
func TestBuild(t *testing.T) {
	p := load(t, newRuntime(t, nil), "testdata/rskit")
	c := abi.Context{User: abi.User{Locale: "de_DE", Attributes: map[string]any{"tier": "gold", "n": 3}}}
	out := shape(t, p, map[string]any{"mode": "build", "list": []any{2.5, "two"}}, c, `{}`)
	want := `{"s":"é😀 \"q\" \\ \n\t\r \u0001 日本","i":-42,"f":0.5,"whole":3,"nan":null,"t":true,"n":null,` +
		`"instanceConfig":{"endpoint":"https://x.my.salesforce.com"},"variables":[{"name":"a"},"b"],` +
		`"locale":"de_DE","tier":"gold","attrCount":2,"second":"two","listF64":2.5,` +
		`"plugin":"testdata/rskit","text":"{\"endpoint\":\"https://x.my.salesforce.com\"}","paths":{"a":{"b":{"d":1}}}}`
	if string(out) != want {
		t.Fatalf("built request:\n got  %s\n want %s", out, want)
	}
}

// TestParseErrors feeds the kit's parser malformed JSON (through config.text)
// and checks each error names what was wrong and where.
func TestParseErrors(t *testing.T) {
	p := load(t, newRuntime(t, nil), "testdata/rskit")
	cases := map[string]string{
		`{"a":1`:                            "invalid JSON at byte 6: unexpected end of JSON in object",
		`{"a" 1}`:                           "at byte 5: expected ':' after member name",
		`{"a":1 "b":2}`:                     "at byte 7: expected ',' or '}' in object",
		`[1 2]`:                             "at byte 3: expected ',' or ']' in array",
		`[1,2,]`:                            "at byte 5: unexpected character ']'",
		`"abc`:                              "at byte 4: unterminated string",
		`"a\x"`:                             "at byte 3: invalid escape in string",
		`"\u12"`:                            "at byte 2: invalid \\u escape in string",
		"\"a\tb\"":                          "at byte 2: control character in string",
		`01`:                                "at byte 1: unexpected data after the JSON value",
		`1.`:                                "at byte 2: digits expected after '.' in number",
		`1e+`:                               "at byte 3: digits expected in the exponent of number",
		`-`:                                 "at byte 1: invalid number",
		`tru`:                               "at byte 0: invalid literal",
		`{} x`:                              "at byte 3: unexpected data after the JSON value",
		``:                                  "at byte 0: unexpected end of JSON",
		strings.Repeat("[", 600):            "at byte 512: nested deeper than 512 levels",
		`{"k":` + strings.Repeat(" ", 10):   "at byte 15: unexpected end of JSON",
		strings.Repeat("[", 512) + "]":      "at byte 513: unexpected end of JSON in array",
		`{1:2}`:                             "at byte 1: expected a string member name in object",
		`nul`:                               "invalid literal",
		`{"a":[1,2],"b":{"c":"d"}} garbage`: "at byte 26: unexpected data after the JSON value",
	}
	type parsed struct {
		OK    bool            `json:"ok"`
		Error string          `json:"error"`
		Value json.RawMessage `json:"value"`
	}
	parse := func(text string) parsed {
		var got parsed
		cfg := map[string]any{"mode": "parse", "text": text, "quiet": strings.Count(text, "[") > 100}
		if err := json.Unmarshal(shape(t, p, cfg, abi.Context{}, `{}`), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for text, want := range cases {
		if got := parse(text); got.OK || !strings.Contains(got.Error, want) {
			t.Errorf("parse %.40q: ok=%v error=%q, want an error containing %q", text, got.OK, got.Error, want)
		}
	}
	// A document at the depth limit parses.
	if got := parse(strings.Repeat("[", 512) + strings.Repeat("]", 512)); !got.OK {
		t.Fatalf("512 levels: %s", got.Error)
	}
	// Lone surrogates become U+FFFD, as in Go's encoding/json; a pair is one character.
	for text, want := range map[string]string{`"\ud800x"`: `"\ufffdx"`, `"\ud800\u0041"`: `"\ufffdA"`, `"\udc00"`: `"\ufffd"`, `"\ud83d\ude00"`: `"😀"`} {
		var got, exp string
		if v := parse(text).Value; json.Unmarshal(v, &got) != nil || json.Unmarshal([]byte(want), &exp) != nil || got != exp {
			t.Errorf("%s: value %s, want %s", text, v, want)
		}
	}
	// Invalid UTF-8 in the envelope: each bad byte becomes U+FFFD, as in Go's encoding/json.
	for raw, want := range map[string]string{"a\xffb": "a\uFFFDb", "\xf0\x9f\x98.": "\uFFFD\uFFFD\uFFFD.", "\xed\xa0\x80": "\uFFFD\uFFFD\uFFFD"} {
		out, err := p.Call(context.Background(), []byte(`{"abi":1,"request":{"v":"`+raw+`"}}`))
		var got struct{ Request struct{ V string } }
		if err != nil || json.Unmarshal(out, &got) != nil || got.Request.V != want {
			t.Errorf("%q: output %q (%v), want the value %q", raw, out, err, want)
		}
	}
}

// TestBadEnvelope calls the plugin with envelopes the host would never send:
// the kit answers with a reserved fault code and a message that says what
// was wrong, instead of trapping, and the instance stays healthy.
func TestBadEnvelope(t *testing.T) {
	p := load(t, newRuntime(t, nil), "testdata/rskit")
	cases := map[string]string{
		`{"abi":1,"request":{`:                          `bad_envelope: envelope is not valid JSON for ABI v1: invalid JSON at byte 20`,
		`[1,2]`:                                         `bad_envelope: envelope is an array, not a JSON object`,
		`{"abi":2,"request":{}}`:                        `abi_version: this plugin speaks agentshape ABI v1 but the envelope's abi is 2`,
		`{"request":{}}`:                                `abi_version: this plugin speaks agentshape ABI v1 but the envelope's abi is missing`,
		`{"abi":1,"request":"x"}`:                       `bad_envelope: request is a string, not an object`,
		`{"abi":1,"plugin":{"config":[]}}`:              `bad_envelope: plugin.config is an array, not an object`,
		`{"abi":1,"context":{"channel":7}}`:             `bad_envelope: context.channel is a number, not a string`,
		`{"abi":1,"context":{"user":{"attributes":1}}}`: `bad_envelope: context.user.attributes is a number, not an object`,
	}
	for in, want := range cases {
		out, err := p.Call(context.Background(), []byte(in))
		if err == nil {
			_, err = p.Decode(out)
		}
		var pe *abi.PluginError
		if !errors.Is(err, plugin.ErrPluginRefused) || !errors.As(err, &pe) || !strings.HasPrefix(pe.Code+": "+pe.Message, want) {
			t.Errorf("%s -> %v, want a refusal starting %q", in, err, want)
		}
	}
	for in, want := range map[string]string{
		`{"abi":1,"request":null}`:                   `{"request":{}}`,
		`{"abi":1.0e0,"plugin":null,"context":null}`: `{"request":{}}`,
	} {
		if out, err := p.Call(context.Background(), []byte(in)); err != nil || string(out) != want {
			t.Errorf("%s -> %s %v, want %s", in, out, err, want)
		}
	}
	if out := shape(t, p, nil, abi.Context{}, `{"tz":"UTC"}`); string(out) != `{"tz":"UTC"}` {
		t.Fatalf("after bad envelopes: %s", out)
	}
}

// TestLogAndPanic checks agentshape.log at every level and that a panic is
// logged at error level with its message and location, then traps (a fault
// the host classifies), and the next call gets a fresh instance.
func TestLogAndPanic(t *testing.T) {
	var logs kittest.LogBuffer
	p := load(t, newRuntime(t, &logs), "testdata/rskit")
	shape(t, p, map[string]any{"mode": "log", "text": "hello"}, abi.Context{}, `{}`)
	for _, want := range []string{`level=DEBUG msg="debug hello"`, `level=INFO msg="info hello"`, `level=WARN msg="warn hello"`, `level=ERROR msg="error hello"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "plugin=testdata/rskit") {
		t.Errorf("log lines are not tagged with the plugin: %s", logs.String())
	}
	for i := 0; i < 2; i++ {
		if _, err := call(t, p, map[string]any{"mode": "panic", "text": "config says stop"}, abi.Context{}, `{}`); !errors.Is(err, plugin.ErrTrap) {
			t.Fatalf("panic %d: err = %v, want ErrTrap", i, err)
		}
	}
	if !regexp.MustCompile(`level=ERROR msg="panic: config says stop at \S*rskit/lib.rs:\d+:\d+"`).MatchString(logs.String()) {
		t.Errorf("panic not logged with its message and location:\n%s", logs.String())
	}
	if _, err := call(t, p, map[string]any{"mode": "oob"}, abi.Context{}, `{"a":1}`); !errors.Is(err, plugin.ErrTrap) {
		t.Fatalf("index out of bounds: err = %v, want ErrTrap", err)
	}
	if !regexp.MustCompile(`level=ERROR msg="panic: index out of bounds: the len is 1 but the index is 11 at \S*rskit/lib.rs:\d+:\d+"`).MatchString(logs.String()) {
		t.Errorf("standard-library panic not logged with message and location:\n%s", logs.String())
	}
	if out := shape(t, p, nil, abi.Context{}, `{}`); string(out) != `{}` {
		t.Fatalf("after the traps: %s", out)
	}
}

// TestStackOverflowTraps: Rust plugins get a 256 KiB stack placed below
// their data (plugins.mk), so recursion within it works and recursion past
// it traps — a fault the host reports — instead of overwriting memory; the
// next call gets a fresh instance.
func TestStackOverflowTraps(t *testing.T) {
	p := load(t, newRuntime(t, nil), "testdata/rskit")
	if out, err := call(t, p, map[string]any{"mode": "recurse", "depth": 100}, abi.Context{}, `{}`); err != nil || !strings.Contains(string(out), `"sum":`) {
		t.Fatalf("100 KiB of stack: %s %v", out, err)
	}
	if _, err := call(t, p, map[string]any{"mode": "recurse", "depth": 1000}, abi.Context{}, `{}`); !errors.Is(err, plugin.ErrTrap) {
		t.Fatalf("1000 KiB of stack: err = %v, want ErrTrap", err)
	}
	if out := shape(t, p, nil, abi.Context{}, `{"a":1}`); string(out) != `{"a":1}` {
		t.Fatalf("after the overflow: %s", out)
	}
}

// TestRandomUUID checks random_uuid draws from the host's randomness, which
// deterministic mode restarts at every call.
func TestRandomUUID(t *testing.T) {
	p := load(t, newRuntime(t, nil), "testdata/rskit")
	v4 := regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`)
	var first string
	for i := 0; i < 3; i++ {
		var got map[string]json.RawMessage
		if err := json.Unmarshal(shape(t, p, map[string]any{"mode": "uuid"}, abi.Context{}, `{}`), &got); err != nil {
			t.Fatal(err)
		}
		key := string(got["externalSessionKey"])
		if !v4.MatchString(key) {
			t.Fatalf("externalSessionKey %s is not a v4 UUID", key)
		}
		if i == 0 {
			first = key
		} else if key != first {
			t.Fatalf("deterministic mode restarts randomness per call, got %s then %s", first, key)
		}
	}
}

// TestRefuse: a refusal always reaches the host as an ABI v1 refusal (code
// and message non-empty), even when the plugin leaves them empty.
func TestRefuse(t *testing.T) {
	p := load(t, newRuntime(t, nil), "testdata/rskit")
	cases := []struct{ code, text, want string }{
		{"no_tier", "pass the tier", "refused the request: no_tier: pass the tier"},
		{"", "pass the tier", "refused the request: refused: pass the tier"},
		{"no_tier", "", "refused the request: no_tier: the plugin refused without a message"},
		{"", "", "refused the request: refused: the plugin refused without a message"},
	}
	for _, c := range cases {
		_, err := call(t, p, map[string]any{"mode": "refuse", "code": c.code, "text": c.text}, abi.Context{}, `{}`)
		if !errors.Is(err, plugin.ErrPluginRefused) || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("Error::new(%q, %q): %v, want a refusal ending %q", c.code, c.text, err, c.want)
		}
	}
	if _, err := call(t, p, map[string]any{"mode": 3}, abi.Context{}, `{}`); err == nil || !strings.HasSuffix(err.Error(), "bad_config: config.mode must be a string, got a number") {
		t.Errorf("a config of the wrong type: %v", err)
	}
}

// TestContextMirrorsABI keeps the kit's Context in step with
// host/abi.Context: every member the host sends comes back from the kit's
// typed Context under its envelope name.
func TestContextMirrorsABI(t *testing.T) {
	c := kittest.FullContext(t, "the Rust kit")
	out := shape(t, load(t, newRuntime(t, nil), "testdata/rskit"), map[string]any{"mode": "context"}, c, `{}`)
	want, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(decode(t, out), decode(t, want)) {
		t.Fatalf("the kit's Context:\n got  %s\n want %s", out, want)
	}
}

// TestMemoryStaysFlat: the kit frees each call's input and the previous
// output, so a pooled instance's memory does not grow with the call count.
func TestMemoryStaysFlat(t *testing.T) { kittest.MemoryStaysFlat(t, "testdata/kitbench/rust") }

// TestSessionKeyTwins runs the Rust session-key-rs and the Go session-key
// examples on the same envelopes: they must agree exactly, refusals and (in
// deterministic mode) random keys included.
func TestSessionKeyTwins(t *testing.T) { kittest.SessionKeyTwins(t, "session-key-rs") }

// TestModulesAreReactors: a module built with the kit exports _initialize,
// which the host runs once per instance. Without it (rustc builds a cdylib
// without a C runtime entry point) the linker wraps every export in a call
// of the C runtime's constructors and destructors, repeated on every call.
func TestModulesAreReactors(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	for _, rel := range []string{"session-key-rs", "testdata/rskit", "testdata/kitbench/rust"} {
		bin, err := os.ReadFile(catalog.MustPath(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		m, err := r.CompileModule(ctx, bin)
		if err != nil {
			t.Fatal(err)
		}
		exports := m.ExportedFunctions()
		for _, name := range []string{abi.InitializeExport, abi.MarkerExport, abi.AllocExport, abi.ShapeExport} {
			if _, ok := exports[name]; !ok {
				t.Errorf("%s does not export %s", rel, name)
			}
		}
	}
}

// toolchain is what find-rustc.sh answers on this machine: a rustc and its
// wasm target.
func toolchain(t *testing.T) (rustc, target string) {
	t.Helper()
	out, err := exec.Command("sh", "find-rustc.sh").Output()
	if err != nil {
		t.Fatalf("find-rustc.sh: %v (run `make toolchains`)", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		t.Fatalf("find-rustc.sh printed %q, want \"RUSTC TARGET\"", out)
	}
	return f[0], f[1]
}

// TestFindRustc: a rustc first on PATH that lacks the wasm target (as a
// rustup toolchain without `rustup target add` does) is passed over for one
// that has it; with none, the script fails saying what to install.
func TestFindRustc(t *testing.T) {
	good, target := toolchain(t)
	fake := t.TempDir()
	script := "#!/bin/sh\ncase \"$*\" in --version) echo 'rustc 9.9.9 (no wasm)';; *target-libdir*) echo " + fake + "/nothing;; *) exit 1;; esac\n"
	if err := os.WriteFile(filepath.Join(fake, "rustc"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(env ...string) (string, string, error) {
		cmd := exec.Command("/bin/sh", "find-rustc.sh")
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	out, errOut, err := run("PATH="+fake+string(os.PathListSeparator)+filepath.Dir(good), "RUSTC=")
	if err != nil || strings.TrimSpace(out) != good+" "+target {
		t.Errorf("with a rustc lacking the target first on PATH: %q %q %v, want %s %s", out, errOut, err, good, target)
	}
	out, errOut, err = run("PATH="+fake, "RUSTC=", "RUSTC_FALLBACK=")
	if err == nil || out != "" {
		t.Fatalf("with no usable rustc: %q %v, want a failure", out, err)
	}
	for _, want := range []string{fake + "/rustc (rustc 9.9.9 (no wasm)): no standard library for wasm32-wasip1 or wasm32-wasi",
		"apt-get install rustc libstd-rust-dev-wasm32", "rustup target add wasm32-wasip1"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the failure does not say %q:\n%s", want, errOut)
		}
	}
	out, _, err = run("RUSTC=" + filepath.Join(fake, "rustc"))
	if err != nil || strings.TrimSpace(out) != good+" "+target {
		t.Errorf("RUSTC lacking the target: %q %v, want the next candidate %s", out, err, good)
	}
	// The target without its linker: rustc links wasm with rust-lld, from
	// its sysroot (rustup) or PATH (Debian's, from the lld package).
	alone := t.TempDir()
	if err := os.Symlink(good, filepath.Join(alone, "rustc")); err != nil {
		t.Fatal(err)
	}
	sysroot, err := exec.Command(good, "--print", "sysroot").Output()
	if err != nil {
		t.Fatal(err)
	}
	own, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(sysroot)), "lib", "rustlib", "*", "bin", "rust-lld"))
	out, errOut, err = run("PATH="+alone, "RUSTC=", "RUSTC_FALLBACK=")
	switch {
	case len(own) > 0 && err != nil:
		t.Errorf("%s has its own rust-lld (%s) but was refused: %s", good, own[0], errOut)
	case len(own) == 0 && (err == nil || !strings.Contains(errOut, "has "+target+" but not its linker rust-lld (Debian: apt-get install lld)")):
		t.Errorf("%s without rust-lld on PATH: %q %q %v, want a failure naming the linker", good, out, errOut, err)
	}
}

// TestKitUnitTests compiles the kit's own Rust unit tests natively with the
// rustc plugins are built with, and runs them.
func TestKitUnitTests(t *testing.T) {
	rustc, _ := toolchain(t)
	bin := filepath.Join(t.TempDir(), "kit-tests")
	build := exec.Command(rustc, "--edition", "2021", "--test", "--crate-name", "agentshape", "-D", "warnings", "-o", bin, filepath.Join("agentshape", "lib.rs"))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("rustc --test: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--test-threads", "1").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test result: ok") {
		t.Fatalf("the kit's unit tests: %v\n%s", err, out)
	}
}

// TestDocExamplesCompile compiles every Rust example the documentation
// shows — the authors' guide, the kit's README and the crate documentation —
// natively against the kit, with warnings as errors, so none drifts from the
// kit's API.
func TestDocExamplesCompile(t *testing.T) {
	rustc, _ := toolchain(t)
	dir := t.TempDir()
	kit := filepath.Join(dir, "libagentshape.rlib")
	if out, err := exec.Command(rustc, "--edition", "2021", "--crate-type", "rlib", "--crate-name", "agentshape", "-o", kit, filepath.Join("agentshape", "lib.rs")).CombinedOutput(); err != nil {
		t.Fatalf("build the kit: %v\n%s", err, out)
	}
	var examples []string
	for _, doc := range []string{filepath.Join("..", "..", "README.md"), "README.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("(?s)```rust\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
			examples = append(examples, m[1])
		}
	}
	lib, err := os.ReadFile(filepath.Join("agentshape", "lib.rs"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile("(?s)//! ```ignore\n(.*?)//! ```").FindStringSubmatch(string(lib)); m != nil {
		examples = append(examples, regexp.MustCompile("(?m)^//! ?").ReplaceAllString(m[1], ""))
	}
	if len(examples) < 3 {
		t.Fatalf("found %d Rust examples in the documentation, want at least 3", len(examples))
	}
	for i, src := range examples {
		file := filepath.Join(dir, fmt.Sprintf("example%d.rs", i))
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(rustc, "--edition", "2021", "--crate-type", "rlib", "-D", "warnings", "--extern", "agentshape="+kit, "-o", filepath.Join(dir, fmt.Sprintf("libexample%d.rlib", i)), file)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("example %d does not compile against the kit: %v\n%s\n%s", i, err, src, out)
		}
	}
}
