// Package flowbody maps the Flow Start Session action's New Session Request
// Body (the Apex record AgentInvAction__AIAgentAPIV1_StartSessionRequest,
// agent-api.md §6) to the Agent API Start Session wire body (agent-api.md §2).
//
// It reads both forms schemas/flow-start-session-request.schema.json
// admits: Help's (message.TextVariable {name, text}) and the External
// Services form a Flow debug log prints (agent-api.md §6.1), where every
// member X may carry a flag X_set, a variable's type is spelled z0type and
// each variable is a polymorphic wrapper holding one kind
// ({"TextVariable_set": true, "TextVariable": {...}}). The mapping:
//
//   - A member whose flag X_set is false is left out, as Flow leaves it out;
//     the flags themselves are not sent.
//   - externalSessionKey is sent unchanged.
//   - variables: an entry in the REST form {name, type, value} is sent
//     unchanged; a wrapper becomes {name, type, value} with the type its kind
//     carries (TextVariable → Text, NumberVariable → Number, …) and the value
//     as text: strings unchanged, numbers and booleans as JSON writes them,
//     lists and objects as compact JSON (agent-api.md §3: the wire value is a
//     string [A]). A wrapper holding two kinds is refused with Flow's own
//     words (schemas.RulePolymorphicOneKind).
//   - message holds one context variable, Help's TextVariable {name, text}
//     or any wrapper kind, and becomes one more entry of variables[], after
//     the body's own. REST has no "message" member (agent-api.md §6
//     Conflicts); a name the body's variables[] already sets is refused.
//   - instanceConfig.endpoint: Help calls it "the API endpoint" while REST
//     needs the org's My Domain URL (an endpoint that is not My Domain fails
//     with 500 EngineConfigLookupException, agent-api.md §8). agentshape
//     sends the My Domain URL: a My Domain endpoint is kept; the Agent API
//     gateway URL (https://api.salesforce.com or https://api.gov.salesforce.com,
//     what "the API endpoint" may mean) is replaced by Options.MyDomain, and
//     refused when that is not set. Anything else (Lightning, Setup, http,
//     other hosts) is refused.
//   - tz, featureSupport, streamingCapabilities and bypassUser, inferred to
//     mirror the REST members (agent-api.md §6 [A]), are sent unchanged. Any
//     other member, and the reserved Tenant Key ID under any spelling, is
//     refused. The Tenant Key ID is an input of its own that the action
//     sends as the header x-sfdc-tenant-id (CheckTenantKeyID).
//
// The Flow body is validated against schemas.FlowStartSessionRequest first
// and the result against schemas.StartSessionRequest before it is returned,
// so ToWire never returns a body the Agent API would refuse for its shape,
// and a body ToWire accepts is one `agentshape validate --schema
// flow-start-session-request` accepts.
package flowbody

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/agentshape/agentshape/schemas"
)

// Options are the facts the mapping may need beyond the body.
type Options struct {
	// MyDomain is the org's My Domain URL (https://acme.my.salesforce.com).
	// It replaces an endpoint that is the Agent API gateway URL. Optional.
	MyDomain string
}

// ErrGatewayEndpoint is returned (wrapped) when the body's endpoint is the
// Agent API gateway URL and Options.MyDomain is not set.
var ErrGatewayEndpoint = errors.New("instanceConfig.endpoint is the Agent API gateway URL, but the Agent API needs the org's My Domain URL")

// InvalidError reports a Flow body (or the wire body it maps to) that breaks
// its schema. Violation pointers refer to the document named by Schema.
type InvalidError struct {
	// Schema is the schema that failed: schemas.FlowStartSessionRequest for
	// the Flow body, schemas.StartSessionRequest for the mapped body.
	Schema schemas.Name
	// Violations lists what is wrong.
	Violations []schemas.Violation
}

// Error lists every violation's message.
func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		msgs[i] = v.Message
	}
	what := "the New Session Request Body"
	if e.Schema == schemas.StartSessionRequest {
		what = "the Agent API body mapped from the New Session Request Body"
	}
	return fmt.Sprintf("%s is invalid: %s", what, strings.Join(msgs, "; "))
}

var gateway = regexp.MustCompile(`^https://api(?:\.gov)?\.salesforce\.com(?:/einstein/ai-agent/v1)?/?$`)

// TenantKeyHeader is the HTTP header the Flow action sends its Tenant Key
// ID input as (agent-api.md §6.1).
const TenantKeyHeader = "x-sfdc-tenant-id"

// ErrTenantKeyReserved is returned (wrapped) by CheckTenantKeyID for a
// Tenant Key ID that is set.
var ErrTenantKeyReserved = errors.New("the Tenant Key ID is reserved for Salesforce's internal use")

// CheckTenantKeyID checks the action's Tenant Key ID input, which the
// action sends as the header x-sfdc-tenant-id: Help reserves it for
// Salesforce's internal use (agent-api.md §6, §6.1), so anything but empty
// is refused, saying why.
func CheckTenantKeyID(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return fmt.Errorf("%w: Help says the Start Session action's Tenant Key ID input (sent as the header %s) is for internal use only (agent-api.md §6, §6.1), so a flow must leave it empty; remove it", ErrTenantKeyReserved, TenantKeyHeader)
}

// variable is one entry of the wire body's variables.
type variable struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// wireBody is the Start Session body, members in the order agent-api.md §2 lists them.
type wireBody struct {
	ExternalSessionKey    any `json:"externalSessionKey"`
	InstanceConfig        any `json:"instanceConfig"`
	TZ                    any `json:"tz,omitempty"`
	Variables             any `json:"variables,omitempty"`
	FeatureSupport        any `json:"featureSupport,omitempty"`
	StreamingCapabilities any `json:"streamingCapabilities,omitempty"`
	BypassUser            any `json:"bypassUser,omitempty"`
}

// present marks a member that is sent even when its value is JSON null.
type present struct{ v any }

// MarshalJSON writes the value, null included.
func (p present) MarshalJSON() ([]byte, error) { return json.Marshal(p.v) }

// ToWire validates a New Session Request Body against
// schemas.FlowStartSessionRequest, maps it to the Start Session wire body
// (see the package documentation) and validates that against
// schemas.StartSessionRequest. Errors: *schemas.SyntaxError (wrapped) for
// malformed JSON, *InvalidError for schema violations, ErrGatewayEndpoint
// (wrapped) for a gateway endpoint without Options.MyDomain.
func ToWire(body []byte, opts Options) (json.RawMessage, error) {
	doc, err := schemas.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("the New Session Request Body is not JSON: %w", err)
	}
	vs, err := schemas.ValidateValue(schemas.FlowStartSessionRequest, doc)
	if err != nil {
		return nil, err
	}
	if len(vs) > 0 {
		return nil, &InvalidError{Schema: schemas.FlowStartSessionRequest, Violations: vs}
	}
	in := assigned(doc.(map[string]any)) // an object: the schema says so
	out := wireBody{ExternalSessionKey: in["externalSessionKey"]}
	ic := assigned(in["instanceConfig"].(map[string]any))
	endpoint, _ := ic["endpoint"].(string)
	if gateway.MatchString(endpoint) {
		if opts.MyDomain == "" {
			return nil, fmt.Errorf("%w (agent-api.md §6 Conflicts, §8: 500 EngineConfigLookupException): assign the org's My Domain URL, such as https://acme.my.salesforce.com, to instanceConfig.endpoint, or give the My Domain to agentshape", ErrGatewayEndpoint)
		}
		endpoint = opts.MyDomain
	}
	out.InstanceConfig = map[string]any{"endpoint": endpoint}
	for key, dst := range map[string]*any{"tz": &out.TZ, "featureSupport": &out.FeatureSupport, "bypassUser": &out.BypassUser} {
		if v, ok := in[key]; ok {
			*dst = present{v}
		}
	}
	if sc, ok := in["streamingCapabilities"].(map[string]any); ok {
		out.StreamingCapabilities = assigned(sc)
	}
	vars, hasVars := in["variables"].([]any)
	if v, ok := in["variables"]; ok && v == nil {
		out.Variables = present{nil}
	}
	wire := make([]any, 0, len(vars)+1)
	for _, v := range vars {
		if schemas.IsRESTVariable(v) {
			wire = append(wire, v)
			continue
		}
		wire = append(wire, unwrap(v.(map[string]any)))
	}
	if m, ok := in["message"].(map[string]any); ok {
		wire = append(wire, unwrap(m))
	}
	if hasVars || len(wire) > 0 {
		out.Variables = wire
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("write the Agent API body: %w", err)
	}
	if vs, err := schemas.Validate(schemas.StartSessionRequest, b); err != nil {
		return nil, err
	} else if len(vs) > 0 {
		return nil, &InvalidError{Schema: schemas.StartSessionRequest, Violations: vs}
	}
	return b, nil
}

// assigned returns obj without the members Flow leaves out (flag X_set
// false) and without the flags (agent-api.md §6.1).
func assigned(obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if strings.HasSuffix(k, schemas.SetSuffix) || !schemas.Assigned(obj, k) {
			continue
		}
		out[k] = v
	}
	return out
}

// unwrap turns a polymorphic wrapper holding one kind (checked by the
// schema's rules) into a wire variable: the kind's type, the name, and the
// value (or Help's text) as text.
func unwrap(w map[string]any) variable {
	kind := schemas.WrapperKinds(w)[0]
	inner := assigned(w[kind].(map[string]any))
	name, _ := inner["name"].(string)
	value, ok := inner["value"]
	if !ok {
		value = inner["text"]
	}
	return variable{Name: name, Type: schemas.FlowVariableKinds[kind], Value: valueText(value)}
}

// valueText writes a variable's value as the wire's text (agent-api.md §3
// [A]): a string unchanged, anything else as compact JSON (42, true,
// ["a","b"], {"k":"v"}).
func valueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil { // cannot happen for a decoded JSON value
		return fmt.Sprint(v)
	}
	return string(b)
}
