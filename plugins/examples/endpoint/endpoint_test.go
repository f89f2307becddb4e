package main

import (
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/plugins/examples/internal/examplerun"
)

// endpointOf returns request.instanceConfig.endpoint.
func endpointOf(t *testing.T, req map[string]any) string {
	t.Helper()
	ic, ok := req["instanceConfig"].(map[string]any)
	if !ok {
		t.Fatalf("request has no instanceConfig object: %v", req)
	}
	s, ok := ic["endpoint"].(string)
	if !ok {
		t.Fatalf("instanceConfig.endpoint is not a string: %v", ic)
	}
	return s
}

// TestEndpointForms: the My Domain URL forms built from a name and kind, and
// full URLs accepted as given (agent-api.md §2 instanceConfig.endpoint).
func TestEndpointForms(t *testing.T) {
	p := examplerun.Load(t, "endpoint", nil)
	for _, tc := range []struct {
		name string
		org  abi.Org
		want string
	}{
		{"production name", abi.Org{MyDomain: "example-co"}, "https://example-co.my.salesforce.com"},
		{"explicit production", abi.Org{MyDomain: "Example-Co", Kind: "production"}, "https://example-co.my.salesforce.com"},
		{"sandbox", abi.Org{MyDomain: "acme", Kind: "sandbox", Sandbox: "uat"}, "https://acme--uat.sandbox.my.salesforce.com"},
		{"sandbox implied by name", abi.Org{MyDomain: "acme", Sandbox: "uat"}, "https://acme--uat.sandbox.my.salesforce.com"},
		{"developer edition", abi.Org{MyDomain: "acme-dev-ed", Kind: "developer"}, "https://acme-dev-ed.develop.my.salesforce.com"},
		{"government cloud", abi.Org{MyDomain: "agency", Kind: "government"}, "https://agency.my.salesforce.com"},
		{"full URL with trailing slash", abi.Org{MyDomain: "https://acme-dev-ed.my.salesforce.com/"}, "https://acme-dev-ed.my.salesforce.com"},
		{"bare host", abi.Org{MyDomain: "ACME.my.salesforce.com"}, "https://acme.my.salesforce.com"},
		{"sandbox URL", abi.Org{MyDomain: "https://acme--uat.sandbox.my.salesforce.com"}, "https://acme--uat.sandbox.my.salesforce.com"},
		{"scratch org URL", abi.Org{MyDomain: "https://power-fun-1234.scratch.my.salesforce.com"}, "https://power-fun-1234.scratch.my.salesforce.com"},
		{"gov cloud plus defense URL", abi.Org{MyDomain: "https://agency.my.salesforce.mil"}, "https://agency.my.salesforce.mil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := examplerun.MustShape(t, p, abi.Context{Org: tc.org}, `{"tz":"Europe/Berlin"}`)
			if got := endpointOf(t, req); got != tc.want {
				t.Fatalf("endpoint = %q, want %q", got, tc.want)
			}
			if req["tz"] != "Europe/Berlin" {
				t.Fatalf("other members must pass through unchanged; tz = %v", req["tz"])
			}
		})
	}
}

// TestEndpointRefusals: URLs that are not the My Domain are refused with a
// message naming the URL to use (agent-api.md §8: a non-My-Domain endpoint
// fails later with 500 EngineConfigLookupException).
func TestEndpointRefusals(t *testing.T) {
	p := examplerun.Load(t, "endpoint", nil)
	for _, tc := range []struct {
		name, domain, code, use string
	}{
		{"lightning", "https://acme.lightning.force.com", "lightning_url", "use https://acme.my.salesforce.com"},
		{"lightning page", "https://acme.lightning.force.com/lightning/page/home", "lightning_url", "use https://acme.my.salesforce.com"},
		{"sandbox lightning", "acme--uat.sandbox.lightning.force.com", "lightning_url", "use https://acme--uat.sandbox.my.salesforce.com"},
		{"setup domain", "https://acme.my.salesforce-setup.com/lightning/setup/SetupOneHome/home", "setup_url", "use https://acme.my.salesforce.com"},
		{"setup path", "https://acme.my.salesforce.com/lightning/setup/SetupOneHome/home", "setup_url", "use https://acme.my.salesforce.com"},
		{"login host", "https://login.salesforce.com", "login_url", "my.salesforce.com"},
		{"gateway", "https://api.salesforce.com", "gateway_url", "agent-api.md §1"},
		{"experience site", "https://acme.my.site.com", "not_my_domain", "Setup → My Domain"},
		{"http", "http://acme.my.salesforce.com", "bad_url", "use https://acme.my.salesforce.com"},
		{"query", "https://acme.my.salesforce.com/?x=1", "bad_url", "use https://acme.my.salesforce.com"},
		{"user part", "https://me@acme.my.salesforce.com", "bad_url", "use https://acme.my.salesforce.com"},
		{"port", "https://acme.my.salesforce.com:8443", "bad_url", "use https://acme.my.salesforce.com"},
		{"not a host", "https://acme my.salesforce.com", "bad_url", "is not a URL or host name"},
		{"bad name", "acme_corp", "bad_my_domain", "letters, digits and single hyphens"},
		{"unknown kind", "acme", "bad_kind", "production, sandbox, developer, government"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org := abi.Org{MyDomain: tc.domain}
			if tc.code == "bad_kind" {
				org.Kind = "staging"
			}
			pe := examplerun.MustRefuse(t, p, abi.Context{Org: org}, "")
			if pe.Code != tc.code || !strings.Contains(pe.Message, tc.use) {
				t.Fatalf("refusal = %s: %s\nwant code %s and a message containing %q", pe.Code, pe.Message, tc.code, tc.use)
			}
			if !strings.HasPrefix(pe.Message, "context.org.myDomain: ") {
				t.Fatalf("message must name where the bad value came from: %q", pe.Message)
			}
		})
	}
}

// TestEndpointSources: context first, config as the fallback, config.override
// to pin it, and an existing endpoint checked when neither is given.
func TestEndpointSources(t *testing.T) {
	fallback := examplerun.Load(t, "endpoint", map[string]any{"myDomain": "fallback-co", "kind": "sandbox", "sandbox": "qa"})
	if got := endpointOf(t, examplerun.MustShape(t, fallback, abi.Context{Org: abi.Org{MyDomain: "example-co"}}, "")); got != "https://example-co.my.salesforce.com" {
		t.Errorf("context must win over config: got %q", got)
	}
	if got := endpointOf(t, examplerun.MustShape(t, fallback, abi.Context{}, "")); got != "https://fallback-co--qa.sandbox.my.salesforce.com" {
		t.Errorf("config is the fallback: got %q", got)
	}
	pinned := examplerun.Load(t, "endpoint", map[string]any{"myDomain": "https://pinned.my.salesforce.com", "override": true})
	if got := endpointOf(t, examplerun.MustShape(t, pinned, abi.Context{Org: abi.Org{MyDomain: "example-co"}}, "")); got != "https://pinned.my.salesforce.com" {
		t.Errorf("config.override must win: got %q", got)
	}

	bare := examplerun.Load(t, "endpoint", nil)
	got := endpointOf(t, examplerun.MustShape(t, bare, abi.Context{}, `{"instanceConfig":{"endpoint":"https://acme.my.salesforce.com/"}}`))
	if got != "https://acme.my.salesforce.com" {
		t.Errorf("an existing endpoint is normalised: got %q", got)
	}
	pe := examplerun.MustRefuse(t, bare, abi.Context{}, `{"instanceConfig":{"endpoint":"https://acme.lightning.force.com"}}`)
	if pe.Code != "lightning_url" || !strings.HasPrefix(pe.Message, "request.instanceConfig.endpoint: ") {
		t.Errorf("an existing Lightning endpoint must be refused naming its source: %v", pe)
	}
	pe = examplerun.MustRefuse(t, bare, abi.Context{}, "")
	if pe.Code != "no_my_domain" || !strings.Contains(pe.Message, "context.org.myDomain") {
		t.Errorf("no My Domain anywhere: %v", pe)
	}
	pe = examplerun.MustRefuse(t, bare, abi.Context{Org: abi.Org{MyDomain: "acme"}}, `{"instanceConfig":"https://acme.my.salesforce.com"}`)
	if pe.Code != "bad_request" || !strings.Contains(pe.Message, "request.instanceConfig is a string") {
		t.Errorf("a non-object instanceConfig must be refused naming it: %v", pe)
	}

	badCfg := examplerun.Load(t, "endpoint", map[string]any{"override": "yes"})
	pe = examplerun.MustRefuse(t, badCfg, abi.Context{}, "")
	if pe.Code != "bad_config" || !strings.Contains(pe.Message, "config.override must be true or false") {
		t.Errorf("bad config: %v", pe)
	}
	other := examplerun.Load(t, "endpoint", map[string]any{"allowOtherHosts": true})
	if got := endpointOf(t, examplerun.MustShape(t, other, abi.Context{Org: abi.Org{MyDomain: "https://agents.example.com"}}, "")); got != "https://agents.example.com" {
		t.Errorf("allowOtherHosts accepts other https hosts: got %q", got)
	}
}

// TestManyPooledCalls: the Go kit's buffers do not accumulate across calls on
// pooled instances (no instance hits its memory limit or is discarded).
func TestManyPooledCalls(t *testing.T) {
	p := examplerun.Load(t, "endpoint", nil)
	big := `{"variables":[` + strings.Repeat(`{"name":"v","type":"Text","value":"`+strings.Repeat("x", 2000)+`"},`, 20) + `{"name":"w","type":"Text","value":"y"}]}`
	for i := 0; i < 150; i++ {
		req := examplerun.MustShape(t, p, abi.Context{Org: abi.Org{MyDomain: "example-co"}}, big)
		if endpointOf(t, req) != "https://example-co.my.salesforce.com" {
			t.Fatalf("call %d: %v", i, req["instanceConfig"])
		}
	}
	if s := p.Stats(); s.Discarded != 0 {
		t.Fatalf("instances discarded: %+v", s)
	}
}
