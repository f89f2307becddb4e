package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// benchOutput is a plugin output as the example pipeline's last step gives
// it, with a few more variables: about 1 KiB.
const benchOutput = `{"request":{"externalSessionKey":"5e2e64ff-5de8-5d75-9ad4-8d8736f2db6d",` +
	`"instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"tz":"Europe/Berlin",` +
	`"streamingCapabilities":{"chunkTypes":["Text"]},"bypassUser":true,"variables":[` +
	`{"name":"$Context.EndUserLanguage","type":"Text","value":"de_DE"},` +
	`{"name":"orderTier","type":"Text","value":"gold"},{"name":"isVip","type":"Boolean","value":true},` +
	`{"name":"openOrders","type":"Number","value":3},{"name":"$Context.EndUserContactId","type":"Ref","value":"003AA000004Tb7mYAC"},` +
	`{"name":"loyaltyLevel","type":"Text","value":"platinum member since 2019"},{"name":"region","type":"Text","value":"EMEA"},` +
	`{"name":"preferredChannel","type":"Text","value":"web chat, then e-mail; never phone calls after 18:00 local time"},` +
	`{"name":"lastOrderTotal","type":"Number","value":1249.95},{"name":"segment","type":"Text","value":"B2C consumer electronics"}]}}`

// BenchmarkOutputDecode: the host's reading of one plugin output as a
// pipeline step does it — the ABI check (Plugin.Decode: exactly one of
// request or error), whose one decoding (schemas.DecodeObject: encoding/json
// plus the refusal of a member named twice and of nesting past
// inputlimit.MaxDepth) also gives the new request's value for provenance
// (Plugin.ShapeDecoded) — vs plain encoding/json as the host used it before
// those checks (json.Unmarshal into map[string]json.RawMessage, then a
// Decoder with UseNumber into an any). Reported: host-ns/op,
// encodingjson-ns/op and host/encodingjson; the variants alternate, so
// ns/op is their sum.
func BenchmarkOutputDecode(b *testing.B) {
	rt, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{CacheDir: "-"})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(context.Background())
	p, err := rt.Load(context.Background(), plugin.Spec{Path: catalog.MustPath(b, "testdata/trivial")})
	if err != nil {
		b.Fatal(err)
	}
	out := []byte(benchOutput)
	host := func() error {
		_, err := p.Decode(out)
		return err
	}
	encodingJSON := func() error {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(out, &o); err != nil {
			return err
		}
		d := json.NewDecoder(bytes.NewReader(o["request"]))
		d.UseNumber()
		var v any
		return d.Decode(&v)
	}
	var th, tj time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if err := host(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := encodingJSON(); err != nil {
			b.Fatal(err)
		}
		th += t1.Sub(t0)
		tj += time.Since(t1)
	}
	b.ReportMetric(float64(th.Nanoseconds())/float64(b.N), "host-ns/op")
	b.ReportMetric(float64(tj.Nanoseconds())/float64(b.N), "encodingjson-ns/op")
	b.ReportMetric(float64(th)/float64(tj), "host/encodingjson")
}
