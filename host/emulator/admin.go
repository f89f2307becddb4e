package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/schemas"
)

// State is the answer of GET /__admin/state.
type State struct {
	// Org summarises the current org.
	Org OrgSummary `json:"org"`
	// SessionsCreated counts sessions Start Session created since start or reset.
	SessionsCreated int64 `json:"sessionsCreated"`
	// SessionsEnded counts sessions ended by End Session.
	SessionsEnded int64 `json:"sessionsEnded"`
	// SessionsExpired counts sessions dropped by sessionIdleTimeout.
	SessionsExpired int64 `json:"sessionsExpired"`
	// SessionsActive is the number of live sessions.
	SessionsActive int `json:"sessionsActive"`
	// TokensIssued counts tokens from the token endpoint and the admin API.
	TokensIssued int64 `json:"tokensIssued"`
	// Requests counts requests by operation (token, start, send, stream, end, feedback).
	Requests map[string]int64 `json:"requests"`
	// Faults are the active faults with their counters.
	Faults []FaultState `json:"faults"`
}

// OrgSummary is the part of the org shown in State.
type OrgSummary struct {
	// Name is the org's label.
	Name string `json:"name,omitempty"`
	// MyDomain is the org's My Domain URL.
	MyDomain string `json:"myDomain"`
	// AgentforceEnabled reports whether Agentforce is on.
	AgentforceEnabled bool `json:"agentforceEnabled"`
	// TokenLifetime is the lifetime of new tokens.
	TokenLifetime Duration `json:"tokenLifetime"`
	// RateLimit is the rate limit, if any.
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
	// Agents summarises the agents.
	Agents []AgentSummary `json:"agents"`
	// ClientApps lists the client IDs.
	ClientApps []string `json:"clientApps"`
}

// AgentSummary is one agent in OrgSummary.
type AgentSummary struct {
	// ID is the agent ID.
	ID string `json:"id"`
	// Type is service or employee.
	Type AgentType `json:"type"`
	// ActiveVersion reports whether the agent has an active version.
	ActiveVersion bool `json:"activeVersion"`
}

// State returns the emulator's counters and configuration summary.
func (h *Handler) State() State {
	st := h.state.Load()
	o := st.org
	h.sweepIdle(st)
	s := State{
		Org: OrgSummary{Name: o.Name, MyDomain: o.MyDomain, AgentforceEnabled: o.agentforceOn(),
			TokenLifetime: o.TokenLifetime, RateLimit: o.RateLimit},
		SessionsCreated: h.stats.created.Load(),
		SessionsEnded:   h.stats.ended.Load(),
		SessionsExpired: h.stats.expired.Load(),
		SessionsActive:  int(h.sessions.live.Load()),
		TokensIssued:    h.tokens.issued.Load(),
		Requests:        map[string]int64{},
		Faults:          h.faults.snapshot(),
	}
	for i := range o.Agents {
		a := &o.Agents[i]
		s.Org.Agents = append(s.Org.Agents, AgentSummary{ID: a.ID, Type: a.Type, ActiveVersion: a.active()})
	}
	for _, a := range o.ClientApps {
		s.Org.ClientApps = append(s.Org.ClientApps, a.ClientID)
	}
	for _, op := range allOps {
		s.Requests[string(op)] = h.stats.requests[opIndex(op)].Load()
	}
	return s
}

// SessionsCreated is the number of sessions Start Session created since start or Reset.
func (h *Handler) SessionsCreated() int64 { return h.stats.created.Load() }

// Sessions lists the live sessions.
func (h *Handler) Sessions() []SessionInfo {
	h.sweepIdle(h.state.Load())
	out := h.sessions.all()
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// sweepIdle ends the sessions idle for longer than the org's
// sessionIdleTimeout, so counts and listings show only live ones.
func (h *Handler) sweepIdle(st *orgState) int {
	idle := time.Duration(st.org.SessionIdleTimeout)
	if idle <= 0 {
		return 0
	}
	n := h.sessions.sweep(h.clock(), idle)
	h.stats.expired.Add(int64(n))
	return n
}

// Reset drops every session and counter and restores the org and faults
// the handler started with. Issued tokens stay valid.
func (h *Handler) Reset() {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	h.sessions.clear()
	h.stats.created.Store(0)
	h.stats.ended.Store(0)
	h.stats.expired.Store(0)
	for i := range h.stats.requests {
		h.stats.requests[i].Store(0)
	}
	h.tokens.issued.Store(0)
	h.state.Store(newOrgState(h.initial.Clone()))
	h.faults.set(h.initial.Faults)
}

// Org returns a copy of the current org.
func (h *Handler) Org() *Org { return h.state.Load().org.Clone() }

// SetOrg replaces the org (checked with Normalize); its faults replace the
// active ones. Sessions are kept.
func (h *Handler) SetOrg(org *Org) error {
	org = org.Clone()
	if err := org.Normalize(); err != nil {
		return err
	}
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	h.state.Store(newOrgState(org))
	h.faults.set(org.Faults)
	return nil
}

// UpdateOrg applies change to a copy of the current org and installs it if
// it still passes Normalize. Active faults are kept.
func (h *Handler) UpdateOrg(change func(*Org) error) error {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	org := h.state.Load().org.Clone()
	if err := change(org); err != nil {
		return err
	}
	if err := org.Normalize(); err != nil {
		return err
	}
	h.state.Store(newOrgState(org))
	return nil
}

// InjectFault adds a fault and returns its ID.
func (h *Handler) InjectFault(f Fault) (int, error) {
	if err := f.check(); err != nil {
		return 0, fmt.Errorf("fault: %w", err)
	}
	f.Operations = append([]Operation(nil), f.Operations...)
	return h.faults.add(f), nil
}

// SetFaults replaces every fault.
func (h *Handler) SetFaults(faults []Fault) error {
	for i := range faults {
		if err := faults[i].check(); err != nil {
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
	}
	h.faults.set(faults)
	return nil
}

// ClearFaults removes every fault.
func (h *Handler) ClearFaults() { h.faults.set(nil) }

// Faults lists the active faults with their counters.
func (h *Handler) Faults() []FaultState { return h.faults.snapshot() }

// MintToken issues a token for a client app without its secret; a negative
// lifetime gives an expired token, zero the org's tokenLifetime. apiBase is
// the api_instance_url to report (the emulator's URL).
func (h *Handler) MintToken(clientID string, lifetime time.Duration, apiBase string) (TokenResponse, error) {
	st := h.state.Load()
	app := st.apps[clientID]
	if app == nil {
		return TokenResponse{}, fmt.Errorf("no client app %q in the org; use one of its clientApps[].clientId", clientID)
	}
	if lifetime == 0 {
		lifetime = time.Duration(st.org.TokenLifetime)
	}
	return h.tokens.mint(st.org, app, apiBase, h.clock(), lifetime), nil
}

// RevokeTokens invalidates every token issued so far (the next API call gets 401).
func (h *Handler) RevokeTokens() { h.tokens.revokeAll() }

// foreignAdminRequest says why an admin request must be refused, or "". The
// admin API changes the emulator (reset, faults, org, revoked tokens) and
// has no credentials, so a web page in the user's browser must not reach it:
// requests a browser marks as cross-site (Origin other than the emulator's
// own, Sec-Fetch-Site cross-site or same-site) are refused, and a loopback
// emulator answers only requests addressed to a loopback host, which a page
// rebinding its own DNS name to 127.0.0.1 is not.
func (h *Handler) foreignAdminRequest(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "the admin API refuses requests from web pages (Sec-Fetch-Site: " + site + "); call it from a script or the CLI"
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return "the admin API refuses cross-origin requests (Origin " + strconv.Quote(o) + "); call it from a script or the CLI"
		}
	}
	if h.loopbackAdmin {
		host := r.Host
		if hn, _, err := net.SplitHostPort(host); err == nil {
			host = hn
		}
		if !loopbackHost(strings.Trim(host, "[]")) {
			return "the admin API of a loopback emulator answers only requests addressed to 127.0.0.1, [::1] or localhost (Host " + strconv.Quote(r.Host) + ")"
		}
	}
	return ""
}

func adminError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	_, _ = w.Write(b)
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		adminError(w, 500, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// readAdminBody reads an admin request body of at most limit bytes of
// format (inputlimit.MaxYAMLBytes for an org, MaxJSONBytes otherwise),
// answering 413 for a larger one without reading it whole.
func readAdminBody(w http.ResponseWriter, r *http.Request, limit int64, format inputlimit.Format) ([]byte, bool) {
	tooLarge := func() ([]byte, bool) {
		adminError(w, http.StatusRequestEntityTooLarge, inputlimit.TooLarge("the request body", limit, format).Error())
		return nil, false
	}
	if r.ContentLength > limit {
		return tooLarge()
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge()
		}
		adminError(w, 400, "could not read the body: "+err.Error())
		return nil, false
	}
	return b, true
}

// decodeStrict decodes JSON into v rejecting unknown members, after the
// project's decoder has refused a member named twice and nesting past
// inputlimit.MaxDepth (encoding/json takes the last of two members).
func decodeStrict(b []byte, v any) error {
	if _, err := schemas.Decode(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	return nil
}

// decodePost reads the JSON body of a POST-only admin endpoint into v. On
// any problem it answers (405, 400 naming what and showing example, 413) and
// returns false.
func decodePost(w http.ResponseWriter, r *http.Request, v any, what, example string) bool {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return false
	}
	b, ok := readAdminBody(w, r, inputlimit.MaxJSONBytes, inputlimit.JSON)
	if !ok {
		return false
	}
	if err := decodeStrict(b, v); err != nil {
		adminError(w, 400, what+": "+err.Error()+" (send "+example+")")
		return false
	}
	return true
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	adminError(w, http.StatusMethodNotAllowed, "method not allowed; use "+allow)
}

// serveAdmin handles /__admin/...
func (h *Handler) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if msg := h.foreignAdminRequest(r); msg != "" {
		adminError(w, http.StatusForbidden, msg)
		return
	}
	p := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/__admin"), "/")
	switch {
	case p == "/state":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, "GET")
			return
		}
		adminJSON(w, 200, h.State())
	case p == "/reset":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		h.Reset()
		adminJSON(w, 200, h.State())
	case p == "/org":
		h.adminOrg(w, r)
	case strings.HasPrefix(p, "/agents/"):
		h.adminAgent(w, r, strings.TrimPrefix(p, "/agents/"))
	case p == "/faults":
		h.adminFaults(w, r)
	case p == "/sessions":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, "GET")
			return
		}
		adminJSON(w, 200, h.Sessions())
	case p == "/tokens":
		h.adminMint(w, r)
	case p == "/provider-states":
		h.adminProviderState(w, r)
	case p == "/tokens/revoke":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		h.RevokeTokens()
		adminJSON(w, 200, map[string]string{"revoked": "all tokens issued so far"})
	default:
		adminError(w, 404, "no admin endpoint "+r.URL.Path+"; see the host/emulator package doc (GET /__admin/state, POST /__admin/reset, GET|PUT|PATCH /__admin/org, PATCH /__admin/agents/{id}, GET|PUT|POST|DELETE /__admin/faults, GET /__admin/sessions, POST /__admin/tokens, POST /__admin/tokens/revoke, POST /__admin/provider-states)")
	}
}

// orgPatch is the body of PATCH /__admin/org.
type orgPatch struct {
	AgentforceEnabled  *bool           `json:"agentforceEnabled"`
	TokenLifetime      *Duration       `json:"tokenLifetime"`
	SessionIdleTimeout *Duration       `json:"sessionIdleTimeout"`
	RequestTimeout     *Duration       `json:"requestTimeout"`
	RateLimit          json.RawMessage `json:"rateLimit"`
	MyDomain           *string         `json:"myDomain"`
	ErrorStyle         *ErrorStyle     `json:"errorStyle"`
}

func (h *Handler) adminOrg(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		adminJSON(w, 200, h.Org().Redacted())
	case http.MethodPut:
		b, ok := readAdminBody(w, r, inputlimit.MaxYAMLBytes, inputlimit.YAML)
		if !ok {
			return
		}
		org, err := ParseOrg(b)
		if err != nil {
			adminError(w, 400, "org: "+err.Error())
			return
		}
		if err := h.SetOrg(org); err != nil {
			adminError(w, 400, "org: "+err.Error())
			return
		}
		adminJSON(w, 200, h.Org().Redacted())
	case http.MethodPatch:
		b, ok := readAdminBody(w, r, inputlimit.MaxJSONBytes, inputlimit.JSON)
		if !ok {
			return
		}
		var p orgPatch
		if err := decodeStrict(b, &p); err != nil {
			adminError(w, 400, "org patch: "+err.Error()+" (members: agentforceEnabled, tokenLifetime, sessionIdleTimeout, requestTimeout, rateLimit, myDomain, errorStyle)")
			return
		}
		err := h.UpdateOrg(func(o *Org) error {
			if p.AgentforceEnabled != nil {
				o.AgentforceEnabled = p.AgentforceEnabled
			}
			if p.TokenLifetime != nil {
				o.TokenLifetime = *p.TokenLifetime
			}
			if p.SessionIdleTimeout != nil {
				o.SessionIdleTimeout = *p.SessionIdleTimeout
			}
			if p.RequestTimeout != nil {
				o.RequestTimeout = *p.RequestTimeout
			}
			if p.MyDomain != nil {
				o.MyDomain = *p.MyDomain
			}
			if p.ErrorStyle != nil {
				o.ErrorStyle = *p.ErrorStyle
			}
			if len(p.RateLimit) > 0 {
				if string(p.RateLimit) == "null" {
					o.RateLimit = nil
				} else {
					var rl RateLimit
					if err := decodeStrict(p.RateLimit, &rl); err != nil {
						return fmt.Errorf("rateLimit: %w", err)
					}
					o.RateLimit = &rl
				}
			}
			return nil
		})
		if err != nil {
			adminError(w, 400, "org patch: "+err.Error())
			return
		}
		adminJSON(w, 200, h.Org().Redacted())
	default:
		methodNotAllowed(w, "GET, PUT, PATCH")
	}
}

// agentPatch is the body of PATCH /__admin/agents/{id}.
type agentPatch struct {
	ActiveVersion    *bool            `json:"activeVersion"`
	Type             *AgentType       `json:"type"`
	Greeting         *string          `json:"greeting"`
	ReplyDelay       *Duration        `json:"replyDelay"`
	StreamChunkDelay *Duration        `json:"streamChunkDelay"`
	StreamScript     *[]StreamStep    `json:"streamScript"`
	Variables        *[]AgentVariable `json:"variables"`
}

func (h *Handler) adminAgent(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodPatch {
		methodNotAllowed(w, "PATCH")
		return
	}
	b, ok := readAdminBody(w, r, inputlimit.MaxJSONBytes, inputlimit.JSON)
	if !ok {
		return
	}
	var p agentPatch
	if err := decodeStrict(b, &p); err != nil {
		adminError(w, 400, "agent patch: "+err.Error()+" (members: activeVersion, type, greeting, replyDelay, streamChunkDelay, streamScript, variables)")
		return
	}
	errNoAgent := errors.New("no agent " + id + " in the org")
	err := h.UpdateOrg(func(o *Org) error {
		for i := range o.Agents {
			a := &o.Agents[i]
			if a.ID != id {
				continue
			}
			if p.ActiveVersion != nil {
				a.ActiveVersion = p.ActiveVersion
			}
			if p.Type != nil {
				a.Type = *p.Type
			}
			if p.Greeting != nil {
				a.Greeting = *p.Greeting
			}
			if p.ReplyDelay != nil {
				a.ReplyDelay = *p.ReplyDelay
			}
			if p.StreamChunkDelay != nil {
				a.StreamChunkDelay = *p.StreamChunkDelay
			}
			if p.StreamScript != nil {
				a.StreamScript = *p.StreamScript
			}
			if p.Variables != nil {
				a.Variables = *p.Variables
			}
			return nil
		}
		return errNoAgent
	})
	if errors.Is(err, errNoAgent) {
		adminError(w, 404, err.Error())
		return
	}
	if err != nil {
		adminError(w, 400, "agent patch: "+err.Error())
		return
	}
	adminJSON(w, 200, h.State().Org)
}

func (h *Handler) adminFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		adminJSON(w, 200, h.Faults())
	case http.MethodDelete:
		h.ClearFaults()
		adminJSON(w, 200, h.Faults())
	case http.MethodPut:
		b, ok := readAdminBody(w, r, inputlimit.MaxJSONBytes, inputlimit.JSON)
		if !ok {
			return
		}
		var fs []Fault
		if err := decodeStrict(b, &fs); err != nil {
			adminError(w, 400, "faults: "+err.Error()+" (send a JSON array of faults)")
			return
		}
		if err := h.SetFaults(fs); err != nil {
			adminError(w, 400, err.Error())
			return
		}
		adminJSON(w, 200, h.Faults())
	case http.MethodPost:
		b, ok := readAdminBody(w, r, inputlimit.MaxJSONBytes, inputlimit.JSON)
		if !ok {
			return
		}
		var f Fault
		if err := decodeStrict(b, &f); err != nil {
			adminError(w, 400, "fault: "+err.Error()+" (send one JSON fault object)")
			return
		}
		id, err := h.InjectFault(f)
		if err != nil {
			adminError(w, 400, err.Error())
			return
		}
		adminJSON(w, 201, map[string]int{"id": id})
	default:
		methodNotAllowed(w, "GET, PUT, POST, DELETE")
	}
}

// mintRequest is the body of POST /__admin/tokens.
type mintRequest struct {
	ClientID string   `json:"clientId"`
	Lifetime Duration `json:"lifetime"`
}

func (h *Handler) adminMint(w http.ResponseWriter, r *http.Request) {
	var m mintRequest
	if !decodePost(w, r, &m, "token request", `{"clientId":"...","lifetime":"30m"}`) {
		return
	}
	resp, err := h.MintToken(m.ClientID, time.Duration(m.Lifetime), baseURL(r))
	if err != nil {
		adminError(w, 400, err.Error())
		return
	}
	adminJSON(w, 200, resp)
}
