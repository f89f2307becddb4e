package agentapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

// These tests drive the client against the real emulator on 127.0.0.1
// (host/emulator), one behaviour of agent-api.md each.

// demoBody is a valid Start Session body for the emulator's default org
// (agent-api.md §2).
var demoBody = json.RawMessage(`{
  "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
  "instanceConfig": {"endpoint": "https://example-co.my.salesforce.com"},
  "tz": "Europe/Berlin",
  "variables": [{"name": "$Context.EndUserLanguage", "type": "Text", "value": "de"}],
  "streamingCapabilities": {"chunkTypes": ["Text"]},
  "bypassUser": true
}`)

func startEmulator(t testing.TB, org *emulator.Org) *emulator.Server {
	t.Helper()
	if org == nil {
		org = emulator.DefaultOrg()
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{Addr: "127.0.0.1:0", Org: org})
	if err != nil {
		t.Fatalf("emulator.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// emuClient is a client of srv with the demo org's client app; retries are
// fast so tests stay short.
func emuClient(t testing.TB, srv *emulator.Server, mod func(*agentapi.Config)) *agentapi.Client {
	t.Helper()
	cfg := agentapi.Config{
		MyDomain:     emulator.DemoMyDomain,
		TokenURL:     srv.URL + emulator.TokenPath,
		APIBaseURL:   srv.URL,
		ClientID:     emulator.DemoClientID,
		ClientSecret: emulator.DemoClientSecret,
		Retry:        agentapi.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, MaxElapsed: 20 * time.Second},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := agentapi.New(cfg)
	if err != nil {
		t.Fatalf("agentapi.New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func noRetry(cfg *agentapi.Config) { cfg.Retry.MaxAttempts = 1 }

func ptr[T any](v T) *T { return &v }

// wantException checks an exception outcome and its typed error.
func wantException(t *testing.T, out *agentapi.Outcome, err error, status int, output, class, msgPart string) {
	t.Helper()
	var ae *agentapi.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want *agentapi.APIError", err, err)
	}
	if out == nil || out != ae.Outcome {
		t.Fatalf("outcome %p must be the APIError's outcome %p", out, ae.Outcome)
	}
	if out.Output != output || out.ResponseCode != status || ae.Status != status {
		t.Fatalf("outcome = %q/%d (error status %d), want %q/%d", out.Output, out.ResponseCode, ae.Status, output, status)
	}
	if class != "" && ae.Class != class {
		t.Fatalf("class = %q, want %q (agent-api.md §5)", ae.Class, class)
	}
	if !strings.Contains(out.Message, msgPart) || !strings.Contains(err.Error(), msgPart) {
		t.Fatalf("message %q / error %q should contain %q", out.Message, err, msgPart)
	}
	var eb agentapi.ErrorBody
	if err := json.Unmarshal(out.RawBody, &eb); err != nil || eb.Status != status || eb.RequestID == "" {
		t.Fatalf("raw body %s is not the documented error body for %d: %v", out.RawBody, status, err)
	}
	if out.RequestID != eb.RequestID || ae.RequestID != eb.RequestID {
		t.Fatalf("request id %q / %q, body says %q (X-Request-ID echoes it, §5)", out.RequestID, ae.RequestID, eb.RequestID)
	}
}

func TestEmulatorStartSession200(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, nil)
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if err != nil {
		t.Fatal(err)
	}
	if out.Output != agentapi.OutputOK || out.ResponseCode != 200 || out.Session == nil || out.Attempts != 1 {
		t.Fatalf("outcome = %+v", out)
	}
	s := out.Session
	if s.SessionID == "" || len(s.Messages) != 1 || s.Messages[0].Type != "Inform" || s.Messages[0].Message != emulator.DefaultGreeting {
		t.Fatalf("session = %+v, want a sessionId and one greeting Inform (agent-api.md §4)", s)
	}
	if s.Links.End == nil || !strings.HasSuffix(s.Links.End.Href, "/sessions/"+s.SessionID) {
		t.Fatalf("_links = %+v", s.Links)
	}
	if n := srv.SessionsCreated(); n != 1 {
		t.Fatalf("emulator created %d sessions, want 1", n)
	}
	// The outcome prints as the documented JSON.
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"output":"200"`) || !strings.Contains(string(b), `"sessionId":"`+s.SessionID+`"`) {
		t.Fatalf("outcome JSON %s", b)
	}
}

func TestEmulatorOutcomes(t *testing.T) {
	mismatch := json.RawMessage(strings.Replace(string(demoBody), "example-co.my.salesforce.com", "example-co.lightning.force.com", 1))
	unknownField := json.RawMessage(strings.Replace(string(demoBody), `"bypassUser": true`, `"bypassUser": true, "userId": "005AA0000000001AAA"`, 1))
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, srv *emulator.Server, org *emulator.Org)
		agentID string
		body    json.RawMessage
		status  int
		output  string
		class   string
		msg     string
	}{
		{name: "400 unknown field", body: unknownField, status: 400, output: "400 Exception", class: "BadRequestError", msg: `Unrecognized field "userId"`},
		{name: "400 employee agent bypassUser", setup: func(t *testing.T, srv *emulator.Server, org *emulator.Org) {
			org.Agents[0].Type = emulator.EmployeeAgent
		}, status: 400, output: "400 Exception", class: "BadRequestError", msg: "Invalid user ID provided on start session"},
		// Every token is revoked right after issue (revokingClient): the
		// refresh gets a revoked one too, so the client reports the 401.
		{name: "401 revoked token", status: 401, output: "401 Exception", class: "UnauthorizedError", msg: "Access bearer token is missing or invalid"},
		{name: "403 agentforce off", setup: func(t *testing.T, srv *emulator.Server, org *emulator.Org) {
			org.AgentforceEnabled = ptr(false)
		}, status: 403, output: "403 Exception", class: "ForbiddenError", msg: ""},
		{name: "403 no Manage AI Agents", setup: func(t *testing.T, srv *emulator.Server, org *emulator.Org) {
			org.ClientApps[0].RunAs.ManageAIAgents = false
		}, status: 403, output: "403 Exception", class: "ForbiddenError", msg: ""},
		{name: "404 unknown agent", agentID: "0XxAA0000000099AAA", status: 404, output: "404 Exception", class: "NotFoundError", msg: ""},
		{name: "422 no active version", setup: func(t *testing.T, srv *emulator.Server, org *emulator.Org) {
			org.Agents[0].ActiveVersion = ptr(false)
		}, status: 422, output: "422 Exception", class: "RequestProcessingException", msg: "Cannot determine the active version for the agent"},
		{name: "423 fault", setup: fault(423, ""), status: 423, output: "423 Exception", class: "ServerBusyError", msg: ""},
		{name: "429 rate limit", setup: func(t *testing.T, srv *emulator.Server, org *emulator.Org) {
			org.RateLimit = &emulator.RateLimit{RequestsPerSecond: 0.001, Burst: 1}
			if err := srv.SetOrg(org); err != nil {
				t.Fatal(err)
			}
			c := emuClient(t, srv, noRetry)
			if _, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody); err != nil {
				t.Fatalf("first call within the burst: %v", err)
			}
		}, status: 429, output: "429 Exception", class: "TooManyRequestsError", msg: ""},
		{name: "500 endpoint not My Domain", body: mismatch, status: 500, output: "Default Exception", class: "EngineConfigLookupException", msg: ""},
		{name: "500 fault", setup: fault(500, ""), status: 500, output: "Default Exception", msg: ""},
		{name: "503 fault", setup: fault(503, ""), status: 503, output: "503 Exception", class: "ServiceUnavailable", msg: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org := emulator.DefaultOrg()
			srv := startEmulator(t, org)
			if tc.setup != nil {
				tc.setup(t, srv, org)
				if tc.name != "429 rate limit" {
					if err := srv.SetOrg(org); err != nil {
						t.Fatal(err)
					}
				}
			}
			c := emuClient(t, srv, noRetry)
			if tc.status == 401 {
				c = emuClient(t, srv, func(cfg *agentapi.Config) { noRetry(cfg); cfg.HTTPClient = revokingClient(srv) })
			}
			id, body := tc.agentID, tc.body
			if id == "" {
				id = emulator.DemoAgentID
			}
			if body == nil {
				body = demoBody
			}
			before := srv.SessionsCreated()
			out, err := c.StartSession(context.Background(), id, body)
			wantException(t, out, err, tc.status, tc.output, tc.class, tc.msg)
			if n := srv.SessionsCreated() - before; n != 0 {
				t.Fatalf("an exception must not create a session; emulator created %d", n)
			}
			if tc.status == 401 && srv.State().TokensIssued != 2 {
				t.Fatalf("401: %d tokens issued, want 2 (one refresh)", srv.State().TokensIssued)
			}
		})
	}
}

// fault injects an error burst on Start Session with status and Retry-After.
func fault(status int, retryAfter string) func(*testing.T, *emulator.Server, *emulator.Org) {
	return func(t *testing.T, srv *emulator.Server, org *emulator.Org) {
		org.Faults = append(org.Faults, emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: status, RetryAfter: retryAfter})
	}
}

// revokingClient revokes every token the emulator has issued right after the
// token endpoint answers, so each token the client gets is already invalid.
func revokingClient(srv *emulator.Server) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && strings.HasSuffix(r.URL.Path, emulator.TokenPath) {
			srv.RevokeTokens()
		}
		return resp, err
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestEmulatorBadAgentIDNeverSent(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, nil)
	// "0XxAA00000000/1AAA"-like IDs would be "… is not a valid agent ID" at
	// the API (agent-api.md §5); the client refuses them before any request.
	for _, id := range []string{"0XxAA000000001", "001AA0000000001AAA", "0XxAA0000000001AA!"} {
		out, err := c.StartSession(context.Background(), id, demoBody)
		if out != nil || !errors.Is(err, agentapi.ErrInvalidAgentID) || !strings.Contains(err.Error(), id) {
			t.Fatalf("StartSession(%q) = %v, %v", id, out, err)
		}
	}
	st := srv.State()
	if st.TokensIssued != 0 || st.Requests["start"] != 0 {
		t.Fatalf("bad agent IDs reached the emulator: %+v", st)
	}
}

func TestEmulatorTokenRefreshOn401(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, noRetry)
	if _, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody); err != nil {
		t.Fatal(err)
	}
	srv.RevokeTokens() // the cached token now gets 401
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if err != nil || !out.OK() || out.Attempts != 2 {
		t.Fatalf("after revocation: %v, %+v; want 200 after one refresh (2 attempts)", err, out)
	}
	st := srv.State()
	if st.TokensIssued != 2 || st.SessionsCreated != 2 {
		t.Fatalf("tokens issued %d, sessions %d; want 2 and 2", st.TokensIssued, st.SessionsCreated)
	}
}

func TestEmulatorTokenExpiry(t *testing.T) {
	org := emulator.DefaultOrg()
	org.TokenLifetime = emulator.Duration(2 * time.Second)
	srv := startEmulator(t, org)
	c := emuClient(t, srv, noRetry)
	for i := 0; i < 2; i++ {
		if _, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.State().TokensIssued; n != 1 {
		t.Fatalf("%d tokens issued for two calls within the lifetime, want 1 (cached)", n)
	}
	// The emulator's tokens are JWT-shaped with exp; once within the refresh
	// margin of exp the client fetches a new one without a 401.
	time.Sleep(2 * time.Second)
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if err != nil || out.Attempts != 1 {
		t.Fatalf("after expiry: %v %+v, want success in one attempt", err, out)
	}
	if n := srv.State().TokensIssued; n != 2 {
		t.Fatalf("%d tokens issued, want 2", n)
	}
}

func TestEmulatorWrongSecret(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, func(cfg *agentapi.Config) { cfg.ClientSecret = "not-the-secret" })
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	var ae *agentapi.APIError
	if !errors.As(err, &ae) || ae.Op != "token" || out.Output != agentapi.Output401 {
		t.Fatalf("error = %v, outcome %+v; want a token APIError with 401 Exception", err, out)
	}
	if strings.Contains(err.Error(), "not-the-secret") || strings.Contains(string(out.RawBody), "not-the-secret") {
		t.Fatal("the client secret leaked")
	}
	if srv.State().Requests["start"] != 0 {
		t.Fatal("Start Session sent without a token")
	}
	// One token request was made and counted; the advice is given once.
	const advice = "check the client id and secret"
	if out.Attempts != 1 || strings.Count(err.Error(), advice) != 1 || !strings.Contains(out.Message, advice) {
		t.Fatalf("attempts %d, error %q, message %q; want 1 attempt and the advice once in each", out.Attempts, err, out.Message)
	}
}

func TestEmulatorConversation(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, nil)
	ctx := context.Background()
	out, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
	if err != nil {
		t.Fatal(err)
	}
	sid := out.Session.SessionID

	sent, err := c.SendMessage(ctx, sid, agentapi.TextMessage(1, "Where is my order?"))
	if err != nil || !sent.OK() || sent.Messages == nil || len(sent.Messages.Messages) == 0 {
		t.Fatalf("send: %v %+v", err, sent)
	}

	// Streaming: events arrive one by one, in order, with decoded messages.
	var types []string
	var offsets []int64
	streamed, err := c.SendMessageStream(ctx, sid, agentapi.TextMessage(2, "Thanks, and the invoice?"), func(e agentapi.StreamEvent) error {
		types = append(types, e.Type)
		offsets = append(offsets, e.Offset)
		if e.Message == nil || e.Message.Type == "" || !json.Valid(e.Data) {
			t.Errorf("event %q without a decoded message: %s", e.Type, e.Data)
		}
		return nil
	})
	if err != nil || !streamed.OK() {
		t.Fatalf("stream: %v %+v", err, streamed)
	}
	if len(types) < 3 || types[0] != "TEXT_CHUNK" || types[len(types)-1] != "END_OF_TURN" {
		t.Fatalf("event types %v; want TEXT_CHUNK… INFORM END_OF_TURN (agent-api.md §1)", types)
	}
	if len(streamed.Messages.Messages) != len(types) {
		t.Fatalf("outcome collected %d messages for %d events", len(streamed.Messages.Messages), len(types))
	}

	ended, err := c.EndSession(ctx, sid, agentapi.EndUserRequest)
	if err != nil || !ended.OK() {
		t.Fatalf("end: %v %+v", err, ended)
	}
	if st := srv.State(); st.SessionsEnded != 1 || st.SessionsActive != 0 {
		t.Fatalf("emulator state after end: %+v", st)
	}
	// The session is gone: 404 NotFoundException (agent-api.md §8).
	again, err := c.SendMessage(ctx, sid, agentapi.TextMessage(3, "hello?"))
	wantException(t, again, err, 404, "404 Exception", "", "V6Session not found for sessionId: "+sid)
	if _, err := c.EndSession(ctx, sid, "Bored"); !errors.Is(err, agentapi.ErrInvalidArgument) {
		t.Fatalf("bad end reason: %v", err)
	}
}

func TestEmulatorStreamStopEarly(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, nil)
	ctx := context.Background()
	out, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_, err = c.SendMessageStream(ctx, out.Session.SessionID, agentapi.TextMessage(1, "hi"), func(e agentapi.StreamEvent) error {
		n++
		return errors.New("enough")
	})
	if err == nil || !strings.Contains(err.Error(), "enough") || n != 1 {
		t.Fatalf("handler error: %v after %d events; want it returned after the first", err, n)
	}
	// ErrStopStream (wrapped or not) ends the stream early without an error:
	// callers outside this module cannot import internal/sse. A session of
	// its own: the first session stays busy (423) until the emulator notices
	// that its stream's reader left.
	second, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	stopped, err := c.SendMessageStream(ctx, second.Session.SessionID, agentapi.TextMessage(1, "again"), func(e agentapi.StreamEvent) error {
		n++
		return fmt.Errorf("seen %s: %w", e.Type, agentapi.ErrStopStream)
	})
	if err != nil || n != 1 || !stopped.OK() {
		t.Fatalf("ErrStop: %v after %d events, outcome %+v", err, n, stopped)
	}
}

func TestEmulator423WhileBusy(t *testing.T) {
	org := emulator.DefaultOrg()
	org.Agents[0].ReplyDelay = emulator.Duration(300 * time.Millisecond)
	srv := startEmulator(t, org)
	c := emuClient(t, srv, noRetry)
	ctx := context.Background()
	out, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
	if err != nil {
		t.Fatal(err)
	}
	sid := out.Session.SessionID
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := c.SendMessage(ctx, sid, agentapi.TextMessage(1, "slow question")); err != nil {
			t.Errorf("first send: %v", err)
		}
	}()
	// Wait until the emulator holds the session busy.
	for deadline := time.Now().Add(5 * time.Second); ; {
		busy := false
		for _, s := range srv.Sessions() {
			busy = busy || s.Busy
		}
		if busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first message never made the session busy")
		}
		time.Sleep(time.Millisecond)
	}
	second, err := c.SendMessage(ctx, sid, agentapi.TextMessage(2, "impatient"))
	wantException(t, second, err, 423, "423 Exception", "ServerBusyError", "")
	if !agentapi.IsRetryable(err) {
		t.Fatal("423 must be retryable")
	}
	wg.Wait()
}

func TestEmulatorBadAgentIDSentWhenCheckSkipped(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, func(cfg *agentapi.Config) { cfg.SkipAgentIDCheck = true; noRetry(cfg) })
	// With the client's form check off, the API itself judges the ID and
	// answers 400 "<id> is not a valid agent ID" (agent-api.md §5, §8).
	out, err := c.StartSession(context.Background(), "001AA0000000001AAA", demoBody)
	wantException(t, out, err, 400, "400 Exception", "BadRequestError", "001AA0000000001AAA is not a valid agent ID")
	if n := srv.SessionsCreated(); n != 0 {
		t.Fatalf("a refused agent ID created %d sessions", n)
	}
	// Path-unsafe IDs are still refused before any request.
	if _, err := c.StartSession(context.Background(), "0Xx/../tokens", demoBody); !errors.Is(err, agentapi.ErrInvalidAgentID) {
		t.Fatalf("a path-unsafe ID was not refused: %v", err)
	}
	if got := srv.State().Requests["start"]; got != 1 {
		t.Fatalf("emulator saw %d Start Session requests, want 1", got)
	}
}

// TestEmulatorErrorStylesMapToTheSameOutputs: an org answering in the live
// style (…Exception classes, mode, expected, 500 for a malformed agent ID;
// agent-api.md §5) and one answering as documented give the Flow outputs
// their statuses call for.
func TestEmulatorErrorStylesMapToTheSameOutputs(t *testing.T) {
	for _, c := range []struct {
		style         emulator.ErrorStyle
		badIDStatus   int
		badIDOutput   string
		badIDClass    string
		goneClass     string
		badIDHintPart string
	}{
		{emulator.DocumentedErrors, 400, "400 Exception", "BadRequestError", "NotFoundException", "agent ID"},
		{emulator.LiveErrors, 500, "Default Exception", "HttpServerErrorException", "NotFoundException", "a malformed agent ID"},
	} {
		t.Run(string(c.style), func(t *testing.T) {
			org := emulator.DefaultOrg()
			org.ErrorStyle = c.style
			srv := startEmulator(t, org)
			cl := emuClient(t, srv, func(cfg *agentapi.Config) { cfg.SkipAgentIDCheck = true; noRetry(cfg) })
			out, err := cl.StartSession(context.Background(), "0Xxbad", demoBody)
			wantException(t, out, err, c.badIDStatus, c.badIDOutput, c.badIDClass, "")
			if !strings.Contains(err.Error(), c.badIDHintPart) {
				t.Errorf("error %q does not mention %q", err, c.badIDHintPart)
			}
			out, err = cl.SendMessage(context.Background(), "2b8e4f60-d1a3-47c9-9e05-6f7a8b9c0d1e", agentapi.TextMessage(1, "hi"))
			wantException(t, out, err, 404, "404 Exception", c.goneClass, "V6Session not found")
		})
	}
}
