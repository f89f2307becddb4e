package schemas

import (
	"sort"
	"strconv"
	"strings"
)

// Rules of the Flow New Session Request Body (flow-start-session-request,
// agent-api.md §6.1) that JSON Schema cannot express.
const (
	// RulePolymorphicOneKind: an External Services polymorphic wrapper (a
	// variable, the message) holds exactly one kind. Flow refuses a wrapper
	// holding two with "The polymorphic object … expects only one property,
	// but an extra object … was passed in".
	RulePolymorphicOneKind = "polymorphic-one-kind"
	// RuleUnsetMember: a required member whose External Services flag X_set
	// is false. Flow leaves such a member out of the request, so it is
	// missing.
	RuleUnsetMember = "unset-member"
)

// SetSuffix ends the name of an External Services assignment flag: X_set
// says whether the flow assigned member X (agent-api.md §6.1).
const SetSuffix = "_set"

// VariableWrapperType is the External Services name of the polymorphic
// variable type, as Flow's error messages print it (agent-api.md §6.1).
const VariableWrapperType = "AIAgentAPIV1_Variable_KT_PT"

// FlowVariableKinds maps each kind a polymorphic variable can hold, as
// External Services names it, to the Agent API variable type it carries
// (agent-api.md §3, §6.1).
var FlowVariableKinds = map[string]string{
	"TextVariable": "Text", "NumberVariable": "Number", "BooleanVariable": "Boolean",
	"DateVariable": "Date", "DateTimeVariable": "DateTime", "MoneyVariable": "Money",
	"RefVariable": "Ref", "ListVariable": "List", "JsonVariable": "Json", "ObjectVariable": "Object",
}

// flowVariableKindNames lists FlowVariableKinds' keys in the order messages name them.
var flowVariableKindNames = []string{
	"TextVariable", "NumberVariable", "BooleanVariable", "DateVariable", "DateTimeVariable",
	"MoneyVariable", "RefVariable", "ListVariable", "JsonVariable", "ObjectVariable",
}

// Assigned reports whether member key of obj is sent: present, and not
// flagged unassigned by an External Services flag key_set: false
// (agent-api.md §6.1). A flag that is absent or not a boolean leaves the
// member as it is.
func Assigned(obj map[string]any, key string) bool {
	if _, ok := obj[key]; !ok {
		return false
	}
	set, isBool := obj[key+SetSuffix].(bool)
	return !isBool || set
}

// WrapperKinds returns, sorted by name, the kinds of variable an External
// Services wrapper object holds: members named in FlowVariableKinds that are
// Assigned. A wrapper must hold exactly one (RulePolymorphicOneKind).
func WrapperKinds(obj map[string]any) []string {
	var kinds []string
	for k := range obj {
		if _, ok := FlowVariableKinds[k]; ok && Assigned(obj, k) {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	return kinds
}

// IsRESTVariable reports whether a variables[] entry of a Flow body is in
// the REST form {name, type, value} rather than an External Services
// wrapper; the schema reads it the same way.
func IsRESTVariable(v any) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return true
	}
	for _, k := range []string{"name", "type", "value"} {
		if _, has := obj[k]; has {
			return true
		}
	}
	return false
}

// flowRules applies the Go rules of flow-start-session-request: unset
// required members, one kind per polymorphic wrapper, and variable names
// that are unique across variables and message.
func flowRules(doc any) []Violation {
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	var out []Violation
	unset := func(parent map[string]any, ptr, key, what string) {
		if _, present := parent[key]; !present {
			return
		}
		if set, isBool := parent[key+SetSuffix].(bool); isBool && !set {
			p := ptr + "/" + key
			f := FieldOf(p)
			out = append(out, Violation{Pointer: p, Field: f, Rule: RuleUnsetMember,
				Message: f + ": is not set (" + key + SetSuffix + " is false), and Flow leaves a member that is not set out of the request, so " +
					what + " is missing: assign it in the flow, or set " + key + SetSuffix + " to true (agent-api.md §6.1)"})
		}
	}
	unset(obj, "", "externalSessionKey", "the required externalSessionKey")
	unset(obj, "", "instanceConfig", "the required instanceConfig")
	if ic, ok := obj["instanceConfig"].(map[string]any); ok && Assigned(obj, "instanceConfig") {
		unset(ic, "/instanceConfig", "endpoint", "the required instanceConfig.endpoint")
	}

	type named struct{ name, field string }
	var names []named
	wrapper := func(w map[string]any, ptr string) {
		kinds := WrapperKinds(w)
		f := FieldOf(ptr)
		switch {
		case len(kinds) == 0:
			out = append(out, Violation{Pointer: ptr, Field: f, Rule: RulePolymorphicOneKind,
				Message: f + ": holds no kind of variable: assign one of " + strings.Join(flowVariableKindNames, ", ") +
					" (and leave its _set flag true); a polymorphic value takes exactly one kind (agent-api.md §6.1)"})
			return
		case len(kinds) > 1:
			out = append(out, Violation{Pointer: ptr, Field: f, Rule: RulePolymorphicOneKind,
				Message: f + ": The polymorphic object " + VariableWrapperType + " expects only one property, but an extra object " + kinds[1] +
					" was passed in (Flow's own error; it holds " + strings.Join(kinds, " and ") + "): a polymorphic value takes only one kind, so assign only one of them, or set the others' _set flags to false (agent-api.md §6.1)"})
			return
		}
		inner, _ := w[kinds[0]].(map[string]any)
		ip := ptr + "/" + kinds[0]
		unset(inner, ip, "name", "the variable's required name")
		unset(inner, ip, "value", "the variable's required value")
		unset(inner, ip, "text", "the variable's required text")
		if n, ok := inner["name"].(string); ok && Assigned(inner, "name") {
			names = append(names, named{n, ip + "/name"})
		}
	}
	if vars, ok := obj["variables"].([]any); ok && Assigned(obj, "variables") {
		for i, v := range vars {
			p := "/variables/" + strconv.Itoa(i)
			if IsRESTVariable(v) {
				if o, _ := v.(map[string]any); o != nil {
					if n, ok := o["name"].(string); ok {
						names = append(names, named{n, p + "/name"})
					}
				}
				continue
			}
			w, _ := v.(map[string]any)
			wrapper(w, p)
		}
	}
	if m, ok := obj["message"].(map[string]any); ok && Assigned(obj, "message") {
		wrapper(m, "/message")
	}
	first := map[string]string{}
	for _, n := range names {
		if at, dup := first[n.name]; dup {
			f := FieldOf(n.field)
			out = append(out, Violation{Pointer: n.field, Field: f, Rule: RuleUniqueVariableNames,
				Message: f + ": repeats the variable " + strconv.Quote(n.name) + " already set at " + FieldOf(at) + "; set each variable once (agent-api.md §3)"})
			continue
		}
		first[n.name] = n.field
	}
	return out
}
