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

// BenchmarkValidateVsDecode measures, interleaved in blocks within one run
// (so machine load hits all alike), json.Unmarshal of a typical request into
// an any (the baseline), schemas.ValidateValue of the decoded document, and
// the whole schemas.Validate (decode with UseNumber + validate). It reports
// each as ns per document and as a ratio of the baseline:
// validate/decode (target ≤ 1) and validate-bytes/decode.
func BenchmarkValidateVsDecode(b *testing.B) {
	if vs, err := schemas.Validate(schemas.StartSessionRequest, typicalRequest); err != nil || len(vs) != 0 {
		b.Fatalf("typical request must be valid: %v %v", vs, err)
	}
	doc, err := schemas.Decode(typicalRequest)
	if err != nil {
		b.Fatal(err)
	}
	const block = 64
	var tDecode, tValidate, tBoth time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += block {
		n := min(block, b.N-done)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			var v any
			if err := json.Unmarshal(typicalRequest, &v); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for i := 0; i < n; i++ {
			if vs, err := schemas.ValidateValue(schemas.StartSessionRequest, doc); err != nil || vs != nil {
				b.Fatal(vs, err)
			}
		}
		t2 := time.Now()
		for i := 0; i < n; i++ {
			if vs, err := schemas.Validate(schemas.StartSessionRequest, typicalRequest); err != nil || vs != nil {
				b.Fatal(vs, err)
			}
		}
		t3 := time.Now()
		tDecode += t1.Sub(t0)
		tValidate += t2.Sub(t1)
		tBoth += t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tDecode.Nanoseconds())/n, "decode-ns/doc")
	b.ReportMetric(float64(tValidate.Nanoseconds())/n, "validate-ns/doc")
	b.ReportMetric(float64(tBoth.Nanoseconds())/n, "validate-bytes-ns/doc")
	b.ReportMetric(float64(tValidate)/float64(tDecode), "validate/decode")
	b.ReportMetric(float64(tBoth)/float64(tDecode), "validate-bytes/decode")
}

// BenchmarkDecode is the baseline alone: json.Unmarshal into an any.
func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var v any
		if err := json.Unmarshal(typicalRequest, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateValue is schema validation alone of the decoded request.
func BenchmarkValidateValue(b *testing.B) {
	doc, err := schemas.Decode(typicalRequest)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if vs, err := schemas.ValidateValue(schemas.StartSessionRequest, doc); err != nil || vs != nil {
			b.Fatal(vs, err)
		}
	}
}

// BenchmarkValidateInvalid is the explaining path: a request with three
// violations, where jsonschema/v5 runs and messages are built.
func BenchmarkValidateInvalid(b *testing.B) {
	bad := []byte(`{"externalSessionKey":"","instanceConfig":{"endpoint":"https://acme.lightning.force.com"},"tenantKeyId":"t"}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if vs, err := schemas.Validate(schemas.StartSessionRequest, bad); err != nil || len(vs) != 3 {
			b.Fatal(vs, err)
		}
	}
}
