package flowbody_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/flowbody"
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

// TestToWireExternalServicesForm: the form a Flow debug log prints
// (agent-api.md §6.1): _set flags, z0type, one wrapper per variable.
func TestToWireExternalServicesForm(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"every kind becomes a typed variable with a text value",
			`{"externalSessionKey_set":true,"externalSessionKey":"k1",
			  "instanceConfig_set":true,"instanceConfig":{"endpoint_set":true,"endpoint":"https://acme.my.salesforce.com"},
			  "variables_set":true,"variables":[
			    {"TextVariable_set":true,"TextVariable":{"z0type":"Text","name_set":true,"name":"orderTier","value_set":true,"value":"gold"}},
			    {"NumberVariable_set":true,"NumberVariable":{"z0type":"Number","name":"openCases","value":3}},
			    {"BooleanVariable":{"z0type":"Boolean","name":"isVip","value":true}},
			    {"DateVariable":{"name":"since","value":"2024-02-29"}},
			    {"MoneyVariable":{"name":"balance","value":12.5}},
			    {"RefVariable":{"name":"$Context.EndUserContactId","value":"003AA000001abcdAAA"}},
			    {"ListVariable":{"name":"tags","value":["a","b"]}},
			    {"JsonVariable":{"name":"prefs","value":{"lang":"de"}}}
			  ]}`,
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[
			    {"name":"orderTier","type":"Text","value":"gold"},{"name":"openCases","type":"Number","value":"3"},
			    {"name":"isVip","type":"Boolean","value":"true"},{"name":"since","type":"Date","value":"2024-02-29"},
			    {"name":"balance","type":"Money","value":"12.5"},{"name":"$Context.EndUserContactId","type":"Ref","value":"003AA000001abcdAAA"},
			    {"name":"tags","type":"List","value":"[\"a\",\"b\"]"},{"name":"prefs","type":"Json","value":"{\"lang\":\"de\"}"}]}`},
		{"a member not set is left out, as Flow leaves it out",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},
			  "bypassUser_set":false,"bypassUser":true,"tz_set":false,"tz":"Europe/Berlin","message_set":false,
			  "message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":"de"}}}`,
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`},
		{"a kind not set does not count: the other one is the variable",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[
			  {"TextVariable_set":false,"TextVariable":{"name":"a","value":"x"},"NumberVariable_set":true,"NumberVariable":{"name":"b","value":7}}]}`,
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"name":"b","type":"Number","value":"7"}]}`},
		{"the message as a wrapper, after the variables",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},
			  "variables":[{"name":"orderTier","type":"Text","value":"gold"}],
			  "message_set":true,"message":{"TextVariable_set":true,"TextVariable":{"z0type":"Text","name_set":true,"name":"$Context.EndUserLanguage","value":"fr"}}}`,
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},
			  "variables":[{"name":"orderTier","type":"Text","value":"gold"},{"name":"$Context.EndUserLanguage","type":"Text","value":"fr"}]}`},
		{"a streaming flag set to false leaves an empty capability",
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"streamingCapabilities":{"chunkTypes_set":true,"chunkTypes":["Text"]}}`,
			`{"externalSessionKey":"k1","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"streamingCapabilities":{"chunkTypes":["Text"]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := flowbody.ToWire([]byte(c.in), flowbody.Options{})
			if err != nil {
				t.Fatal(err)
			}
			jsonEq(t, got, c.want)
		})
	}
}

// TestToWirePolymorphicOneKind: a wrapper holding two kinds is refused
// with Flow's own words, naming the extra kind as Flow does.
func TestToWirePolymorphicOneKind(t *testing.T) {
	body := `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[
	  {"TextVariable_set":true,"TextVariable":{"z0type":"Text","name":"a","value":"x"},"BooleanVariable_set":true,"BooleanVariable":{"z0type":"Boolean","name":"b","value":false}}]}`
	got, err := flowbody.ToWire([]byte(body), flowbody.Options{})
	var inv *flowbody.InvalidError
	if got != nil || !errors.As(err, &inv) {
		t.Fatalf("got %s, %v", got, err)
	}
	want := "variables[0]: The polymorphic object AIAgentAPIV1_Variable_KT_PT expects only one property, but an extra object TextVariable was passed in"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "a polymorphic value takes only one kind") {
		t.Errorf("error %q lacks %q", err, want)
	}
	if inv.Violations[0].Rule != schemas.RulePolymorphicOneKind {
		t.Errorf("rule %q", inv.Violations[0].Rule)
	}
}

func TestCheckTenantKeyID(t *testing.T) {
	if err := flowbody.CheckTenantKeyID(""); err != nil {
		t.Errorf("empty: %v", err)
	}
	err := flowbody.CheckTenantKeyID("tenant-1")
	if !errors.Is(err, flowbody.ErrTenantKeyReserved) || !strings.Contains(err.Error(), "x-sfdc-tenant-id") || !strings.Contains(err.Error(), "internal use") {
		t.Errorf("set: %v", err)
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

// FuzzValidateAgrees: `validate --schema flow-start-session-request` and the
// mapping accept the same bodies, for an org whose My Domain is known.
func FuzzValidateAgrees(f *testing.F) {
	for _, s := range []string{
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://api.salesforce.com"},"message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":"de"}}}`,
		`{"externalSessionKey_set":true,"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"TextVariable_set":true,"TextVariable":{"z0type":"Text","name":"a","value":"x"}}]}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"NumberVariable":{"name":"a","value":1},"TextVariable":{"name":"b","value":"x"}}]}`,
		`{"externalSessionKey_set":false,"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"name":"a","type":"Text","value":"1"}],"message":{"TextVariable":{"name":"$Context.A","value":"2"}}}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"message":{"TextVariable_set":false,"TextVariable":{"name":"$Context.A","text":"2"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		vs, verr := schemas.Validate(schemas.FlowStartSessionRequest, body)
		got, err := flowbody.ToWire(body, flowbody.Options{MyDomain: "https://acme.my.salesforce.com"})
		if verr != nil {
			if err == nil {
				t.Fatalf("validate: %v, but ToWire mapped it to %s", verr, got)
			}
			return
		}
		if (len(vs) == 0) != (err == nil) {
			t.Fatalf("validate says %v, ToWire says %v (%s)", vs, err, got)
		}
	})
}
