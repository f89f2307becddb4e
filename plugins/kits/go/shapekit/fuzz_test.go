package shapekit

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeJSON: the kit's decoder agrees with encoding/json on every input
// (accept/reject and value), and what it decodes re-encodes to equal JSON.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,null]}`, `"\\"`, `[`, `01`, "\"\xff\"", `{"a":{"b":{"c":[]}}}`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeJSON(data)
		want, wantErr := stdDecode(data)
		if (err == nil) != (wantErr == nil) {
			if wantErr == nil && isDeep(data) {
				return // the kit refuses nesting over maxDepth; encoding/json allows 10000
			}
			t.Fatalf("%q: kit error %v, encoding/json error %v", data, err, wantErr)
		}
		if err != nil {
			return
		}
		out, err := EncodeJSON(got)
		if err != nil {
			t.Fatalf("%q: re-encode: %v", data, err)
		}
		back, err := stdDecode(out)
		if err != nil {
			t.Fatalf("%q: kit output %q is not JSON: %v", data, out, err)
		}
		if !reflect.DeepEqual(normal(back), normal(want)) || !reflect.DeepEqual(normal(got), normal(want)) {
			t.Fatalf("%q: kit round trip %#v, encoding/json %#v", data, back, want)
		}
	})
}

// stdDecode is encoding/json's view of data: one value, numbers as json.Number.
func stdDecode(data []byte) (any, error) {
	if !json.Valid(data) {
		return nil, errInvalid
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

var errInvalid = errors.New("invalid JSON")

func isDeep(data []byte) bool {
	depth, max := 0, 0
	for _, c := range data {
		switch c {
		case '[', '{':
			depth++
			if depth > max {
				max = depth
			}
		case ']', '}':
			depth--
		}
	}
	return max > maxDepth
}
