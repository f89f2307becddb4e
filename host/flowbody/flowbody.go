// Package flowbody maps the Flow Start Session action's New Session Request
// Body (the Apex record AgentInvAction__AIAgentAPIV1_StartSessionRequest,
// agent-api.md §6) to the Agent API Start Session wire body (agent-api.md §2).
//
// The mapping, as schemas/flow-start-session-request.schema.json documents:
//
//   - externalSessionKey is sent unchanged.
//   - message.TextVariable {name, text} becomes one more entry of variables[]:
//     {"name": name, "type": "Text", "value": text}, after any variables the
//     body already has. REST has no "message" member (agent-api.md §6
//     Conflicts); a name the body's variables[] already sets is refused.
//   - instanceConfig.endpoint: Help calls it "the API endpoint" while REST
//     needs the org's My Domain URL (an endpoint that is not My Domain fails
//     with 500 EngineConfigLookupException, agent-api.md §8). agentshape
//     sends the My Domain URL: a My Domain endpoint is kept; the Agent API
//     gateway URL (https://api.salesforce.com or https://api.gov.salesforce.com,
//     what "the API endpoint" may mean) is replaced by Options.MyDomain, and
//     refused when that is not set. Anything else (Lightning, Setup, http,
//     other hosts) is refused.
//   - tz, variables, featureSupport, streamingCapabilities and bypassUser,
//     inferred to mirror the REST members (agent-api.md §6 [A]), are sent
//     unchanged. Any other member, and the reserved Tenant Key ID under any
//     spelling, is refused.
//
// The result is validated against schemas.StartSessionRequest before it is
// returned, so ToWire never returns a body the Agent API would refuse for
// its shape.
package flowbody

import (
	"bytes"
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

// flowBody is the New Session Request Body, as the schema admits it.
type flowBody struct {
	ExternalSessionKey    string          `json:"externalSessionKey"`
	InstanceConfig        instanceConfig  `json:"instanceConfig"`
	Message               *message        `json:"message"`
	TZ                    json.RawMessage `json:"tz"`
	Variables             json.RawMessage `json:"variables"`
	FeatureSupport        json.RawMessage `json:"featureSupport"`
	StreamingCapabilities json.RawMessage `json:"streamingCapabilities"`
	BypassUser            json.RawMessage `json:"bypassUser"`
}

type instanceConfig struct {
	Endpoint string `json:"endpoint"`
}

type message struct {
	TextVariable struct {
		Name string `json:"name"`
		Text string `json:"text"`
	} `json:"TextVariable"`
}

type variable struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// wireBody is the Start Session body, members in the order agent-api.md §2 lists them.
type wireBody struct {
	ExternalSessionKey    string          `json:"externalSessionKey"`
	InstanceConfig        instanceConfig  `json:"instanceConfig"`
	TZ                    json.RawMessage `json:"tz,omitempty"`
	Variables             json.RawMessage `json:"variables,omitempty"`
	FeatureSupport        json.RawMessage `json:"featureSupport,omitempty"`
	StreamingCapabilities json.RawMessage `json:"streamingCapabilities,omitempty"`
	BypassUser            json.RawMessage `json:"bypassUser,omitempty"`
}

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
	var in flowBody
	if err := json.Unmarshal(body, &in); err != nil { // cannot fail after validation
		return nil, fmt.Errorf("read the New Session Request Body: %w", err)
	}
	out := wireBody{
		ExternalSessionKey:    in.ExternalSessionKey,
		InstanceConfig:        in.InstanceConfig,
		TZ:                    in.TZ,
		Variables:             in.Variables,
		FeatureSupport:        in.FeatureSupport,
		StreamingCapabilities: in.StreamingCapabilities,
		BypassUser:            in.BypassUser,
	}
	if gateway.MatchString(in.InstanceConfig.Endpoint) {
		if opts.MyDomain == "" {
			return nil, fmt.Errorf("%w (agent-api.md §6 Conflicts, §8: 500 EngineConfigLookupException): assign the org's My Domain URL, such as https://acme.my.salesforce.com, to instanceConfig.endpoint, or give the My Domain to agentshape", ErrGatewayEndpoint)
		}
		out.InstanceConfig.Endpoint = opts.MyDomain
	}
	if in.Message != nil {
		tv := in.Message.TextVariable
		var vars []json.RawMessage
		if len(in.Variables) > 0 && !bytes.Equal(bytes.TrimSpace(in.Variables), []byte("null")) {
			if err := json.Unmarshal(in.Variables, &vars); err != nil {
				return nil, fmt.Errorf("read variables: %w", err)
			}
		}
		for i, raw := range vars {
			var v variable
			if json.Unmarshal(raw, &v) == nil && v.Name == tv.Name {
				return nil, &InvalidError{Schema: schemas.FlowStartSessionRequest, Violations: []schemas.Violation{{
					Pointer: "/message/TextVariable/name", Field: "message.TextVariable.name", Rule: schemas.RuleUniqueVariableNames,
					Message: fmt.Sprintf("message.TextVariable.name: %q is also set by variables[%d]; set the variable once (agent-api.md §3)", tv.Name, i),
				}}}
			}
		}
		extra, err := json.Marshal(variable{Name: tv.Name, Type: "Text", Value: tv.Text})
		if err != nil {
			return nil, err
		}
		vars = append(vars, extra)
		if out.Variables, err = json.Marshal(vars); err != nil {
			return nil, err
		}
	}
	wire, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("write the Agent API body: %w", err)
	}
	if vs, err := schemas.Validate(schemas.StartSessionRequest, wire); err != nil {
		return nil, err
	} else if len(vs) > 0 {
		return nil, &InvalidError{Schema: schemas.StartSessionRequest, Violations: vs}
	}
	return wire, nil
}
