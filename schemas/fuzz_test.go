package schemas_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/schemas"
)

// FuzzValidate feeds arbitrary bytes to the decoder and validator of every
// schema. It must never panic; a document is either an error (never both)
// or a violation list whose entries are complete and deterministic. The seed
// corpus (schema examples, agent-api.md examples, hostile shapes) runs with
// plain `go test`.
func FuzzValidate(f *testing.F) {
	for _, n := range schemas.List() {
		src, _ := schemas.Source(n)
		var doc struct {
			Examples []json.RawMessage `json:"examples"`
		}
		_ = json.Unmarshal(src, &doc)
		for _, ex := range doc.Examples {
			f.Add([]byte(ex))
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "agent-api", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `0`, `"x"`, `[]`, `{}`, `{"":{}}`, `{"a":`, "\xff", `{"a":1}{`,
		`{"variables":[null,1,"x",{"name":{}}]}`,
		`{"instanceConfig":{"endpoint":"https://acme.lightning.force.com"},"Tenant Key ID":1}`,
		`{"tz":"../../etc/passwd"}`, `{"tz":"Local"}`, `{"tz":"Europe/Berlin"}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://a.my.salesforce.com/%zz"}}`,
		`{"variables":[{"name":"a","type":"Text","value":"1"},{"name":"a","type":"Text","value":"1"}]}`,
		`{"a~b/c":{"d~1":[1e999999]}}`, `{"status":1e400}`, `[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"request":{"tenantKey":1},"error":null}`,
	} {
		f.Add([]byte(s))
	}
	names := schemas.List()
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, n := range names {
			vs, err := schemas.Validate(n, doc)
			if err != nil {
				var se *schemas.SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("%s: error %v is not a *SyntaxError", n, err)
				}
				if vs != nil || se.Offset < 0 || se.Offset > int64(len(doc)) {
					t.Fatalf("%s: bad error result %v %+v", n, vs, se)
				}
				continue
			}
			for _, v := range vs {
				if v.Rule == "" || v.Field == "" || !strings.HasPrefix(v.Message, v.Field+": ") || strings.Contains(v.Message, "\n") {
					t.Fatalf("%s: incomplete violation %+v", n, v)
				}
			}
			again, _ := schemas.Validate(n, doc)
			if !reflect.DeepEqual(vs, again) {
				t.Fatalf("%s: not deterministic:\n%v\n%v", n, vs, again)
			}
			if _, err := schemas.Advise(n, doc); err != nil {
				t.Fatalf("%s: Advise failed on a document Validate decoded: %v", n, err)
			}
		}
	})
}
