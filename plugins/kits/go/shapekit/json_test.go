package shapekit

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeAgreesWithEncodingJSON: the kit's decoder accepts and rejects
// what encoding/json does, and yields the same values.
func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `null`, `true`, `0`, `-0.5e+10`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\ud83d\ude00"`, `"é😀"`,
		`{"a":[1,2.50,{"b":null,"c":[true,false]}],"d":"x"}`, ` { "k" : "v" } `, `12345678901234567890`,
		`"\ud800"`, `"\udc00x"`,
		// invalid
		`{`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `-`, `1e`, `tru`, `"a`, "\"\x01\"", `"\x"`, `"\u12"`,
		`{"a":1} x`, `nul`, `[1 2]`, `{1:2}`, "\"\xff\"", ``,
	} {
		var want any
		dec := json.NewDecoder(strings.NewReader(in))
		dec.UseNumber()
		wantErr := dec.Decode(&want)
		if wantErr == nil && dec.More() {
			wantErr = errTrailing
		}
		if wantErr == nil && !json.Valid([]byte(in)) {
			wantErr = errTrailing
		}
		got, err := DecodeJSON([]byte(in))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%q: kit error %v, encoding/json error %v", in, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if g, w := normal(got), normal(want); !reflect.DeepEqual(g, w) {
			t.Errorf("%q: kit %#v, encoding/json %#v", in, g, w)
		}
	}
}

var errTrailing = &Error{Code: "x", Message: "trailing"}

// normal maps json.Number and Number to string for comparison.
func normal(v any) any {
	switch x := v.(type) {
	case json.Number:
		return "#" + string(x)
	case Number:
		return "#" + string(x)
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = normal(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = normal(e)
		}
		return l
	}
	return v
}

func TestEncodeRoundTrip(t *testing.T) {
	in := `{"a":[1,2.50,{"b":null,"c":[true,false]}],"d":"<&>\u2028\"\\\n\u0001é😀","e":{},"f":[]}`
	v, err := DecodeJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := EncodeJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("kit output is not JSON: %s: %v", out, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed the value:\n%s\n%s", in, out)
	}
	if !strings.Contains(string(out), `2.50`) || !strings.Contains(string(out), `<&>`) {
		t.Fatalf("numbers must keep their text and HTML characters stay unescaped: %s", out)
	}
	if _, err := EncodeJSON(map[string]any{"n": Number("1x")}); err == nil {
		t.Fatal("a malformed Number must not be encoded")
	}
	if b, _ := EncodeJSON("\xff"); string(b) != `"\ufffd"` {
		t.Fatalf("invalid UTF-8 must be replaced: %s", b)
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)
	if _, err := DecodeJSON([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("deep nesting: %v", err)
	}
}

func TestSprintf(t *testing.T) {
	got := sprintf("%s=%q %d%% %v %v %s", "a", "b\"", 42, true, Number("1.5"), &Error{Code: "c", Message: "m"})
	if want := `a="b\"" 42% true 1.5 c: m`; got != want {
		t.Fatalf("sprintf = %q, want %q", got, want)
	}
	if got := sprintf("%s %s", "x"); got != "x %!s(MISSING)" {
		t.Fatalf("missing arg: %q", got)
	}
}

func TestRandom(t *testing.T) {
	a, b := make([]byte, 16), make([]byte, 16)
	if err := Random(a); err != nil {
		t.Fatal(err)
	}
	if err := Random(b); err != nil {
		t.Fatal(err)
	}
	if string(a) == string(b) {
		t.Fatal("two random reads are equal")
	}
}

func TestContextWrongType(t *testing.T) {
	if _, err := Decode([]byte(`{"abi":1,"context":{"user":{"locale":5}}}`)); err == nil || !strings.Contains(err.Error(), "context.user.locale is a number, not a string") {
		t.Fatalf("wrong-typed context member: %v", err)
	}
}
