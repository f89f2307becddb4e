// Package assemblyscript_test tests the AssemblyScript kit through real
// modules built by `make plugins` (plugins/testdata/askit, the kitbench and
// session-key-as plugins) running in the real host (host/plugin).
package assemblyscript_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/kits/internal/kittest"
)

type logBuffer = kittest.LogBuffer

var (
	newRuntime = kittest.Runtime
	decode     = kittest.Decode
)

func load(t *testing.T, rt *plugin.Runtime, rel string, config map[string]any) *plugin.Plugin {
	return kittest.Load(t, rt, rel, "", config)
}

func envelope(t *testing.T, p *plugin.Plugin, c abi.Context, request string) []byte {
	t.Helper()
	env, err := p.Envelope(c, json.RawMessage(request))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestRoundTrip sends requests full of JSON corner cases through the kit's
// parser and writer unchanged: what comes out must be the same JSON value,
// byte-exact for numbers.
func TestRoundTrip(t *testing.T) {
	rt := newRuntime(t, nil)
	p := load(t, rt, "testdata/askit", map[string]any{"mode": "echo"})
	requests := []string{
		`{}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://a.my.salesforce.com"}}`,
		`{"s":"\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t \u0001 \u001f 日本 ĳ"}`,
		`{"n":[0,-0,1,-1,1.5,-0.25e-3,1E+21,123456789012345678901234567890,5e-324]}`,
		`{"nested":{"a":{"b":{"c":[[[],{}],[null,true,false]]}}},"empty":"","sp":"  "}`,
		`{"variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"de"}],"tz":null,"bypassUser":true}`,
		"{ \"ws\" : [ 1 , 2 ] ,\n\t\"x\" : { } }",
		`{"dup":1,"dup":2}`,
		`{"long":"` + strings.Repeat("abcdefghij", 5000) + `"}`,
	}
	for i, req := range requests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			out, err := p.Call(context.Background(), envelope(t, p, abi.Context{}, req))
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Request json.RawMessage }
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output %s: %v", out, err)
			}
			want := decode(t, []byte(req))
			if i == 7 { // duplicate names: the last one wins
				want = map[string]any{"dup": json.Number("2")}
			}
			if !reflect.DeepEqual(decode(t, got.Request), want) {
				t.Fatalf("round trip changed the request:\n in  %s\n out %s", req, got.Request)
			}
			if i == 3 && !bytes.Contains(got.Request, []byte("-0.25e-3,1E+21,123456789012345678901234567890,5e-324")) {
				t.Errorf("numbers not kept as written: %s", got.Request)
			}
		})
	}
}

// TestBuild checks the Value constructors and editors against the expected document.
func TestBuild(t *testing.T) {
	rt := newRuntime(t, nil)
	p := load(t, rt, "testdata/askit", map[string]any{"mode": "build", "list": []any{2.5, "two"}})
	c := abi.Context{User: abi.User{Locale: "de_DE", Attributes: map[string]any{"tier": "gold", "n": 3}}}
	out, err := p.Shape(context.Background(), c, json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"s":"é😀 \"q\" \\ \n\t\r \u0001 日本","i":-42,"f":0.5,"whole":3,"nan":null,"t":true,"n":null,
		"instanceConfig":{"endpoint":"https://x.my.salesforce.com"},"variables":[{"name":"a"},"b"],
		"locale":"de_DE","missing":"fallback","attrCount":2,"second":"two","listF64":2.5,"hasLocale":true,
		"plugin":"testdata/askit","text":"{\"endpoint\":\"https://x.my.salesforce.com\"}"}`
	if !reflect.DeepEqual(decode(t, out), decode(t, []byte(want))) {
		t.Fatalf("built request:\n got  %s\n want %s", out, want)
	}
}

// TestParseErrors feeds the kit's parser malformed JSON (through config.text)
// and checks each error names what was wrong and where.
func TestParseErrors(t *testing.T) {
	rt := newRuntime(t, nil)
	cases := map[string]string{
		`{"a":1`:                            "expected ',' or '}' in object at byte 6",
		`{"a" 1}`:                           "expected ':' after member name at byte 5",
		`[1,2,]`:                            "unexpected character ']' at byte 5",
		`"abc`:                              "unterminated string at byte 4",
		`"a\x"`:                             "invalid escape at byte 3",
		`"\u12"`:                            "invalid \\u escape",
		"\"a\tb\"":                          "control character in string at byte 2",
		`01`:                                "unexpected data after the JSON value at byte 1",
		`1.`:                                "digits expected after '.'",
		`-`:                                 "invalid number",
		`tru`:                               "invalid literal at byte 0",
		`{} x`:                              "unexpected data after the JSON value at byte 3",
		``:                                  "unexpected end of JSON at byte 0",
		strings.Repeat("[", 300):            "nested deeper than 256 levels",
		`{"k":` + strings.Repeat(" ", 10):   "unexpected end of JSON at byte 15",
		strings.Repeat("[", 256) + "]":      "expected ',' or ']' in array",
		`{1:2}`:                             "expected string member name in object at byte 1",
		`nul`:                               "invalid literal",
		`{"a":[1,2],"b":{"c":"d"}} garbage`: "unexpected data after the JSON value at byte 26",
	}
	for text, want := range cases {
		p := load(t, rt, "testdata/askit", map[string]any{"mode": "parse", "text": text})
		out, err := p.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		var got struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if got.OK || !strings.Contains(got.Error, want) {
			t.Errorf("parse %q: ok=%v error=%q, want an error containing %q", text, got.OK, got.Error, want)
		}
		p.Close(context.Background())
	}
	// And a document at the depth limit parses. The plugin echoes it, and the
	// host refuses outputs nested deeper than 128 levels, so read the raw output.
	deep := strings.Repeat("[", 256) + strings.Repeat("]", 256)
	p := load(t, rt, "testdata/askit", map[string]any{"mode": "parse", "text": deep})
	out, err := p.Call(context.Background(), envelope(t, p, abi.Context{}, `{}`))
	if err != nil || !bytes.Contains(out, []byte(`"ok":true`)) {
		t.Fatalf("256 levels: %s %v", out, err)
	}
}

// TestBadEnvelope calls the plugin with envelopes the host would never send
// (not JSON, not an object, another ABI version): the kit answers with a
// refusal that says what was wrong instead of trapping.
func TestBadEnvelope(t *testing.T) {
	rt := newRuntime(t, nil)
	p := load(t, rt, "testdata/askit", map[string]any{"mode": "echo"})
	cases := map[string]string{
		`{"abi":1,"request":{`:     `"code":"bad_envelope"`,
		`[1,2]`:                    `must be a JSON object`,
		`{"abi":2,"request":{}}`:   `"code":"abi_version"`,
		`{"abi":1,"request":"x"}`:  `{"request":{}}`,
		`{"abi":1,"request":null}`: `{"request":{}}`,
	}
	for in, want := range cases {
		out, err := p.Call(context.Background(), []byte(in))
		var perr *plugin.Error
		switch {
		case err == nil:
			if !strings.Contains(string(out), want) {
				t.Errorf("%s -> %s, want %s", in, out, want)
			}
		case errors.As(err, &perr) && errors.Is(err, plugin.ErrPluginRefused):
			if !strings.Contains(err.Error(), strings.Trim(strings.TrimPrefix(want, `"code":`), `"`)) {
				t.Errorf("%s -> %v, want %s", in, err, want)
			}
		default:
			t.Errorf("%s -> %v", in, err)
		}
	}
	// The instance is still healthy after all that.
	out, err := p.Shape(context.Background(), abi.Context{}, json.RawMessage(`{"tz":"UTC"}`))
	if err != nil || string(out) != `{"tz":"UTC"}` {
		t.Fatalf("after bad envelopes: %s %v", out, err)
	}
}

// TestLogAndAbort checks agentshape.log at every level and that abort is
// routed to the kit: logged at error level with its message, then a trap
// the host classifies, and the next call succeeds.
func TestLogAndAbort(t *testing.T) {
	var logs logBuffer
	rt := newRuntime(t, &logs)
	p := load(t, rt, "testdata/askit", map[string]any{"mode": "log", "text": "hello"})
	if _, err := p.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"level=DEBUG msg=\"debug hello\"", "level=INFO msg=\"info hello\"", "level=WARN msg=\"warn hello\"", "level=ERROR msg=\"error hello\""} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "plugin=testdata/askit") {
		t.Errorf("log lines are not tagged with the plugin: %s", logs.String())
	}

	ab := load(t, rt, "testdata/askit", map[string]any{"mode": "abort", "text": "config says stop"})
	_, err := ab.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`))
	if !errors.Is(err, plugin.ErrTrap) {
		t.Fatalf("abort: err = %v, want ErrTrap", err)
	}
	if !strings.Contains(logs.String(), `level=ERROR msg="abort: config says stop"`) {
		t.Errorf("abort not logged with its message:\n%s", logs.String())
	}
	if out, err := ab.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`)); !errors.Is(err, plugin.ErrTrap) {
		t.Fatalf("second abort: %s %v, want ErrTrap again", out, err)
	}

	// A runtime failure inside the standard library (index out of range)
	// aborts with a source location.
	oob := load(t, rt, "testdata/askit", map[string]any{"mode": "oob"})
	if _, err := oob.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`)); !errors.Is(err, plugin.ErrTrap) {
		t.Fatalf("out of range: err = %v, want ErrTrap", err)
	}
	if !regexp.MustCompile(`level=ERROR msg="abort: Index out of range at ~lib/[a-z/]+\.ts:\d+:\d+"`).MatchString(logs.String()) {
		t.Errorf("runtime abort not logged with message and location:\n%s", logs.String())
	}
	// The plugin that trapped still serves the next call (on a fresh instance).
	echo := load(t, rt, "testdata/askit", map[string]any{"mode": "echo"})
	if _, err := echo.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
}

// TestRandomUUID checks randomUUID draws from the host's (seeded) randomness.
func TestRandomUUID(t *testing.T) {
	rt := newRuntime(t, nil)
	p := load(t, rt, "testdata/askit", map[string]any{"mode": "uuid"})
	v4 := regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`)
	var first string
	for i := 0; i < 3; i++ {
		out, err := p.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]json.RawMessage
		_ = json.Unmarshal(out, &got)
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

// TestMemoryStaysFlat: because the kit collects garbage at the start of
// every call and frees the input, a pooled instance's memory does not grow
// with the call count.
func TestMemoryStaysFlat(t *testing.T) { kittest.MemoryStaysFlat(t, "testdata/kitbench/as") }

// TestSessionKeyTwins runs the AssemblyScript session-key-as and the Go
// session-key examples on the same envelopes: they must agree exactly,
// refusals and (in deterministic mode) random keys included.
func TestSessionKeyTwins(t *testing.T) { kittest.SessionKeyTwins(t, "session-key-as") }

// TestRefuse: Result.refuse always yields an ABI v1 refusal (ABI.md §6: code
// and message non-empty), even when the plugin passes empty strings, so the
// caller sees "refused the request", not a malformed-output fault.
func TestRefuse(t *testing.T) {
	rt := newRuntime(t, nil)
	cases := []struct{ code, text, want string }{
		{"no_tier", "pass the tier", "refused the request: no_tier: pass the tier"},
		{"", "pass the tier", "refused the request: refused: pass the tier"},
		{"no_tier", "", "refused the request: no_tier: the plugin refused without a message"},
		{"", "", "refused the request: refused: the plugin refused without a message"},
	}
	for _, c := range cases {
		p := load(t, rt, "testdata/askit", map[string]any{"mode": "refuse", "code": c.code, "text": c.text})
		_, err := p.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`))
		if !errors.Is(err, plugin.ErrPluginRefused) || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("refuse(%q, %q): %v, want a refusal ending %q", c.code, c.text, err, c.want)
		}
	}
}
