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
	"errors"
	"strconv"
	"strings"

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
			return nil, shapekit.Refuse("bad_value", "config.variables[%d] (%s): %s %s", i, m.Name, where, err)
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

// apiName reports whether s is an API name: a letter, then letters, digits
// and underscores.
func apiName(s string) bool {
	for i, c := range s {
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return s != ""
}

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
				return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.variables[%d]: %s", i, err.(*shapekit.Error).Message)
			}
		}
		if m.Required, err = c.Bool("required", false); err != nil {
			return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.variables[%d]: %s", i, err.(*shapekit.Error).Message)
		}
		if err := m.check(); err != nil {
			return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.variables[%d]: %s", i, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (m Mapping) check() error {
	switch {
	case (m.Attribute == "") == (m.From == ""):
		return errors.New("set exactly one of attribute (a key of context.user.attributes) or from (a context field)")
	case m.From != "" && contextFields[m.From] == nil:
		return errors.New("from " + strconv.Quote(m.From) + " is not one of agentId, channel, conversationId, org.myDomain, user.locale, user.timezone")
	case m.Name == "":
		return errors.New("name is missing: give the variable's API name")
	case strings.HasPrefix(m.Name, "$Context.") && strings.HasSuffix(m.Name, "__c"):
		return errors.New("name " + strconv.Quote(m.Name) + ": context variables drop the __c suffix of custom fields (agent-api.md §3): use " +
			strconv.Quote(strings.TrimSuffix(m.Name, "__c")))
	case !apiName(m.Name) && !(strings.HasPrefix(m.Name, "$Context.") && apiName(strings.TrimPrefix(m.Name, "$Context."))):
		return errors.New("name " + strconv.Quote(m.Name) + " is not an API name: use a custom variable's name (e.g. orderTier) or $Context.<Name>")
	case m.Type == "Id":
		return errors.New("type Id is a Metadata API type, not a wire type (agent-api.md §3): use Ref or Text")
	case m.Type == "Currency":
		return errors.New("type Currency is a Metadata API type, not a wire type (agent-api.md §3): use Money")
	case !shapekit.ValidVariableType(m.Type):
		return errors.New("type " + strconv.Quote(m.Type) + " is not one of " + strings.Join(shapekit.VariableTypes, ", ") + " (agent-api.md §3)")
	}
	return nil
}

// SalesforceLocale turns a BCP 47 or Salesforce locale ("de-DE", "de_DE",
// "de", "es-419") into Salesforce form ("de_DE", "de", "es_419").
func SalesforceLocale(loc string) (string, error) {
	lang, region, _ := strings.Cut(strings.ReplaceAll(loc, "-", "_"), "_")
	okLang := len(lang) >= 2 && len(lang) <= 3 && isAll(lang, isLetter)
	okRegion := region == "" || len(region) == 2 && isAll(region, isLetter) || len(region) == 3 && isAll(region, isDigit)
	if !okLang || !okRegion {
		return "", shapekit.Refuse("bad_locale",
			"context.user.locale %q is not a locale: use a language with an optional region, e.g. \"de_DE\", \"de-DE\" or \"de\"", loc)
	}
	if region == "" {
		return strings.ToLower(lang), nil
	}
	return strings.ToLower(lang) + "_" + strings.ToUpper(region), nil
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func isAll(s string, pred func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !pred(s[i]) {
			return false
		}
	}
	return true
}

// validDate checks YYYY-MM-DD with a real month and day (leap years included).
func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !isAll(s[0:4], isDigit) || !isAll(s[5:7], isDigit) || !isAll(s[8:10], isDigit) {
		return false
	}
	y, _ := strconv.Atoi(s[0:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days[2] = 29
	}
	return m >= 1 && m <= 12 && d >= 1 && d <= days[m]
}

// validDateTime checks RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM).
func validDateTime(s string) bool {
	if len(s) < 20 || !validDate(s[:10]) || (s[10] != 'T' && s[10] != 't') {
		return false
	}
	clock := s[11:19]
	if clock[2] != ':' || clock[5] != ':' || !isAll(clock[0:2], isDigit) || !isAll(clock[3:5], isDigit) || !isAll(clock[6:8], isDigit) {
		return false
	}
	h, _ := strconv.Atoi(clock[0:2])
	mi, _ := strconv.Atoi(clock[3:5])
	sec, _ := strconv.Atoi(clock[6:8])
	if h > 23 || mi > 59 || sec > 60 {
		return false
	}
	rest := s[19:]
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && isDigit(rest[i]) {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	if rest == "Z" || rest == "z" {
		return true
	}
	if len(rest) != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' || !isAll(rest[1:3], isDigit) || !isAll(rest[4:6], isDigit) {
		return false
	}
	oh, _ := strconv.Atoi(rest[1:3])
	om, _ := strconv.Atoi(rest[4:6])
	return oh <= 23 && om <= 59
}

// Encode renders a context value as the string value of a variable of type t.
func Encode(t string, v any) (string, error) {
	fail := func(msg string) (string, error) { return "", errors.New(msg) }
	switch t {
	case "Text", "Ref":
		switch x := v.(type) {
		case string:
			return x, nil
		case shapekit.Number:
			return string(x), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		return fail("is " + describe(v) + "; a " + t + " variable needs a string")
	case "Boolean":
		switch x := v.(type) {
		case bool:
			return strconv.FormatBool(x), nil
		case string:
			if x == "true" || x == "false" {
				return x, nil
			}
		}
		return fail("is " + describe(v) + "; a Boolean variable needs true or false")
	case "Number", "Money":
		var s string
		switch x := v.(type) {
		case shapekit.Number:
			s = string(x)
		case string:
			s = strings.TrimSpace(x)
		default:
			return fail("is " + describe(v) + "; a " + t + " variable needs a number")
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return fail("is " + strconv.Quote(s) + "; a " + t + " variable needs a number")
		}
		return s, nil
	case "Date":
		if s, ok := v.(string); ok && validDate(s) {
			return s, nil
		}
		return fail("is " + describe(v) + "; a Date variable needs YYYY-MM-DD")
	case "DateTime":
		if s, ok := v.(string); ok && validDateTime(s) {
			return s, nil
		}
		return fail("is " + describe(v) + "; a DateTime variable needs RFC 3339, e.g. 2026-01-02T15:04:05Z")
	case "Object", "Json", "List":
		if s, ok := v.(string); ok && t == "Json" {
			if !shapekit.ValidJSON([]byte(s)) {
				return fail("is a string that is not JSON; a Json variable needs JSON")
			}
			return s, nil
		}
		switch v.(type) {
		case map[string]any:
			if t == "List" {
				return fail("is an object; a List variable needs an array")
			}
		case []any:
			if t == "Object" {
				return fail("is an array; an Object variable needs an object")
			}
		default:
			if t != "Json" {
				return fail("is " + describe(v) + "; an " + t + " variable needs JSON")
			}
		}
		b, err := shapekit.EncodeJSON(v)
		if err != nil {
			return fail("cannot be encoded as JSON: " + err.Error())
		}
		return string(b), nil
	}
	return fail("has unknown type " + strconv.Quote(t))
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case shapekit.Number:
		return string(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "an unsupported value"
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
