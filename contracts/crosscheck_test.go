package contracts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/internal/sse"
	"github.com/agentshape/agentshape/schemas"
)

// pactInteraction is the part of a V4 interaction the cross-check reads: an HTTP interaction's
// request and response, or an asynchronous message's contents and metadata. Bodies hold the
// example values of their matchers.
type pactInteraction struct {
	Description string         `json:"description"`
	Type        string         `json:"type"`
	Contents    *v4Body        `json:"contents"`
	Metadata    map[string]any `json:"metadata"`
	Request     struct {
		Method string  `json:"method"`
		Path   string  `json:"path"`
		Body   *v4Body `json:"body"`
	} `json:"request"`
	Response struct {
		Status int     `json:"status"`
		Body   *v4Body `json:"body"`
	} `json:"response"`
}

// v4Body is a V4 body: content plus how it is encoded.
type v4Body struct {
	Content     json.RawMessage `json:"content"`
	ContentType string          `json:"contentType"`
	Encoded     json.RawMessage `json:"encoded"`
}

// json returns the body as JSON, or ok=false when it is not a JSON body.
func (b *v4Body) json() (json.RawMessage, bool) {
	if b == nil || len(b.Content) == 0 || !strings.HasPrefix(b.ContentType, "application/json") {
		return nil, false
	}
	if enc := strings.TrimSpace(string(b.Encoded)); enc != "" && enc != "false" {
		return nil, false // base64 or other encodings are not produced for JSON bodies
	}
	return b.Content, true
}

var unknownFieldRe = regexp.MustCompile(`Unrecognized field "([^"]+)"`)

// sseBody is the response body of a streaming operation: server-sent events, each checked
// against the stream-event schema as {"event", "data"}.
const sseBody schemas.Name = "text/event-stream of " + schemas.StreamEvent

// operation is one operation of the Agent API (agent-api.md §1, §7) and the schemas of its
// bodies ("" = that body has none).
type operation struct {
	method  string
	path    *regexp.Regexp
	request schemas.Name
	success int          // the documented success status
	answer  schemas.Name // the success body
	failure schemas.Name // an error body
}

// operations are every operation the contract may hold. The cross-check refuses an interaction
// none of them matches, so a new operation cannot slip past it.
var operations = func() []operation {
	q := regexp.QuoteMeta
	session := q(apiPath) + `/sessions/[^/]+`
	re := func(s string) *regexp.Regexp { return regexp.MustCompile("^" + s + "$") }
	return []operation{
		// OAuth: a form body with no schema; OAuth errors are OAuth's JSON, not the Agent API's Error (§7).
		{"POST", re(q(tokenPath)), "", 200, schemas.TokenResponse, ""},
		{"POST", re(q(apiPath) + `/agents/[^/]+/sessions`), schemas.StartSessionRequest, 200, schemas.StartSessionResponse, schemas.ErrorResponse},
		{"POST", re(session + `/messages`), schemas.SendMessageRequest, 200, schemas.SendMessageResponse, schemas.ErrorResponse},
		{"POST", re(session + `/messages/stream`), schemas.SendMessageRequest, 200, sseBody, schemas.ErrorResponse},
		{"DELETE", re(session), "", 200, schemas.EndSessionResponse, schemas.ErrorResponse},
		{"POST", re(session + `/feedback`), schemas.SubmitFeedbackRequest, 202, "", schemas.ErrorResponse},
	}
}()

// wireSchemas are the schemas the contract must exercise: every one the operations name, and
// stream-event for the streamed events' messages.
func wireSchemas() []schemas.Name {
	seen := map[schemas.Name]bool{schemas.StreamEvent: true}
	for _, op := range operations {
		for _, n := range []schemas.Name{op.request, op.answer, op.failure} {
			if n != "" && n != sseBody {
				seen[n] = true
			}
		}
	}
	var out []schemas.Name
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// bodySchemas names the schema of an interaction's request and response bodies ("" = none
// exists for that body) or returns an error for an interaction no operation matches.
func bodySchemas(in pactInteraction) (req, resp schemas.Name, err error) {
	for _, op := range operations {
		if in.Request.Method != op.method || !op.path.MatchString(in.Request.Path) {
			continue
		}
		if in.Response.Status == op.success {
			return op.request, op.answer, nil
		}
		return op.request, op.failure, nil
	}
	return "", "", fmt.Errorf("interaction %q: %s %s is not an Agent API operation the cross-check knows; add it to operations", in.Description, in.Request.Method, in.Request.Path)
}

// TestSchemaCrossCheck validates every JSON body of the pact against the JSON Schemas in schemas/:
// a local bi-directional check that the contract and the schemas cannot drift apart. A request the
// contract says the API rejects as an unknown field (400 Unrecognized field "x", agent-api.md §2)
// must be rejected by the schema too, naming the same field; every other body must validate.
func TestSchemaCrossCheck(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(pactDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no pact files in contracts/%s: run the consumer tests first (`make contracts`)", pactDir)
	}
	checked := map[schemas.Name]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range crossCheck(raw, checked) {
			t.Errorf("%s: %s", filepath.Base(f), p)
		}
	}
	// The contract covers every schema of the Agent API wire format.
	for _, n := range wireSchemas() {
		if checked[n] == 0 {
			t.Errorf("no body of the pact was checked against %s", n)
		}
	}
	t.Logf("bodies checked per schema: %v", checked)
}

// TestSchemaCrossCheckDetectsDrift proves the cross-check fails when the pact and the schemas
// disagree: each change below is one a careless edit of the consumer tests or the schemas could make.
func TestSchemaCrossCheckDetectsDrift(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(pactDir, pactFile))
	if err != nil {
		t.Fatalf("%v: run the consumer tests first (`make contracts`)", err)
	}
	if p := crossCheck(raw, map[schemas.Name]int{}); len(p) != 0 {
		t.Fatalf("the committed pact does not cross-check: %v", p)
	}
	cases := []struct {
		name   string
		mutate func(in map[string]any)
		want   string
	}{
		{"200 response without sessionId", func(in map[string]any) {
			if in["description"] == "a Start Session request shaped by the example pipeline" {
				delete(body(in, "response"), "sessionId")
			}
		}, "sessionId"},
		{"request with a stray member", func(in map[string]any) {
			if in["description"] == "a Start Session request shaped by the example pipeline" {
				body(in, "request")["richContentCapabilities"] = map[string]any{}
			}
		}, "richContentCapabilities"},
		{"unknown-field request the schema accepts", func(in map[string]any) {
			if in["description"] == "a Start Session request with the unknown field userId" {
				delete(body(in, "request"), "userId")
			}
		}, `unknown field "userId"`},
		{"error body with a string status", func(in map[string]any) {
			if in["description"] == "a Start Session request while the API is busy" {
				body(in, "response")["status"] = "423"
			}
		}, "status"},
		{"operation the cross-check does not know", func(in map[string]any) {
			if in["description"] == "an End Session request by the user" {
				in["request"].(map[string]any)["path"] = apiPath + "/sessions/x/transcript"
			}
		}, "add it to operations"},
		{"streamed event of another message type", func(in map[string]any) {
			if in["description"] == eventDescription(emulator.EventInform) {
				in["contents"].(map[string]any)["content"].(map[string]any)["message"].(map[string]any)["type"] = "TextChunk"
			}
		}, "Inform"},
		{"message without its event name", func(in map[string]any) {
			if in["description"] == eventDescription(emulator.EventEndOfTurn) {
				delete(in["metadata"].(map[string]any), "event")
			}
		}, "names no event"},
		{"stream body with an event without data", func(in map[string]any) {
			if in["description"] == streamDescription {
				b := in["response"].(map[string]any)["body"].(map[string]any)
				b["content"] = "event: INFORM\ndata: \"text\"\n\n"
			}
		}, "data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pact map[string]any
			if err := json.Unmarshal(raw, &pact); err != nil {
				t.Fatal(err)
			}
			for _, in := range pact["interactions"].([]any) {
				c.mutate(in.(map[string]any))
			}
			mutated, err := json.Marshal(pact)
			if err != nil {
				t.Fatal(err)
			}
			problems := crossCheck(mutated, map[schemas.Name]int{})
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Errorf("problems %q, want one mentioning %q", problems, c.want)
			}
		})
	}
}

// body returns the JSON content of an interaction's request or response body.
func body(in map[string]any, part string) map[string]any {
	return in[part].(map[string]any)["body"].(map[string]any)["content"].(map[string]any)
}

// crossCheck returns every disagreement between the bodies of the pact document raw and the
// schemas, counting the bodies checked per schema in checked.
func crossCheck(raw []byte, checked map[schemas.Name]int) []string {
	var pact struct {
		Interactions []pactInteraction `json:"interactions"`
	}
	if err := json.Unmarshal(raw, &pact); err != nil {
		return []string{fmt.Sprintf("not a pact file: %v", err)}
	}
	var problems []string
	for _, in := range pact.Interactions {
		switch in.Type {
		case "Synchronous/HTTP":
		case "Asynchronous/Messages":
			problems = append(problems, checkStreamedMessage(in, checked)...)
			continue
		default:
			problems = append(problems, fmt.Sprintf("interaction %q has type %q; the cross-check reads HTTP interactions and asynchronous messages", in.Description, in.Type))
			continue
		}
		reqSchema, respSchema, err := bodySchemas(in)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		respBody, respIsJSON := in.Response.Body.json()
		if reqSchema != "" {
			body, ok := in.Request.Body.json()
			if !ok {
				problems = append(problems, fmt.Sprintf("%q: request has no JSON body, want one for %s", in.Description, reqSchema))
			} else {
				wantUnknown := ""
				if in.Response.Status == 400 && respIsJSON {
					var e struct {
						Message string `json:"message"`
					}
					if json.Unmarshal(respBody, &e) == nil {
						if mm := unknownFieldRe.FindStringSubmatch(e.Message); mm != nil {
							wantUnknown = mm[1]
						}
					}
				}
				problems = append(problems, checkBody(in.Description+" (request)", reqSchema, body, wantUnknown)...)
				checked[reqSchema]++
			}
		}
		if respSchema == sseBody {
			problems = append(problems, checkEventStream(in, checked)...)
			continue
		}
		if respSchema != "" {
			if !respIsJSON {
				problems = append(problems, fmt.Sprintf("%q: response has no JSON body, want one for %s", in.Description, respSchema))
				continue
			}
			problems = append(problems, checkBody(in.Description+" (response)", respSchema, respBody, "")...)
			checked[respSchema]++
		}
	}
	return problems
}

// checkStreamedMessage validates an asynchronous message — the data of one streamed event, its
// metadata naming the event (agent-api.md §12) — against stream-event.
func checkStreamedMessage(in pactInteraction, checked map[schemas.Name]int) []string {
	event, _ := in.Metadata["event"].(string)
	if event == "" {
		return []string{fmt.Sprintf("%q: the message's metadata names no event; every streamed message has one (agent-api.md §12)", in.Description)}
	}
	data, ok := in.Contents.json()
	if !ok {
		return []string{fmt.Sprintf("%q: the message has no JSON contents, want the event's data", in.Description)}
	}
	checked[schemas.StreamEvent]++
	return checkEvent(in.Description, event, data)
}

// checkEventStream reads the example text/event-stream body of a streaming answer with the
// client's own parser (internal/sse) and validates every event against stream-event.
func checkEventStream(in pactInteraction, checked map[schemas.Name]int) []string {
	b := in.Response.Body
	var text string
	if b == nil || !strings.HasPrefix(b.ContentType, "text/event-stream") || json.Unmarshal(b.Content, &text) != nil {
		return []string{fmt.Sprintf("%q: response has no text/event-stream body", in.Description)}
	}
	var problems []string
	n := 0
	err := sse.Read(strings.NewReader(text), 0, func(e sse.Event) error {
		n++
		problems = append(problems, checkEvent(fmt.Sprintf("%s (event %d)", in.Description, n), e.Type, e.Data)...)
		return nil
	})
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("%q: the event stream does not parse: %v", in.Description, err))
	case n == 0:
		problems = append(problems, fmt.Sprintf("%q: the event stream holds no event", in.Description))
	}
	checked[schemas.StreamEvent] += n
	return problems
}

// checkEvent validates one event, as {"event", "data"}, against stream-event.
func checkEvent(what, event string, data []byte) []string {
	if !json.Valid(data) {
		return []string{fmt.Sprintf("%s: event %s: data is not JSON", what, event)}
	}
	doc, err := json.Marshal(map[string]any{"event": event, "data": json.RawMessage(data)})
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", what, err)}
	}
	return checkBody(what, schemas.StreamEvent, doc, "")
}

// checkBody validates doc against schema. With wantUnknown set the schema must reject doc with a
// violation naming that member; otherwise doc must validate.
func checkBody(what string, schema schemas.Name, doc json.RawMessage, wantUnknown string) []string {
	vs, err := schemas.Validate(schema, doc)
	if err != nil {
		return []string{fmt.Sprintf("%s: validate against %s: %v", what, schema, err)}
	}
	var problems []string
	if wantUnknown == "" {
		for _, v := range vs {
			problems = append(problems, fmt.Sprintf("%s violates %s: %s %s (rule %s)", what, schema, v.Pointer, v.Message, v.Rule))
		}
		return problems
	}
	for _, v := range vs {
		if v.Pointer == "/"+wantUnknown || v.Field == wantUnknown || strings.Contains(v.Message, wantUnknown) {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s: the contract says the API rejects the unknown field %q, but %s does not (violations %+v)", what, wantUnknown, schema, vs)}
}
