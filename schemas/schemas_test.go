package schemas_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/schemas"
)

// mine are the schemas this package's owner writes; pipeline-manifest and
// emulator-org come from other packages and are checked when present.
var mine = []schemas.Name{
	schemas.StartSessionRequest, schemas.FlowStartSessionRequest, schemas.StartSessionResponse,
	schemas.ErrorResponse, schemas.PluginInput, schemas.PluginOutput,
	schemas.SendMessageRequest, schemas.SubmitFeedbackRequest,
}

func TestListAndSource(t *testing.T) {
	list := schemas.List()
	for _, n := range mine {
		if !slices.Contains(list, n) {
			t.Errorf("List() = %v, missing %s", list, n)
		}
	}
	if !slices.IsSorted(list) {
		t.Errorf("List() not sorted: %v", list)
	}
	for _, n := range list {
		src, err := schemas.Source(n)
		if err != nil {
			t.Fatalf("Source(%s): %v", n, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(src, &doc); err != nil {
			t.Fatalf("%s is not JSON: %v", n, err)
		}
		if doc["$id"] != schemas.URL(n) {
			t.Errorf("%s: $id = %v, want %s", n, doc["$id"], schemas.URL(n))
		}
		if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema = %v, want draft 2020-12", n, doc["$schema"])
		}
		for _, k := range []string{"title", "description"} {
			if s, _ := doc[k].(string); s == "" {
				t.Errorf("%s: no %s", n, k)
			}
		}
		if slices.Contains(mine, n) {
			if d, _ := doc["description"].(string); !strings.Contains(d, "agent-api.md §") {
				t.Errorf("%s: description cites no agent-api.md section", n)
			}
		}
		if ex, _ := doc["examples"].([]any); len(ex) == 0 {
			t.Errorf("%s: no examples", n)
		}
	}
	_, err := schemas.Source("no-such")
	if !errors.Is(err, schemas.ErrUnknownSchema) || !strings.Contains(err.Error(), "start-session-request") {
		t.Errorf("Source(no-such) = %v, want ErrUnknownSchema listing the known names", err)
	}
	if _, err := schemas.Validate("no-such", []byte(`{}`)); !errors.Is(err, schemas.ErrUnknownSchema) {
		t.Errorf("Validate(no-such) = %v, want ErrUnknownSchema", err)
	}
}

// TestSchemaExamplesAreValid: every example a schema documents (top-level
// "examples") is valid against it.
func TestSchemaExamplesAreValid(t *testing.T) {
	for _, n := range schemas.List() {
		src, _ := schemas.Source(n)
		var doc struct {
			Examples []json.RawMessage `json:"examples"`
		}
		if err := json.Unmarshal(src, &doc); err != nil {
			t.Fatal(err)
		}
		for i, ex := range doc.Examples {
			vs, err := schemas.Validate(n, ex)
			if err != nil || len(vs) != 0 {
				t.Errorf("%s examples[%d]: %v %v", n, i, err, vs)
			}
		}
	}
}

// TestAgentAPIDocumentedExamples: the illustrative bodies of agent-api.md
// (copied verbatim into testdata/agent-api) are valid.
func TestAgentAPIDocumentedExamples(t *testing.T) {
	cases := map[string]schemas.Name{
		"section2-start-session-request.json":  schemas.StartSessionRequest,  // agent-api.md §2
		"section4-start-session-response.json": schemas.StartSessionResponse, // agent-api.md §4
	}
	for file, n := range cases {
		b, err := os.ReadFile(filepath.Join("testdata", "agent-api", file))
		if err != nil {
			t.Fatal(err)
		}
		vs, err := schemas.Validate(n, b)
		if err != nil || len(vs) != 0 {
			t.Errorf("%s against %s: %v %v", file, n, err, vs)
		}
		if adv, _ := schemas.Advise(n, b); len(adv) != 0 {
			t.Errorf("%s: unexpected advice %v", file, adv)
		}
	}
}

// TestAgentAPIDocumentedErrors: every row of agent-api.md §5's error table,
// as a body with the six required members, plus the live extras, is valid.
func TestAgentAPIDocumentedErrors(t *testing.T) {
	rows := []struct {
		status       int
		class, msg   string
		mode         string
		expected     *bool
		internalPath bool
	}{
		{400, "BadRequestError", "Bad Request", "", nil, false},
		{400, "BadRequestError", "0XxBAD is not a valid agent ID", "", nil, false},
		{400, "BadRequestError", "Invalid user ID provided on start session: ", "", nil, false},
		{400, "BadRequestError", `Unrecognized field "userId"`, "", nil, false},
		{401, "UnauthorizedError", "Access bearer token is missing or invalid", "", nil, false},
		{401, "UnauthorizedError", "Connected app is not attached to Agent", "", nil, false},
		{403, "ForbiddenError", "User forbidden from accessing the resource", "", nil, false},
		{404, "NotFoundError", "Resource not found", "", nil, false},
		{404, "NotFoundException", "V6Session not found for sessionId: 0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33", "unknown", ptr(true), true},
		{410, "NotAvailableError", "Not available", "", nil, false},
		{422, "RequestProcessingException", "Cannot determine the active version for the agent", "", nil, false},
		{423, "ServerBusyError", "Server is busy and cannot process the request at this time", "", nil, false},
		{429, "TooManyRequestsError", "Too many requests for the server to handle", "", nil, false},
		{500, "EngineConfigLookupException", "EngineConfigLookupException", "unknown", ptr(false), true},
		{500, "HttpServerErrorException", "Unsupported Media Type", "unknown", ptr(false), true},
		{500, "InactiveConfigException", "Config is not active", "", nil, false},
		{503, "ServiceUnavailable", "Service is unavailable possibly because Apex/Flow calls timed out", "", nil, false},
	}
	for _, r := range rows {
		body := map[string]any{
			"status": r.status, "path": "/einstein/ai-agent/v1/agents/0XxAA0000000001AAA/sessions",
			"requestId": "7e1f0c3a-2b4d-4e5f-8a9b-0c1d2e3f4a5b", "error": r.class, "message": r.msg,
			"timestamp": 1767225600000,
		}
		if r.internalPath {
			body["path"] = "v6.0.0/sessions/0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33/messages"
		}
		if r.mode != "" {
			body["mode"] = r.mode
		}
		if r.expected != nil {
			body["expected"] = *r.expected
		}
		b, _ := json.Marshal(body)
		if vs, err := schemas.Validate(schemas.ErrorResponse, b); err != nil || len(vs) != 0 {
			t.Errorf("%d %s: %v %v", r.status, r.class, err, vs)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestViolationShape: every violation names a pointer that Field renders,
// a rule, and a message starting with the field.
func TestViolationShape(t *testing.T) {
	vs, err := schemas.Validate(schemas.StartSessionRequest, []byte(`{"instanceConfig":{"endpoint":"https://acme.lightning.force.com"},"Tenant Key ID":"x","variables":[{"name":"a/b~c","type":"Text","value":"v"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ ptr, field, rule string }{
		{"/Tenant Key ID", `["Tenant Key ID"]`, "reserved"},
		{"/externalSessionKey", "externalSessionKey", "required"},
		{"/instanceConfig/endpoint", "instanceConfig.endpoint", "lightning-url"},
		{"/variables/0/name", "variables[0].name", "pattern"},
	}
	if len(vs) != len(want) {
		t.Fatalf("got %d violations, want %d: %v", len(vs), len(want), vs)
	}
	for i, w := range want {
		v := vs[i]
		if v.Pointer != w.ptr || v.Field != w.field || v.Rule != w.rule {
			t.Errorf("[%d] = %+v, want pointer %q field %q rule %q", i, v, w.ptr, w.field, w.rule)
		}
		if !strings.HasPrefix(v.Message, v.Field+": ") || strings.Contains(v.Message, "\n") {
			t.Errorf("[%d] message %q must be one line starting with %q", i, v.Message, v.Field+": ")
		}
	}
	if got := vs[2].Message; got != "instanceConfig.endpoint: must be your My Domain URL such as https://acme.my.salesforce.com, not a Lightning URL (use the host ending in .my.salesforce.com, agent-api.md §2)" {
		t.Errorf("lightning message = %q", got)
	}
}

func TestFieldOf(t *testing.T) {
	for ptr, want := range map[string]string{
		"":                                    "(root)",
		"/instanceConfig/endpoint":            "instanceConfig.endpoint",
		"/variables/1/name":                   "variables[1].name",
		"/Tenant Key ID":                      `["Tenant Key ID"]`,
		"/a~1b/c~0d":                          `["a/b"]["c~d"]`,
		"/streamingCapabilities/chunkTypes/0": "streamingCapabilities.chunkTypes[0]",
	} {
		if got := schemas.FieldOf(ptr); got != want {
			t.Errorf("FieldOf(%q) = %q, want %q", ptr, got, want)
		}
	}
}

// TestMalformedJSON: a document that is not JSON is an error naming the
// byte offset, never a violation list.
func TestMalformedJSON(t *testing.T) {
	cases := []struct {
		doc    string
		offset int64
		words  string
	}{
		{"{\n  \"externalSessionKey\": }", 26, "line 2"},
		{`{"a": 1`, 7, "unexpected end"},
		{``, 0, "empty document"},
		{`{"a":1} {"b":2}`, 8, "after the JSON value"},
		{"{\"a\":\"\xff\"}", 6, "invalid UTF-8"},
		{`{"a":01}`, 6, "invalid character"},
	}
	for _, c := range cases {
		vs, err := schemas.Validate(schemas.StartSessionRequest, []byte(c.doc))
		var se *schemas.SyntaxError
		if !errors.As(err, &se) || vs != nil {
			t.Errorf("%q: got %v %v, want *SyntaxError", c.doc, vs, err)
			continue
		}
		if se.Offset != c.offset || !strings.Contains(err.Error(), c.words) ||
			!strings.Contains(err.Error(), fmt.Sprintf("byte offset %d", c.offset)) {
			t.Errorf("%q: %v (offset %d), want offset %d and %q", c.doc, err, se.Offset, c.offset, c.words)
		}
	}
}

// TestConcurrentFirstUse: schemas compile once, lazily, and concurrent first
// use from many goroutines gives the same answers.
func TestConcurrentFirstUse(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n := mine[i%len(mine)]
			vs, err := schemas.Validate(n, []byte(`{"Tenant Key ID": 1}`))
			if err != nil || len(vs) == 0 {
				errs <- fmt.Errorf("%s: %v %v", n, vs, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestPluginInputContextMatchesABI: the context schema in plugin-input lists
// exactly the JSON members of host/abi.Context (and its nested types), so the
// schema cannot drift from the ABI types.
func TestPluginInputContextMatchesABI(t *testing.T) {
	src, _ := schemas.Source(schemas.PluginInput)
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	ctx := doc["$defs"].(map[string]any)["context"].(map[string]any)
	var check func(path string, typ reflect.Type, node map[string]any)
	check = func(path string, typ reflect.Type, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		var fromGo, fromSchema []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			fromGo = append(fromGo, name)
			if f.Type.Kind() == reflect.Struct {
				sub, _ := props[name].(map[string]any)
				check(path+"."+name, f.Type, sub)
			}
		}
		for k := range props {
			fromSchema = append(fromSchema, k)
		}
		slices.Sort(fromGo)
		slices.Sort(fromSchema)
		if !slices.Equal(fromGo, fromSchema) {
			t.Errorf("%s: abi has %v, schema has %v", path, fromGo, fromSchema)
		}
		if node["additionalProperties"] != false {
			t.Errorf("%s: schema must be strict", path)
		}
	}
	check("context", reflect.TypeOf(abi.Context{}), ctx)

	// A real envelope built from the ABI types validates.
	env := abi.Envelope{ABI: abi.Version, Plugin: abi.PluginInfo{Name: "endpoint", Config: map[string]any{"x": 1}},
		Context: abi.Context{AgentID: "0XxAA0000000001AAA", Org: abi.Org{MyDomain: "acme", Kind: "sandbox", Sandbox: "uat"},
			Channel: "web", ConversationID: "c1", User: abi.User{Locale: "de_DE", Timezone: "Europe/Berlin", Attributes: map[string]any{"tier": "gold"}}},
		Request: json.RawMessage(`{"externalSessionKey":"k"}`)}
	b, _ := json.Marshal(env)
	if vs, err := schemas.Validate(schemas.PluginInput, b); err != nil || len(vs) != 0 {
		t.Errorf("envelope %s: %v %v", b, vs, err)
	}
	out, _ := json.Marshal(abi.Output{Error: &abi.PluginError{Code: "lightning_url", Message: "use My Domain"}})
	if vs, err := schemas.Validate(schemas.PluginOutput, out); err != nil || len(vs) != 0 {
		t.Errorf("output %s: %v %v", out, vs, err)
	}
}

// TestRecordedShapesValidate: bodies shaped like the answers Salesforce's
// own CLI recorded from live orgs (testdata/recorded/README.md, agent-api.md
// §11; agentshape's own values) are valid against the schemas of what the
// client reads.
func TestRecordedShapesValidate(t *testing.T) {
	cases := map[string]schemas.Name{
		"start-session.json":              schemas.StartSessionResponse,
		"send-message.json":               schemas.SendMessageResponse,
		"end-session.json":                schemas.EndSessionResponse,
		"send-message-gone-session.json":  schemas.ErrorResponse,
		"end-session-gone-session.json":   schemas.ErrorResponse,
		"start-session-bad-agent-id.json": schemas.ErrorResponse,
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "recorded", "*.json"))
	if len(files) != len(cases) {
		t.Errorf("testdata/recorded has %d bodies, the test knows %d: name each one's schema here", len(files), len(cases))
	}
	for file, n := range cases {
		b, err := os.ReadFile(filepath.Join("testdata", "recorded", file))
		if err != nil {
			t.Fatal(err)
		}
		if vs, err := schemas.Validate(n, b); err != nil || len(vs) != 0 {
			t.Errorf("%s against %s: %v %v", file, n, err, vs)
		}
	}
}

// TestAnswerSchemasRefuse: the answer schemas are tolerant of extras but
// still refuse what the client could not read.
func TestAnswerSchemasRefuse(t *testing.T) {
	cases := []struct {
		name   string
		schema schemas.Name
		doc    string
		ptr    string
	}{
		{"send: no messages", schemas.SendMessageResponse, `{"_links":{}}`, "/messages"},
		{"send: message without id", schemas.SendMessageResponse, `{"messages":[{"type":"Inform","message":"m","isContentSafe":true,"feedbackId":""}]}`, "/messages/0/id"},
		{"end: SessionEnded without reason", schemas.EndSessionResponse, `{"messages":[{"type":"SessionEnded","id":"1"}]}`, "/messages/0/reason"},
		{"stream: data not an object", schemas.StreamEvent, `{"event":"TEXT_CHUNK","data":"x"}`, "/data"},
		{"stream: event and message disagree", schemas.StreamEvent, `{"event":"TEXT_CHUNK","data":{"message":{"type":"Inform","id":"1","message":"m","isContentSafe":true,"feedbackId":""}}}`, "/data/message/type"},
		{"stream: offset not a number", schemas.StreamEvent, `{"event":"TEXT_CHUNK","data":{"offset":"3","message":{"type":"TextChunk","id":"1","message":"a"}}}`, "/data/offset"},
		{"token: no access token", schemas.TokenResponse, `{"token_type":"Bearer"}`, "/access_token"},
	}
	for _, c := range cases {
		vs, err := schemas.Validate(c.schema, []byte(c.doc))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		found := false
		for _, v := range vs {
			found = found || v.Pointer == c.ptr
		}
		if !found {
			t.Errorf("%s: no violation at %s: %+v", c.name, c.ptr, vs)
		}
	}
	for _, ok := range []struct {
		schema schemas.Name
		doc    string
	}{
		{schemas.StreamEvent, `{"event":"UNKNOWN","data":{"message":{"type":"SomethingNew","id":"1","extra":true}}}`},
		{schemas.StreamEvent, `{"event":"SOMETHING_NEW","data":{}}`},
		{schemas.SendMessageResponse, `{"messages":[{"type":"Inform","id":"1","message":"m","isContentSafe":true,"feedbackId":"","result":{"type":"t","property":"p","value":1},"citedReferences":{"type":"link","value":"https://x"}}]}`},
	} {
		if vs, err := schemas.Validate(ok.schema, []byte(ok.doc)); err != nil || len(vs) != 0 {
			t.Errorf("%s must accept %s: %v %v", ok.schema, ok.doc, vs, err)
		}
	}
}
