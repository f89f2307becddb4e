package agentapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

// Fault-injection tests against the emulator: the client retries only where
// agent-api.md §5 allows (423, 429, 503, connection failures before the
// request was written), honours Retry-After, stays within its bounds, and
// one Start Session never creates two sessions.

func injectStart(t *testing.T, srv *emulator.Server, f emulator.Fault) {
	t.Helper()
	f.Operations = []emulator.Operation{emulator.OpStart}
	if _, err := srv.InjectFault(f); err != nil {
		t.Fatalf("inject %+v: %v", f, err)
	}
}

func TestRetriesOnlyWhereAllowed(t *testing.T) {
	for _, status := range []int{400, 403, 404, 409, 422, 500, 502, 504} {
		t.Run(fmt.Sprint("never ", status), func(t *testing.T) {
			srv := startEmulator(t, nil)
			injectStart(t, srv, emulator.Fault{Status: status, Count: 1})
			c := emuClient(t, srv, nil) // 3 attempts allowed
			out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
			var ae *agentapi.APIError
			if !errors.As(err, &ae) || ae.Status != status || agentapi.IsRetryable(err) {
				t.Fatalf("error = %v, want a non-retryable %d", err, status)
			}
			if got := srv.State().Requests["start"]; got != 1 || out.Attempts != 1 {
				t.Fatalf("%d requests reached the emulator (outcome says %d); %d is never retried", got, out.Attempts, status)
			}
		})
	}
	for _, status := range []int{423, 429, 503} {
		t.Run(fmt.Sprint("retried ", status), func(t *testing.T) {
			srv := startEmulator(t, nil)
			injectStart(t, srv, emulator.Fault{Status: status, Count: 2})
			c := emuClient(t, srv, nil)
			out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
			if err != nil || !out.OK() || out.Attempts != 3 {
				t.Fatalf("%v %+v; want 200 on the third attempt", err, out)
			}
			if st := srv.State(); st.Requests["start"] != 3 || st.SessionsCreated != 1 {
				t.Fatalf("emulator saw %d requests and created %d sessions; want 3 and exactly 1", st.Requests["start"], st.SessionsCreated)
			}
		})
	}
}

func TestRetriesBoundedByAttempts(t *testing.T) {
	srv := startEmulator(t, nil)
	injectStart(t, srv, emulator.Fault{Status: 503}) // every request
	c := emuClient(t, srv, func(cfg *agentapi.Config) { cfg.Retry.MaxAttempts = 4 })
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	var ae *agentapi.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || out.Output != agentapi.Output503 {
		t.Fatalf("error = %v", err)
	}
	if got := srv.State().Requests["start"]; got != 4 || out.Attempts != 4 {
		t.Fatalf("%d requests (outcome %d), want MaxAttempts = 4", got, out.Attempts)
	}
}

func TestRetryAfterSecondsHonoured(t *testing.T) {
	srv := startEmulator(t, nil)
	injectStart(t, srv, emulator.Fault{Status: 429, Count: 1, RetryAfter: "1"})
	c := emuClient(t, srv, nil) // backoff alone would wait at most 10 ms
	t0 := time.Now()
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	waited := time.Since(t0)
	if err != nil || out.Attempts != 2 {
		t.Fatalf("%v %+v", err, out)
	}
	if waited < time.Second {
		t.Fatalf("retried after %v; Retry-After: 1 asks for at least 1 s", waited)
	}
}

func TestRetryAfterHTTPDateHonoured(t *testing.T) {
	srv := startEmulator(t, nil)
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second)
	injectStart(t, srv, emulator.Fault{Status: 503, Count: 1, RetryAfter: at.Format(http.TimeFormat)})
	c := emuClient(t, srv, nil)
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if err != nil || out.Attempts != 2 {
		t.Fatalf("%v %+v", err, out)
	}
	if now := time.Now(); now.Before(at) {
		t.Fatalf("retried at %v, before the Retry-After date %v", now, at)
	}
}

func TestRetryAfterBeyondBudgetIsNotWaitedFor(t *testing.T) {
	srv := startEmulator(t, nil)
	injectStart(t, srv, emulator.Fault{Status: 503, RetryAfter: "3600"})
	c := emuClient(t, srv, func(cfg *agentapi.Config) { cfg.Retry.MaxElapsed = 5 * time.Second })
	done := make(chan struct{})
	var out *agentapi.Outcome
	var err error
	go func() {
		defer close(done)
		out, err = c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the client waited for a Retry-After beyond its MaxElapsed budget")
	}
	if !errors.As(err, new(*agentapi.APIError)) || out.Attempts != 1 || srv.State().Requests["start"] != 1 {
		t.Fatalf("%v %+v; want the 503 after one attempt: an hour's Retry-After exceeds the 5 s budget", err, out)
	}
}

func TestTotalTimeBounded(t *testing.T) {
	srv := startEmulator(t, nil)
	injectStart(t, srv, emulator.Fault{Status: 503, RetryAfter: "1"})
	// 10 attempts allowed, but the 2.5 s budget leaves room for 2 waits of 1 s.
	c := emuClient(t, srv, func(cfg *agentapi.Config) {
		cfg.Retry = agentapi.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxElapsed: 2500 * time.Millisecond}
	})
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if err == nil || out.Attempts != 3 || srv.State().Requests["start"] != 3 {
		t.Fatalf("%v, %d attempts, %d requests; want 3 within the 2.5 s budget", err, out.Attempts, srv.State().Requests["start"])
	}
}

func TestOneStartSessionNeverCreatesTwoSessions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault emulator.Fault
		cfg   func(*agentapi.Config)
	}{
		{name: "dropped before processing", fault: emulator.Fault{Drop: true, Count: 1}},
		{name: "dropped after the session was created", fault: emulator.Fault{Drop: true, AfterProcessing: true, Count: 1}},
		{name: "dropped every time after creating", fault: emulator.Fault{Drop: true, AfterProcessing: true}},
		{name: "answer later than the client timeout", fault: emulator.Fault{Latency: emulator.Duration(2 * time.Second), Count: 1},
			cfg: func(cfg *agentapi.Config) { cfg.Timeout = 200 * time.Millisecond }},
		{name: "503 burst then success", fault: emulator.Fault{Status: 503, Count: 2}},
		{name: "429 burst then success", fault: emulator.Fault{Status: 429, Count: 2, RetryAfter: "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startEmulator(t, nil)
			injectStart(t, srv, tc.fault)
			c := emuClient(t, srv, tc.cfg)
			out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
			created := srv.SessionsCreated()
			if created > 1 {
				t.Fatalf("one Start Session created %d sessions (%d requests reached the emulator)", created, srv.State().Requests["start"])
			}
			if err == nil && created != 1 {
				t.Fatalf("the client reports success but the emulator created %d sessions", created)
			}
			var te *agentapi.TransportError
			if errors.As(err, &te) && (!te.MayHaveReached || agentapi.IsRetryable(err)) {
				t.Fatalf("a failure after the request was written must say it may have reached the server: %v", err)
			}
			t.Logf("outcome %s, %d attempt(s), %d session(s); err: %v", out.Output, out.Attempts, created, err)
		})
	}
}

func TestTokenEndpointDropIsRetried(t *testing.T) {
	srv := startEmulator(t, nil)
	if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpToken}, Drop: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	c := emuClient(t, srv, nil)
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if err != nil || !out.OK() {
		t.Fatalf("%v %+v: a token request creates nothing and is safe to repeat", err, out)
	}
	if st := srv.State(); st.Requests["token"] != 2 || st.SessionsCreated != 1 {
		t.Fatalf("token requests %d, sessions %d; want 2 and 1", st.Requests["token"], st.SessionsCreated)
	}
}

func TestEmulatorDownIsUnreachable(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, nil)
	srv.Close()
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if !agentapi.IsUnreachable(err) || out.Output != agentapi.OutputDefault || out.ResponseCode != 0 {
		t.Fatalf("%v %+v; want unreachable", err, out)
	}
	// The outcome and the error count the same attempts (the token requests
	// here, repeated as the retry policy allows).
	var te *agentapi.TransportError
	if !errors.As(err, &te) || te.Attempts < 2 || out.Attempts != te.Attempts ||
		!strings.Contains(out.Message, fmt.Sprintf("after %d attempt(s)", out.Attempts)) {
		t.Fatalf("outcome says %d attempt(s) (%q), error says %v", out.Attempts, out.Message, err)
	}
}

// A server that creates the session and then answers 503 (emulator fault
// afterProcessing) would get a second session from a retry; with
// StartSessionStatuses narrowed to the rejections-before-work (429, 423)
// the client never repeats such a Start Session.
func TestStartSessionStatusesNarrowed(t *testing.T) {
	srv := startEmulator(t, nil)
	injectStart(t, srv, emulator.Fault{Status: 503, AfterProcessing: true, Count: 1})
	c := emuClient(t, srv, func(cfg *agentapi.Config) { cfg.Retry.StartSessionStatuses = []int{429, 423} })
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if !errors.As(err, new(*agentapi.APIError)) || out.Output != agentapi.Output503 || out.Attempts != 1 {
		t.Fatalf("%v %+v; want the 503 after one attempt", err, out)
	}
	if n := srv.SessionsCreated(); n != 1 {
		t.Fatalf("%d sessions, want exactly the 1 the server created before its 503", n)
	}
	// 429 is still retried under the narrowed policy.
	injectStart(t, srv, emulator.Fault{Status: 429, Count: 1, RetryAfter: "0"})
	out, err = c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if err != nil || out.Attempts != 2 {
		t.Fatalf("429 under the narrowed policy: %v %+v", err, out)
	}
	// Send Message keeps the full set.
	injectSend := emulator.Fault{Operations: []emulator.Operation{emulator.OpSend}, Status: 503, Count: 1}
	if _, err := srv.InjectFault(injectSend); err != nil {
		t.Fatal(err)
	}
	sent, err := c.SendMessage(context.Background(), out.Session.SessionID, agentapi.TextMessage(1, "hi"))
	if err != nil || sent.Attempts != 2 {
		t.Fatalf("send after a 503: %v %+v", err, sent)
	}
}

func TestCancelDuringRetryAfterWait(t *testing.T) {
	srv := startEmulator(t, nil)
	injectStart(t, srv, emulator.Fault{Status: 503, RetryAfter: "10"})
	c := emuClient(t, srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	out, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
	if !errors.Is(err, context.DeadlineExceeded) || agentapi.IsUnreachable(err) || out.Attempts != 1 {
		t.Fatalf("%v %+v; want the caller's deadline while waiting out Retry-After", err, out)
	}
}

// A token endpoint that is busy or unavailable (429, 503) has not judged the
// credentials: the token request creates nothing, so it is repeated like any
// other 429/503 (agent-api.md §5, §7), and when the retries run out the
// outcome names the status, not a credentials problem.
func TestTokenEndpointBusyIsRetried(t *testing.T) {
	tokenFault := func(srv *emulator.Server, f emulator.Fault) {
		t.Helper()
		f.Operations = []emulator.Operation{emulator.OpToken}
		if _, err := srv.InjectFault(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, status := range []int{429, 503} {
		t.Run(fmt.Sprint(status, " then success"), func(t *testing.T) {
			srv := startEmulator(t, nil)
			tokenFault(srv, emulator.Fault{Status: status, Count: 1, RetryAfter: "0"})
			out, err := emuClient(t, srv, nil).StartSession(context.Background(), emulator.DemoAgentID, demoBody)
			if err != nil || !out.OK() {
				t.Fatalf("%v %+v; a %d from the token endpoint is transient", err, out, status)
			}
			if st := srv.State(); st.Requests["token"] != 2 || st.SessionsCreated != 1 {
				t.Fatalf("token requests %d, sessions %d; want 2 and 1", st.Requests["token"], st.SessionsCreated)
			}
		})
	}
	t.Run("503 every time", func(t *testing.T) {
		srv := startEmulator(t, nil)
		tokenFault(srv, emulator.Fault{Status: 503})
		out, err := emuClient(t, srv, nil).StartSession(context.Background(), emulator.DemoAgentID, demoBody)
		var ae *agentapi.APIError
		if !errors.As(err, &ae) || ae.Op != "token" || ae.Status != 503 {
			t.Fatalf("error = %v; want the token endpoint's 503", err)
		}
		if out.Output != agentapi.Output503 || out.ResponseCode != 503 || strings.Contains(err.Error(), "client id and secret") {
			t.Fatalf("outcome %s/%d, error %q; want 503 Exception without blaming the credentials", out.Output, out.ResponseCode, err)
		}
		if got := srv.State().Requests["token"]; got != 3 {
			t.Fatalf("%d token requests, want MaxAttempts = 3", got)
		}
		if srv.State().Requests["start"] != 0 {
			t.Fatal("Start Session sent without a token")
		}
	})
}
