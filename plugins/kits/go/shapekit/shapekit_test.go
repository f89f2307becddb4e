package shapekit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func decodeOut(t *testing.T, out []byte) (req map[string]any, code, msg string) {
	t.Helper()
	var o struct {
		Request map[string]any `json:"request"`
		Error   *Error         `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("output %s is not an ABI v1 output: %v", out, err)
	}
	if (o.Request == nil) == (o.Error == nil) {
		t.Fatalf("output %s must hold exactly one of request and error", out)
	}
	if o.Error != nil {
		if o.Error.Code == "" || o.Error.Message == "" {
			t.Fatalf("error needs a code and a message: %s", out)
		}
		return nil, o.Error.Code, o.Error.Message
	}
	return o.Request, "", ""
}

const env = `{"abi":1,"plugin":{"name":"t","config":{"k":"v"}},"context":{"agentId":"0XxAA0000000001AAA"},"request":{"n":1.50,"big":12345678901234567890,"s":"<&>","o":{"a":[1,{"b":null}]}}}`

func TestHandleRoundTripsUntouchedValues(t *testing.T) {
	out := Handle(func(e Envelope) (Request, error) {
		if e.Plugin.Config["k"] != "v" || e.Context.AgentID != "0XxAA0000000001AAA" {
			t.Errorf("envelope not decoded: %+v", e)
		}
		return e.Request, e.Request.Set("instanceConfig.endpoint", "https://x.my.salesforce.com")
	}, []byte(env))
	want := `{"request":{"big":12345678901234567890,"instanceConfig":{"endpoint":"https://x.my.salesforce.com"},"n":1.50,"o":{"a":[1,{"b":null}]},"s":"<&>"}}`
	if string(out) != want {
		t.Fatalf("output\n%s\nwant\n%s", out, want)
	}
}

func TestHandleErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fn    ShapeFunc
		input string
		code  string
		msg   string
	}{
		{"refusal", func(Envelope) (Request, error) { return nil, Refuse("no_tz", "need %s", "tz") }, env, "no_tz", "need tz"},
		{"wrapped refusal", func(Envelope) (Request, error) {
			return nil, errors.Join(errors.New("ctx"), Refuse("deep", "inner"))
		}, env, "deep", "inner"},
		{"plain error", func(Envelope) (Request, error) { return nil, errors.New("boom") }, env, CodeFailed, "boom"},
		{"empty error", func(Envelope) (Request, error) { return nil, errors.New("") }, env, CodeFailed, "without a message"},
		{"panic", func(Envelope) (Request, error) { panic("oh no") }, env, CodePanic, "oh no"},
		{"not registered", nil, env, CodeNotRegistered, "shapekit.Register"},
		{"bad json", func(Envelope) (Request, error) { return Request{}, nil }, `{"abi":1,`, CodeBadEnvelope, "not valid JSON"},
		{"trailing", func(Envelope) (Request, error) { return Request{}, nil }, `{"abi":1} {}`, CodeBadEnvelope, "trailing data"},
		{"abi 2", func(Envelope) (Request, error) { return Request{}, nil }, `{"abi":2}`, CodeBadEnvelope, "abi is 2"},
		{"wrong type", func(Envelope) (Request, error) { return Request{}, nil }, `{"abi":1,"request":[]}`, CodeBadEnvelope, "request is an array, not an object"},
		{"unencodable", func(Envelope) (Request, error) { return Request{"f": func() {}}, nil }, env, CodeBadRequest, "cannot be encoded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, code, msg := decodeOut(t, Handle(tc.fn, []byte(tc.input)))
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("got %s: %s; want %s containing %q", code, msg, tc.code, tc.msg)
			}
		})
	}
}

func TestNilRequestAndDefaults(t *testing.T) {
	out := Handle(func(e Envelope) (Request, error) {
		if e.Request == nil || e.Plugin.Config == nil {
			t.Error("request and config must never be nil")
		}
		return nil, nil
	}, []byte(`{"abi":1}`))
	if string(out) != `{"request":{}}` {
		t.Fatalf("nil request must encode as {}: %s", out)
	}
}

func TestRequestPaths(t *testing.T) {
	r := Request{"instanceConfig": "oops", "a": map[string]any{"b": "c"}}
	if err := r.Set("instanceConfig.endpoint", "x"); err == nil || !strings.Contains(err.Error(), "request.instanceConfig is a string") {
		t.Fatalf("Set through a string: %v", err)
	}
	if s, ok := r.String("a.b"); !ok || s != "c" {
		t.Fatalf("String(a.b) = %q %v", s, ok)
	}
	if _, ok := r.Get("a.b.c"); ok {
		t.Fatal("Get through a string must fail")
	}
	if err := r.Set("x.y.z", 1); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Get("x.y.z"); v != 1 {
		t.Fatalf("x.y.z = %v", v)
	}
	r.Delete("a.b")
	r.Delete("no.such")
	if _, ok := r.Get("a.b"); ok {
		t.Fatal("Delete(a.b) left it")
	}
}

func TestVariables(t *testing.T) {
	r := Request{}
	if vs, err := r.Variables(); err != nil || vs != nil {
		t.Fatalf("absent variables: %v %v", vs, err)
	}
	r.SetVariables([]Variable{{"a", "Text", "1"}})
	vs, err := r.Variables()
	if err != nil || len(vs) != 1 || vs[0] != (Variable{"a", "Text", "1"}) {
		t.Fatalf("round trip: %v %v", vs, err)
	}
	for in, msg := range map[string]string{
		`{"variables":{}}`:             "request.variables is an object",
		`{"variables":[1]}`:            "request.variables[0] is a number",
		`{"variables":[{"name":"a"}]}`: "request.variables[0].type is null",
	} {
		v, err := DecodeJSON([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		req := Request(v.(map[string]any))
		if _, err := req.Variables(); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", in, err, msg)
		}
	}
	if !ValidVariableType("Ref") || ValidVariableType("Id") || ValidVariableType("text") {
		t.Error("ValidVariableType must follow the documented enum exactly")
	}
}

func TestConfig(t *testing.T) {
	c := Config{"s": "x", "b": true, "n": Number("1"), "l": []any{1}, "o": map[string]any{}}
	if s, err := c.String("s", "d"); s != "x" || err != nil {
		t.Error(s, err)
	}
	if s, err := c.String("missing", "d"); s != "d" || err != nil {
		t.Error(s, err)
	}
	if _, err := c.String("n", ""); err == nil || !strings.Contains(err.Error(), "config.n must be a string, got a number") {
		t.Error(err)
	}
	if _, err := c.Bool("s", false); err == nil || !strings.Contains(err.Error(), "bad_config") {
		t.Error(err)
	}
	if l, err := c.List("l"); len(l) != 1 || err != nil {
		t.Error(l, err)
	}
	if _, err := c.Object("l"); err == nil {
		t.Error("Object(l) must fail")
	}
}
