package schemas

import (
	"regexp"
	"sort"
	"strconv"
)

// Rules enforced in Go, next to the schemas.
const (
	// RuleUniqueVariableNames: no two entries of variables[] share a name
	// (start-session-request, flow-start-session-request and
	// send-message-request; agent-api.md §3).
	// JSON Schema's uniqueItems compares whole items, not one member.
	RuleUniqueVariableNames = "unique-variable-names"
	// RuleUUIDRecommended is advice, not a violation: externalSessionKey
	// should be a UUID (agent-api.md §2).
	RuleUUIDRecommended = "uuid-recommended"
	// RuleDeprecated is advice, not a violation: the member is deprecated
	// (featureSupport, agent-api.md §2).
	RuleDeprecated = "deprecated"
)

// reservedMember matches every spelling of the Flow action's Tenant Key ID
// (agent-api.md §6, §6.1) the schemas refuse with rule "reserved":
// tenantKeyId, tenant_key, "Tenant Key ID", TENANT-KEY, the header name the
// action sends it as (x-sfdc-tenant-id), each also with External Services'
// _set suffix.
var reservedMember = regexp.MustCompile(`(?i)^(?:tenant[ _-]?key(?:[ _-]?id)?|x-sfdc-tenant-id)(?:_set)?$`)

// ReservedPointers lists, sorted, the JSON pointers of members anywhere in
// doc (a decoded JSON value) that spell the reserved Tenant Key ID
// (agent-api.md §6), which neither a caller nor a plugin may set.
func ReservedPointers(doc any) []string {
	var out []string
	var walk func(v any, ptr string)
	walk = func(v any, ptr string) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				p := ptr + "/" + EscapeToken(k)
				if reservedMember.MatchString(k) {
					out = append(out, p)
				}
				walk(c, p)
			}
		case []any:
			for i, c := range t {
				walk(c, ptr+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "")
	sort.Strings(out)
	return out
}

// goRules applies the Go rules of the named schema to a decoded document.
func goRules(name Name, doc any) []Violation {
	switch name {
	case StartSessionRequest, SendMessageRequest:
		return uniqueVariableNames(doc)
	case FlowStartSessionRequest:
		return flowRules(doc)
	}
	return nil
}

func uniqueVariableNames(doc any) []Violation {
	obj, _ := doc.(map[string]any)
	vars, _ := obj["variables"].([]any)
	if len(vars) < 2 {
		return nil
	}
	first := make(map[string]int, len(vars))
	var out []Violation
	for i, item := range vars {
		it, _ := item.(map[string]any)
		n, ok := it["name"].(string)
		if !ok {
			continue
		}
		j, dup := first[n]
		if !dup {
			first[n] = i
			continue
		}
		ptr := "/variables/" + strconv.Itoa(i) + "/name"
		field := FieldOf(ptr)
		out = append(out, Violation{
			Pointer: ptr,
			Field:   field,
			Rule:    RuleUniqueVariableNames,
			Message: field + ": repeats the variable " + strconv.Quote(n) + " already set at variables[" +
				strconv.Itoa(j) + "]; send each variable once (agent-api.md §3)",
		})
	}
	return out
}

var uuidForm = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// Advise returns advice about a document that does not make it invalid:
// a non-UUID externalSessionKey (RuleUUIDRecommended) and the deprecated
// featureSupport (RuleDeprecated), for the two request schemas. It returns
// an error when doc is not JSON or the schema is unknown.
func Advise(name Name, doc []byte) ([]Violation, error) {
	if _, err := Source(name); err != nil {
		return nil, err
	}
	v, err := Decode(doc)
	if err != nil {
		return nil, err
	}
	return AdviseValue(name, v), nil
}

// AdviseValue is Advise for a document already decoded by Decode.
func AdviseValue(name Name, doc any) []Violation {
	if name != StartSessionRequest && name != FlowStartSessionRequest {
		return nil
	}
	obj, _ := doc.(map[string]any)
	var out []Violation
	if k, ok := obj["externalSessionKey"].(string); ok && k != "" && !uuidForm.MatchString(k) {
		out = append(out, Violation{
			Pointer: "/externalSessionKey", Field: "externalSessionKey", Rule: RuleUUIDRecommended,
			Message: "externalSessionKey: a UUID such as 3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71 is recommended; " +
				"other keys reportedly work but event logs expect a UUID (agent-api.md §2)",
		})
	}
	if _, ok := obj["featureSupport"]; ok {
		out = append(out, Violation{
			Pointer: "/featureSupport", Field: "featureSupport", Rule: RuleDeprecated,
			Message: "featureSupport: is deprecated; use streamingCapabilities {\"chunkTypes\": [\"Text\"]} instead (agent-api.md §2)",
		})
	}
	return out
}
