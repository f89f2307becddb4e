package emulator

import (
	"bytes"
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
