package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ProviderStatesPath is where Pact verifiers post provider state changes
// (their --state-change-url): POST {"state", "params", "action"}.
const ProviderStatesPath = "/__admin/provider-states"

// The provider states the emulator sets up, as agentshape's pact names them
// (contracts/pacts). Each describes a whole situation of the org: setting one
// up first restores the start-up org (Reset), switches Agentforce on, removes
// every fault and the rate limit, makes the client app and the agent of the
// params exist and work, then changes what the state says.
const (
	// StateClientApp: the client app may use the client credentials flow
	// (agent-api.md §7).
	StateClientApp = "a client app may use the client credentials flow"
	// StateAgentActive: the agent has an active version; Start Session works.
	StateAgentActive = "an agent has an active version"
	// StateAgentInactive: the agent has no active version (422, agent-api.md §5).
	StateAgentInactive = "an agent has no active version"
	// StateNoAgent: no agent of the org has params.agentId (404, agent-api.md §5).
	StateNoAgent = "no agent has the requested ID"
	// StateTokenExpired: the access token handed out has expired (401, agent-api.md §5).
	StateTokenExpired = "the access token has expired"
	// StateForbidden: the client app's run-as user lacks Manage AI Agents
	// (403, agent-api.md §6).
	StateForbidden = "the run-as user lacks the Manage AI Agents permission"
	// StateBusy: the next Agent API request is answered 423 (agent-api.md §5).
	StateBusy = "the Agent API is busy"
	// StateRateLimited: the org's request rate limit is used up (429, agent-api.md §5).
	StateRateLimited = "the org has exceeded its request rate limit"
	// StateUnavailable: the next Agent API request is answered 503 (agent-api.md §5).
	StateUnavailable = "the Agent API is unavailable"
	// StateSession: a session of the agent exists; sessionId and sequenceId
	// (the next valid message sequenceId) are handed out.
	StateSession = "a session exists"
	// StateSessionEnded: a session of the agent existed and has ended; its
	// sessionId is handed out (404 NotFoundException, agent-api.md §8).
	StateSessionEnded = "the session has ended"
	// StateStreamEvent: the agent streams an event of the kind params.event names (agent-api.md
	// §12); the message producer (MessagePath) builds it, the setup only prepares the org.
	StateStreamEvent = "the agent streams an event"
)

// Parameters a provider state accepts, all optional strings. Without them
// the state uses the start-up org's My Domain, first client app and first
// agent.
const (
	// ParamClientID names the client app whose token is handed out (accessToken).
	ParamClientID = "clientId"
	// ParamClientSecret is the secret the client app must accept.
	ParamClientSecret = "clientSecret"
	// ParamAgentID names the agent the state is about.
	ParamAgentID = "agentId"
	// ParamMyDomain is the org's My Domain URL (instanceConfig.endpoint, agent-api.md §2).
	ParamMyDomain = "myDomain"
	// ParamEvent names a streamed event (agent-api.md §12) for StateStreamEvent, read by the
	// message producer (MessagePath), ignored by the setup.
	ParamEvent = "event"
)

// Values a setup hands back for a Pact verifier to inject into the request
// (fromProviderState generators: "Bearer ${accessToken}").
const (
	// ValueAccessToken is an access token of the client app: valid, or
	// expired for StateTokenExpired.
	ValueAccessToken = "accessToken"
	// ValueSessionID is the session of StateSession and StateSessionEnded.
	ValueSessionID = "sessionId"
	// ValueSequenceID is the next sequenceId the session accepts.
	ValueSequenceID = "sequenceId"
	// ValueAgentID, ValueClientID and ValueMyDomain echo the fixtures used.
	ValueAgentID  = "agentId"
	ValueClientID = "clientId"
	ValueMyDomain = "myDomain"
)

// ErrUnknownProviderState is wrapped by SetUpProviderState for a state it
// does not know.
var ErrUnknownProviderState = errors.New("unknown provider state")

// stateFixtures are the parsed params of a provider state.
type stateFixtures struct {
	clientID, clientSecret, agentID, myDomain string
}

// stateSetup changes the prepared org for one state and adds its values.
// mint is the token lifetime to hand out (0: the org's).
type stateSetup struct {
	needsAgent bool // the state is about an agent that must exist and be active
	apply      func(h *Handler, f stateFixtures, values map[string]any) (mint time.Duration, err error)
}

var providerStates = map[string]stateSetup{
	StateClientApp:   {apply: noChange},
	StateStreamEvent: {apply: noChange},
	StateAgentActive: {needsAgent: true, apply: noChange},
	StateAgentInactive: {needsAgent: true, apply: func(h *Handler, f stateFixtures, _ map[string]any) (time.Duration, error) {
		off := false
		return 0, h.UpdateOrg(func(o *Org) error { o.findAgent(f.agentID).ActiveVersion = &off; return nil })
	}},
	StateNoAgent: {apply: removeAgent},
	StateForbidden: {apply: func(h *Handler, f stateFixtures, _ map[string]any) (time.Duration, error) {
		return 0, h.UpdateOrg(func(o *Org) error { o.findClientApp(f.clientID).RunAs.ManageAIAgents = false; return nil })
	}},
	StateTokenExpired: {needsAgent: true, apply: func(*Handler, stateFixtures, map[string]any) (time.Duration, error) {
		return -time.Minute, nil
	}},
	StateBusy:        {needsAgent: true, apply: nextRequestFails(http.StatusLocked)},
	StateUnavailable: {needsAgent: true, apply: nextRequestFails(http.StatusServiceUnavailable)},
	StateRateLimited: {needsAgent: true, apply: func(h *Handler, _ stateFixtures, _ map[string]any) (time.Duration, error) {
		// One request an hour, burst 1, and that one is taken.
		err := h.UpdateOrg(func(o *Org) error { o.RateLimit = &RateLimit{RequestsPerSecond: 1.0 / 3600, Burst: 1}; return nil })
		if err != nil {
			return 0, err
		}
		h.state.Load().limiter.allow(h.clock())
		return 0, nil
	}},
	StateSession: {needsAgent: true, apply: func(h *Handler, f stateFixtures, values map[string]any) (time.Duration, error) {
		sid, err := h.putSession(f)
		values[ValueSessionID], values[ValueSequenceID] = sid, 1
		return 0, err
	}},
	StateSessionEnded: {needsAgent: true, apply: func(h *Handler, f stateFixtures, values map[string]any) (time.Duration, error) {
		sid, err := h.putSession(f)
		if err != nil {
			return 0, err
		}
		st := h.state.Load()
		ref, res := h.sessions.claim(sid, h.clock(), time.Duration(st.org.SessionIdleTimeout))
		if res != claimed {
			return 0, fmt.Errorf("the session just started is gone (claim result %d)", res)
		}
		if ref.end() {
			h.stats.ended.Add(1)
		}
		values[ValueSessionID], values[ValueSequenceID] = sid, 1
		return 0, nil
	}},
}

func noChange(*Handler, stateFixtures, map[string]any) (time.Duration, error) { return 0, nil }

// nextRequestFails answers the next Agent API request (not the token
// endpoint) with status and its documented body.
func nextRequestFails(status int) func(*Handler, stateFixtures, map[string]any) (time.Duration, error) {
	return func(h *Handler, _ stateFixtures, _ map[string]any) (time.Duration, error) {
		_, err := h.InjectFault(Fault{Name: "provider state", Operations: []Operation{OpStart, OpSend, OpStream, OpEnd, OpFeedback},
			Status: status, Count: 1})
		return 0, err
	}
}

// removeAgent makes params.agentId name no agent of the org (the 15- and
// 18-character forms name the same agent).
func removeAgent(h *Handler, f stateFixtures, _ map[string]any) (time.Duration, error) {
	if f.agentID == "" {
		return 0, fmt.Errorf("state %q needs params.%s, the ID that must name no agent", StateNoAgent, ParamAgentID)
	}
	return 0, h.UpdateOrg(func(o *Org) error {
		kept := o.Agents[:0]
		for _, a := range o.Agents {
			if !sameAgent(a.ID, f.agentID) {
				kept = append(kept, a)
			}
		}
		o.Agents = kept
		return nil
	})
}

// sameAgent reports whether two agent IDs name the same agent: equal, or
// equal in their first 15 characters (agent-api.md §1).
func sameAgent(a, b string) bool {
	return a == b || (len(a) >= 15 && len(b) >= 15 && a[:15] == b[:15])
}

// findAgent returns the agent named id (either form), or nil.
func (o *Org) findAgent(id string) *Agent {
	for i := range o.Agents {
		if sameAgent(o.Agents[i].ID, id) {
			return &o.Agents[i]
		}
	}
	return nil
}

// findClientApp returns the client app named id, or nil.
func (o *Org) findClientApp(id string) *ClientApp {
	for i := range o.ClientApps {
		if o.ClientApps[i].ClientID == id {
			return &o.ClientApps[i]
		}
	}
	return nil
}

// putSession starts a session of the fixture agent for the fixture client app.
func (h *Handler) putSession(f stateFixtures) (string, error) {
	st := h.state.Load()
	agent := st.agents[f.agentID]
	if agent == nil {
		return "", fmt.Errorf("agent %s is not in the org", f.agentID)
	}
	ns := newSession{agentID: agent.ID, bypass: agent.Type != EmployeeAgent, now: h.clock(),
		detail: detail{clientID: f.clientID, externalKey: "pact-provider-state"}}
	sid, _, ok := h.sessions.tryPut(ns, time.Duration(st.org.SessionIdleTimeout), int64(st.org.MaxSessions))
	if !ok {
		return "", fmt.Errorf("the org's maxSessions (%d) are all in use", st.org.MaxSessions)
	}
	h.stats.created.Add(1)
	return sid, nil
}

// ProviderStates returns the names of the provider states the emulator sets up, sorted.
func ProviderStates() []string {
	names := make([]string, 0, len(providerStates))
	for n := range providerStates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SetUpProviderState puts the emulator into the named provider state (see
// the State* constants) and returns the values a Pact verifier injects into
// the interaction's request (Value* keys). params may hold the Param* keys.
// apiBase is the api_instance_url of the token handed out (the emulator's
// own URL).
func (h *Handler) SetUpProviderState(state string, params map[string]any, apiBase string) (map[string]any, error) {
	setup, ok := providerStates[state]
	if !ok {
		return nil, fmt.Errorf("%w %q; the emulator sets up: %s", ErrUnknownProviderState, state, strings.Join(quoteAll(ProviderStates()), ", "))
	}
	f, err := h.stateFixtures(params)
	if err != nil {
		return nil, fmt.Errorf("provider state %q: %w", state, err)
	}
	if setup.needsAgent && f.agentID == "" {
		f.agentID = h.initial.Agents[0].ID
	}
	h.Reset()
	h.ClearFaults()
	if err := h.UpdateOrg(func(o *Org) error { return prepareOrg(o, f, setup.needsAgent) }); err != nil {
		return nil, fmt.Errorf("provider state %q: %w", state, err)
	}
	values := map[string]any{ValueClientID: f.clientID, ValueMyDomain: h.state.Load().org.MyDomain}
	if setup.needsAgent {
		values[ValueAgentID] = f.agentID
	}
	lifetime, err := setup.apply(h, f, values)
	if err != nil {
		return nil, fmt.Errorf("provider state %q: %w", state, err)
	}
	tok, err := h.MintToken(f.clientID, lifetime, apiBase)
	if err != nil {
		return nil, fmt.Errorf("provider state %q: %w", state, err)
	}
	values[ValueAccessToken] = tok.AccessToken
	return values, nil
}

// TearDownProviderState undoes every provider state: the emulator is as it
// started (Reset); tokens stay valid.
func (h *Handler) TearDownProviderState() { h.Reset() }

// stateFixtures reads params, filling what they leave out from the start-up org.
func (h *Handler) stateFixtures(params map[string]any) (stateFixtures, error) {
	known := []string{ParamClientID, ParamClientSecret, ParamAgentID, ParamMyDomain, ParamEvent}
	str := map[string]string{}
	for k, v := range params {
		if !slices.Contains(known, k) {
			return stateFixtures{}, fmt.Errorf("unknown param %q; the emulator reads %s", k, strings.Join(known, ", "))
		}
		s, ok := v.(string)
		if !ok {
			return stateFixtures{}, fmt.Errorf("param %q is a JSON %s, want a string", k, jsonKind(v))
		}
		str[k] = strings.TrimSpace(s)
	}
	f := stateFixtures{clientID: str[ParamClientID], clientSecret: str[ParamClientSecret], agentID: str[ParamAgentID], myDomain: str[ParamMyDomain]}
	if f.agentID != "" && !ValidAgentID(f.agentID) {
		return f, fmt.Errorf("param %s: %q is not a valid agent ID (0Xx, 15 or 18 letters and digits, agent-api.md §1)", ParamAgentID, f.agentID)
	}
	if f.myDomain != "" {
		if err := checkMyDomain(f.myDomain); err != nil {
			return f, fmt.Errorf("param %s: %w", ParamMyDomain, err)
		}
	}
	if f.clientID == "" {
		f.clientID = h.initial.ClientApps[0].ClientID
	}
	return f, nil
}

// prepareOrg makes o a working org for the fixtures: Agentforce on, no
// faults, no rate limit, the client app present with the scopes and
// permission the Agent API needs (and the given secret), and, when the
// state is about an agent, that agent present and active.
func prepareOrg(o *Org, f stateFixtures, needsAgent bool) error {
	on := true
	o.AgentforceEnabled, o.RateLimit, o.Faults = &on, nil, nil
	if f.myDomain != "" {
		o.MyDomain = f.myDomain
	}
	app := o.findClientApp(f.clientID)
	if app == nil {
		if f.clientSecret == "" {
			return fmt.Errorf("the org has no client app %q; pass params.%s too and the state creates it", f.clientID, ParamClientSecret)
		}
		o.ClientApps = append(o.ClientApps, ClientApp{ClientID: f.clientID, RunAs: RunAsUser{Username: "pact-run-as@" + f.clientID + ".invalid"}})
		app = &o.ClientApps[len(o.ClientApps)-1]
	}
	if f.clientSecret != "" {
		app.ClientSecret = f.clientSecret
	}
	app.RunAs.ManageAIAgents = true
	for _, s := range []string{"chatbot_api", "sfap_api"} {
		if len(app.Scopes) > 0 && !slices.Contains(app.Scopes, s) {
			app.Scopes = append(app.Scopes, s)
		}
	}
	if !needsAgent {
		return nil
	}
	if a := o.findAgent(f.agentID); a != nil {
		a.ActiveVersion = nil
		return nil
	}
	o.Agents = append(o.Agents, Agent{ID: f.agentID, Name: "Pact provider state agent"})
	return nil
}

// quoteAll returns each of names in Go quotes.
func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strconv.Quote(n)
	}
	return out
}

// providerStateChange is the body Pact verifiers post to ProviderStatesPath.
type providerStateChange struct {
	State  string         `json:"state"`
	Params map[string]any `json:"params"`
	Action string         `json:"action"`
}

// adminProviderState handles POST /__admin/provider-states: "setup" (or no
// action) answers 200 with the state's values as a JSON object, "teardown"
// restores the start-up state and answers {}.
func (h *Handler) adminProviderState(w http.ResponseWriter, r *http.Request) {
	var c providerStateChange
	if !decodePost(w, r, &c, "provider state change", `{"state":"…","params":{…},"action":"setup"|"teardown"}`) {
		return
	}
	switch c.Action {
	case "", "setup":
		values, err := h.SetUpProviderState(c.State, c.Params, baseURL(r))
		if err != nil {
			adminError(w, 400, err.Error())
			return
		}
		adminJSON(w, 200, values)
	case "teardown":
		h.TearDownProviderState()
		adminJSON(w, 200, map[string]any{})
	default:
		adminError(w, 400, fmt.Sprintf("provider state change: action %q; use setup or teardown", c.Action))
	}
}

// jsonKind names the JSON type of a value decoded by encoding/json.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "string"
}
