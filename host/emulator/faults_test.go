package emulator_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/emulator"
)

// An error burst answers the next Count matching requests with Status and
// the documented body (agent-api.md §5: 503 ServiceUnavailable), with
// Retry-After when asked, then lets requests through; no session is created
// by the refused requests.
func TestFaultErrorBurst(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: 503, Count: 2, RetryAfter: "3"}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		r := startSession(t, srv, tok, agentID, startBody)
		wantError(t, r, 503, "ServiceUnavailable", "Service is unavailable")
		if r.header.Get("Retry-After") != "3" {
			t.Errorf("attempt %d: Retry-After %q", i, r.header.Get("Retry-After"))
		}
	}
	if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
		t.Fatalf("after the burst: %d %s", r.status, r.body)
	}
	if srv.SessionsCreated() != 1 {
		t.Errorf("SessionsCreated = %d, want 1", srv.SessionsCreated())
	}
	fs := srv.Faults()
	if len(fs) != 1 || fs[0].Fired != 2 || fs[0].Seen != 3 || !fs[0].Exhausted {
		t.Errorf("fault state %+v", fs)
	}
}

// Skip lets requests through first; statuses map to their documented classes.
func TestFaultSkipAndClasses(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	for _, c := range []struct {
		status int
		class  string
	}{{423, "ServerBusyError"}, {429, "TooManyRequestsError"}, {500, "HttpServerErrorException"}, {422, "RequestProcessingException"}} {
		srv.ClearFaults()
		if _, err := srv.InjectFault(emulator.Fault{Status: c.status, Count: 1, Skip: 1, Message: "injected"}); err != nil {
			t.Fatal(err)
		}
		if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
			t.Fatalf("skipped request: %d", r.status)
		}
		wantError(t, startSession(t, srv, tok, agentID, startBody), c.status, c.class, "injected")
		if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
			t.Fatalf("after count: %d", r.status)
		}
	}
}

// Faults aim at operations: a send fault leaves Start alone; the token
// endpoint is only hit when named.
func TestFaultOperations(t *testing.T) {
	srv := start(t, nil)
	if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpSend}, Status: 503}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.InjectFault(emulator.Fault{Status: 429, Count: 1, Skip: 100}); err != nil { // all API ops, not token
		t.Fatal(err)
	}
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	wantError(t, do(t, "POST", srv.URL+emulator.APIPrefix+"/sessions/"+sid+"/messages", sendBody(1, "x"), authJSON(tok)), 503, "ServiceUnavailable", "unavailable")
	if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpToken}, Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if r := getToken(t, srv, emulator.DemoClientID, emulator.DemoClientSecret); r.status != 503 {
		t.Errorf("token fault: %d", r.status)
	}
	if r := getToken(t, srv, emulator.DemoClientID, emulator.DemoClientSecret); r.status != 200 {
		t.Errorf("token after fault: %d", r.status)
	}
}

// A dropped connection gives the client a transport error and no answer;
// before processing, no session exists.
func TestFaultDrop(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Drop: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := rawStart(srv, tok); err == nil {
		t.Fatal("dropped request got an answer")
	}
	if srv.SessionsCreated() != 0 {
		t.Errorf("SessionsCreated = %d after a drop before processing", srv.SessionsCreated())
	}
	if err := rawStart(srv, tok); err != nil {
		t.Fatalf("after the drop: %v", err)
	}
}

// afterProcessing: the session is created, then the answer is lost (drop)
// or replaced (503) — what a retrying client must not turn into two sessions.
func TestFaultAfterProcessing(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Drop: true, Count: 1, AfterProcessing: true}); err != nil {
		t.Fatal(err)
	}
	if err := rawStart(srv, tok); err == nil {
		t.Fatal("dropped request got an answer")
	}
	if srv.SessionsCreated() != 1 {
		t.Errorf("SessionsCreated = %d, want 1 (processed, answer lost)", srv.SessionsCreated())
	}
	srv.ClearFaults()
	if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: 503, Count: 1, AfterProcessing: true}); err != nil {
		t.Fatal(err)
	}
	r := startSession(t, srv, tok, agentID, startBody)
	wantError(t, r, 503, "ServiceUnavailable", "unavailable")
	if r.header.Get("x-session-mode") != "" {
		t.Error("the replaced answer leaked headers of the lost one")
	}
	if srv.SessionsCreated() != 2 {
		t.Errorf("SessionsCreated = %d, want 2", srv.SessionsCreated())
	}
}

// A 401 says the request was not applied (RFC 9110, section 15.5.2), and
// clients repeat a request after one with a new token: a fault answering
// 401 after the request took effect models no server and is refused.
func TestFaultAfterProcessing401Refused(t *testing.T) {
	srv := start(t, nil)
	_, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: 401, AfterProcessing: true})
	if err == nil || !strings.Contains(err.Error(), "was not applied") {
		t.Fatalf("InjectFault = %v; want a refusal saying why", err)
	}
	if err := srv.SetFaults([]emulator.Fault{{Status: 401, AfterProcessing: true}}); err == nil {
		t.Fatal("SetFaults accepted a 401 after processing")
	}
	if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: 401, Count: 1}); err != nil {
		t.Fatalf("a 401 before processing is a real answer: %v", err)
	}
}

func rawStart(srv *emulator.Server, tok string) error {
	req, _ := http.NewRequest("POST", srv.URL+emulator.APIPrefix+"/agents/"+agentID+"/sessions", strings.NewReader(startBody))
	for k, v := range authJSON(tok) {
		req.Header.Set(k, v)
	}
	// A fresh transport: a dropped keep-alive connection must not be retried silently.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return errors.New(resp.Status)
	}
	return nil
}

// Latency at or over the org's requestTimeout answers 500 after the timeout
// (agent-api.md §8); smaller latency just delays the answer.
func TestFaultLatency(t *testing.T) {
	org := emulator.DefaultOrg()
	org.RequestTimeout = emulator.Duration(50 * time.Millisecond)
	srv := start(t, org)
	tok := token(t, srv)
	if _, err := srv.InjectFault(emulator.Fault{Latency: emulator.Duration(time.Hour), Count: 1}); err != nil {
		t.Fatal(err)
	}
	wantError(t, startSession(t, srv, tok, agentID, startBody), 500, "RequestTimeoutException", "timed out")
	if _, err := srv.InjectFault(emulator.Fault{Latency: emulator.Duration(time.Millisecond), Count: 1}); err != nil {
		t.Fatal(err)
	}
	if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
		t.Fatalf("small latency: %d", r.status)
	}
	for _, f := range srv.Faults() {
		if f.Fired != 1 {
			t.Errorf("fault %d fired %d times, want 1", f.ID, f.Fired)
		}
	}
}

// Faults in the org file are active from the start; bad faults are refused.
func TestFaultsFromOrgAndChecks(t *testing.T) {
	org := emulator.DefaultOrg()
	org.Faults = []emulator.Fault{{Operations: []emulator.Operation{emulator.OpStart}, Status: 503, Count: 1}}
	srv := start(t, org)
	tok := token(t, srv)
	wantError(t, startSession(t, srv, tok, agentID, startBody), 503, "ServiceUnavailable", "unavailable")
	for _, bad := range []emulator.Fault{
		{},
		{Status: 200},
		{Status: 503, Drop: true},
		{Status: 503, Operations: []emulator.Operation{"teleport"}},
		{Status: 503, RetryAfter: "soon"},
		{Latency: emulator.Duration(time.Second), RetryAfter: "1"},
		{Status: 503, Count: -1},
	} {
		if _, err := srv.InjectFault(bad); err == nil {
			t.Errorf("InjectFault(%+v) accepted", bad)
		}
	}
}

// agent-api.md §5: over the rate limit → 429 TooManyRequestsError with Retry-After.
func TestRateLimit(t *testing.T) {
	clk := newFakeClock()
	org := emulator.DefaultOrg()
	org.RateLimit = &emulator.RateLimit{RequestsPerSecond: 0.5, Burst: 2}
	srv := start(t, org, withClock(clk))
	tok := token(t, srv)
	for i := range 2 {
		if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
			t.Fatalf("request %d within burst: %d", i, r.status)
		}
	}
	r := startSession(t, srv, tok, agentID, startBody)
	wantError(t, r, 429, "TooManyRequestsError", "Too many requests")
	if r.header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q, want 2 (one token at 0.5/s)", r.header.Get("Retry-After"))
	}
	if got := getToken(t, srv, emulator.DemoClientID, emulator.DemoClientSecret); got.status != 200 {
		t.Errorf("the token endpoint is not rate limited: %d", got.status)
	}
	clk.Add(2 * time.Second)
	if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
		t.Fatalf("after refill: %d", r.status)
	}
	if srv.SessionsCreated() != 3 {
		t.Errorf("SessionsCreated %d", srv.SessionsCreated())
	}
}
