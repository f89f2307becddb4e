package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/agentshape/agentshape/internal/inputlimit"
)

// Org describes the Salesforce org the emulator pretends to be. It is what an
// org file holds (YAML or JSON; schema schemas/emulator-org.schema.json).
// Zero values mean "use the default" documented on each field.
type Org struct {
	// Name is a label for logs and the admin state; optional.
	Name string `json:"name,omitempty"`
	// OrgID is the 18-character org ID used in identity URLs; default 00DAA0000000001AAA.
	OrgID string `json:"orgId,omitempty"`
	// MyDomain is the org's My Domain URL, e.g. https://example-co.my.salesforce.com.
	// Start Session requests whose instanceConfig.endpoint is not this URL get
	// 500 EngineConfigLookupException (agent-api.md §8). Required.
	MyDomain string `json:"myDomain"`
	// AgentforceEnabled switches Agentforce on or off; nil means on. When off,
	// Start Session answers 403 ForbiddenError (agent-api.md §6 preconditions; the
	// 403 is the emulator's choice [A]).
	AgentforceEnabled *bool `json:"agentforceEnabled,omitempty"`
	// TokenLifetime is how long an access token stays valid; default 2h.
	TokenLifetime Duration `json:"tokenLifetime,omitempty"`
	// SessionIdleTimeout ends sessions idle for longer; 0 means never (agent-api.md §8: idle timeout unknown).
	SessionIdleTimeout Duration `json:"sessionIdleTimeout,omitempty"`
	// RequestTimeout is the API's own per-request limit; injected latency at or
	// beyond it answers 500 (agent-api.md §8: "Request runs over 120 s → 500"). Default 120s.
	RequestTimeout Duration `json:"requestTimeout,omitempty"`
	// MaxSessions caps live sessions; at the cap Start Session answers 503
	// ServiceUnavailable until sessions end or expire [A]. Default 1,000,000.
	MaxSessions int `json:"maxSessions,omitempty"`
	// RateLimit limits session API requests per second; nil means unlimited.
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
	// Edition is the org's Salesforce edition; default Developer. The
	// action is available in Enterprise, Performance, Unlimited and
	// Developer Editions (agent-api.md §6.2); in any other the session
	// operations answer 403 [A].
	Edition string `json:"edition,omitempty"`
	// LightningExperience reports whether the org uses Lightning Experience;
	// nil means yes. The action is available in Lightning Experience only
	// (agent-api.md §6.2); without it the session operations answer 403 [A].
	LightningExperience *bool `json:"lightningExperience,omitempty"`
	// AgentLicences lists the agent types the org has the add-on licence
	// for (Help: "required add-on licenses vary by agent type", agent-api.md
	// §6.2); nil means every type. Start Session for an agent whose type is
	// not listed answers 403 [A].
	AgentLicences []AgentType `json:"agentLicences,omitempty"`
	// ErrorStyle chooses how error answers look (agent-api.md §5):
	// "documented" (the default) answers with the reference's classes
	// (BadRequestError, NotFoundError, …) and its six members; "live" answers
	// as recorded live orgs do: …Exception classes, the extra members mode and
	// expected, a versioned internal path (v6.0.0/sessions/…), and 500
	// HttpServerErrorException for a malformed agent ID.
	ErrorStyle ErrorStyle `json:"errorStyle,omitempty"`
	// Agents are the agents of the org.
	Agents []Agent `json:"agents"`
	// ClientApps are the external client apps allowed to get tokens.
	ClientApps []ClientApp `json:"clientApps"`
	// Faults are injected from the start (see Fault); the admin API can change them.
	Faults []Fault `json:"faults,omitempty"`
}

// ErrorStyle is how the emulator's error answers look (Org.ErrorStyle).
type ErrorStyle string

// Error styles (agent-api.md §5).
const (
	// DocumentedErrors answers as the reference documents.
	DocumentedErrors ErrorStyle = "documented"
	// LiveErrors answers as recorded live orgs do.
	LiveErrors ErrorStyle = "live"
)

// DefaultEdition is the edition of an org file that names none.
const DefaultEdition = "Developer"

// agentEditions are the editions the Start Session action is available in
// (agent-api.md §6.2 [D]); editions lists every edition an org file may
// name.
var (
	agentEditions = map[string]bool{"Enterprise": true, "Performance": true, "Unlimited": true, "Developer": true}
	editions      = []string{"Essentials", "Starter", "Pro Suite", "Group", "Professional", "Enterprise", "Performance", "Unlimited", "Developer", "Contact Manager", "Personal"}
)

// AgentType is the kind of an agent.
type AgentType string

// Agent types. bypassUser: true is refused for employee agents (agent-api.md §8).
const (
	ServiceAgent  AgentType = "service"
	EmployeeAgent AgentType = "employee"
)

// Agent is one agent (BotDefinition) of the org.
type Agent struct {
	// ID is the agent ID (prefix 0Xx, 15 or 18 characters; agent-api.md §1).
	ID string `json:"id"`
	// Name is a label; optional.
	Name string `json:"name,omitempty"`
	// Type is service (default) or employee.
	Type AgentType `json:"type,omitempty"`
	// ActiveVersion reports whether the agent has an active version; nil means
	// yes. Without one Start Session answers 422 (agent-api.md §5).
	ActiveVersion *bool `json:"activeVersion,omitempty"`
	// Greeting is the text of the greeting Inform message returned by Start Session.
	Greeting string `json:"greeting,omitempty"`
	// Variables are the agent's variables. When the list is empty every
	// variable sent is accepted; otherwise only declared variables with
	// settableByApi are applied and the others are ignored (agent-api.md §3: read-only
	// values are ignored, an assumption [A]); a declared variable sent with another type is a 400 [A].
	Variables []AgentVariable `json:"variables,omitempty"`
	// ReplyDelay is how long the agent "thinks" before answering a message,
	// holding the session (a second request meanwhile gets 423). Default 0.
	ReplyDelay Duration `json:"replyDelay,omitempty"`
	// StreamChunkDelay is the pause between streamed TEXT_CHUNK events. Default 0.
	StreamChunkDelay Duration `json:"streamChunkDelay,omitempty"`
	// StreamScript, when set, is what the streaming endpoint sends for every
	// message, in order, instead of the default reply (one TEXT_CHUNK per
	// word, INFORM, END_OF_TURN): any documented event type, the
	// ValidationFailureChunk included (agent-api.md §12).
	StreamScript []StreamStep `json:"streamScript,omitempty"`
}

// StreamStep is one event of an agent's StreamScript (agent-api.md §12).
type StreamStep struct {
	// Type is the message type: TextChunk, ValidationFailureChunk,
	// ProgressIndicator, Inform, Inquire, Confirm, Failure, Escalate,
	// SessionEnded, EndOfTurn or Error. The event is named after it
	// (TEXT_CHUNK, VALIDATION_FAILURE_CHUNK, …).
	Type string `json:"type"`
	// Text is the message's text (TextChunk, ProgressIndicator, Inform, …),
	// or the reason of a ValidationFailureChunk or SessionEnded. An Inform
	// without text carries the emulator's usual reply.
	Text string `json:"text,omitempty"`
}

// streamEventNames names the event each scripted message type is sent as
// (agent-api.md §12); ValidationFailureChunk's name is the emulator's [A].
var streamEventNames = map[string]string{
	"TextChunk": "TEXT_CHUNK", "ValidationFailureChunk": "VALIDATION_FAILURE_CHUNK", "ProgressIndicator": "PROGRESS_INDICATOR",
	"Inform": "INFORM", "Inquire": "INQUIRE", "Confirm": "CONFIRM", "Failure": "FAILURE", "Escalate": "ESCALATE",
	"SessionEnded": "SESSION_ENDED", "EndOfTurn": "END_OF_TURN", "Error": "ERROR",
}

// AgentVariable declares one variable of an agent (agent-api.md §3).
type AgentVariable struct {
	// Name is the API name, $Context.<Name> for context variables.
	Name string `json:"name"`
	// Type is one of the documented variable types (Text, Number, ...).
	Type string `json:"type"`
	// SettableByAPI mirrors Agentforce Builder's "Allow value to be set by API".
	SettableByAPI bool `json:"settableByApi"`
}

// ClientApp is an external client app that may use the client-credentials flow.
type ClientApp struct {
	// ClientID is the consumer key.
	ClientID string `json:"clientId"`
	// ClientSecret is the consumer secret. Never logged, never returned by the admin API.
	ClientSecret string `json:"clientSecret"`
	// Scopes granted to tokens; default api, chatbot_api, sfap_api. Tokens
	// lacking chatbot_api or sfap_api are refused with 403 (agent-api.md §7 [SF]; 403 is [A]).
	Scopes []string `json:"scopes,omitempty"`
	// RunAs is the app's run-as user.
	RunAs RunAsUser `json:"runAs"`
}

// RunAsUser is the user a client app runs as.
type RunAsUser struct {
	// Username of the run-as user.
	Username string `json:"username"`
	// UserID is the 18-character user ID; default 005AA0000000001AAA.
	UserID string `json:"userId,omitempty"`
	// ManageAIAgents reports whether the user has the Manage AI Agents
	// permission; without it Start Session answers 403 (agent-api.md §6).
	ManageAIAgents bool `json:"manageAIAgents"`
}

// RateLimit is a token bucket over all session API requests of the org.
type RateLimit struct {
	// RequestsPerSecond is the sustained rate.
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	// Burst is the bucket size; default max(1, RequestsPerSecond).
	Burst int `json:"burst,omitempty"`
}

// Defaults applied by Normalize.
const (
	DefaultOrgID          = "00DAA0000000001AAA"
	DefaultUserID         = "005AA0000000001AAA"
	DefaultTokenLifetime  = 2 * time.Hour
	DefaultRequestTimeout = 120 * time.Second
	DefaultMaxSessions    = 1_000_000
	DefaultGreeting       = "Hi, I'm an AI assistant emulated by agentshape. How can I help you?"
	// DemoAgentID is the agent of DefaultOrg.
	DemoAgentID = "0XxAA0000000001AAA"
	// DemoClientID and DemoClientSecret are the client app of DefaultOrg.
	DemoClientID     = "agentshape-demo"
	DemoClientSecret = "demo-secret"
	// DemoMyDomain is the My Domain of DefaultOrg.
	DemoMyDomain = "https://example-co.my.salesforce.com"
)

// defaultScopes are granted when a client app lists none (agent-api.md §7).
var defaultScopes = []string{"api", "chatbot_api", "sfap_api"}

// variableTypes is the documented Variable.type enum (agent-api.md §3).
var variableTypes = map[string]bool{
	"Object": true, "Json": true, "Boolean": true, "Date": true, "DateTime": true,
	"Money": true, "Number": true, "Text": true, "Ref": true, "List": true,
}

// DefaultOrg returns the built-in demo org: My Domain
// https://example-co.my.salesforce.com, one active service agent
// 0XxAA0000000001AAA and one client app agentshape-demo / demo-secret whose
// run-as user has the Manage AI Agents permission. No rate limit, no faults.
func DefaultOrg() *Org {
	return &Org{
		Name:     "example-co (agentshape demo org)",
		MyDomain: DemoMyDomain,
		Agents: []Agent{{
			ID:   DemoAgentID,
			Name: "Demo Service Agent",
			Type: ServiceAgent,
			Variables: []AgentVariable{
				{Name: "$Context.EndUserLanguage", Type: "Text", SettableByAPI: true},
				{Name: "$Context.EndUserContactId", Type: "Ref", SettableByAPI: true},
				{Name: "$Context.RoutableId", Type: "Text", SettableByAPI: true},
				{Name: "$Context.MessagingEndUserId", Type: "Ref", SettableByAPI: true},
				{Name: "orderTier", Type: "Text", SettableByAPI: true},
				{Name: "verifiedCustomerId", Type: "Ref", SettableByAPI: false},
			},
		}},
		ClientApps: []ClientApp{{
			ClientID:     DemoClientID,
			ClientSecret: DemoClientSecret,
			RunAs:        RunAsUser{Username: "agent-runner@example-co.com", ManageAIAgents: true},
		}},
	}
}

// LoadOrg reads and checks an org file (YAML or JSON).
func LoadOrg(path string) (*Org, error) {
	data, err := inputlimit.ReadFile(path, inputlimit.MaxYAMLBytes, inputlimit.YAML)
	if errors.Is(err, inputlimit.ErrTooLarge) {
		return nil, fmt.Errorf("org file %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("read org file: %w (pass --org with a readable YAML file, or omit it for the built-in demo org)", err)
	}
	org, err := ParseOrg(data)
	if err != nil {
		return nil, fmt.Errorf("org file %s: %w", path, err)
	}
	return org, nil
}

// ParseOrg decodes an org document (YAML or JSON), rejects unknown fields,
// checks it against the org schema and Normalize's rules, and returns it
// normalised. A document over 64 KiB, nested deeper than 128 levels or with
// an alias bomb is refused before it is parsed.
func ParseOrg(data []byte) (*Org, error) {
	if err := inputlimit.CheckYAML(data, ""); err != nil {
		return nil, fmt.Errorf("org document: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("org document is empty; it needs at least myDomain, agents and clientApps")
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML or JSON: %w", inputlimit.YAMLError(err))
	}
	if t := bytes.TrimSpace(js); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("org document must be a mapping (object) with myDomain, agents and clientApps")
	}
	if err := validateOrgSchema(js); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var org Org
	if err := dec.Decode(&org); err != nil {
		return nil, fmt.Errorf("org document: %w", describeJSONError(err))
	}
	if err := org.Normalize(); err != nil {
		return nil, err
	}
	return &org, nil
}

// describeJSONError turns encoding/json errors into messages naming the field.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(document)"
		}
		return fmt.Errorf("field %s: got JSON %s, want %s", field, te.Value, te.Type.String())
	}
	return err
}

// Normalize fills defaults and checks the org; the error names the offending
// field (e.g. "agents[1].id") and what to write instead.
func (o *Org) Normalize() error {
	if o.OrgID == "" {
		o.OrgID = DefaultOrgID
	}
	if err := checkMyDomain(o.MyDomain); err != nil {
		return fmt.Errorf("myDomain: %w", err)
	}
	o.MyDomain = strings.TrimRight(o.MyDomain, "/")
	if o.TokenLifetime == 0 {
		o.TokenLifetime = Duration(DefaultTokenLifetime)
	}
	if o.TokenLifetime < 0 {
		return fmt.Errorf("tokenLifetime: %s is negative; use a positive duration such as 30m", o.TokenLifetime)
	}
	if o.SessionIdleTimeout < 0 {
		return fmt.Errorf("sessionIdleTimeout: %s is negative; use 0 (never) or a positive duration", o.SessionIdleTimeout)
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = Duration(DefaultRequestTimeout)
	}
	if o.RequestTimeout < 0 {
		return fmt.Errorf("requestTimeout: %s is negative", o.RequestTimeout)
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.Edition == "" {
		o.Edition = DefaultEdition
	}
	if !slices.Contains(editions, o.Edition) {
		return fmt.Errorf("edition: %q is not a Salesforce edition (%s)", o.Edition, strings.Join(editions, ", "))
	}
	for i, t := range o.AgentLicences {
		if t != ServiceAgent && t != EmployeeAgent {
			return fmt.Errorf("agentLicences[%d]: %q is not an agent type (service or employee)", i, t)
		}
	}
	switch o.ErrorStyle {
	case "":
		o.ErrorStyle = DocumentedErrors
	case DocumentedErrors, LiveErrors:
	default:
		return fmt.Errorf("errorStyle: %q is not documented or live", o.ErrorStyle)
	}
	if o.MaxSessions < 0 {
		return fmt.Errorf("maxSessions: %d must be > 0", o.MaxSessions)
	}
	if rl := o.RateLimit; rl != nil {
		if rl.RequestsPerSecond <= 0 {
			return fmt.Errorf("rateLimit.requestsPerSecond: %v must be > 0 (remove rateLimit for no limit)", rl.RequestsPerSecond)
		}
		if rl.Burst < 0 {
			return fmt.Errorf("rateLimit.burst: %d must be >= 0", rl.Burst)
		}
		if rl.Burst == 0 {
			rl.Burst = max(1, int(rl.RequestsPerSecond))
		}
	}
	if len(o.Agents) == 0 {
		return errors.New("agents: the org needs at least one agent")
	}
	seen := map[string]int{}
	for i := range o.Agents {
		a := &o.Agents[i]
		if !ValidAgentID(a.ID) {
			return fmt.Errorf("agents[%d].id: %q is not a valid agent ID; use the 15- or 18-character ID starting with 0Xx from the agent details page URL", i, a.ID)
		}
		// Keyed by the 15-character form, which names the same agent as the
		// 18-character one (Start Session accepts both): two entries sharing
		// it would make one of them unreachable.
		if j, dup := seen[a.ID[:15]]; dup {
			if o.Agents[j].ID == a.ID {
				return fmt.Errorf("agents[%d].id: %s is already used by agents[%d]; agent IDs must be unique", i, a.ID, j)
			}
			return fmt.Errorf("agents[%d].id: %s names the same agent as agents[%d] (%s): an 18-character ID is the 15-character ID plus a suffix; list the agent once", i, a.ID, j, o.Agents[j].ID)
		}
		seen[a.ID[:15]] = i
		switch a.Type {
		case "":
			a.Type = ServiceAgent
		case ServiceAgent, EmployeeAgent:
		default:
			return fmt.Errorf("agents[%d].type: %q is not service or employee", i, a.Type)
		}
		if a.Greeting == "" {
			a.Greeting = DefaultGreeting
		}
		for k, st := range a.StreamScript {
			if streamEventNames[st.Type] == "" {
				return fmt.Errorf("agents[%d].streamScript[%d].type: %q is not a streamed message type (TextChunk, ValidationFailureChunk, ProgressIndicator, Inform, Inquire, Confirm, Failure, Escalate, SessionEnded, EndOfTurn, Error)", i, k, st.Type)
			}
		}
		if a.ReplyDelay < 0 || a.StreamChunkDelay < 0 {
			return fmt.Errorf("agents[%d]: replyDelay and streamChunkDelay must not be negative", i)
		}
		vseen := map[string]bool{}
		for k, v := range a.Variables {
			if v.Name == "" {
				return fmt.Errorf("agents[%d].variables[%d].name: empty; give the variable's API name ($Context.<Name> for context variables)", i, k)
			}
			if vseen[v.Name] {
				return fmt.Errorf("agents[%d].variables[%d].name: %q is declared twice", i, k, v.Name)
			}
			vseen[v.Name] = true
			if !variableTypes[v.Type] {
				return fmt.Errorf("agents[%d].variables[%d].type: %q is not a documented variable type (Object, Json, Boolean, Date, DateTime, Money, Number, Text, Ref, List)", i, k, v.Type)
			}
		}
	}
	if len(o.ClientApps) == 0 {
		return errors.New("clientApps: the org needs at least one client app to issue tokens")
	}
	cseen := map[string]int{}
	for i := range o.ClientApps {
		c := &o.ClientApps[i]
		if c.ClientID == "" {
			return fmt.Errorf("clientApps[%d].clientId: empty; set the consumer key", i)
		}
		if j, dup := cseen[c.ClientID]; dup {
			return fmt.Errorf("clientApps[%d].clientId: %q is already used by clientApps[%d]", i, c.ClientID, j)
		}
		cseen[c.ClientID] = i
		if c.ClientSecret == "" {
			return fmt.Errorf("clientApps[%d].clientSecret: empty; set the consumer secret", i)
		}
		if len(c.Scopes) == 0 {
			c.Scopes = append([]string(nil), defaultScopes...)
		}
		if c.RunAs.Username == "" {
			return fmt.Errorf("clientApps[%d].runAs.username: empty; every client app needs a run-as user", i)
		}
		if c.RunAs.UserID == "" {
			c.RunAs.UserID = DefaultUserID
		}
	}
	for i := range o.Faults {
		if err := o.Faults[i].check(); err != nil {
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
	}
	return nil
}

// checkMyDomain accepts an https URL with a host and no path, query or fragment.
func checkMyDomain(s string) error {
	if s == "" {
		return errors.New("missing; set the org's My Domain URL, e.g. https://example-co.my.salesforce.com")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if u.Scheme != "https" || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must be an https URL with only a host, e.g. https://example-co.my.salesforce.com", s)
	}
	return nil
}

// Clone returns a deep copy of o.
func (o *Org) Clone() *Org {
	c := *o
	if o.AgentforceEnabled != nil {
		v := *o.AgentforceEnabled
		c.AgentforceEnabled = &v
	}
	if o.RateLimit != nil {
		rl := *o.RateLimit
		c.RateLimit = &rl
	}
	if o.LightningExperience != nil {
		v := *o.LightningExperience
		c.LightningExperience = &v
	}
	if o.AgentLicences != nil {
		c.AgentLicences = append([]AgentType{}, o.AgentLicences...)
	}
	c.Agents = make([]Agent, len(o.Agents))
	for i, a := range o.Agents {
		if a.ActiveVersion != nil {
			v := *a.ActiveVersion
			a.ActiveVersion = &v
		}
		a.Variables = append([]AgentVariable(nil), a.Variables...)
		a.StreamScript = append([]StreamStep(nil), a.StreamScript...)
		c.Agents[i] = a
	}
	c.ClientApps = make([]ClientApp, len(o.ClientApps))
	for i, ca := range o.ClientApps {
		ca.Scopes = append([]string(nil), ca.Scopes...)
		c.ClientApps[i] = ca
	}
	c.Faults = make([]Fault, len(o.Faults))
	for i, f := range o.Faults {
		f.Operations = append([]Operation(nil), f.Operations...)
		c.Faults[i] = f
	}
	return &c
}

// YAML renders o, normalised (every default filled in), as an org file
// (schema emulator-org): what `agentshape emulator --print-org` prints and
// the org.yaml `agentshape plugin new` writes, starting from DefaultOrg.
func (o *Org) YAML() ([]byte, error) {
	c := o.Clone()
	if err := c.Normalize(); err != nil {
		return nil, err
	}
	b, err := yaml.MarshalWithOptions(c, yaml.UseJSONMarshaler())
	if err != nil {
		return nil, fmt.Errorf("render the org as YAML: %w", err)
	}
	return b, nil
}

// WithoutFaults returns a copy of o without its injected faults and rate
// limit, which test a client's resilience: the org as its configuration
// alone answers (My Domain, agents and their variables, editions, licences,
// error style). The conformance gate and `start --org` serve it.
func (o *Org) WithoutFaults() *Org {
	c := o.Clone()
	c.Faults, c.RateLimit = nil, nil
	return c
}

// Redacted returns a copy with client secrets replaced, for display.
func (o *Org) Redacted() *Org {
	c := o.Clone()
	for i := range c.ClientApps {
		c.ClientApps[i].ClientSecret = "[redacted]"
	}
	return c
}

// licensed reports whether the org holds the add-on licence for agents of type t.
func (o *Org) licensed(t AgentType) bool {
	return o.AgentLicences == nil || slices.Contains(o.AgentLicences, t)
}

// agentforceOn reports whether Agentforce is enabled.
func (o *Org) agentforceOn() bool { return o.AgentforceEnabled == nil || *o.AgentforceEnabled }

// active reports whether the agent has an active version.
func (a *Agent) active() bool { return a.ActiveVersion == nil || *a.ActiveVersion }

// Duration is a time.Duration written as a Go duration string ("1.5s",
// "2h") or a number of seconds in org files and admin requests.
type Duration time.Duration

// String formats like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts "250ms"-style strings or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w (write e.g. 500ms, 30s or 2h)", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"30s\" or a number of seconds", b)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}
