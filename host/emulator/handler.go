package emulator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// APIPrefix is the path prefix of the Agent API (agent-api.md §1).
const APIPrefix = "/einstein/ai-agent/v1"

// TokenPath is the path of the OAuth token endpoint (agent-api.md §7).
const TokenPath = "/services/oauth2/token"

// Options configure a Handler (New) or a Server (Start, which also uses
// Addr and AllowRemote).
type Options struct {
	// Addr is the listen address for Start, e.g. 127.0.0.1:0. Default 127.0.0.1:0.
	Addr string
	// Org is the org to emulate; nil means DefaultOrg().
	Org *Org
	// Logger receives one debug line per request (never tokens or secrets); nil discards.
	Logger *slog.Logger
	// Clock returns the current time for token expiry, timestamps, rate
	// limiting and idle timeouts; nil means time.Now.
	Clock func() time.Time
	// AllowRemote lets Start bind a non-loopback address.
	AllowRemote bool
	// DisableAdmin turns the /__admin endpoints off.
	DisableAdmin bool
}

// orgState is an immutable, indexed view of the current org.
type orgState struct {
	org      *Org
	agents   map[string]*Agent
	apps     map[string]*ClientApp
	limiter  *limiter
	myDomain string // lower case, no trailing slash
}

func newOrgState(org *Org) *orgState {
	st := &orgState{org: org, agents: map[string]*Agent{}, apps: map[string]*ClientApp{},
		limiter: newLimiter(org.RateLimit), myDomain: strings.ToLower(strings.TrimRight(org.MyDomain, "/"))}
	for i := range org.Agents {
		a := &org.Agents[i]
		st.agents[a.ID] = a
		if len(a.ID) == 18 {
			st.agents[a.ID[:15]] = a // the 15-character form names the same agent [A]
		}
	}
	for i := range org.ClientApps {
		st.apps[org.ClientApps[i].ClientID] = &org.ClientApps[i]
	}
	return st
}

// Handler is the emulator as an http.Handler. It is safe for concurrent use.
type Handler struct {
	log     *slog.Logger
	clock   func() time.Time
	admin   bool
	initial *Org
	// loopbackAdmin makes the admin API answer only requests addressed to a
	// loopback host (Start without AllowRemote).
	loopbackAdmin bool

	state    atomic.Pointer[orgState]
	writeMu  sync.Mutex // serialises org changes
	sessions *sessionStore
	faults   faultSet
	tokens   *tokenIssuer
	verdicts *verdictCache
	stats    counters
}

// counters are the request and session counts shown by the admin state.
type counters struct {
	created, ended, expired atomic.Int64
	requests                [numOps]atomic.Int64 // by opIndex
}

// numOps is the number of operations.
const numOps = len(allOps)

func opIndex(op Operation) int {
	switch op {
	case OpToken:
		return 0
	case OpStart:
		return 1
	case OpSend:
		return 2
	case OpStream:
		return 3
	case OpEnd:
		return 4
	}
	return 5
}

// New returns the emulator configured by opts (the zero Options: DefaultOrg)
// as an http.Handler serving the token endpoint, the Agent API and the admin
// API, to mount in any server; Start serves one on a TCP address. Addr and
// AllowRemote, which are about listening, are ignored.
func New(opts Options) (*Handler, error) {
	org := opts.Org
	if org == nil {
		org = DefaultOrg()
	}
	org = org.Clone()
	if err := org.Normalize(); err != nil {
		return nil, fmt.Errorf("emulator org: %w", err)
	}
	h := &Handler{log: opts.Logger, clock: opts.Clock, admin: !opts.DisableAdmin, initial: org,
		sessions: newSessionStore(), tokens: newTokenIssuer(), verdicts: newVerdictCache()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.clock == nil {
		h.clock = time.Now
	}
	h.state.Store(newOrgState(org.Clone()))
	h.faults.set(org.Faults)
	return h, nil
}

// call is the per-request context.
type call struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request
	st     *orgState
	op     Operation
	reqID  string
	now    time.Time
	status int
	sid    string
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/__admin") && h.admin {
		h.serveAdmin(w, r)
		return
	}
	if p == MessagePath && r.Method == http.MethodPost && h.admin {
		if msg := h.foreignAdminRequest(r); msg != "" {
			adminError(w, http.StatusForbidden, msg)
			return
		}
		h.serveMessage(w, r)
		return
	}
	c := &call{h: h, w: w, r: r, st: h.state.Load(), reqID: newUUID(), now: h.clock()}
	w.Header().Set("X-Request-ID", c.reqID)
	start := time.Now()
	var run func()
	if p == TokenPath {
		c.op, run = OpToken, c.serveToken
	} else if rest, ok := strings.CutPrefix(p, APIPrefix+"/"); ok {
		run = c.route(rest)
	}
	if run == nil {
		c.writeError(&apiError{status: http.StatusNotFound, class: "NotFoundError",
			message: msgNotFound + ": no Agent API operation at " + r.Method + " " + p + " (see agent-api.md §1)"})
		return
	}
	if c.op == "" { // method not allowed, run writes it
		run()
		return
	}
	h.stats.requests[opIndex(c.op)].Add(1)
	c.serve(run)
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.Debug("emulator request", "op", string(c.op), "method", r.Method, "path", p,
			"status", c.status, "requestId", c.reqID, "sessionId", c.sid, "duration", time.Since(start))
	}
}

// route maps an API path (after the prefix) to its operation.
func (c *call) route(rest string) func() {
	parts := strings.Split(rest, "/")
	m := c.r.Method
	allow := func(method string, op Operation, f func()) func() {
		if m == method {
			c.op = op
			return f
		}
		return func() {
			c.w.Header().Set("Allow", method)
			c.writeError(&apiError{status: http.StatusMethodNotAllowed, class: "MethodNotAllowedError",
				message: "Method " + m + " is not allowed here; use " + method})
		}
	}
	switch {
	case len(parts) == 3 && parts[0] == "agents" && parts[2] == "sessions" && parts[1] != "":
		agentID := parts[1]
		return allow(http.MethodPost, OpStart, func() { c.startSession(agentID) })
	case len(parts) >= 2 && parts[0] == "sessions" && parts[1] != "":
		c.sid = parts[1]
		switch {
		case len(parts) == 2:
			return allow(http.MethodDelete, OpEnd, c.endSession)
		case len(parts) == 3 && parts[2] == "messages":
			return allow(http.MethodPost, OpSend, func() { c.sendMessage(false) })
		case len(parts) == 4 && parts[2] == "messages" && parts[3] == "stream":
			return allow(http.MethodPost, OpStream, func() { c.sendMessage(true) })
		case len(parts) == 3 && parts[2] == "feedback":
			return allow(http.MethodPost, OpFeedback, c.feedback)
		}
	}
	return nil
}

// serve applies faults around the operation run.
func (c *call) serve(run func()) {
	d := c.h.faults.pick(c.op)
	if d.latency > 0 {
		limit := time.Duration(c.st.org.RequestTimeout)
		wait := min(d.latency, limit)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.r.Context().Done():
			t.Stop()
			return
		}
		if d.latency >= limit {
			c.writeError(&apiError{status: http.StatusInternalServerError, class: "RequestTimeoutException",
				message: fmt.Sprintf("Request timed out after %s (agent-api.md §8)", limit)})
			return
		}
	}
	f := d.fire
	if f == nil {
		run()
		return
	}
	if f.AfterProcessing {
		// Let the request take effect, then lose or replace its answer.
		cw := &captureWriter{header: http.Header{}}
		real := c.w
		c.w = cw
		run()
		c.w = real
	}
	if f.Drop {
		c.status = 0
		dropConnection(c.w)
		return
	}
	class, msg := errorClass(f.Status)
	if f.Message != "" {
		msg = f.Message
	}
	c.writeError(&apiError{status: f.Status, class: class, message: msg, retryAfter: f.RetryAfter})
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// captureWriter swallows an answer that an afterProcessing fault replaces.
type captureWriter struct {
	header http.Header
	buf    bytes.Buffer
}

// Header returns the swallowed answer's headers.
func (cw *captureWriter) Header() http.Header { return cw.header }

// Write swallows body bytes.
func (cw *captureWriter) Write(b []byte) (int, error) { return cw.buf.Write(b) }

// WriteHeader swallows the status.
func (cw *captureWriter) WriteHeader(int) {}

// Flush does nothing: nothing reaches the client.
func (cw *captureWriter) Flush() {}

// authorize checks the bearer token (401), the rate limit (429) and the
// org-level preconditions (403), in that order. It returns the client app.
func (c *call) authorize() (*ClientApp, *apiError) {
	claims, err := c.h.tokens.verify(bearer(c.r), c.now)
	if err != nil {
		return nil, errUnauthorized(err.Error())
	}
	app := c.st.apps[claims.ClientID]
	if app == nil {
		return nil, errUnauthorized("the token's client app no longer exists in this org; request a new token")
	}
	if l := c.st.limiter; l != nil {
		if ok, ra := l.allow(c.now); !ok {
			return nil, &apiError{status: http.StatusTooManyRequests, class: "TooManyRequestsError", message: msgTooMany, retryAfter: ra}
		}
	}
	if !agentEditions[c.st.org.Edition] {
		return nil, errForbidden("the Agent API is available in Enterprise, Performance, Unlimited and Developer Editions, and this org is " + c.st.org.Edition + " Edition (agent-api.md §6.2)")
	}
	if lx := c.st.org.LightningExperience; lx != nil && !*lx {
		return nil, errForbidden("the Agent API is available in Lightning Experience, and this org does not use it (agent-api.md §6.2)")
	}
	if !c.st.org.agentforceOn() {
		return nil, errForbidden("Agentforce is not enabled in this org; turn it on in Setup (agentforceEnabled in the org file)")
	}
	if !app.RunAs.ManageAIAgents {
		return nil, errForbidden("the run-as user " + app.RunAs.Username + " of client app " + app.ClientID + " lacks the Manage AI Agents permission")
	}
	if !hasScopes(claims.Scp, "chatbot_api", "sfap_api") {
		return nil, errForbidden("the token lacks the chatbot_api and sfap_api scopes; add them to the client app")
	}
	return app, nil
}

func hasScopes(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

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

func (c *call) writeJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.writeError(&apiError{status: 500, class: "HttpServerErrorException", message: "emulator could not encode its answer: " + err.Error()})
		return
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.status = status
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
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
