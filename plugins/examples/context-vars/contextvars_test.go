package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/plugins/examples/internal/examplerun"
)

type variable struct{ Name, Type, Value string }

func varsOf(t *testing.T, req map[string]any) []variable {
	t.Helper()
	b, err := json.Marshal(req["variables"])
	if err != nil {
		t.Fatal(err)
	}
	var vs []variable
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatalf("variables are not [{name,type,value}]: %s", b)
	}
	return vs
}

func mapping(m ...map[string]any) map[string]any {
	l := make([]any, len(m))
	for i := range m {
		l[i] = m[i]
	}
	return map[string]any{"variables": l}
}

// TestLanguageAndMappings: $Context.EndUserLanguage from the locale in
// Salesforce form, mapped attributes with the documented types and string
// values (agent-api.md §3), existing variables kept, no duplicates.
func TestLanguageAndMappings(t *testing.T) {
	p := examplerun.Load(t, "context-vars", mapping(
		map[string]any{"attribute": "tier", "name": "orderTier", "type": "Text"},
		map[string]any{"attribute": "isVip", "name": "isVip", "type": "Boolean"},
		map[string]any{"attribute": "openOrders", "name": "openOrders", "type": "Number"},
		map[string]any{"attribute": "contactId", "name": "$Context.EndUserContactId", "type": "Ref"},
		map[string]any{"attribute": "cart", "name": "cart", "type": "Json"},
		map[string]any{"attribute": "since", "name": "customerSince", "type": "Date"},
		map[string]any{"attribute": "lastSeen", "name": "lastSeen", "type": "DateTime"},
		map[string]any{"attribute": "missing", "name": "notThere", "type": "Text"},
		map[string]any{"from": "channel", "name": "channel", "type": "Text"},
	))
	c := abi.Context{Channel: "web", User: abi.User{Locale: "de-DE", Attributes: map[string]any{
		"tier": "gold", "isVip": true, "openOrders": 2.5, "contactId": "003AA000004Tb7mYAC",
		"cart": map[string]any{"items": []any{"HB-42"}}, "since": "2019-04-01",
		"lastSeen": "2026-11-28T09:15:00.5+01:00",
	}}}
	base := `{"variables":[{"name":"orderTier","type":"Text","value":"bronze"},{"name":"keepMe","type":"Text","value":"x"},{"name":"keepMe","type":"Text","value":"y"}],"tz":"UTC"}`
	req := examplerun.MustShape(t, p, c, base)
	got := varsOf(t, req)
	want := []variable{
		{"orderTier", "Text", "gold"},
		{"keepMe", "Text", "y"},
		{"$Context.EndUserLanguage", "Text", "de_DE"},
		{"isVip", "Boolean", "true"},
		{"openOrders", "Number", "2.5"},
		{"$Context.EndUserContactId", "Ref", "003AA000004Tb7mYAC"},
		{"cart", "Json", `{"items":["HB-42"]}`},
		{"customerSince", "Date", "2019-04-01"},
		{"lastSeen", "DateTime", "2026-11-28T09:15:00.5+01:00"},
		{"channel", "Text", "web"},
	}
	if len(got) != len(want) {
		t.Fatalf("variables = %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("variables[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if req["tz"] != "UTC" {
		t.Errorf("other members must pass through: %v", req)
	}
}

// TestLocaleForms: de_DE, de-DE and de are accepted; a locale-less context
// keeps an existing EndUserLanguage; config.language=false leaves it alone.
func TestLocaleForms(t *testing.T) {
	p := examplerun.Load(t, "context-vars", nil)
	for in, want := range map[string]string{"de_DE": "de_DE", "de-de": "de_DE", "fr": "fr", "es-419": "es_419"} {
		vs := varsOf(t, examplerun.MustShape(t, p, abi.Context{User: abi.User{Locale: in}}, ""))
		if len(vs) != 1 || vs[0] != (variable{"$Context.EndUserLanguage", "Text", want}) {
			t.Errorf("locale %q: variables %+v, want EndUserLanguage %q", in, vs, want)
		}
	}
	existing := `{"variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"en_US"}]}`
	if vs := varsOf(t, examplerun.MustShape(t, p, abi.Context{}, existing)); len(vs) != 1 || vs[0].Value != "en_US" {
		t.Errorf("no locale: existing value must stay: %+v", vs)
	}
	off := examplerun.Load(t, "context-vars", map[string]any{"language": false})
	if req := examplerun.MustShape(t, off, abi.Context{User: abi.User{Locale: "de_DE"}}, ""); req["variables"] != nil {
		t.Errorf("language=false and nothing mapped: no variables member expected, got %v", req["variables"])
	}
	pe := examplerun.MustRefuse(t, p, abi.Context{User: abi.User{Locale: "German"}}, "")
	if pe.Code != "bad_locale" || !strings.Contains(pe.Message, `"German"`) {
		t.Errorf("bad locale: %v", pe)
	}
}

// TestRefusals: wrong config and wrongly typed values are refused, naming the
// entry and what to do (agent-api.md §3 types and naming rules).
func TestRefusals(t *testing.T) {
	ctx := abi.Context{User: abi.User{Attributes: map[string]any{"tier": "gold", "n": "lots", "flag": "yes",
		"feb30": "2026-02-30", "noon": "2026-11-28 12:00:00", "cart": map[string]any{"a": 1}}}}
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		req  string
		code string
		msg  string
	}{
		{"Id type", mapping(map[string]any{"attribute": "tier", "name": "x", "type": "Id"}), "", "bad_config", "use Ref or Text"},
		{"Currency type", mapping(map[string]any{"attribute": "tier", "name": "x", "type": "Currency"}), "", "bad_config", "use Money"},
		{"unknown type", mapping(map[string]any{"attribute": "tier", "name": "x", "type": "Str"}), "", "bad_config", "Object, Json, Boolean"},
		{"__c context name", mapping(map[string]any{"attribute": "tier", "name": "$Context.Conversation_Key__c", "type": "Text"}), "", "bad_config", `use "$Context.Conversation_Key"`},
		{"bad name", mapping(map[string]any{"attribute": "tier", "name": "order tier", "type": "Text"}), "", "bad_config", "not an API name"},
		{"both sources", mapping(map[string]any{"attribute": "tier", "from": "channel", "name": "x", "type": "Text"}), "", "bad_config", "exactly one of attribute"},
		{"unknown from", mapping(map[string]any{"from": "user.email", "name": "x", "type": "Text"}), "", "bad_config", `from "user.email"`},
		{"not a list", map[string]any{"variables": "tier"}, "", "bad_config", "config.variables must be a list"},
		{"required missing", mapping(map[string]any{"attribute": "contactId", "name": "x", "type": "Ref", "required": true}), "", "missing_context", "context.user.attributes.contactId"},
		{"number", mapping(map[string]any{"attribute": "n", "name": "x", "type": "Number"}), "", "bad_value", `"lots"; a Number variable needs a number`},
		{"impossible date", mapping(map[string]any{"attribute": "feb30", "name": "x", "type": "Date"}), "", "bad_value", "needs YYYY-MM-DD"},
		{"not RFC 3339", mapping(map[string]any{"attribute": "noon", "name": "x", "type": "DateTime"}), "", "bad_value", "needs RFC 3339"},
		{"object as List", mapping(map[string]any{"attribute": "cart", "name": "x", "type": "List"}), "", "bad_value", "a List variable needs an array"},
		{"boolean", mapping(map[string]any{"attribute": "flag", "name": "x", "type": "Boolean"}), "", "bad_value", "needs true or false"},
		{"bad existing variables", nil, `{"variables":[{"name":"a","type":"Text","value":1}]}`, "bad_request", "request.variables[0].value is a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pe := examplerun.MustRefuse(t, examplerun.Load(t, "context-vars", tc.cfg), ctx, tc.req)
			if pe.Code != tc.code || !strings.Contains(pe.Message, tc.msg) {
				t.Fatalf("got %s: %s\nwant %s containing %q", pe.Code, pe.Message, tc.code, tc.msg)
			}
		})
	}
}
