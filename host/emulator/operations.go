package emulator

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The Agent API operations the handler routes to: Start Session, Send
// Message (synchronous and streamed), End Session and Submit Feedback, with
// the JSON shapes of their answers (agent-api.md §1, §4, §11, §12).

// JSON shapes of the answers (agent-api.md §4).
type link struct {
	Href string `json:"href"`
}

type links struct {
	Self           *link `json:"self"`
	Messages       *link `json:"messages"`
	MessagesStream *link `json:"messagesStream"`
	Session        *link `json:"session"`
	End            *link `json:"end"`
}

// agentReply is what the messages an agent writes (Inform, Inquire, Confirm, Failure) share
// (agent-api.md §11).
type agentReply struct {
	Type          string `json:"type"`
	ID            string `json:"id"`
	FeedbackID    string `json:"feedbackId"`
	PlanID        string `json:"planId"`
	IsContentSafe bool   `json:"isContentSafe"`
	Message       string `json:"message"`
}

type informMessage struct {
	agentReply
	Result          []json.RawMessage `json:"result"`
	CitedReferences []json.RawMessage `json:"citedReferences"`
}

type sessionResponse struct {
	SessionID string `json:"sessionId,omitempty"`
	Links     links  `json:"_links"`
	Messages  []any  `json:"messages"`
}

func (c *call) links(sid, agentID string) links {
	base := baseURL(c.r) + APIPrefix
	msgs := base + "/sessions/" + sid + "/messages"
	return links{
		Messages:       &link{msgs},
		MessagesStream: &link{msgs + "/stream"},
		Session:        &link{base + "/agents/" + agentID + "/sessions"},
		End:            &link{base + "/sessions/" + sid},
	}
}

// startSession handles POST /agents/{id}/sessions (agent-api.md §1, §2, §4).
// Checks, in order: token 401, rate 429, Agentforce/permission/scopes 403,
// agent ID form 400, Content-Type 500, size 413, body 400, endpoint 500,
// unknown agent 404, no active version 422, bypassUser on an employee agent
// 400, variable types 400.
func (c *call) startSession(agentID string) {
	app, e := c.authorize()
	if e != nil {
		c.writeError(e)
		return
	}
	if !ValidAgentID(agentID) {
		if c.st.org.ErrorStyle == LiveErrors {
			c.writeError(malformedAgentIDLive(c.reqID[:8]))
			return
		}
		c.writeError(errBadRequest(agentID + " is not a valid agent ID"))
		return
	}
	buf, e := readBody(c.r)
	if e != nil {
		c.writeError(e)
		return
	}
	req, e := parseStart(buf.Bytes(), c.h.verdicts)
	bufPool.Put(buf)
	if e != nil {
		c.writeError(e)
		return
	}
	if ep := strings.ToLower(strings.TrimRight(strings.TrimSpace(req.Endpoint), "/")); ep != c.st.myDomain {
		c.writeError(&apiError{status: http.StatusInternalServerError, class: "EngineConfigLookupException",
			message: fmt.Sprintf("EngineConfigLookupException: no org found for instanceConfig.endpoint %q; set it to the org's My Domain URL (%s)",
				req.Endpoint, c.st.org.MyDomain)})
		return
	}
	agent := c.st.agents[agentID]
	if agent == nil {
		c.writeError(&apiError{status: http.StatusNotFound, class: "NotFoundError",
			message: msgNotFound + ": no agent " + agentID + " in this org"})
		return
	}
	if !c.st.org.licensed(agent.Type) {
		c.writeError(errForbidden("the org lacks the add-on licence for " + string(agent.Type) + " agents, which agent " + agent.ID + " is (agent-api.md §6.2)"))
		return
	}
	if !agent.active() {
		c.writeError(&apiError{status: http.StatusUnprocessableEntity, class: "RequestProcessingException", message: msgNoActive})
		return
	}
	bypass := req.BypassUser
	if bypass && agent.Type == EmployeeAgent {
		c.writeError(errBadRequest(msgBadUser))
		return
	}
	applied, ignored, e := applyVariables(agent, req.Variables)
	if e != nil {
		c.writeError(e)
		return
	}
	ns := newSession{agentID: agent.ID, bypass: bypass, now: c.now,
		detail: detail{clientID: app.ClientID, externalKey: req.ExternalSessionKey, variables: applied, ignored: ignored}}
	idle, max := time.Duration(c.st.org.SessionIdleTimeout), int64(c.st.org.MaxSessions)
	sid, swept, ok := c.h.sessions.tryPut(ns, idle, max)
	if !ok && c.h.sweepIdle(c.st) > 0 { // at the cap: idle sessions make room
		sid, swept, ok = c.h.sessions.tryPut(ns, idle, max)
	}
	if !ok {
		c.writeError(&apiError{status: http.StatusServiceUnavailable, class: "ServiceUnavailable",
			message: fmt.Sprintf("%s: the emulator holds its maximum of %d live sessions; end sessions (DELETE), set sessionIdleTimeout or raise maxSessions in the org file",
				msgUnavailable, c.st.org.MaxSessions)})
		return
	}
	c.sid = sid
	c.h.stats.created.Add(1)
	c.h.stats.expired.Add(int64(swept))
	c.w.Header().Set("x-session-mode", "default")
	c.writeJSON(http.StatusOK, sessionResponse{
		SessionID: c.sid,
		Links:     c.links(c.sid, agent.ID),
		Messages:  []any{newInform(agent.Greeting)},
	})
}

func newInform(text string) informMessage {
	return informMessage{agentReply: agentReply{Type: "Inform", ID: newUUID(), IsContentSafe: true, Message: text},
		Result: []json.RawMessage{}, CitedReferences: []json.RawMessage{}}
}

// applyVariables splits the sent variables into applied and ignored ones
// (agent-api.md §3): with no declared variables all are applied; otherwise
// only declared, settable ones; a declared variable sent with another type is a 400 [A].
func applyVariables(agent *Agent, vars []Variable) ([]Variable, []string, *apiError) {
	var applied []Variable
	var ignored []string
	for _, wv := range vars {
		if len(agent.Variables) == 0 {
			applied = append(applied, wv)
			continue
		}
		var decl *AgentVariable
		for i := range agent.Variables {
			if agent.Variables[i].Name == wv.Name {
				decl = &agent.Variables[i]
				break
			}
		}
		switch {
		case decl == nil || !decl.SettableByAPI:
			ignored = append(ignored, wv.Name)
		case decl.Type != wv.Type:
			return nil, nil, errBadRequest(fmt.Sprintf("Variable %q has type %q but the agent declares it as %q", wv.Name, wv.Type, decl.Type))
		default:
			applied = append(applied, wv)
		}
	}
	return applied, ignored, nil
}

// lookup authorizes the request (401), finds its session (404 when unknown,
// ended or idle too long) and marks it busy (423 when a request is already in
// flight). The caller must release the session when done.
func (c *call) lookup() (*sessionRef, *apiError) {
	if _, e := c.authorize(); e != nil {
		return nil, e
	}
	s, res := c.h.sessions.claim(c.sid, c.now, time.Duration(c.st.org.SessionIdleTimeout))
	switch res {
	case claimExpired:
		c.h.stats.expired.Add(1)
		return nil, errSessionNotFound(c.sid)
	case claimNotFound:
		return nil, errSessionNotFound(c.sid)
	case claimBusy:
		return nil, &apiError{status: http.StatusLocked, class: "ServerBusyError", message: msgBusy}
	}
	return s, nil
}

// sleep waits d or until the request is cancelled; false when cancelled.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// sendMessage handles POST /sessions/{sid}/messages and .../stream (agent-api.md §1).
func (c *call) sendMessage(stream bool) {
	s, e := c.lookup()
	if e != nil {
		c.writeError(e)
		return
	}
	defer s.release()
	if stream && !acceptsEventStream(c.r.Header.Get("Accept")) {
		c.writeError(errBadRequest("the streaming endpoint requires the header Accept: text/event-stream"))
		return
	}
	buf, e := readBody(c.r)
	if e != nil {
		c.writeError(e)
		return
	}
	req, e := parseSend(buf.Bytes())
	bufPool.Put(buf)
	if e != nil {
		c.writeError(e)
		return
	}
	agentID := s.agentID()
	agent := c.st.agents[agentID]
	if agent == nil {
		c.writeError(&apiError{status: http.StatusNotFound, class: "NotFoundError", message: msgNotFound + ": the session's agent " + agentID + " no longer exists"})
		return
	}
	seq := *req.Message.SequenceID
	if last := s.lastSeq(); seq <= last {
		c.writeError(errBadRequest(fmt.Sprintf("message.sequenceId %d must be greater than the previous sequenceId %d", seq, last)))
		return
	}
	applied, ignored, e := applyVariables(agent, wireToVariables(req.Variables))
	if e != nil {
		c.writeError(e)
		return
	}
	s.accept(seq, applied, ignored)

	delay, limit := time.Duration(agent.ReplyDelay), time.Duration(c.st.org.RequestTimeout)
	if !sleep(c.r.Context(), min(delay, limit)) {
		return
	}
	if delay >= limit {
		c.writeError(&apiError{status: http.StatusInternalServerError, class: "RequestTimeoutException",
			message: fmt.Sprintf("Request timed out after %s (agent-api.md §8)", limit)})
		return
	}
	reply := req.replyText()
	if !stream {
		l := c.links(c.sid, agentID)
		c.writeJSON(http.StatusOK, sessionResponse{Links: l, Messages: []any{newInform(reply)}})
		return
	}
	c.streamReply(reply, time.Duration(agent.StreamChunkDelay), agent.StreamScript)
}

// mergeVariables sets vars over the session's variables by name.
func mergeVariables(have, vars []Variable) []Variable {
	for _, v := range vars {
		replaced := false
		for i := range have {
			if have[i].Name == v.Name {
				have[i] = v
				replaced = true
				break
			}
		}
		if !replaced {
			have = append(have, v)
		}
	}
	return have
}

func acceptsEventStream(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "text/event-stream") {
			return true
		}
	}
	return false
}

// sseData is the data member of a streamed event (agent-api.md §1).
type sseData struct {
	Timestamp     int64  `json:"timestamp"`
	OriginEventID string `json:"originEventId"`
	TraceID       string `json:"traceId"`
	Offset        int    `json:"offset"`
	Message       any    `json:"message"`
}

type textChunk struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Message    string `json:"message"`
	Offset     int    `json:"offset"`
	FormatType string `json:"formatType"` // required by the reference (TextFormatType: Text or Unknown)
}

type endOfTurn struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// streamReply writes the reply as server-sent events: one TEXT_CHUNK per
// word, then INFORM with the whole text, then END_OF_TURN (agent-api.md §1;
// framing is the standard "event:"/"data:" form, the reference leaves it open).
func (c *call) streamReply(reply string, chunkDelay time.Duration, script []StreamStep) {
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	c.status = http.StatusOK
	c.w.WriteHeader(http.StatusOK)
	flusher, _ := c.w.(http.Flusher)
	trace := newUUID()
	origin := newUUID()
	offset := 0
	send := func(event string, msg any) {
		b, _ := json.Marshal(sseData{Timestamp: c.h.clock().UnixMilli(), OriginEventID: origin, TraceID: trace, Offset: offset, Message: msg})
		fmt.Fprintf(c.w, "event: %s\ndata: %s\n\n", event, b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	if len(script) > 0 {
		for i, st := range script {
			if i > 0 && !sleep(c.r.Context(), chunkDelay) {
				return
			}
			send(streamEventNames[st.Type], scriptedMessage(st, reply, offset))
			if st.Type == "TextChunk" {
				offset += len(st.Text)
			}
		}
		return
	}
	words := strings.SplitAfter(reply, " ")
	for i, wd := range words {
		if i > 0 && !sleep(c.r.Context(), chunkDelay) {
			return
		}
		send(EventTextChunk, newTextChunk(wd, offset))
		offset += len(wd)
	}
	send(EventInform, newInform(reply))
	send(EventEndOfTurn, endOfTurn{Type: "EndOfTurn", ID: newUUID()})
}

// scriptedMessage is the message of one StreamStep, with the members its
// type documents (agent-api.md §11, §12).
func scriptedMessage(st StreamStep, reply string, offset int) any {
	m := map[string]any{"type": st.Type, "id": newUUID()}
	switch st.Type {
	case "TextChunk":
		m["message"], m["offset"], m["formatType"] = st.Text, offset, "Text"
	case "ValidationFailureChunk":
		m["offset"], m["reason"] = offset, st.Text
	case "ProgressIndicator":
		m["indicatorType"], m["message"] = "ACTION", st.Text
	case "Inform":
		if st.Text == "" {
			st.Text = reply
		}
		return newInform(st.Text)
	case "SessionEnded":
		m["reason"], m["feedbackId"] = cmp.Or(st.Text, "Action"), ""
	case "EndOfTurn":
	case "Error":
		m["message"], m["httpStatus"], m["error"], m["expected"] = st.Text, 500, "EmulatedError", false
	default: // Inquire, Confirm, Failure, Escalate
		m["message"], m["feedbackId"], m["planId"], m["isContentSafe"] = st.Text, "", "", true
	}
	return m
}

// endReasons maps x-session-end-reason (agent-api.md §1) to the SessionEnded reason.
var endReasons = map[string]string{
	"UserRequest": "ClientRequest", "Transfer": "Transfer", "Expiration": "Expiration", "Error": "Error", "Other": "Other",
}

type sessionEnded struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Reason     string `json:"reason"`
	FeedbackID string `json:"feedbackId"`
}

// endSession handles DELETE /sessions/{sid} (agent-api.md §1).
func (c *call) endSession() {
	s, e := c.lookup()
	if e != nil {
		c.writeError(e)
		return
	}
	reasonHdr := c.r.Header.Get("x-session-end-reason")
	reason, ok := endReasons[reasonHdr]
	if !ok {
		s.release()
		if reasonHdr == "" {
			c.writeError(errBadRequest("Missing required header x-session-end-reason (UserRequest, Transfer, Expiration, Error or Other)"))
		} else {
			c.writeError(errBadRequest(fmt.Sprintf("Invalid x-session-end-reason %q: use UserRequest, Transfer, Expiration, Error or Other", reasonHdr)))
		}
		return
	}
	agentID := s.agentID()
	if s.end() {
		c.h.stats.ended.Add(1)
	}
	l := c.links(c.sid, agentID)
	c.writeJSON(http.StatusOK, sessionResponse{Links: l, Messages: []any{sessionEnded{Type: "SessionEnded", ID: newUUID(), Reason: reason}}})
}

// feedback handles POST /sessions/{sid}/feedback (agent-api.md §1): 202 as the spec says.
func (c *call) feedback() {
	s, e := c.lookup()
	if e != nil {
		c.writeError(e)
		return
	}
	defer s.release()
	buf, e := readBody(c.r)
	if e != nil {
		c.writeError(e)
		return
	}
	_, e = parseFeedback(buf.Bytes())
	bufPool.Put(buf)
	if e != nil {
		c.writeError(e)
		return
	}
	c.status = http.StatusAccepted
	c.w.WriteHeader(http.StatusAccepted)
}
