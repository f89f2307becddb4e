package schemas

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestFastVerdictCoversSchemas: every schema this package's owner writes has
// a fast evaluator (so validation of valid documents never pays for
// jsonschema/v5's error building); schemas from other packages are reported.
func TestFastVerdictCoversSchemas(t *testing.T) {
	mine := map[Name]bool{StartSessionRequest: true, FlowStartSessionRequest: true, StartSessionResponse: true,
		ErrorResponse: true, PluginInput: true, PluginOutput: true}
	for _, n := range List() {
		if fastFor(n) == nil {
			if mine[n] {
				t.Errorf("%s has no fast evaluator: %v", n, fastErr(n))
			} else {
				t.Logf("%s has no fast evaluator (%v): validated by jsonschema/v5 only", n, fastErr(n))
			}
		}
	}
}

// agree fails when the fast verdict and jsonschema/v5 disagree on doc.
func agree(t *testing.T, doc []byte) {
	t.Helper()
	v, err := Decode(doc)
	if err != nil {
		return
	}
	for _, n := range List() {
		f := fastFor(n)
		if f == nil {
			continue
		}
		sch, err := schemaFor(n)
		if err != nil {
			t.Fatal(err)
		}
		slow := sch.Validate(v) == nil
		if fast := f.valid(v); fast != slow {
			t.Fatalf("%s: fast verdict %v, jsonschema/v5 %v, on %s", n, fast, slow, doc)
		}
	}
}

// FuzzFastVerdict: the fast evaluator and jsonschema/v5 give the same
// verdict on any document, for every schema.
func FuzzFastVerdict(f *testing.F) {
	for _, n := range List() {
		src, _ := Source(n)
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
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(agree)
}

// fastSeeds are documents near the edges of the rules.
var fastSeeds = []string{
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.lightning.force.com"}}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://x.my.salesforce.com/lightning/setup/a"}}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"http://acme.my.salesforce.com/"}}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://[::1]/"}}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":5},"tz":null,"variables":null}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://api.salesforce.com"},"message":{"TextVariable":{"name":"$Context.A","text":"x"}}}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"a__c","type":"Id","value":"1"}]}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"$Context.A_b","type":"Text","value":"1"}],"tenantKey":1}`,
	`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"streamingCapabilities":{"chunkTypes":["Text","Text"]}}`,
	`{"status":400.0,"path":"p","requestId":"r","error":"e","message":"m","timestamp":1e3}`,
	`{"status":99.5,"path":"p","requestId":"r","error":"e","message":"m","timestamp":-0}`,
	`{"sessionId":"0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33","_links":{"self":null},"messages":[{"type":"Inform","id":"1"}]}`,
	`{"abi":1.0,"plugin":{"name":"p"},"context":{"user":{"timezone":"Europe/Berlin"}},"request":{}}`,
	`{"request":{},"error":{"code":"c","message":"m"}}`,
	`{"version":1,"plugins":[{"name":"a","path":"a.wasm"}]}`,
	`[]`, `null`, `"x"`, `{}`,
}

func TestFastVerdictSeeds(t *testing.T) {
	for _, s := range fastSeeds {
		agree(t, []byte(s))
	}
}

// schemaPatterns returns every pattern and patternProperties key of the
// embedded schemas.
func schemaPatterns(t testing.TB) []string {
	docs, err := raw()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "pattern" {
					if p, ok := c.(string); ok {
						seen[p] = true
					}
				}
				if k == "patternProperties" {
					if m, ok := c.(map[string]any); ok {
						for p := range m {
							seen[p] = true
						}
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	for _, d := range docs {
		walk(d)
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	return out
}

var matcherSeeds = []string{
	"", "a", "https://acme.my.salesforce.com", "https://acme.my.salesforce.com/", "https://acme.lightning.force.com",
	"http://x.lightning.force.mil:8080/a", "https://a.my.salesforce-setup.com", "https://a.my.salesforce.com/lightning/setup/x",
	"$Context.EndUserLanguage", "$Context.a__c", "orderTier", "tenantKeyId", "Tenant Key ID", "tenant_key", "__c",
	"0XxAA0000000001AAA", "0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33", "https://api.salesforce.com/einstein/ai-agent/v1",
	"ab\ncd", "https://é.my.salesforce.com", "Europe/Berlin", "^$",
}

// FuzzMatcher: the fast matcher of every schema pattern agrees with package
// regexp (what jsonschema/v5 uses) on any string.
func FuzzMatcher(f *testing.F) {
	pats := schemaPatterns(f)
	ms := make([]matcher, len(pats))
	for i, p := range pats {
		m, err := newMatcher(p)
		if err != nil {
			f.Fatal(err)
		}
		ms[i] = m
	}
	for _, s := range matcherSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := range ms {
			if got, want := ms[i].match(s), ms[i].re.MatchString(s); got != want {
				t.Fatalf("pattern %q on %q: fast %v, regexp %v", pats[i], s, got, want)
			}
		}
	})
}

// TestMatcherUsesDFA: the schema patterns get the fast matcher, not regexp.
func TestMatcherUsesDFA(t *testing.T) {
	for _, p := range schemaPatterns(t) {
		m, _ := newMatcher(p)
		if m.kind == 1 {
			t.Errorf("pattern %q falls back to package regexp", p)
		}
	}
}

// BenchmarkJSONSchemaV5 is jsonschema/v5 alone on the decoded typical
// request (what validation cost before the fast verdict), for comparison
// with BenchmarkValidateValue.
func BenchmarkJSONSchemaV5(b *testing.B) {
	doc, err := Decode([]byte(`{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"tz":"Europe/Berlin","variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"de"},{"name":"orderTier","type":"Text","value":"gold"}],"streamingCapabilities":{"chunkTypes":["Text"]},"bypassUser":true}`))
	if err != nil {
		b.Fatal(err)
	}
	sch, err := schemaFor(StartSessionRequest)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := sch.Validate(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFastVerdictConcurrent: goroutines validating different documents at
// once build DFA states concurrently and agree with jsonschema/v5 (run with
// -race to check the lock-free transition tables).
func TestFastVerdictConcurrent(t *testing.T) {
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 50; i++ {
				doc := []byte(`{"externalSessionKey":"k` + string(rune('a'+g)) + `","instanceConfig":{"endpoint":"https://org` +
					string(rune('a'+i%26)) + string(rune('a'+g)) + `.my.salesforce.com"},"variables":[{"name":"v` + string(rune('a'+i%26)) + `","type":"Text","value":"x"}]}`)
				v, err := Decode(doc)
				if err != nil {
					t.Error(err)
					return
				}
				vs, err := ValidateValue(StartSessionRequest, v)
				if err != nil || len(vs) != 0 {
					t.Errorf("%s: %v %v", doc, vs, err)
					return
				}
			}
		}(g)
	}
	for g := 0; g < 8; g++ {
		<-done
	}
}
