package emulator_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/emulator"
)

func newSession(t testing.TB, srv *emulator.Server, tok string) string {
	t.Helper()
	r := startSession(t, srv, tok, agentID, startBody)
	if r.status != 200 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	return r.json(t)["sessionId"].(string)
}

func sendBody(seq int, text string) string {
	return `{"message":{"type":"Text","sequenceId":` + itoa(seq) + `,"text":"` + text + `"}}`
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// agent-api.md §1: Send Message (sync) answers with an Inform message.
func TestSendMessage(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/messages"
	r := do(t, "POST", u, sendBody(1, "where is my order?"), authJSON(tok))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	msg := m["messages"].([]any)[0].(map[string]any)
	if msg["type"] != "Inform" || !strings.Contains(msg["message"].(string), "where is my order?") {
		t.Errorf("reply %v", msg)
	}
	if l := m["_links"].(map[string]any)["end"].(map[string]any)["href"]; l != srv.URL+emulator.APIPrefix+"/sessions/"+sid {
		t.Errorf("_links.end %v", l)
	}
	// sequenceId must increase (agent-api.md §1); gaps are fine.
	wantError(t, do(t, "POST", u, sendBody(1, "again"), authJSON(tok)), 400, "BadRequestError", "must be greater than the previous sequenceId 1")
	if r := do(t, "POST", u, sendBody(5, "gap"), authJSON(tok)); r.status != 200 {
		t.Errorf("gap in sequenceId: %d %s", r.status, r.body)
	}
	wantError(t, do(t, "POST", u, `{"message":{"type":"Text","sequenceId":9,"text":"x","lang":"de"}}`, authJSON(tok)), 400, "BadRequestError", `Unrecognized field "lang"`)
	wantError(t, do(t, "POST", u, `{"message":{"type":"Text","text":"x"}}`, authJSON(tok)), 400, "BadRequestError", "message.sequenceId")
	wantError(t, do(t, "POST", u, sendBody(10, "x"), map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "text/plain"}), 500, "HttpMediaTypeNotSupportedException", "Unsupported Media Type")
	if srv.Sessions()[0].Messages != 2 {
		t.Errorf("messages counted %d, want 2", srv.Sessions()[0].Messages)
	}
}

// agent-api.md §8: unknown sessions get 404 NotFoundException with the live text.
func TestUnknownSession(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := "0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33"
	base := srv.URL + emulator.APIPrefix + "/sessions/" + sid
	want := "V6Session not found for sessionId: " + sid
	wantError(t, do(t, "POST", base+"/messages", sendBody(1, "x"), authJSON(tok)), 404, "NotFoundException", want)
	h := authJSON(tok)
	h["Accept"] = "text/event-stream"
	wantError(t, do(t, "POST", base+"/messages/stream", sendBody(1, "x"), h), 404, "NotFoundException", want)
	h = authJSON(tok)
	h["x-session-end-reason"] = "UserRequest"
	wantError(t, do(t, "DELETE", base, "", h), 404, "NotFoundException", want)
	wantError(t, do(t, "POST", base+"/feedback", `{"feedbackId":"f","feedback":"GOOD"}`, authJSON(tok)), 404, "NotFoundException", want)
	// Without a token the 401 comes first.
	wantError(t, do(t, "POST", base+"/messages", sendBody(1, "x"), map[string]string{"Content-Type": "application/json"}), 401, "UnauthorizedError", "missing or invalid")
}

// agent-api.md §1: End Session needs x-session-end-reason, replies
// SessionEnded (UserRequest → ClientRequest), and the session is gone after.
func TestEndSession(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid
	wantError(t, do(t, "DELETE", u, "", authJSON(tok)), 400, "BadRequestError", "x-session-end-reason")
	h := authJSON(tok)
	h["x-session-end-reason"] = "Bored"
	wantError(t, do(t, "DELETE", u, "", h), 400, "BadRequestError", `Invalid x-session-end-reason "Bored"`)
	h["x-session-end-reason"] = "UserRequest"
	r := do(t, "DELETE", u, "", h)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	msg := r.json(t)["messages"].([]any)[0].(map[string]any)
	if msg["type"] != "SessionEnded" || msg["reason"] != "ClientRequest" {
		t.Errorf("end reply %v", msg)
	}
	wantError(t, do(t, "POST", u+"/messages", sendBody(1, "x"), authJSON(tok)), 404, "NotFoundException", "V6Session not found for sessionId: "+sid)
	wantError(t, do(t, "DELETE", u, "", h), 404, "NotFoundException", sid)
	st := srv.State()
	if st.SessionsCreated != 1 || st.SessionsEnded != 1 || st.SessionsActive != 0 {
		t.Errorf("state %+v", st)
	}
}

// agent-api.md §1: feedback answers 202 (spec) and checks its body.
func TestFeedback(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/feedback"
	if r := do(t, "POST", u, `{"feedbackId":"fb-1","feedback":"GOOD","text":"nice","details":{"a":"b"}}`, authJSON(tok)); r.status != 202 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	wantError(t, do(t, "POST", u, `{"feedbackId":"fb-1","feedback":"MEH"}`, authJSON(tok)), 400, "BadRequestError", "GOOD or BAD")
	wantError(t, do(t, "POST", u, `{"feedback":"BAD"}`, authJSON(tok)), 400, "BadRequestError", "feedbackId")
	wantError(t, do(t, "POST", u, `{"feedbackId":"x","feedback":"BAD","details":{"1":1,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8,"9":9,"10":10,"11":11}}`, authJSON(tok)), 400, "BadRequestError", "at most 10")
}

// agent-api.md §5, §8: a second request while one is in flight gets 423;
// once the first finishes the session is usable again.
func TestConcurrentRequestOnSession(t *testing.T) {
	srv := start(t, nil)
	if err := srv.UpdateOrg(func(o *emulator.Org) error { o.Agents[0].ReplyDelay = emulator.Duration(time.Hour); return nil }); err != nil {
		t.Fatal(err)
	}
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/messages"

	// The first message holds the session (replyDelay 1h) until we cancel it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(sendBody(1, "slow")))
	for k, v := range authJSON(tok) {
		req.Header.Set(k, v)
	}
	firstDone := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		firstDone <- err
	}()
	// Wait until the first request holds the session; then a second gets 423.
	for i := 0; !srv.Sessions()[0].Busy; i++ {
		if i > 2000 {
			t.Fatal("the first request never reached the session")
		}
		time.Sleep(time.Millisecond)
	}
	r := do(t, "POST", u, sendBody(2, "fast"), authJSON(tok))
	wantError(t, r, 423, "ServerBusyError", "Server is busy and cannot process the request at this time")
	h := authJSON(tok)
	h["x-session-end-reason"] = "UserRequest"
	wantError(t, do(t, "DELETE", srv.URL+emulator.APIPrefix+"/sessions/"+sid, "", h), 423, "ServerBusyError", "busy")
	cancel()
	if err := <-firstDone; err == nil {
		t.Fatal("first request finished although the agent delays 1h")
	}
	// The cancelled request releases the session.
	if err := srv.UpdateOrg(func(o *emulator.Org) error { o.Agents[0].ReplyDelay = 0; return nil }); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		r = do(t, "POST", u, sendBody(3, "after"), authJSON(tok))
		if r.status != 423 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r.status != 200 {
		t.Fatalf("after the first request ended: %d %s", r.status, r.body)
	}
}

// agent-api.md §8: idle sessions expire (sessionIdleTimeout) → 404.
func TestSessionIdleTimeout(t *testing.T) {
	clk := newFakeClock()
	org := emulator.DefaultOrg()
	org.SessionIdleTimeout = emulator.Duration(10 * time.Minute)
	srv := start(t, org, withClock(clk))
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/messages"
	clk.Add(9 * time.Minute)
	if r := do(t, "POST", u, sendBody(1, "x"), authJSON(tok)); r.status != 200 {
		t.Fatalf("within idle timeout: %d %s", r.status, r.body)
	}
	clk.Add(9 * time.Minute) // 9 min since last use: still alive
	if r := do(t, "POST", u, sendBody(2, "x"), authJSON(tok)); r.status != 200 {
		t.Fatalf("activity must renew the idle timer: %d %s", r.status, r.body)
	}
	clk.Add(11 * time.Minute)
	wantError(t, do(t, "POST", u, sendBody(3, "x"), authJSON(tok)), 404, "NotFoundException", sid)
	if st := srv.State(); st.SessionsExpired != 1 || st.SessionsActive != 0 {
		t.Errorf("state %+v", st)
	}
}

// agent-api.md §8: an agent slower than the request timeout answers 500.
func TestReplyOverRequestTimeout(t *testing.T) {
	org := emulator.DefaultOrg()
	org.RequestTimeout = emulator.Duration(20 * time.Millisecond)
	org.Agents[0].ReplyDelay = emulator.Duration(time.Hour)
	srv := start(t, org)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	wantError(t, do(t, "POST", srv.URL+emulator.APIPrefix+"/sessions/"+sid+"/messages", sendBody(1, "x"), authJSON(tok)), 500, "RequestTimeoutException", "timed out")
}

// maxSessions caps live sessions: at the cap Start answers 503; ending one frees a slot.
func TestMaxSessions(t *testing.T) {
	org := emulator.DefaultOrg()
	org.MaxSessions = 2
	srv := start(t, org)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	newSession(t, srv, tok)
	wantError(t, startSession(t, srv, tok, agentID, startBody), 503, "ServiceUnavailable", "maxSessions")
	h := authJSON(tok)
	h["x-session-end-reason"] = "UserRequest"
	if r := do(t, "DELETE", srv.URL+emulator.APIPrefix+"/sessions/"+sid, "", h); r.status != 200 {
		t.Fatalf("end: %d", r.status)
	}
	newSession(t, srv, tok)
	if st := srv.State(); st.SessionsActive != 2 || st.SessionsCreated != 3 {
		t.Errorf("state %+v", st)
	}
}

// Idle sessions that nobody asks for again still expire: they stop counting
// against maxSessions and leave the admin state (agent-api.md §8).
func TestIdleSessionsExpireUnasked(t *testing.T) {
	clk := newFakeClock()
	org := emulator.DefaultOrg()
	org.SessionIdleTimeout = emulator.Duration(10 * time.Minute)
	org.MaxSessions = 2
	srv := start(t, org, withClock(clk))
	tok := token(t, srv)
	old := newSession(t, srv, tok)
	newSession(t, srv, tok)
	wantError(t, startSession(t, srv, tok, agentID, startBody), 503, "ServiceUnavailable", "maxSessions")
	clk.Add(11 * time.Minute)
	tok = token(t, srv) // the first token may have expired too
	fresh := newSession(t, srv, tok)
	if st := srv.State(); st.SessionsActive != 1 || st.SessionsExpired != 2 || st.SessionsCreated != 3 {
		t.Fatalf("after the idle timeout: state %+v, want 1 active, 2 expired, 3 created", st)
	}
	if list := srv.Sessions(); len(list) != 1 || list[0].SessionID != fresh {
		t.Fatalf("sessions %+v, want only %s", list, fresh)
	}
	wantError(t, do(t, "POST", srv.URL+emulator.APIPrefix+"/sessions/"+old+"/messages", sendBody(1, "x"), authJSON(tok)), 404, "NotFoundException", old)
	clk.Add(11 * time.Minute)
	if st := srv.State(); st.SessionsActive != 0 || st.SessionsExpired != 3 {
		t.Fatalf("admin state must not count idle sessions as active: %+v", st)
	}
}

// Session IDs are matched in the canonical lower-case form the API returns.
func TestSessionIDCaseMatters(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	up := strings.ToUpper(sid)
	wantError(t, do(t, "POST", srv.URL+emulator.APIPrefix+"/sessions/"+up+"/messages", sendBody(1, "x"), authJSON(tok)), 404, "NotFoundException", up)
	if r := do(t, "POST", srv.URL+emulator.APIPrefix+"/sessions/"+sid+"/messages", sendBody(1, "x"), authJSON(tok)); r.status != 200 {
		t.Fatalf("canonical ID: %d %s", r.status, r.body)
	}
}

// Send Message bodies are checked with schemas/send-message-request (the
// schema `agentshape validate` uses): each bad body is a 400 naming the field
// and the fix (agent-api.md §1, §3), and a rejected message does not count.
func TestSendMessageBodyIsSchemaChecked(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/messages"
	for _, c := range []struct{ body, says string }{
		{`{}`, "message: is required"},
		{`{"message":{"type":"Inform","sequenceId":1,"text":"x"}}`, `message.type: must be one of Text, Reply, Cancel`},
		{`{"message":{"type":"Reply","sequenceId":1,"inReplyToMessageId":"m"}}`, `message.reply: is required in a Reply message`},
		{`{"message":{"type":"Text","sequenceId":"1","text":"x"}}`, "message.sequenceId: must be a whole number"},
		{`{"message":{"type":"Text","sequenceId":1.5,"text":"x"}}`, "message.sequenceId: must be a whole number"},
		{`{"message":{"type":"Text","sequenceId":1,"text":["x"]}}`, "message.text: must be the user's message as a string"},
		{`{"message":{"type":"Text","sequenceId":1,"text":"x"},"variables":[{"name":"n","type":"Text","value":1}]}`, "variables[0].value: must be a string"},
		{`{"message":{"type":"Text","sequenceId":1,"text":"x"},"variables":[{"name":"c","type":"Id","value":"003"}]}`, "variables[0].type: Currency and Id are Metadata API types"},
		{`{"message":{"type":"Text","sequenceId":1,"text":"x"},"variables":[{"name":"a","type":"Text","value":"1"},{"name":"a","type":"Text","value":"2"}]}`, `variables[1].name: repeats the variable "a"`},
		{`{"message":{"type":"Text","sequenceId":1,"text":"x"}} {}`, "Malformed JSON"},
		// Nesting is refused at the project's limit, before the rest of a 1 MiB body is walked.
		{`{"message":` + strings.Repeat("[", 1<<20-20) + `}`, "Malformed JSON request body: nesting deeper than 128 levels"},
		{`{"message":{"type":"Text","sequenceId":1,"text":"x","text":"y"}}`, `member "text" appears twice in the object at /message`},
	} {
		wantError(t, do(t, "POST", u, c.body, authJSON(tok)), 400, "BadRequestError", c.says)
	}
	if n := srv.Sessions()[0].Messages; n != 0 {
		t.Fatalf("rejected messages counted: %d", n)
	}
	if r := do(t, "POST", u, `{"message":{"type":"Text","sequenceId":1,"text":"ok"},"variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"fr"}]}`, authJSON(tok)); r.status != 200 {
		t.Fatalf("valid body: %d %s", r.status, r.body)
	}
}

// maxSessions holds under concurrent Start Sessions: the store reserves the
// count before storing, so exactly maxSessions of a burst succeed.
func TestMaxSessionsUnderConcurrency(t *testing.T) {
	org := emulator.DefaultOrg()
	org.MaxSessions = 5
	org.RateLimit = nil
	srv := start(t, org)
	tok := token(t, srv)
	var ok, full atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch r := startSession(t, srv, tok, agentID, startBody); r.status {
			case 200:
				ok.Add(1)
			case 503:
				full.Add(1)
			default:
				t.Errorf("unexpected %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 5 || full.Load() != 35 || srv.State().SessionsActive != 5 {
		t.Fatalf("%d created, %d refused, %d active; want 5, 35, 5", ok.Load(), full.Load(), srv.State().SessionsActive)
	}
}
