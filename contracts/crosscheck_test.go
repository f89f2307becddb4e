package contracts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/schemas"
)

// pactInteraction is the part of a V4 HTTP interaction the cross-check reads. Bodies hold the
// example values of their matchers.
type pactInteraction struct {
	Description string `json:"description"`
	Type        string `json:"type"`
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

var (
	startPath      = regexp.MustCompile(`^` + regexp.QuoteMeta(apiPath) + `/agents/[^/]+/sessions$`)
	sessionPathRe  = regexp.MustCompile(`^` + regexp.QuoteMeta(apiPath) + `/sessions/[^/]+(/messages(/stream)?)?$`)
	unknownFieldRe = regexp.MustCompile(`Unrecognized field "([^"]+)"`)
)

// bodySchemas names the schema of an interaction's request and response bodies ("" = none
// exists for that body, e.g. the form-encoded token request) or returns an error for a path the
// cross-check does not know, so that a new interaction cannot slip past it.
func bodySchemas(in pactInteraction) (req, resp schemas.Name, err error) {
	p := in.Request.Path
	switch {
	case in.Request.Method == "POST" && p == tokenPath:
		if in.Response.Status == 200 {
			return "", schemas.TokenResponse, nil // form body, no schema; the OAuth JSON answer (agent-api.md §7)
		}
		return "", "", nil // OAuth errors are OAuth's JSON, not the Agent API's Error
	case in.Request.Method == "POST" && startPath.MatchString(p):
		if in.Response.Status == 200 {
			return schemas.StartSessionRequest, schemas.StartSessionResponse, nil
		}
		return schemas.StartSessionRequest, schemas.ErrorResponse, nil
	case sessionPathRe.MatchString(p):
		if in.Request.Method == "POST" { // Send Message, sync or streaming (agent-api.md §1)
			req = schemas.SendMessageRequest
		}
		if in.Response.Status == 200 {
			switch {
			case in.Request.Method == "DELETE":
				return req, schemas.EndSessionResponse, nil
			case strings.HasSuffix(p, "/stream"):
				return req, "", nil // server-sent events, not one JSON body (schema stream-event per event)
			}
			return req, schemas.SendMessageResponse, nil
		}
		return req, schemas.ErrorResponse, nil
	}
	return "", "", fmt.Errorf("interaction %q: %s %s is not an Agent API operation the cross-check knows; add it to bodySchemas", in.Description, in.Request.Method, p)
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
	for _, n := range []schemas.Name{schemas.StartSessionRequest, schemas.StartSessionResponse, schemas.ErrorResponse, schemas.SendMessageRequest} {
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
				in["request"].(map[string]any)["path"] = apiPath + "/sessions/x/feedback"
			}
		}, "add it to bodySchemas"},
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
		if in.Type != "Synchronous/HTTP" {
			problems = append(problems, fmt.Sprintf("interaction %q has type %q; the cross-check reads HTTP interactions only", in.Description, in.Type))
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
