package shapekit

import "strings"

// Request is a Start Session request body (agent-api.md §2) as a JSON object.
// Paths are dotted member names, e.g. "instanceConfig.endpoint". Numbers
// decoded from the envelope are Number, so untouched values round-trip.
type Request map[string]any

// Get returns the value at path.
func (r Request) Get(path string) (any, bool) {
	var cur any = map[string]any(r)
	for _, key := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// String returns the string at path; ok is false when it is absent or not a string.
func (r Request) String(path string) (s string, ok bool) {
	v, found := r.Get(path)
	if !found {
		return "", false
	}
	s, ok = v.(string)
	return s, ok
}

// Set stores value at path, creating missing intermediate objects. It fails,
// naming the member, when an intermediate member exists but is not an object.
func (r Request) Set(path string, value any) error {
	keys := strings.Split(path, ".")
	obj := map[string]any(r)
	for i, key := range keys[:len(keys)-1] {
		next, ok := obj[key]
		if !ok || next == nil {
			m := map[string]any{}
			obj[key] = m
			obj = m
			continue
		}
		m, ok := next.(map[string]any)
		if !ok {
			return Refuse("bad_request", "request.%s is %s, not an object; cannot set request.%s",
				strings.Join(keys[:i+1], "."), kindOf(next), path)
		}
		obj = m
	}
	obj[keys[len(keys)-1]] = value
	return nil
}

// Delete removes the member at path if it exists.
func (r Request) Delete(path string) {
	keys := strings.Split(path, ".")
	parent := strings.Join(keys[:len(keys)-1], ".")
	obj := map[string]any(r)
	if parent != "" {
		v, ok := r.Get(parent)
		if !ok {
			return
		}
		if obj, ok = v.(map[string]any); !ok {
			return
		}
	}
	delete(obj, keys[len(keys)-1])
}

// Variable is one entry of the request's variables array (agent-api.md §3).
type Variable struct {
	// Name is the API name: "$Context.X" for context variables, the bare name for custom ones.
	Name string
	// Type is one of VariableTypes.
	Type string
	// Value is the value encoded as a string, as the Agent API expects.
	Value string
}

// VariableTypes is the documented enum of Variable.type (agent-api.md §3).
var VariableTypes = []string{"Object", "Json", "Boolean", "Date", "DateTime", "Money", "Number", "Text", "Ref", "List"}

// ValidVariableType reports whether t is one of VariableTypes (case-sensitive).
func ValidVariableType(t string) bool {
	for _, v := range VariableTypes {
		if v == t {
			return true
		}
	}
	return false
}

// Variables returns the request's variables; an absent or null member is an
// empty list. A member of the wrong shape is an error naming the entry.
func (r Request) Variables() ([]Variable, error) {
	raw, ok := r["variables"]
	if !ok || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, Refuse("bad_request", "request.variables is %s, not an array of variables", kindOf(raw))
	}
	vars := make([]Variable, 0, len(list))
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, Refuse("bad_request", "request.variables[%d] is %s, not an object", i, kindOf(item))
		}
		var v Variable
		for _, f := range []struct {
			key string
			dst *string
		}{{"name", &v.Name}, {"type", &v.Type}, {"value", &v.Value}} {
			s, ok := obj[f.key].(string)
			if !ok {
				return nil, Refuse("bad_request", "request.variables[%d].%s is %s, not a string", i, f.key, kindOf(obj[f.key]))
			}
			*f.dst = s
		}
		vars = append(vars, v)
	}
	return vars, nil
}

// SetVariables replaces the request's variables with vars.
func (r Request) SetVariables(vars []Variable) {
	list := make([]any, len(vars))
	for i, v := range vars {
		list[i] = map[string]any{"name": v.Name, "type": v.Type, "value": v.Value}
	}
	r["variables"] = list
}

// kindOf names a decoded JSON value's type for error messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case Number, float64, int, int64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return "a " + typeName(v)
	}
}
