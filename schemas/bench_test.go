package schemas_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/agentshape/agentshape/schemas"
)

// typicalRequest is the illustrative body of agent-api.md §2.
var typicalRequest = []byte(`{
  "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
  "instanceConfig": {"endpoint": "https://example-co.my.salesforce.com"},
  "tz": "Europe/Berlin",
  "variables": [
    {"name": "$Context.EndUserLanguage", "type": "Text", "value": "de"},
    {"name": "orderTier", "type": "Text", "value": "gold"}
  ],
  "streamingCapabilities": {"chunkTypes": ["Text"]},
  "bypassUser": true
}`)

// BenchmarkValidateVsDecode measures, in one run, json.Unmarshal of a typical
// request, schema validation of the decoded value, and the whole
// schemas.Validate (decode + validate), and reports each as a ratio of the
// json.Unmarshal time (validate/decode, validate-bytes/decode).
func BenchmarkValidateVsDecode(b *testing.B) {
	if vs, err := schemas.Validate(schemas.StartSessionRequest, typicalRequest); err != nil || len(vs) != 0 {
		b.Fatalf("typical request must be valid: %v %v", vs, err)
	}
	doc, err := schemas.Decode(typicalRequest)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var tDecode, tValidate, tBoth time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		var v any
		if err := json.Unmarshal(typicalRequest, &v); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if vs, err := schemas.ValidateValue(schemas.StartSessionRequest, doc); err != nil || vs != nil {
			b.Fatal(vs, err)
		}
		t2 := time.Now()
		if vs, err := schemas.Validate(schemas.StartSessionRequest, typicalRequest); err != nil || vs != nil {
			b.Fatal(vs, err)
		}
		t3 := time.Now()
		tDecode += t1.Sub(t0)
		tValidate += t2.Sub(t1)
		tBoth += t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tDecode.Nanoseconds())/n, "decode-ns/op")
	b.ReportMetric(float64(tValidate.Nanoseconds())/n, "validate-ns/op")
	b.ReportMetric(float64(tBoth.Nanoseconds())/n, "validate-bytes-ns/op")
	b.ReportMetric(float64(tValidate)/float64(tDecode), "validate/decode")
	b.ReportMetric(float64(tBoth)/float64(tDecode), "validate-bytes/decode")
}
