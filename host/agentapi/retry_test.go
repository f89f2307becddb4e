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

// Fault-injection tests against the emulator on 127.0.0.1: the client
// repeats a call only where agent-api.md §10 allows — by default never a
// Start Session or Send Message that may have taken effect — honours
// Retry-After and stays within its bounds.

func injectStart(t *testing.T, srv *emulator.Server, f emulator.Fault) {
	t.Helper()
	f.Operations = []emulator.Operation{emulator.OpStart}
	if _, err := srv.InjectFault(f); err != nil {
		t.Fatalf("inject %+v: %v", f, err)
	}
}

// unsafe opts in to repeating Start Session and Send Message after 423, 429
// and 503.
func unsafe(cfg *agentapi.Config) { cfg.Retry.RetryUnsafe = true }

func TestRetriesOnlyWhereAllowed(t *testing.T) {
	for _, status := range []int{400, 403, 404, 409, 422, 500, 502, 504} {
		t.Run(fmt.Sprint("never ", status), func(t *testing.T) {
			srv := startEmulator(t, nil)
			injectStart(t, srv, emulator.Fault{Status: status, Count: 1})
			c := emuClient(t, srv, unsafe) // 3 attempts allowed, even for answers that do not prove anything
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
		t.Run(fmt.Sprint("not repeated by default ", status), func(t *testing.T) {
			srv := startEmulator(t, nil)
			injectStart(t, srv, emulator.Fault{Status: status, Count: 2})
			out, err := emuClient(t, srv, nil).StartSession(context.Background(), emulator.DemoAgentID, demoBody)
			var ae *agentapi.APIError
			if !errors.As(err, &ae) || ae.Status != status || out.Attempts != 1 || srv.State().Requests["start"] != 1 {
				t.Fatalf("%v %+v; want the %d after one attempt: it does not prove that no session was created", err, out, status)
			}
			if !strings.Contains(err.Error(), "does not prove that no session was created") || !strings.Contains(err.Error(), "--retry-unsafe") {
				t.Fatalf("the error should say why it was not repeated and how to opt in: %v", err)
			}
		})
		t.Run(fmt.Sprint("repeated with RetryUnsafe ", status), func(t *testing.T) {
			srv := startEmulator(t, nil)
			injectStart(t, srv, emulator.Fault{Status: status, Count: 2})
			out, err := emuClient(t, srv, unsafe).StartSession(context.Background(), emulator.DemoAgentID, demoBody)
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
	c := emuClient(t, srv, func(cfg *agentapi.Config) { cfg.Retry.MaxAttempts = 4; unsafe(cfg) })
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
	c := emuClient(t, srv, unsafe) // backoff alone would wait at most 10 ms
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
	c := emuClient(t, srv, unsafe)
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
	c := emuClient(t, srv, func(cfg *agentapi.Config) { cfg.Retry.MaxElapsed = 5 * time.Second; unsafe(cfg) })
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
		cfg.Retry = agentapi.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxElapsed: 2500 * time.Millisecond, RetryUnsafe: true}
	})
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
	if err == nil || out.Attempts != 3 || srv.State().Requests["start"] != 3 {
		t.Fatalf("%v, %d attempts, %d requests; want 3 within the 2.5 s budget", err, out.Attempts, srv.State().Requests["start"])
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

func TestCancelDuringRetryAfterWait(t *testing.T) {
	srv := startEmulator(t, nil)
	injectStart(t, srv, emulator.Fault{Status: 503, RetryAfter: "10"})
	c := emuClient(t, srv, unsafe)
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
