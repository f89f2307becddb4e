package flowbody_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/flowbody"
	"github.com/agentshape/agentshape/schemas"
)

func jsonEq(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestToWire: the documented mapping (agent-api.md §6 body assembly).
func TestToWire(t *testing.T) {
	cases := []struct {
		name, in, myDomain, want string
	}{
		{"Help's body: TextVariable becomes a Text variable",
			`{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},
			  "message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":"de"}}}`, "",
			`{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},
			  "variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"de"}]}`},
		{"gateway endpoint replaced by My Domain",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://api.salesforce.com"},
			  "message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":"en_US"}}}`, "https://acme.my.salesforce.com",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},
			  "variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"en_US"}]}`},
		{"gov gateway with path replaced",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://api.gov.salesforce.com/einstein/ai-agent/v1"}}`, "https://acme.my.salesforce.com",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`},
		{"My Domain kept even when MyDomain is given",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme--uat.sandbox.my.salesforce.com"}}`, "https://other.my.salesforce.com",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme--uat.sandbox.my.salesforce.com"}}`},
		{"REST members pass through; TextVariable appended after variables",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"tz":null,"bypassUser":true,
			  "streamingCapabilities":{"chunkTypes":["Text"]},"featureSupport":"Streaming",
			  "variables":[{"name":"orderTier","type":"Text","value":"gold"}],
			  "message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":""}}}`, "",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"tz":null,"bypassUser":true,
			  "streamingCapabilities":{"chunkTypes":["Text"]},"featureSupport":"Streaming",
			  "variables":[{"name":"orderTier","type":"Text","value":"gold"},{"name":"$Context.EndUserLanguage","type":"Text","value":""}]}`},
		{"variables null plus TextVariable",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":null,
			  "message":{"TextVariable":{"name":"$Context.RoutableId","text":"0Mw1"}}}`, "",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},
			  "variables":[{"name":"$Context.RoutableId","type":"Text","value":"0Mw1"}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := flowbody.ToWire([]byte(c.in), flowbody.Options{MyDomain: c.myDomain})
			if err != nil {
				t.Fatal(err)
			}
			jsonEq(t, got, c.want)
			if vs, err := schemas.Validate(schemas.StartSessionRequest, got); err != nil || len(vs) != 0 {
				t.Errorf("mapped body invalid: %v %v", vs, err)
			}
		})
	}
}

func TestToWireMemberOrder(t *testing.T) {
	got, err := flowbody.ToWire([]byte(`{"bypassUser":false,"message":{"TextVariable":{"name":"$Context.X","text":"x"}},"instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"externalSessionKey":"k"}`), flowbody.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"name":"$Context.X","type":"Text","value":"x"}],"bypassUser":false}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestToWireRefusals(t *testing.T) {
	cases := []struct {
		name, in, myDomain string
		schema             schemas.Name
		pointer, rule      string
	}{
		{"name not a context variable", `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"message":{"TextVariable":{"name":"EndUserLanguage","text":"de"}}}`, "",
			schemas.FlowStartSessionRequest, "/message/TextVariable/name", "pattern"},
		{"empty key", `{"externalSessionKey":"","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`, "",
			schemas.FlowStartSessionRequest, "/externalSessionKey", "minLength"},
		{"lightning endpoint", `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.lightning.force.com"}}`, "",
			schemas.FlowStartSessionRequest, "/instanceConfig/endpoint", "lightning-url"},
		{"Tenant Key ID in body", `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"tenantKeyId":"t"}`, "",
			schemas.FlowStartSessionRequest, "/tenantKeyId", "reserved"},
		{"TextVariable repeats a variable", `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"name":"$Context.X","type":"Text","value":"a"}],"message":{"TextVariable":{"name":"$Context.X","text":"b"}}}`, "",
			schemas.FlowStartSessionRequest, "/message/TextVariable/name", schemas.RuleUniqueVariableNames},
		{"gateway replaced by a Lightning URL", `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://api.salesforce.com"}}`, "https://acme.lightning.force.com",
			schemas.StartSessionRequest, "/instanceConfig/endpoint", "lightning-url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := flowbody.ToWire([]byte(c.in), flowbody.Options{MyDomain: c.myDomain})
			var inv *flowbody.InvalidError
			if got != nil || !errors.As(err, &inv) || inv.Schema != c.schema {
				t.Fatalf("got %s, %v", got, err)
			}
			for _, v := range inv.Violations {
				if v.Pointer == c.pointer && v.Rule == c.rule {
					if !strings.Contains(err.Error(), v.Message) {
						t.Errorf("error %q lacks %q", err, v.Message)
					}
					return
				}
			}
			t.Errorf("no %s at %s: %+v", c.rule, c.pointer, inv.Violations)
		})
	}
	_, err := flowbody.ToWire([]byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://api.salesforce.com/"}}`), flowbody.Options{})
	if !errors.Is(err, flowbody.ErrGatewayEndpoint) || !strings.Contains(err.Error(), "My Domain URL") {
		t.Errorf("gateway without MyDomain: %v", err)
	}
	var se *schemas.SyntaxError
	if _, err := flowbody.ToWire([]byte(`{"externalSessionKey":`), flowbody.Options{}); !errors.As(err, &se) {
		t.Errorf("malformed: %v", err)
	}
}

// FuzzToWire: the mapping never panics, and whatever it returns is a valid
// Start Session body.
func FuzzToWire(f *testing.F) {
	for _, s := range []string{
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":"de"}}}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://api.salesforce.com"},"variables":null}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"name":"a","type":"Text","value":"1"}],"message":{"TextVariable":{"name":"$Context.A","text":"\u0000"}}}`,
		`{}`, `null`, `{"message":null}`,
	} {
		f.Add([]byte(s), "https://acme.my.salesforce.com")
		f.Add([]byte(s), "")
	}
	f.Fuzz(func(t *testing.T, body []byte, myDomain string) {
		got, err := flowbody.ToWire(body, flowbody.Options{MyDomain: myDomain})
		if err != nil {
			if got != nil {
				t.Fatal("both a body and an error")
			}
			return
		}
		if vs, err := schemas.Validate(schemas.StartSessionRequest, got); err != nil || len(vs) != 0 {
			t.Fatalf("ToWire returned an invalid body %s: %v %v", got, vs, err)
		}
	})
}
