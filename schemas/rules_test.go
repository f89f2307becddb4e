package schemas_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/schemas"
)

// with returns the agent-api.md §2 example request with members replaced
// (a nil value deletes the member).
func with(t testing.TB, changes map[string]any) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(typicalRequest, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func endpoint(u string) map[string]any {
	return map[string]any{"instanceConfig": map[string]any{"endpoint": u}}
}

func vars(v ...any) map[string]any { return map[string]any{"variables": v} }

func variable(name, typ string, value any) map[string]any {
	return map[string]any{"name": name, "type": typ, "value": value}
}

type failing struct {
	name    string
	schema  schemas.Name
	doc     []byte
	pointer string
	rule    string
	words   string // a substring the message must contain
}

// TestEachRuleFails: for every rule, a document that breaks it gives a
// violation with the expected pointer, rule and wording.
func TestEachRuleFails(t *testing.T) {
	req, flow := schemas.StartSessionRequest, schemas.FlowStartSessionRequest
	send, feedback := schemas.SendMessageRequest, schemas.SubmitFeedbackRequest
	cases := []failing{
		// start-session-request, agent-api.md §2
		{"not an object", req, []byte(`["x"]`), "", "type", "must be a JSON object"},
		{"key missing", req, with(t, map[string]any{"externalSessionKey": nil}), "/externalSessionKey", "required", "is required"},
		{"key empty", req, with(t, map[string]any{"externalSessionKey": ""}), "/externalSessionKey", "minLength", "must not be empty"},
		{"key not string", req, with(t, map[string]any{"externalSessionKey": 42}), "/externalSessionKey", "type", "must be a string"},
		{"instanceConfig missing", req, with(t, map[string]any{"instanceConfig": nil}), "/instanceConfig", "required", "is required"},
		{"endpoint missing", req, with(t, map[string]any{"instanceConfig": map[string]any{}}), "/instanceConfig/endpoint", "required", "My Domain URL"},
		{"endpoint not string", req, with(t, endpoint2(7)), "/instanceConfig/endpoint", "type", "as a string"},
		{"lightning url", req, with(t, endpoint("https://acme.lightning.force.com")), "/instanceConfig/endpoint", "lightning-url", "not a Lightning URL"},
		{"lightning url with path", req, with(t, endpoint("https://acme-dev-ed.develop.lightning.force.com/lightning/page/home")), "/instanceConfig/endpoint", "lightning-url", "not a Lightning URL"},
		{"setup domain", req, with(t, endpoint("https://acme.my.salesforce-setup.com")), "/instanceConfig/endpoint", "setup-url", "not a Setup URL"},
		{"setup path", req, with(t, endpoint("https://acme.my.salesforce.com/lightning/setup/SetupOneHome/home")), "/instanceConfig/endpoint", "setup-url", "not a Setup URL"},
		{"http", req, with(t, endpoint("http://acme.my.salesforce.com")), "/instanceConfig/endpoint", "https", "must use https"},
		{"not my domain host", req, with(t, endpoint("https://na1.salesforce.com")), "/instanceConfig/endpoint", "my-domain-host", "EngineConfigLookupException"},
		{"gateway as endpoint", req, with(t, endpoint("https://api.salesforce.com")), "/instanceConfig/endpoint", "my-domain-host", "My Domain"},
		{"path", req, with(t, endpoint("https://acme.my.salesforce.com/home")), "/instanceConfig/endpoint", "bare-url", "no path"},
		{"not a url", req, with(t, endpoint("acme")), "/instanceConfig/endpoint", "format", "absolute URL"},
		{"instanceConfig extra", req, with(t, map[string]any{"instanceConfig": map[string]any{"endpoint": "https://acme.my.salesforce.com", "orgId": "00D"}}), "/instanceConfig/orgId", "additionalProperties", `Unrecognized field "orgId"`},
		{"tz unknown", req, with(t, map[string]any{"tz": "Mars/Olympus_Mons"}), "/tz", "format", "IANA time zone"},
		{"tz Local", req, with(t, map[string]any{"tz": "Local"}), "/tz", "format", "IANA time zone"},
		{"tz empty", req, with(t, map[string]any{"tz": ""}), "/tz", "format", "IANA time zone"},
		{"tz offset", req, with(t, map[string]any{"tz": "+02:00"}), "/tz", "format", "IANA time zone"},
		{"tz number", req, with(t, map[string]any{"tz": 2}), "/tz", "type", "or null"},
		{"variables object", req, with(t, map[string]any{"variables": map[string]any{}}), "/variables", "type", "must be an array or null"},
		{"variable not object", req, with(t, vars("x")), "/variables/0", "type", `{"name", "type", "value"}`},
		{"variable missing value", req, with(t, vars(map[string]any{"name": "a", "type": "Text"})), "/variables/0/value", "required", "is required"},
		{"variable extra member", req, with(t, vars(map[string]any{"name": "a", "type": "Text", "value": "v", "label": "A"})), "/variables/0/label", "additionalProperties", "only name, type and value"},
		{"variable bad name", req, with(t, vars(variable("$context.X", "Text", "v"))), "/variables/0/name", "pattern", "$Context.<Name>"},
		{"variable name double underscore", req, with(t, vars(variable("order__Tier", "Text", "v"))), "/variables/0/name", "pattern", "single underscores"},
		{"variable __c", req, with(t, vars(variable("$Context.Conversation_Key__c", "Text", "v"))), "/variables/0/name", "custom-field-suffix", "$Context.Conversation_Key"},
		{"variable bad type", req, with(t, vars(variable("a", "String", "v"))), "/variables/0/type", "enum", "Object, Json, Boolean"},
		{"variable Id type", req, with(t, vars(variable("$Context.EndUserContactId", "Id", "003"))), "/variables/0/type", "metadata-type", "Ref or Text"},
		{"variable Currency type", req, with(t, vars(variable("amount", "Currency", "3"))), "/variables/0/type", "metadata-type", "Money"},
		{"variable value not a string for Text", req, with(t, vars(variable("flag", "Text", true))), "/variables/0/value", "type", "must be a string for a Text"},
		{"Boolean variable value a number", req, with(t, vars(variable("flag", "Boolean", 1))), "/variables/0/value", "type", "true or false"},
		{"Number variable value an object", req, with(t, vars(variable("n", "Number", map[string]any{}))), "/variables/0/value", "type", "a number"},
		{"duplicate variable", req, with(t, vars(variable("a", "Text", "1"), variable("b", "Text", "2"), variable("a", "Text", "3"))), "/variables/2/name", schemas.RuleUniqueVariableNames, "already set at variables[0]"},
		{"featureSupport bad", req, with(t, map[string]any{"featureSupport": "Async"}), "/featureSupport", "enum", "Sync or Streaming"},
		{"chunkTypes bad", req, with(t, map[string]any{"streamingCapabilities": map[string]any{"chunkTypes": []any{"Audio"}}}), "/streamingCapabilities/chunkTypes/0", "const", `"Text"`},
		{"chunkTypes repeated", req, with(t, map[string]any{"streamingCapabilities": map[string]any{"chunkTypes": []any{"Text", "Text"}}}), "/streamingCapabilities/chunkTypes", "uniqueItems", "must not repeat"},
		{"chunkTypes not array", req, with(t, map[string]any{"streamingCapabilities": map[string]any{"chunkTypes": "Text"}}), "/streamingCapabilities/chunkTypes", "type", "must be an array"},
		{"streamingCapabilities extra", req, with(t, map[string]any{"streamingCapabilities": map[string]any{"chunkTypes": []any{"Text"}, "voice": true}}), "/streamingCapabilities/voice", "additionalProperties", "Unrecognized field"},
		{"bypassUser string", req, with(t, map[string]any{"bypassUser": "true"}), "/bypassUser", "type", "true or false"},
		{"unknown userId", req, with(t, map[string]any{"userId": "005"}), "/userId", "additionalProperties", `400 Unrecognized field "userId"`},
		{"v1.1 agentDefinition", req, with(t, map[string]any{"agentDefinition": map[string]any{}}), "/agentDefinition", "additionalProperties", "Unrecognized field"},
		{"richContentCapabilities", req, with(t, map[string]any{"richContentCapabilities": map[string]any{}}), "/richContentCapabilities", "additionalProperties", "Unrecognized field"},
		{"flow message on wire", req, with(t, map[string]any{"message": map[string]any{"TextVariable": map[string]any{"name": "$Context.X", "text": "t"}}}), "/message", "flow-only-field", "variables[]"},
		{"tenantKeyId", req, with(t, map[string]any{"tenantKeyId": "abc"}), "/tenantKeyId", "reserved", "reserved for Salesforce internal use"},
		{"TenantKeyID", req, with(t, map[string]any{"TenantKeyID": "abc"}), "/TenantKeyID", "reserved", "neither a caller nor a plugin"},
		{"tenantKey", req, with(t, map[string]any{"tenantKey": "abc"}), "/tenantKey", "reserved", "reserved"},
		{"tenant_key_id", req, with(t, map[string]any{"tenant_key_id": "abc"}), "/tenant_key_id", "reserved", "reserved"},
		{"Tenant Key ID", req, with(t, map[string]any{"Tenant Key ID": "abc"}), "/Tenant Key ID", "reserved", "reserved"},
		{"tenant key in instanceConfig", req, with(t, map[string]any{"instanceConfig": map[string]any{"endpoint": "https://acme.my.salesforce.com", "tenantKeyId": "x"}}), "/instanceConfig/tenantKeyId", "reserved", "reserved"},

		// flow-start-session-request, agent-api.md §6
		{"flow: key missing", flow, []byte(`{"instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`), "/externalSessionKey", "required", "assign externalSessionKey"},
		{"flow: lightning", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.lightning.force.com"}}`), "/instanceConfig/endpoint", "lightning-url", "not a Lightning URL"},
		{"flow: gateway with other path", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://api.salesforce.com/services"}}`), "/instanceConfig/endpoint", "my-domain-host", "My Domain"},
		{"flow: TextVariable name not context", flow, flowBody(`{"name":"orderTier","text":"gold"}`), "/message/TextVariable/name", "pattern", "$Context.<Name>"},
		{"flow: TextVariable text missing", flow, flowBody(`{"name":"$Context.EndUserLanguage"}`), "/message/TextVariable", "anyOf", "assign message.TextVariable.text"},
		{"flow: TextVariable text not string", flow, flowBody(`{"name":"$Context.EndUserLanguage","text":5}`), "/message/TextVariable/text", "type", "must be a string"},
		{"flow: TextVariable extra", flow, flowBody(`{"name":"$Context.EndUserLanguage","text":"de","type":"Text"}`), "/message/TextVariable/type", "additionalProperties", "not a member of a TextVariable"},
		{"flow: message without TextVariable", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"message":{}}`), "/message", schemas.RulePolymorphicOneKind, "holds no kind of variable"},
		// the External Services form of the Flow body, agent-api.md §6.1
		{"flow: two kinds in a variable", flow, esBody(`{"TextVariable_set":true,"TextVariable":{"z0type":"Text","name":"a","value":"1"},"NumberVariable_set":true,"NumberVariable":{"z0type":"Number","name":"b","value":2}}`), "/variables/0", schemas.RulePolymorphicOneKind, "expects only one property, but an extra object TextVariable was passed in"},
		{"flow: two kinds in the message", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"message":{"TextVariable":{"name":"$Context.A","text":"x"},"RefVariable":{"name":"$Context.B","value":"001"}}}`), "/message", schemas.RulePolymorphicOneKind, "polymorphic value takes only one kind"},
		{"flow: unset required key", flow, []byte(`{"externalSessionKey_set":false,"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`), "/externalSessionKey", schemas.RuleUnsetMember, "externalSessionKey_set is false"},
		{"flow: unset endpoint", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint_set":false,"endpoint":"https://acme.my.salesforce.com"}}`), "/instanceConfig/endpoint", schemas.RuleUnsetMember, "instanceConfig.endpoint is missing"},
		{"flow: unset variable value", flow, esBody(`{"TextVariable":{"name":"a","value_set":false,"value":"1"}}`), "/variables/0/TextVariable/value", schemas.RuleUnsetMember, "required value is missing"},
		{"flow: z0type disagrees with the kind", flow, esBody(`{"NumberVariable":{"z0type":"Text","name":"a","value":1}}`), "/variables/0/NumberVariable/z0type", "const", "must be \"Number\""},
		{"flow: set flag not boolean", flow, esBody(`{"TextVariable_set":"yes","TextVariable":{"name":"a","value":"1"}}`), "/variables/0/TextVariable_set", "type", "_set flag"},
		{"flow: unknown kind", flow, esBody(`{"CurrencyVariable":{"name":"a","value":"1"}}`), "/variables/0/CurrencyVariable", "additionalProperties", "not a kind of variable"},
		{"flow: Boolean value not boolean", flow, esBody(`{"BooleanVariable":{"name":"a","value":[true]}}`), "/variables/0/BooleanVariable/value", "type", "BooleanVariable"},
		{"flow: names repeat across forms", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"name":"$Context.A","type":"Text","value":"1"}],"message":{"TextVariable_set":true,"TextVariable":{"name":"$Context.A","text":"2"}}}`), "/message/TextVariable/name", schemas.RuleUniqueVariableNames, "already set at variables[0].name"},
		{"flow: tenant header name in the body", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"x-sfdc-tenant-id":"t"}`), "/x-sfdc-tenant-id", "reserved", "reserved"},
		{"flow: tenant key flag", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"tenantKeyId_set":true}`), "/tenantKeyId_set", "reserved", "reserved"},
		{"flow: unknown member", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"agentId":"0Xx"}`), "/agentId", "additionalProperties", "AgentInvAction__AIAgentAPIV1_StartSessionRequest"},
		{"flow: Tenant Key ID", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"Tenant Key ID":"t"}`), "/Tenant Key ID", "reserved", "reserved for Salesforce internal use"},
		{"flow: duplicate variables", flow, []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables":[{"name":"a","type":"Text","value":"1"},{"name":"a","type":"Text","value":"2"}]}`), "/variables/1/name", schemas.RuleUniqueVariableNames, "already set"},

		// send-message-request, agent-api.md §1, §3
		{"send: not an object", send, []byte(`"hi"`), "", "type", "must be a JSON object"},
		{"send: message missing", send, []byte(`{}`), "/message", "required", "is required"},
		{"send: text missing", send, []byte(`{"message":{"type":"Text","sequenceId":1}}`), "/message/text", "required", "is required in a Text message"},
		{"send: type not Text", send, []byte(`{"message":{"type":"Inform","sequenceId":1,"text":"t"}}`), "/message/type", "enum", "must be one of Text, Reply, Cancel"},
		{"send: Reply without reply", send, []byte(`{"message":{"type":"Reply","sequenceId":1,"inReplyToMessageId":"m1"}}`), "/message/reply", "required", "is required in a Reply message"},
		{"send: TransferFailed reason", send, []byte(`{"message":{"type":"TransferFailed","sequenceId":1,"reason":"Busy"}}`), "/message/reason", "enum", "NoAgentAvailable or Error"},
		{"send: reply entry member", send, []byte(`{"message":{"type":"Reply","sequenceId":1,"reply":[{"type":"t","property":"p","value":1,"label":"x"}]}}`), "/message/reply/0/label", "additionalProperties", "not a member of a reply entry"},
		{"send: inReplyToMessageId number", send, []byte(`{"message":{"type":"Cancel","sequenceId":1,"inReplyToMessageId":7}}`), "/message/inReplyToMessageId", "type", "as a string"},
		{"send: sequenceId string", send, []byte(`{"message":{"type":"Text","sequenceId":"1","text":"t"}}`), "/message/sequenceId", "type", "whole number"},
		{"send: sequenceId fraction", send, []byte(`{"message":{"type":"Text","sequenceId":1.5,"text":"t"}}`), "/message/sequenceId", "type", "whole number"},
		{"send: text number", send, []byte(`{"message":{"type":"Text","sequenceId":1,"text":5}}`), "/message/text", "type", "as a string"},
		{"send: message extra", send, []byte(`{"message":{"type":"Text","sequenceId":1,"text":"t","id":"x"}}`), "/message/id", "additionalProperties", `Unrecognized field "id"`},
		{"send: top-level extra", send, []byte(`{"message":{"type":"Text","sequenceId":1,"text":"t"},"sessionId":"s"}`), "/sessionId", "additionalProperties", `Unrecognized field "sessionId"`},
		{"send: Text variable value number", send, []byte(`{"message":{"type":"Text","sequenceId":1,"text":"t"},"variables":[{"name":"a","type":"Text","value":1}]}`), "/variables/0/value", "type", "must be a string"},
		{"send: variable type", send, []byte(`{"message":{"type":"Text","sequenceId":1,"text":"t"},"variables":[{"name":"a","type":"Id","value":"1"}]}`), "/variables/0/type", "metadata-type", "Ref or Text"},
		{"send: duplicate variables", send, []byte(`{"message":{"type":"Text","sequenceId":1,"text":"t"},"variables":[{"name":"a","type":"Text","value":"1"},{"name":"a","type":"Text","value":"2"}]}`), "/variables/1/name", schemas.RuleUniqueVariableNames, "already set"},

		// submit-feedback-request, agent-api.md §1
		{"feedback: id missing", feedback, []byte(`{"feedback":"GOOD"}`), "/feedbackId", "required", "is required"},
		{"feedback: id empty", feedback, []byte(`{"feedbackId":"","feedback":"GOOD"}`), "/feedbackId", "minLength", "must not be empty"},
		{"feedback: verdict lower case", feedback, []byte(`{"feedbackId":"f","feedback":"good"}`), "/feedback", "enum", "GOOD or BAD"},
		{"feedback: text number", feedback, []byte(`{"feedbackId":"f","feedback":"BAD","text":1}`), "/text", "type", "must be a string"},
		{"feedback: 11 details", feedback, []byte(`{"feedbackId":"f","feedback":"BAD","details":{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1}}`), "/details", "maxProperties", "at most 10"},
		{"feedback: extra", feedback, []byte(`{"feedbackId":"f","feedback":"BAD","rating":5}`), "/rating", "additionalProperties", `Unrecognized field "rating"`},

		// start-session-response, agent-api.md §4
		{"response: sessionId missing", schemas.StartSessionResponse, []byte(`{"_links":{"self":null},"messages":[]}`), "/sessionId", "required", "is required"},
		{"response: sessionId not uuid", schemas.StartSessionResponse, []byte(`{"sessionId":"abc","_links":{"self":null},"messages":[]}`), "/sessionId", "pattern", "UUID-shaped"},
		{"response: self missing", schemas.StartSessionResponse, []byte(`{"sessionId":"0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33","_links":{},"messages":[]}`), "/_links/self", "required", "is required"},
		{"response: message id missing", schemas.StartSessionResponse, []byte(`{"sessionId":"0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33","_links":{"self":null},"messages":[{"type":"EndOfTurn"}]}`), "/messages/0/id", "required", "is required"},
		{"response: Inform without message", schemas.StartSessionResponse, []byte(`{"sessionId":"0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33","_links":{"self":null},"messages":[{"type":"Inform","id":"1","isContentSafe":true,"feedbackId":""}]}`), "/messages/0/message", "required", "Inform message"},
		{"response: isContentSafe string", schemas.StartSessionResponse, []byte(`{"sessionId":"0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33","_links":{"self":null},"messages":[{"type":"Inform","id":"1","isContentSafe":"yes","feedbackId":"","message":"hi"}]}`), "/messages/0/isContentSafe", "type", "must be a boolean"},

		// error-response, agent-api.md §5
		{"error: status string", schemas.ErrorResponse, []byte(`{"status":"400","path":"p","requestId":"r","error":"BadRequestError","message":"m","timestamp":1}`), "/status", "type", "must be an integer"},
		{"error: status out of range", schemas.ErrorResponse, []byte(`{"status":99,"path":"p","requestId":"r","error":"BadRequestError","message":"m","timestamp":1}`), "/status", "minimum", ">= 100"},
		{"error: message missing", schemas.ErrorResponse, []byte(`{"status":400,"path":"p","requestId":"r","error":"BadRequestError","timestamp":1}`), "/message", "required", "is required"},
		{"error: timestamp float", schemas.ErrorResponse, []byte(`{"status":400,"path":"p","requestId":"r","error":"e","message":"m","timestamp":1.5}`), "/timestamp", "type", "integer"},

		// plugin ABI v1
		{"input: abi 2", schemas.PluginInput, []byte(`{"abi":2,"plugin":{"name":"p"},"context":{},"request":{}}`), "/abi", "const", "ABI v1"},
		{"input: context typo", schemas.PluginInput, []byte(`{"abi":1,"plugin":{"name":"p"},"context":{"agentID":"x"},"request":{}}`), "/context/agentID", "additionalProperties", "not a recognised field"},
		{"input: bad agent id", schemas.PluginInput, []byte(`{"abi":1,"plugin":{"name":"p"},"context":{"agentId":"005xx"},"request":{}}`), "/context/agentId", "pattern", "BotDefinition"},
		{"input: bad timezone", schemas.PluginInput, []byte(`{"abi":1,"plugin":{"name":"p"},"context":{"user":{"timezone":"CEST"}},"request":{}}`), "/context/user/timezone", "format", "IANA"},
		{"input: org kind", schemas.PluginInput, []byte(`{"abi":1,"plugin":{"name":"p"},"context":{"org":{"kind":"scratch"}},"request":{}}`), "/context/org/kind", "enum", `"sandbox"`},
		{"input: tenant key in request", schemas.PluginInput, []byte(`{"abi":1,"plugin":{"name":"p"},"context":{},"request":{"tenantKeyId":"t"}}`), "/request/tenantKeyId", "reserved", "reserved"},
		{"output: neither", schemas.PluginOutput, []byte(`{}`), "", "minProperties", "neither"},
		{"output: both", schemas.PluginOutput, []byte(`{"request":{},"error":{"code":"c","message":"m"}}`), "", "maxProperties", "not both"},
		{"output: request not object", schemas.PluginOutput, []byte(`{"request":"{}"}`), "/request", "type", "must be a JSON object"},
		{"output: error without message", schemas.PluginOutput, []byte(`{"error":{"code":"c"}}`), "/error/message", "required", "is required"},
		{"output: empty code", schemas.PluginOutput, []byte(`{"error":{"code":"","message":"m"}}`), "/error/code", "minLength", "machine-readable"},
		{"output: stray member", schemas.PluginOutput, []byte(`{"result":{}}`), "/result", "additionalProperties", "not a recognised field"},
		{"output: plugin sets tenant key", schemas.PluginOutput, []byte(`{"request":{"externalSessionKey":"k","tenantKey":"t"}}`), "/request/tenantKey", "reserved", "neither a caller nor a plugin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs, err := schemas.Validate(c.schema, c.doc)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			for _, v := range vs {
				if v.Pointer == c.pointer && v.Rule == c.rule {
					if !strings.Contains(v.Message, c.words) {
						t.Errorf("message %q does not contain %q", v.Message, c.words)
					}
					return
				}
			}
			t.Errorf("%s: no violation at %q with rule %q; got %+v", c.doc, c.pointer, c.rule, vs)
		})
	}
}

func endpoint2(v any) map[string]any {
	return map[string]any{"instanceConfig": map[string]any{"endpoint": v}}
}

// esBody is a Flow body in the External Services form with one variable.
func esBody(variable string) []byte {
	return []byte(`{"externalSessionKey_set":true,"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"variables_set":true,"variables":[` + variable + `]}`)
}

func flowBody(textVariable string) []byte {
	return []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"message":{"TextVariable":` + textVariable + `}}`)
}

// TestValidVariants: accepted forms the rules must not reject.
func TestValidVariants(t *testing.T) {
	req := schemas.StartSessionRequest
	cases := map[string][]byte{
		"sandbox My Domain":       with(t, endpoint("https://acme--uat.sandbox.my.salesforce.com")),
		"developer My Domain":     with(t, endpoint("https://acme-dev-ed.develop.my.salesforce.com/")),
		"gov cloud plus":          with(t, endpoint("https://acme.my.salesforce.mil")),
		"tz null":                 with(t, map[string]any{"tz": json.RawMessage(`null`)}),
		"tz UTC":                  with(t, map[string]any{"tz": "UTC"}),
		"tz three parts":          with(t, map[string]any{"tz": "America/Argentina/Buenos_Aires"}),
		"variables null":          with(t, map[string]any{"variables": json.RawMessage(`null`)}),
		"variables empty":         with(t, map[string]any{"variables": []any{}}),
		"every documented type":   with(t, vars(variable("a1", "Object", "{}"), variable("a2", "Json", "{}"), variable("a3", "Boolean", "true"), variable("a4", "Date", "2026-01-01"), variable("a5", "DateTime", "2026-01-01T00:00:00Z"), variable("a6", "Money", "1.00"), variable("a7", "Number", "1"), variable("a8", "Text", "t"), variable("a9", "Ref", "003000000000001AAA"), variable("b1", "List", "[]"))),
		"context custom field":    with(t, vars(variable("$Context.Conversation_Key", "Text", "k"))),
		"verifiedCustomerId":      with(t, vars(variable("verifiedCustomerId", "Ref", "003"))),
		"featureSupport Sync":     with(t, map[string]any{"featureSupport": "Sync"}),
		"non-UUID key (advised)":  with(t, map[string]any{"externalSessionKey": "conversation-42"}),
		"bypassUser false":        with(t, map[string]any{"bypassUser": false}),
		"no optional members":     []byte(`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`),
		"streaming no chunkTypes": with(t, map[string]any{"streamingCapabilities": map[string]any{}}),
	}
	for name, doc := range cases {
		if vs, err := schemas.Validate(req, doc); err != nil || len(vs) != 0 {
			t.Errorf("%s: %s: %v %v", name, doc, err, vs)
		}
	}
	// Tolerant response schemas accept undocumented members (agent-api.md §4, §5).
	resp := []byte(`{"sessionId":"0c9a4b2e-5d17-7f3a-8e60-aa11bb22cc33","_links":{"self":null,"extra":{"href":"x"}},"messages":[{"type":"Brand-new","id":"1","foo":1}],"newTopLevel":true}`)
	if vs, err := schemas.Validate(schemas.StartSessionResponse, resp); err != nil || len(vs) != 0 {
		t.Errorf("tolerant response: %v %v", err, vs)
	}
}

// TestAdvise: recommendations are reported separately and never as violations.
func TestAdvise(t *testing.T) {
	doc := with(t, map[string]any{"externalSessionKey": "conversation-42", "featureSupport": "Streaming"})
	if vs, err := schemas.Validate(schemas.StartSessionRequest, doc); err != nil || len(vs) != 0 {
		t.Fatalf("advice must not invalidate: %v %v", vs, err)
	}
	adv, err := schemas.Advise(schemas.StartSessionRequest, doc)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	for _, a := range adv {
		rules[a.Rule] = a.Pointer
	}
	if rules[schemas.RuleUUIDRecommended] != "/externalSessionKey" || rules[schemas.RuleDeprecated] != "/featureSupport" || len(adv) != 2 {
		t.Errorf("advice = %+v", adv)
	}
	if adv, _ := schemas.Advise(schemas.StartSessionRequest, typicalRequest); len(adv) != 0 {
		t.Errorf("typical request advice = %v", adv)
	}
}

// TestTenantKeySpellings: every casing and separator of the Tenant Key ID is
// the reserved rule, at the top level and in instanceConfig (agent-api.md §6).
func TestTenantKeySpellings(t *testing.T) {
	for _, key := range []string{"tenantKeyId", "TENANTKEYID", "TenantKeyId", "tenant-key-id", "Tenant Key ID", "tenant_key", "TENANT_KEY_ID", "tenantKEY"} {
		for _, where := range []string{"", "/instanceConfig"} {
			doc := map[string]any{key: "t"}
			if where != "" {
				doc = map[string]any{"instanceConfig": map[string]any{"endpoint": "https://acme.my.salesforce.com", key: "t"}}
			}
			vs, err := schemas.Validate(schemas.StartSessionRequest, with(t, doc))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, v := range vs {
				if v.Pointer == where+"/"+key && v.Rule == "reserved" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s at %q: %+v", key, where, vs)
			}
		}
	}
	if vs, _ := schemas.Validate(schemas.StartSessionRequest, with(t, map[string]any{"tenantKeys": "t"})); len(vs) != 1 || vs[0].Rule != "additionalProperties" {
		t.Errorf("tenantKeys is an ordinary unknown field: %+v", vs)
	}
}

// ReservedPointers finds every spelling of the Tenant Key ID at any depth,
// agreeing with the schemas' rule "reserved".
func TestReservedPointers(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"tenantKeyId":1,"instanceConfig":{"TENANT_KEY":2,"endpoint":"x"},"a":[{"Tenant Key ID":3}],"tenantKeyword":4,"tenant":5}`), &doc); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(schemas.ReservedPointers(doc), " ")
	if want := "/a/0/Tenant Key ID /instanceConfig/TENANT_KEY /tenantKeyId"; got != want {
		t.Fatalf("ReservedPointers = %q, want %q", got, want)
	}
	for _, name := range []string{"tenantKeyId", "TENANT_KEY", "Tenant Key ID", "tenant-key-id"} {
		vs, err := schemas.Validate(schemas.PluginOutput, []byte(`{"request":{"`+name+`":"x"}}`))
		if err != nil || len(vs) == 0 || vs[0].Rule != "reserved" {
			t.Errorf("%q: ReservedPointers flags it but the schema says %v %v", name, vs, err)
		}
	}
}
