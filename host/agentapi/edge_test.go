package agentapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/internal/testnet"
)

// checkNoLeak fails when goroutines started during the test are still
// running once it ends and its servers and clients are closed. Call it
// first, so its cleanup runs last.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("goroutine leak: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestValidateAgentID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want string // substring of the error, "" = valid
	}{
		{"0XxAA0000000001AAA", ""},
		{"0XxAA0000000001", ""},
		{"", "empty"},
		{"0XxAA00000000", "15 or 18"},
		{"0XxAA0000000001AAAB", "15 or 18"},
		{"001AA0000000001AAA", `starts with "0Xx"`},
		{"0XxAA00000-0001AAA", "not a letter or digit"},
		{"0XxAA0000000001AA/", "not a letter or digit"},
	} {
		err := agentapi.ValidateAgentID(tc.id)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ValidateAgentID(%q) = %v, want nil", tc.id, err)
			}
			continue
		}
		if !errors.Is(err, agentapi.ErrInvalidAgentID) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateAgentID(%q) = %v, want ErrInvalidAgentID mentioning %q", tc.id, err, tc.want)
		}
	}
}

func TestBadAgentIDSendsNothing(t *testing.T) {
	f := newFakeAPI(t, okStart)
	c := f.client(t, nil)
	out, err := c.StartSession(context.Background(), "not-an-agent", startBody(f.srv.URL))
	if out != nil || !errors.Is(err, agentapi.ErrInvalidAgentID) {
		t.Fatalf("StartSession(bad id) = %v, %v; want nil, ErrInvalidAgentID", out, err)
	}
	if f.tokens.Load() != 0 || f.requests.Load() != 0 {
		t.Fatalf("a bad agent ID must cost no request: %d token, %d API requests", f.tokens.Load(), f.requests.Load())
	}
}

func TestBodyMustBeJSONObject(t *testing.T) {
	f := newFakeAPI(t, okStart)
	c := f.client(t, nil)
	for _, b := range []string{"", "[]", "{", "null", `"x"`} {
		if _, err := c.StartSession(context.Background(), testAgentID, []byte(b)); !errors.Is(err, agentapi.ErrInvalidArgument) {
			t.Errorf("StartSession(body %q) error = %v, want ErrInvalidArgument", b, err)
		}
	}
	if f.requests.Load() != 0 {
		t.Fatalf("invalid bodies reached the server %d times", f.requests.Load())
	}
}

func TestUnusable200(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"malformed JSON":    {`{"sessionId": "abc", "messages": [`, "not a JSON object"},
		"not an object":     {`["sessionId"]`, "not a JSON object"},
		"no sessionId":      {`{"_links":{},"messages":[]}`, `"sessionId"`},
		"no messages":       {`{"sessionId":"s","_links":{}}`, `"messages"`},
		"messages null":     {`{"sessionId":"s","_links":{},"messages":null}`, "null"},
		"sessionId number":  {`{"sessionId":42,"_links":{},"messages":[]}`, "documented shape"},
		"empty sessionId":   {`{"sessionId":"","_links":{},"messages":[]}`, "empty sessionId"},
		"HTML instead":      {`<html>hi</html>`, "not a JSON object"},
		"messages not list": {`{"sessionId":"s","_links":{},"messages":{}}`, "documented shape"},
	} {
		t.Run(name, func(t *testing.T) {
			checkNoLeak(t)
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tc.body) })
			c := f.client(t, nil)
			out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
			var re *agentapi.ResponseError
			if !errors.As(err, &re) || !errors.Is(err, agentapi.ErrMalformedResponse) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v; want *ResponseError wrapping ErrMalformedResponse mentioning %q", err, tc.want)
			}
			if out == nil || out.Output != agentapi.OutputDefault || out.ResponseCode != 200 || out.Session != nil {
				t.Fatalf("outcome = %+v; want Default Exception, code 200, no session", out)
			}
			if f.requests.Load() != 1 {
				t.Fatalf("%d requests; an unusable 200 must not be retried", f.requests.Load())
			}
		})
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body>Bad gateway</body></html>")
	})
	c := f.client(t, nil)
	out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	var ae *agentapi.APIError
	if !errors.As(err, &ae) || ae.Status != 502 {
		t.Fatalf("error = %v, want *APIError 502", err)
	}
	if out.Output != agentapi.OutputDefault || out.ResponseCode != 502 || out.RawBody != nil ||
		!strings.Contains(out.RawText, "Bad gateway") || !contains(out.Message, "not JSON", "text/html") {
		t.Fatalf("outcome = %+v", out)
	}
}

func TestOversizeBody(t *testing.T) {
	for _, status := range []int{200, 400} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			checkNoLeak(t)
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				w.Write([]byte(`{"sessionId":"` + strings.Repeat("a", 2<<20) + `"}`))
			})
			c := f.client(t, nil)
			out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
			if !errors.Is(err, agentapi.ErrResponseTooLarge) || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
				t.Fatalf("error = %v, want ErrResponseTooLarge naming the limit", err)
			}
			if out.ResponseCode != status || out.Session != nil {
				t.Fatalf("outcome = %+v", out)
			}
		})
	}
}

func TestHangingServerTimesOut(t *testing.T) {
	checkNoLeak(t)
	release := make(chan struct{})
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := f.client(t, func(cfg *agentapi.Config) { cfg.Timeout = 150 * time.Millisecond })
	out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	var te *agentapi.TransportError
	if !errors.As(err, &te) || !te.Timeout || !errors.Is(err, agentapi.ErrTimeout) || !agentapi.IsUnreachable(err) {
		t.Fatalf("error = %v, want a timeout *TransportError", err)
	}
	if !te.MayHaveReached || f.requests.Load() != 1 {
		t.Fatalf("a timed-out Start Session may have created a session and must not be repeated: MayHaveReached=%v, %d requests", te.MayHaveReached, f.requests.Load())
	}
	if out.Output != agentapi.OutputDefault || out.ResponseCode != 0 {
		t.Fatalf("outcome = %+v", out)
	}
}

func TestHangingBodyTimesOut(t *testing.T) {
	checkNoLeak(t)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		w.Write([]byte(`{"sessionId":`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := f.client(t, func(cfg *agentapi.Config) { cfg.Timeout = 150 * time.Millisecond })
	_, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	if !errors.Is(err, agentapi.ErrTimeout) {
		t.Fatalf("error = %v, want ErrTimeout", err)
	}
}

func TestConnectionRefusedIsRetriedThenUnreachable(t *testing.T) {
	f := newFakeAPI(t, okStart)
	dead := "http://" + testnet.ClosedAddr(t)
	c := f.client(t, func(cfg *agentapi.Config) { cfg.APIBaseURL = dead }) // token from f, API nowhere
	out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	var te *agentapi.TransportError
	if !errors.As(err, &te) || te.MayHaveReached || te.Timeout || !agentapi.IsUnreachable(err) {
		t.Fatalf("error = %v, want an unreachable *TransportError before anything was written", err)
	}
	if te.Attempts != 3 || out.Attempts != 3 {
		t.Fatalf("attempts = %d (outcome %d), want 3: a refused connection is safe to retry up to MaxAttempts", te.Attempts, out.Attempts)
	}
	if !strings.Contains(err.Error(), dead) {
		t.Fatalf("error %q should name the URL", err)
	}
}

func TestDroppedAfterRequestIsNotRetried(t *testing.T) {
	checkNoLeak(t)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	c := f.client(t, nil)
	_, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	var te *agentapi.TransportError
	if !errors.As(err, &te) || !te.MayHaveReached || agentapi.IsRetryable(err) {
		t.Fatalf("error = %v; want a *TransportError that may have reached the server", err)
	}
	if f.requests.Load() != 1 {
		t.Fatalf("the server saw %d Start Session requests; a request that reached it must never be repeated", f.requests.Load())
	}
}

func TestCallerCancel(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := f.client(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.StartSession(ctx, testAgentID, startBody(f.srv.URL))
	if !errors.Is(err, context.DeadlineExceeded) || agentapi.IsUnreachable(err) {
		t.Fatalf("error = %v, want the caller's context error", err)
	}
}

func TestTokenCachedAndRefreshedOn401(t *testing.T) {
	f := newFakeAPI(t, nil)
	f.api = func(w http.ResponseWriter, r *http.Request) {
		// Only the second token is accepted: the first is "expired".
		if r.Header.Get("Authorization") != "Bearer "+f.token(2) {
			errorBody(w, 401, "UnauthorizedError", "Access bearer token is missing or invalid")
			return
		}
		okStart(w, r)
	}
	c := f.client(t, nil)
	for i := 0; i < 3; i++ {
		out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
		if err != nil || !out.OK() {
			t.Fatalf("call %d: %v %+v", i, err, out)
		}
	}
	if f.tokens.Load() != 2 || f.requests.Load() != 4 {
		t.Fatalf("%d token requests and %d API requests; want 2 (one refresh after the 401) and 4", f.tokens.Load(), f.requests.Load())
	}
}

func TestPersistent401RefreshesOnce(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		errorBody(w, 401, "UnauthorizedError", "Access bearer token is missing or invalid")
	})
	c := f.client(t, nil)
	out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	var ae *agentapi.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || out.Output != agentapi.Output401 {
		t.Fatalf("error = %v, outcome %+v", err, out)
	}
	if f.tokens.Load() != 2 || f.requests.Load() != 2 {
		t.Fatalf("%d token and %d API requests, want exactly 2 and 2 (refresh once, retry once)", f.tokens.Load(), f.requests.Load())
	}
}

func TestJWTExpiryDrivesRefresh(t *testing.T) {
	f := newFakeAPI(t, okStart)
	// A JWT whose exp is already past: every call must fetch a new token.
	f.token = func(n int64) string {
		return fmt.Sprintf("eyJhbGciOiJub25lIn0.%s.sig%d", b64(`{"exp":1000}`), n)
	}
	c := f.client(t, nil)
	for i := 0; i < 2; i++ {
		if _, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL)); err != nil {
			t.Fatal(err)
		}
	}
	if f.tokens.Load() != 2 {
		t.Fatalf("%d token requests, want 2: an expired JWT (exp claim) must not be reused", f.tokens.Load())
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		// A hostile server echoes the bearer token into its error body and text.
		errorBody(w, 400, "BadRequestError", "bad token "+r.Header.Get("Authorization"))
	})
	c := f.client(t, func(cfg *agentapi.Config) { cfg.Logger = logger })
	out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	if err == nil {
		t.Fatal("want an error")
	}
	// Wrong secret: the token endpoint echoes it back.
	c2 := f.client(t, func(cfg *agentapi.Config) { cfg.Logger = logger; cfg.ClientSecret = "wrong-secret-value" })
	out2, err2 := c2.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	var ae *agentapi.APIError
	if !errors.As(err2, &ae) || ae.Op != "token" || out2.Output != agentapi.Output401 || !strings.Contains(err2.Error(), "invalid_client") {
		t.Fatalf("wrong secret: error = %v, outcome %+v", err2, out2)
	}
	everything := fmt.Sprintf("%v\n%+v\n%s\n%s\n%v\n%+v\n%s\n%s\n%s", err, out, out.RawBody, out.Message, err2, out2, out2.RawBody, out2.Message, logs.String())
	for _, secret := range []string{testClientSecret, "wrong-secret-value", f.token(1)} {
		if strings.Contains(everything, secret) {
			t.Fatalf("secret %q leaked into errors, outcomes or logs:\n%s", secret, everything)
		}
	}
	if !strings.Contains(everything, "[REDACTED]") || !strings.Contains(logs.String(), "agentapi response") {
		t.Fatalf("expected a redaction marker and debug logs:\n%s", everything)
	}
}

// streamServer answers the streaming endpoint with a hand-written body.
func streamServer(t *testing.T, contentType string, write func(w http.ResponseWriter, r *http.Request)) *fakeAPI {
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/event-stream" {
			errorBody(w, 400, "BadRequestError", "Accept must be text/event-stream")
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(200)
		write(w, r)
	})
}

func TestStreamEdgeCases(t *testing.T) {
	msg := agentapi.TextMessage(1, "hi")
	for _, tc := range []struct {
		name  string
		ctype string
		write func(w http.ResponseWriter, r *http.Request)
		check func(t *testing.T, events int, err error)
	}{
		{"wrong content type", "application/json", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"messages":[]}`) },
			func(t *testing.T, n int, err error) {
				if !errors.Is(err, agentapi.ErrMalformedResponse) || !strings.Contains(err.Error(), "want text/event-stream") {
					t.Fatalf("error = %v", err)
				}
			}},
		{"data not JSON", "text/event-stream", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "event: TEXT_CHUNK\ndata: hello\n\n") },
			func(t *testing.T, n int, err error) {
				if !errors.Is(err, agentapi.ErrMalformedResponse) || !strings.Contains(err.Error(), `event "TEXT_CHUNK"`) || n != 0 {
					t.Fatalf("error = %v after %d events", err, n)
				}
			}},
		{"event over the limit", "text/event-stream; charset=utf-8", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `event: INFORM`+"\n"+`data: {"message":{"type":"Inform","id":"1","message":"`+strings.Repeat("a", 2<<20)+`"}}`+"\n\n")
		}, func(t *testing.T, n int, err error) {
			if !errors.Is(err, agentapi.ErrResponseTooLarge) {
				t.Fatalf("error = %v", err)
			}
		}},
		{"broken off mid-stream", "text/event-stream", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "event: TEXT_CHUNK\ndata: {\"message\":{\"type\":\"TextChunk\",\"id\":\"1\"}}\n\nevent: TEXT")
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, func(t *testing.T, n int, err error) {
			var te *agentapi.TransportError
			if n != 1 || !errors.As(err, &te) || !te.MayHaveReached {
				t.Fatalf("error = %v after %d events; want the first event, then a TransportError that is not repeated", err, n)
			}
		}},
		{"hangs after one event", "text/event-stream", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "event: TEXT_CHUNK\ndata: {\"message\":{\"type\":\"TextChunk\",\"id\":\"1\"}}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, func(t *testing.T, n int, err error) {
			if n != 1 || !errors.Is(err, agentapi.ErrTimeout) {
				t.Fatalf("error = %v after %d events; want ErrTimeout after the first", err, n)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkNoLeak(t)
			f := streamServer(t, tc.ctype, tc.write)
			c := f.client(t, func(cfg *agentapi.Config) { cfg.Timeout = time.Second })
			n := 0
			_, err := c.SendMessageStream(context.Background(), "sess-1", msg, func(agentapi.StreamEvent) error { n++; return nil })
			tc.check(t, n, err)
			if f.requests.Load() != 1 {
				t.Fatalf("%d stream requests; a failed stream is never repeated", f.requests.Load())
			}
		})
	}
}

func TestHangingTokenEndpointTimesOut(t *testing.T) {
	checkNoLeak(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := agentapi.New(agentapi.Config{MyDomain: srv.URL, APIBaseURL: srv.URL, ClientID: testClientID, ClientSecret: testClientSecret,
		Timeout: 100 * time.Millisecond, Retry: agentapi.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.StartSession(context.Background(), testAgentID, startBody(srv.URL))
	var te *agentapi.TransportError
	if !errors.As(err, &te) || !te.Timeout || !strings.Contains(te.URL, "/services/oauth2/token") || te.Attempts != 2 {
		t.Fatalf("error = %v; want a timeout on the token endpoint after 2 attempts (a token request is safe to repeat)", err)
	}
	if out.Output != agentapi.OutputDefault {
		t.Fatalf("outcome %+v", out)
	}
}

// An error body whose members have other JSON types than the documented
// Error schema (agent-api.md §5), e.g. from a gateway writing "status" as a
// string, still yields its message, class and request ID.
func TestErrorBodyWithMistypedMembers(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"status":"404","timestamp":"2026-11-28T13:00:00Z","error":"NotFoundError","message":"Resource not found: no agent","requestId":"r-1"}`)
	})
	c := f.client(t, nil)
	out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
	var ae *agentapi.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Class != "NotFoundError" || ae.RequestID != "r-1" {
		t.Fatalf("error = %v; want *APIError 404 NotFoundError [request r-1]", err)
	}
	if out.Output != agentapi.Output404 || out.Message != "Resource not found: no agent" || out.RawBody == nil {
		t.Fatalf("outcome = %+v; want the body's message", out)
	}
}

// A token that another caller has just replaced (after its 401) is still a
// secret: an answer to a request sent with it that echoes it is redacted too.
func TestReplacedTokenNeverLeaks(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	var f *fakeAPI
	f = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		switch {
		case auth != "Bearer "+f.token(1):
			okStart(w, r)
		case first.CompareAndSwap(false, true): // caller A: held until B has refreshed the token
			close(arrived)
			<-release
			errorBody(w, 500, "HttpServerErrorException", "failed for "+auth)
		default: // caller B: the token is refused
			errorBody(w, 401, "UnauthorizedError", "Access bearer token is missing or invalid")
		}
	})
	c := f.client(t, nil)
	type result struct {
		out *agentapi.Outcome
		err error
	}
	a := make(chan result, 1)
	go func() {
		out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL))
		a <- result{out, err}
	}()
	<-arrived
	if out, err := c.StartSession(context.Background(), testAgentID, startBody(f.srv.URL)); err != nil || !out.OK() {
		t.Fatalf("caller B: %v %+v; want 200 after the token refresh", err, out)
	}
	close(release)
	ra := <-a
	if ra.err == nil || ra.out.ResponseCode != 500 {
		t.Fatalf("caller A: %v %+v; want the 500", ra.err, ra.out)
	}
	everything := fmt.Sprintf("%v\n%+v\n%s\n%s", ra.err, ra.out, ra.out.RawBody, ra.out.Message)
	if strings.Contains(everything, f.token(1)) {
		t.Fatalf("the replaced token leaked:\n%s", everything)
	}
}
