// Package contextvars is the logic of the context-vars example plugin: it
// fills the Start Session request's variables (agent-api.md §3) from the
// caller's context.
//
//   - $Context.EndUserLanguage (type Text) from context.user.locale, in
//     Salesforce form ("de-DE" and "de_DE" both give "de_DE"); config.language
//     false turns this off. Without a locale an existing value is kept.
//
//   - custom variables from config.variables, a list of mappings:
//
//     variables:
//
//   - {attribute: tier, name: orderTier, type: Text}             # context.user.attributes.tier
//
//   - {from: channel, name: $Context.Channel, type: Text}         # a context field
//
//   - {attribute: contactId, name: $Context.EndUserContactId, type: Ref, required: true}
//
//     attribute names a key of context.user.attributes; from names one of the
//     context fields agentId, channel, conversationId, org.myDomain,
//     user.locale, user.timezone. type is one of the documented enum values
//     (Object, Json, Boolean, Date, DateTime, Money, Number, Text, Ref, List);
//     the Metadata API types Id and Currency are refused with the wire type to
//     use instead. A missing source is skipped, or refused when required is true.
//
// Values are sent as strings, as the API's Variable.value is a string:
// Boolean as "true"/"false", Number and Money as the JSON number, Date as
// YYYY-MM-DD, DateTime as RFC 3339, Object/Json/List as compact JSON.
//
// Variables already in the request are kept in their order; a variable this
// plugin sets replaces the one with the same name, and the result never holds
// two variables with the same name (the last value wins, at the first position).
package contextvars

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/agentshape/agentshape/plugins/kits/go/shapekit"
)

// EndUserLanguage is the editable context variable holding the end user's language.
const EndUserLanguage = "$Context.EndUserLanguage"

// Mapping is one entry of config.variables.
type Mapping struct {
	// Attribute is a key of context.user.attributes (exclusive with From).
	Attribute string
	// From is a context field (see the package documentation).
	From string
	// Name is the variable's API name.
	Name string
	// Type is the variable's type from the documented enum.
	Type string
	// Required refuses the request when the source is missing.
	Required bool
}

// Shape fills variables; see the package documentation.
func Shape(env shapekit.Envelope) (shapekit.Request, error) {
	cfg := env.Plugin.Config
	language, err := cfg.Bool("language", true)
	if err != nil {
		return nil, err
	}
	mappings, err := ParseMappings(cfg)
	if err != nil {
		return nil, err
	}
	vars, err := env.Request.Variables()
	if err != nil {
		return nil, err
	}
	var set []shapekit.Variable
	if loc := strings.TrimSpace(env.Context.User.Locale); language && loc != "" {
		lang, err := SalesforceLocale(loc)
		if err != nil {
			return nil, err
		}
		set = append(set, shapekit.Variable{Name: EndUserLanguage, Type: "Text", Value: lang})
	}
	for i, m := range mappings {
		raw, where, ok := source(env.Context, m)
		if !ok {
			if m.Required {
				return nil, shapekit.Refuse("missing_context",
					"config.variables[%d] (%s) requires %s, which the context does not have: pass it in the context or drop required", i, m.Name, where)
			}
			continue
		}
		val, err := Encode(m.Type, raw)
		if err != nil {
			return nil, shapekit.Refuse("bad_value", "config.variables[%d] (%s): %s %v", i, m.Name, where, err)
		}
		set = append(set, shapekit.Variable{Name: m.Name, Type: m.Type, Value: val})
	}
	merged := Merge(vars, set)
	if len(merged) == 0 {
		return env.Request, nil
	}
	env.Request.SetVariables(merged)
	return env.Request, nil
}

// contextFields are the context fields a mapping may name in from.
var contextFields = map[string]func(shapekit.Context) string{
	"agentId":        func(c shapekit.Context) string { return c.AgentID },
	"channel":        func(c shapekit.Context) string { return c.Channel },
	"conversationId": func(c shapekit.Context) string { return c.ConversationID },
	"org.myDomain":   func(c shapekit.Context) string { return c.Org.MyDomain },
	"user.locale":    func(c shapekit.Context) string { return c.User.Locale },
	"user.timezone":  func(c shapekit.Context) string { return c.User.Timezone },
}

func source(c shapekit.Context, m Mapping) (any, string, bool) {
	if m.Attribute != "" {
		v, ok := c.User.Attributes[m.Attribute]
		return v, "context.user.attributes." + m.Attribute, ok && v != nil
	}
	v := contextFields[m.From](c)
	return v, "context." + m.From, v != ""
}

var (
	customName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	contextName = regexp.MustCompile(`^\$Context\.[A-Za-z][A-Za-z0-9_]*$`)
)

// ParseMappings reads and checks config.variables.
func ParseMappings(cfg shapekit.Config) ([]Mapping, error) {
	list, err := cfg.List("variables")
	if err != nil {
		return nil, err
	}
	out := make([]Mapping, 0, len(list))
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.variables[%d] must be an object with attribute or from, name and type", i)
		}
		c := shapekit.Config(obj)
		var m Mapping
		for _, f := range []struct {
			key string
			dst *string
		}{{"attribute", &m.Attribute}, {"from", &m.From}, {"name", &m.Name}, {"type", &m.Type}} {
			if *f.dst, err = c.String(f.key, ""); err != nil {
				return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.variables[%d]: %v", i, err.(*shapekit.Error).Message)
			}
		}
		if m.Required, err = c.Bool("required", false); err != nil {
			return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.variables[%d]: %v", i, err.(*shapekit.Error).Message)
		}
		if err := m.check(); err != nil {
			return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.variables[%d]: %v", i, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (m Mapping) check() error {
	switch {
	case (m.Attribute == "") == (m.From == ""):
		return fmt.Errorf("set exactly one of attribute (a key of context.user.attributes) or from (a context field)")
	case m.From != "" && contextFields[m.From] == nil:
		return fmt.Errorf("from %q is not one of agentId, channel, conversationId, org.myDomain, user.locale, user.timezone", m.From)
	case m.Name == "":
		return fmt.Errorf("name is missing: give the variable's API name")
	case strings.HasPrefix(m.Name, "$Context.") && strings.HasSuffix(m.Name, "__c"):
		return fmt.Errorf("name %q: context variables drop the __c suffix of custom fields (agent-api.md §3): use %q",
			m.Name, strings.TrimSuffix(m.Name, "__c"))
	case !customName.MatchString(m.Name) && !contextName.MatchString(m.Name):
		return fmt.Errorf("name %q is not an API name: use a custom variable's name (e.g. orderTier) or $Context.<Name>", m.Name)
	case m.Type == "Id":
		return fmt.Errorf("type Id is a Metadata API type, not a wire type (agent-api.md §3): use Ref or Text")
	case m.Type == "Currency":
		return fmt.Errorf("type Currency is a Metadata API type, not a wire type (agent-api.md §3): use Money")
	case !shapekit.ValidVariableType(m.Type):
		return fmt.Errorf("type %q is not one of %s (agent-api.md §3)", m.Type, strings.Join(shapekit.VariableTypes, ", "))
	}
	return nil
}

var localeForm = regexp.MustCompile(`^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|[0-9]{3}))?$`)

// SalesforceLocale turns a BCP 47 or Salesforce locale ("de-DE", "de_DE",
// "de") into Salesforce form ("de_DE", "de").
func SalesforceLocale(loc string) (string, error) {
	m := localeForm.FindStringSubmatch(loc)
	if m == nil {
		return "", shapekit.Refuse("bad_locale",
			"context.user.locale %q is not a locale: use a language with an optional region, e.g. \"de_DE\", \"de-DE\" or \"de\"", loc)
	}
	if m[2] == "" {
		return strings.ToLower(m[1]), nil
	}
	return strings.ToLower(m[1]) + "_" + strings.ToUpper(m[2]), nil
}

// Encode renders a context value as the string value of a variable of type t.
func Encode(t string, v any) (string, error) {
	switch t {
	case "Text", "Ref":
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		return "", fmt.Errorf("is %s; a %s variable needs a string", describe(v), t)
	case "Boolean":
		switch x := v.(type) {
		case bool:
			return strconv.FormatBool(x), nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil && (x == "true" || x == "false") {
				return strconv.FormatBool(b), nil
			}
		}
		return "", fmt.Errorf("is %s; a Boolean variable needs true or false", describe(v))
	case "Number", "Money":
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = strings.TrimSpace(x)
		default:
			return "", fmt.Errorf("is %s; a %s variable needs a number", describe(v), t)
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "", fmt.Errorf("is %q; a %s variable needs a number", s, t)
		}
		return s, nil
	case "Date":
		s, ok := v.(string)
		if _, err := time.Parse(time.DateOnly, s); !ok || err != nil {
			return "", fmt.Errorf("is %s; a Date variable needs YYYY-MM-DD", describe(v))
		}
		return s, nil
	case "DateTime":
		s, ok := v.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			return "", fmt.Errorf("is %s; a DateTime variable needs RFC 3339, e.g. 2026-01-02T15:04:05Z", describe(v))
		}
		return s, nil
	case "Object", "Json", "List":
		if s, ok := v.(string); ok && t == "Json" {
			if !json.Valid([]byte(s)) {
				return "", fmt.Errorf("is a string that is not JSON; a Json variable needs JSON")
			}
			return s, nil
		}
		switch v.(type) {
		case map[string]any:
			if t == "List" {
				return "", fmt.Errorf("is an object; a List variable needs an array")
			}
		case []any:
			if t == "Object" {
				return "", fmt.Errorf("is an array; an Object variable needs an object")
			}
		default:
			if t != "Json" {
				return "", fmt.Errorf("is %s; an %s variable needs JSON", describe(v), t)
			}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", fmt.Errorf("cannot be encoded as JSON: %w", err)
		}
		return strings.TrimSuffix(buf.String(), "\n"), nil
	}
	return "", fmt.Errorf("has unknown type %q", t)
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case nil:
		return "null"
	case bool, json.Number:
		return fmt.Sprint(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// Merge returns existing with set applied: a name already present keeps its
// position and takes the new value; new names are appended; no name appears
// twice (for duplicates the last value wins, at the first position).
func Merge(existing, set []shapekit.Variable) []shapekit.Variable {
	out := make([]shapekit.Variable, 0, len(existing)+len(set))
	index := make(map[string]int, len(existing)+len(set))
	for _, group := range [][]shapekit.Variable{existing, set} {
		for _, v := range group {
			if i, ok := index[v.Name]; ok {
				out[i] = v
				continue
			}
			index[v.Name] = len(out)
			out = append(out, v)
		}
	}
	return out
}
