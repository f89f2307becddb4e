package contracts

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/schemas"
)

// realAnswer is an error answer in the form a real org sends it, for one interaction of the pact.
// The forms come from the answers Salesforce's own client recorded from real orgs (agent-api.md
// §5 [SF], forcedotcom/agents test/mocks): a body only, no headers recorded; an internal path
// ("v6.0.0/…"); the extra members mode and expected; the …Exception spelling of the class. The
// values here are agentshape's own, in that form.
type realAnswer struct {
	name        string
	description string // the pact interaction answered
	status      int
	header      map[string]string
	body        string
	accept      bool // whether the pact must accept it
}

// serve starts a loopback server answering a on every path except side, where it answers the
// JSON sideBody (the provider-state endpoint for a verifier, the token endpoint for the client).
func (a realAnswer) serve(side, sideBody string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == side {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(sideBody))
			return
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
}

// realAnswers are the answers a real org was recorded or documented to send that the pact must
// accept, and answers no source describes that it must refuse.
func realAnswers() []realAnswer {
	const sid = "94081416-c6dc-43a8-95e2-14a3f3580d34"
	json := map[string]string{"Content-Type": "application/json"}
	withID := map[string]string{"Content-Type": "application/json", "X-Request-ID": "e6840f72-e567-4eb3-94ad-0a1da8f83dd0"}
	return []realAnswer{
		{name: "malformed agent ID answered 500 as recorded", description: "a Start Session request for a malformed agent ID", status: 500, header: json,
			body: `{"status":500,"path":"v6.0.0/agents/sfd/sessions","mode":"unknown","requestId":"adae6d09-a517-48a0-b501-5bbcac1c22c3",` +
				`"error":"HttpServerErrorException","message":"500 [{\"message\":\"An unexpected error occurred. Please include this ErrorId if you contact support: 1-2 (3)\",\"errorCode\":\"UNKNOWN_EXCEPTION\"}]",` +
				`"timestamp":1740710748115,"expected":false}`, accept: true},
		{name: "session gone answered as recorded", description: "a Send Message request for a session that has ended", status: 404, header: json,
			body: `{"status":404,"path":"v6.0.0/sessions/` + sid + `/messages","mode":"unknown","requestId":"e6840f72-e567-4eb3-94ad-0a1da8f83dd0",` +
				`"error":"NotFoundException","message":"V6Session not found for sessionId: ` + sid + `","timestamp":1740760662466,"expected":true}`, accept: true},
		{name: "session gone answered as documented", description: "a Send Message request for a session that has ended", status: 404, header: withID,
			body: `{"status":404,"path":"/sessions/` + sid + `/messages","requestId":"e6840f72-e567-4eb3-94ad-0a1da8f83dd0","error":"NotFoundError","message":"Resource not found","timestamp":1740760662466}`, accept: true},
		{name: "unknown agent with the Exception spelling", description: "a Start Session request for an agent that does not exist", status: 404, header: withID,
			body: `{"status":404,"path":"v6.0.0/agents/0XxAA0000000009AAA/sessions","mode":"unknown","requestId":"e6840f72-e567-4eb3-94ad-0a1da8f83dd0","error":"NotFoundException","message":"Resource not found","timestamp":1740760662466,"expected":true}`, accept: true},
		{name: "503 with the Error spelling", description: "a Start Session request while the API is unavailable", status: 503, header: withID,
			body: `{"status":503,"path":"v6.0.0/agents/0XxAA0000000001AAA/sessions","requestId":"e6840f72-e567-4eb3-94ad-0a1da8f83dd0","error":"ServiceUnavailableError","message":"Service is unavailable possibly because Apex/Flow calls timed out","timestamp":1740760662466}`, accept: true},
		// Refused: what no source describes.
		{name: "malformed agent ID answered 404", description: "a Start Session request for a malformed agent ID", status: 404, header: json,
			body: `{"status":404,"path":"/agents/x/sessions","requestId":"adae6d09-a517-48a0-b501-5bbcac1c22c3","error":"NotFoundError","message":"Resource not found","timestamp":1740710748115}`, accept: false},
		{name: "unknown agent with another class", description: "a Start Session request for an agent that does not exist", status: 404, header: withID,
			body: `{"status":404,"path":"/agents/x/sessions","requestId":"e6840f72-e567-4eb3-94ad-0a1da8f83dd0","error":"AgentMissing","message":"Resource not found","timestamp":1740760662466}`, accept: false},
		{name: "documented answer without its X-Request-ID", description: "a Start Session request for an agent that does not exist", status: 404, header: json,
			body: `{"status":404,"path":"/agents/x/sessions","requestId":"e6840f72-e567-4eb3-94ad-0a1da8f83dd0","error":"NotFoundError","message":"Resource not found","timestamp":1740760662466}`, accept: false},
	}
}

// TestProviderAcceptsRealAnswers verifies single interactions of the pact, with the standard Pact
// CLI, against a provider that answers the way real orgs were recorded or documented to: the
// pact accepts those forms, and refuses forms no source describes.
func TestProviderAcceptsRealAnswers(t *testing.T) {
	pactCLI := os.Getenv("PACT_CLI")
	if pactCLI == "" {
		t.Fatal("PACT_CLI (the npm pact launcher) is unset: run `make contracts`, which installs it")
	}
	path := pactPath(t)
	for _, a := range realAnswers() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel() // one verifier process and one server each
			srv := a.serve(emulator.ProviderStatesPath, `{"accessToken":"recorded-org-token","sessionId":"94081416-c6dc-43a8-95e2-14a3f3580d34","sequenceId":1}`)
			defer srv.Close()
			port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, pactCLI, "verifier", "--file", path, "--hostname", "127.0.0.1", "--port", port,
				"--state-change-url", srv.URL+emulator.ProviderStatesPath, "--filter-description", "^"+regexp.QuoteMeta(a.description)+"$")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case err != nil && !errors.As(err, &exit):
				t.Fatalf("run the verifier: %v", err)
			case !strings.Contains(string(out), a.description):
				t.Fatalf("the verifier did not verify %q:\n%s", a.description, out)
			case a.accept && err != nil:
				t.Errorf("the pact refuses an answer a real org sends:\n%s", out)
			case !a.accept && err == nil:
				t.Errorf("the pact accepts an answer no source describes:\n%s", out)
			}
		})
	}
}

// Every real answer the pact accepts is also a valid body of schemas/error-response: the pact and
// the schema agree on the forms real orgs send.
func TestSchemaCrossCheckRealAnswers(t *testing.T) {
	for _, a := range realAnswers() {
		if !a.accept {
			continue
		}
		if problems := checkBody(a.name, schemas.ErrorResponse, json.RawMessage(a.body), ""); len(problems) > 0 {
			t.Errorf("%s", strings.Join(problems, "\n"))
		}
	}
}

// The agentshape client turns each real answer the pact accepts into the Flow output of its
// status (agent-api.md §6): the consumer side of the same forms.
func TestConsumerHandlesRealAnswers(t *testing.T) {
	for _, a := range realAnswers() {
		if !a.accept {
			continue
		}
		t.Run(a.name, func(t *testing.T) {
			srv := a.serve(tokenPath, `{"access_token":"`+exampleToken+`","token_type":"Bearer","instance_url":"`+myDomain+
				`","scope":"api chatbot_api sfap_api","issued_at":"1764324000000"}`)
			defer srv.Close()
			c, err := agentapi.New(agentapi.Config{MyDomain: myDomain, TokenURL: srv.URL + tokenPath, ClientID: clientID, ClientSecret: clientSecret,
				APIBaseURL: srv.URL, Timeout: 10 * time.Second, Retry: agentapi.RetryPolicy{MaxAttempts: 1}, SkipAgentIDCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var out *agentapi.Outcome
			if strings.HasPrefix(a.description, "a Send Message") {
				out, err = c.SendMessage(context.Background(), exampleSessionID, agentapi.TextMessage(2, "Are you still there?"))
			} else {
				out, err = c.StartSession(context.Background(), agentID, json.RawMessage(`{"externalSessionKey":"`+exampleKey+`","instanceConfig":{"endpoint":"`+myDomain+`"}}`))
			}
			var apiErr *agentapi.APIError
			if !errors.As(err, &apiErr) || apiErr.Status != a.status {
				t.Fatalf("error %v, want an *agentapi.APIError with status %d", err, a.status)
			}
			want := map[int]string{404: agentapi.Output404, 500: agentapi.OutputDefault, 503: agentapi.Output503}[a.status]
			if out == nil || out.Output != want || out.ErrorBody == nil || out.ErrorBody.Error == "" || out.RequestID == "" {
				t.Errorf("outcome %+v, want output %q with the error body and its request ID", out, want)
			}
		})
	}
}
