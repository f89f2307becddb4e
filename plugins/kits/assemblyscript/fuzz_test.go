package assemblyscript_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

var (
	fuzzOnce   sync.Once
	fuzzPlugin *plugin.Plugin
	fuzzErr    error
)

// FuzzParse checks the kit's JSON reader and writer against encoding/json:
// any text the kit is given as the request must be rejected exactly when
// encoding/json rejects it, and an accepted object must come back as the
// same JSON value (numbers byte for byte).
func FuzzParse(f *testing.F) {
	path := catalog.MustPath(f, "testdata/askit")
	for _, seed := range []string{
		`{}`, `{"a":1}`, `{"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"}`, `{"n":-0.5e-3}`, `{"a":"\ud800"}`,
		`{"a":1,"a":2}`, `{"a" 1}`, `[1,2]`, `"x"`, `{"a":tru}`, `{"s":"a\\b\"c\/d\b\f\n\r\t"}`, "{\"a\":\"\xff\xfe\"}",
		`{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":[}`, `{"a":"\u12"}`, " {\"a\" : [ ] } ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fuzzOnce.Do(func() {
			rt, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{CacheDir: "-", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				fuzzErr = err
				return
			}
			fuzzPlugin, fuzzErr = rt.Load(context.Background(), plugin.Spec{Name: "askit", Path: path, Limits: plugin.Limits{PoolSize: 1, Timeout: 30 * time.Second}})
		})
		if fuzzErr != nil {
			t.Fatal(fuzzErr)
		}
		env := []byte(`{"abi":1,"plugin":{"name":"askit","config":{"mode":"echo"}},"context":{},"request":` + text + `}`)
		valid := json.Valid([]byte(text))
		if json.Valid(env) != valid {
			return // the text closes or extends the envelope itself; not a test of the parser
		}
		if strings.Count(text, "[")+strings.Count(text, "{") > 200 {
			return // beyond the kit's documented depth limit (256) territory
		}
		out, err := fuzzPlugin.Call(context.Background(), env)
		if err != nil {
			t.Fatalf("call on %q: %v", text, err)
		}
		var o struct {
			Request json.RawMessage
			Error   *struct{ Code, Message string }
		}
		if err := json.Unmarshal(out, &o); err != nil {
			t.Fatalf("output %q is not JSON: %v", out, err)
		}
		if !valid {
			if o.Error == nil || o.Error.Code != "bad_envelope" {
				t.Fatalf("invalid JSON %q accepted: %s", text, out)
			}
			return
		}
		if o.Error != nil {
			t.Fatalf("valid JSON %q refused: %s", text, out)
		}
		var in any
		d := json.NewDecoder(strings.NewReader(text))
		d.UseNumber()
		if err := d.Decode(&in); err != nil {
			t.Fatal(err)
		}
		if _, isObj := in.(map[string]any); !isObj {
			return // a non-object request is replaced by {}
		}
		var back any
		d = json.NewDecoder(bytes.NewReader(o.Request))
		d.UseNumber()
		if err := d.Decode(&back); err != nil {
			t.Fatalf("echoed request %q is not JSON: %v", o.Request, err)
		}
		if !reflect.DeepEqual(in, back) {
			t.Fatalf("round trip changed %q into %s", text, o.Request)
		}
	})
}
