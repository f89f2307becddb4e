package emulator

import (
	"testing"

	"github.com/agentshape/agentshape/schemas"
)

// The shipped start-session-request schema allows masking (so the verdict
// cache is on): externalSessionKey is a string of minLength 1, and a
// variable's value may be any string whatever the variable's type (the
// branches by type only add other JSON types, agent-api.md §13).
func TestMaskRulesForShippedSchema(t *testing.T) {
	esk, val := maskRules()
	if esk != 1 || val != 0 {
		t.Fatalf("maskRules() = %d, %d; want 1, 0 — did the schema change? then review verdict.go", esk, val)
	}
}

// typeBranchesAllowStrings refuses branches that could judge a string by
// its content or that read anything but the variable's type.
func TestTypeBranchesAllowStrings(t *testing.T) {
	cases := map[string]int{
		`[{"if":{"properties":{"type":{"const":"Number"}},"required":["type"]},"then":{"properties":{"value":{"type":["string","number"]}}}}]`: 0,
		`[{"if":{"properties":{"type":{"const":"Text"}}},"then":{"properties":{"value":{"type":"string","x-message":{}}}}}]`:                   0,
		`[{"if":{"properties":{"type":{"const":"Number"}}},"then":{"properties":{"value":{"type":"number"}}}}]`:                                -1,
		`[{"if":{"properties":{"type":{"const":"Text"}}},"then":{"properties":{"value":{"type":"string","pattern":"^a"}}}}]`:                   -1,
		`[{"if":{"properties":{"value":{"const":"x"}}},"then":{"properties":{"value":{"type":"string"}}}}]`:                                    -1,
		`[{"if":{"properties":{"type":{"const":"Text"}}},"then":{"required":["value"]}}]`:                                                      -1,
		`[{"if":{"properties":{"type":{"const":"Text"}}},"then":{"properties":{"value":{"type":"string"}}},"else":{}}]`:                        -1,
	}
	for src, want := range cases {
		v, err := schemas.Decode([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		// schemas.Decode gives json.Number-free generic values for this input
		if got := typeBranchesAllowStrings(v); got != want {
			t.Errorf("%s: %d, want %d", src, got, want)
		}
	}
}

// stringOnly refuses any constraint beyond type and minLength.
func TestStringOnly(t *testing.T) {
	cases := map[string]int{
		`{"type":"string"}`: 0,
		`{"type":"string","minLength":3,"description":"d"}`: 3,
		`{"type":"string","pattern":"^a"}`:                  -1,
		`{"type":"string","format":"uuid"}`:                 -1,
		`{"type":["string","null"]}`:                        -1,
		`{"enum":["a"]}`:                                    -1,
	}
	for src, want := range cases {
		v, err := schemas.Decode([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		// Decode yields json.Number; maskRules reads via encoding/json (float64).
		m := v.(map[string]any)
		if n, ok := m["minLength"]; ok {
			f, _ := n.(interface{ Float64() (float64, error) }).Float64()
			m["minLength"] = f
		}
		if got := stringOnly(m); got != want {
			t.Errorf("stringOnly(%s) = %d, want %d", src, got, want)
		}
	}
}

// Masked keys: bodies that differ only in the session key or variable
// values share a key; any other difference (or a value the schema would
// judge differently) gives another key.
func TestVerdictKeys(t *testing.T) {
	vc := newVerdictCache()
	key := func(src string) [2]uint64 {
		v, err := schemas.Decode([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return vc.key(v.(map[string]any), 1, 0)
	}
	a := key(`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"x","type":"Text","value":"1"}]}`)
	same := []string{
		`{"externalSessionKey":"another-key","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"x","type":"Text","value":"999"}]}`,
		`{"variables":[{"value":"","type":"Text","name":"x"}],"instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"externalSessionKey":"z"}`,
	}
	for _, s := range same {
		if key(s) != a {
			t.Errorf("key differs for %s", s)
		}
	}
	differ := []string{
		`{"externalSessionKey":"","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"x","type":"Text","value":"1"}]}`,
		`{"externalSessionKey":5,"instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"x","type":"Text","value":"1"}]}`,
		`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://b.my.salesforce.com"},"variables":[{"name":"x","type":"Text","value":"1"}]}`,
		`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"x","type":"Text","value":1}]}`,
		`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"y","type":"Text","value":"1"}]}`,
		`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"variables":[{"name":"x","type":"Text","value":"1"}],"tz":null}`,
		`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://a.my.salesforce.com","externalSessionKey":"q"},"variables":[{"name":"x","type":"Text","value":"1"}]}`,
	}
	for _, s := range differ {
		if key(s) == a {
			t.Errorf("key equal for %s", s)
		}
	}
}
