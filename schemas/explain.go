package schemas

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// explain turns the validator's error tree into violations with messages.
func explain(ve *jsonschema.ValidationError, doc any) ([]Violation, error) {
	docs, err := raw()
	if err != nil {
		return nil, err
	}
	e := explainer{docs: docs, doc: doc, seen: map[string]bool{}}
	e.walk(ve)
	return e.out, nil
}

type explainer struct {
	docs map[string]any
	doc  any
	out  []Violation
	seen map[string]bool
}

// walk reports the leaves of the error tree, and any inner error whose
// schema node gives a message for exactly that keyword.
func (e *explainer) walk(ve *jsonschema.ValidationError) {
	node, keyword := e.locate(ve.AbsoluteKeywordLocation)
	if len(ve.Causes) == 0 || hasKeywordMessage(node, keyword) {
		e.report(ve, node, keyword)
		return
	}
	for _, c := range ve.Causes {
		e.walk(c)
	}
}

// locate finds the schema node holding the keyword at an absolute keyword
// location such as ".../start-session-request.schema.json#/properties/tz/format".
func (e *explainer) locate(loc string) (node map[string]any, keyword string) {
	u, frag, _ := strings.Cut(loc, "#")
	cur := e.docs[u]
	toks := pointerTokens(frag)
	if len(toks) == 0 {
		m, _ := cur.(map[string]any)
		return m, ""
	}
	for _, t := range toks[:len(toks)-1] {
		cur = child(cur, t)
	}
	last := toks[len(toks)-1]
	m, _ := cur.(map[string]any)
	if b, isBool := m[last].(bool); isBool && !b && len(toks) >= 2 && schemaMaps[toks[len(toks)-2]] {
		return nil, "false" // a false schema such as "properties": {"x": false}
	}
	return m, last
}

// schemaMaps are the keywords whose value maps names to schemas.
var schemaMaps = map[string]bool{"properties": true, "patternProperties": true, "$defs": true, "dependentSchemas": true}

func hasKeywordMessage(node map[string]any, keyword string) bool {
	m, ok := node["x-message"].(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[keyword]
	return ok
}

// report adds the violations for one failed keyword.
func (e *explainer) report(ve *jsonschema.ValidationError, node map[string]any, keyword string) {
	ptr := pointerFromValidator(ve.InstanceLocation)
	rule := keyword
	if r, ok := node["x-rule"].(string); ok {
		rule = r
	}
	switch keyword {
	case "required":
		// One violation per missing member, located where it belongs.
		obj, _ := resolve(e.doc, ptr).(map[string]any)
		for _, name := range stringList(node["required"]) {
			if _, present := obj[name]; !present {
				e.add(Violation{Pointer: ptr + "/" + EscapeToken(name), Rule: rule}, node, keyword, "is required")
			}
		}
		return
	case "additionalProperties":
		obj, _ := resolve(e.doc, ptr).(map[string]any)
		for _, name := range extraMembers(obj, node) {
			e.add(Violation{Pointer: ptr + "/" + EscapeToken(name), Rule: rule}, node, keyword,
				fmt.Sprintf("is not a recognised field (%q); remove it", name))
		}
		return
	}
	e.add(Violation{Pointer: ptr, Rule: rule}, node, keyword, defaultMessage(keyword, node, resolve(e.doc, ptr), ve.Message))
}

// add fills Field and Message (from x-message when the node has one) and
// appends v unless the same pointer, rule and message were already reported.
func (e *explainer) add(v Violation, node map[string]any, keyword, fallback string) {
	msg := fallback
	switch m := node["x-message"].(type) {
	case string:
		msg = m
	case map[string]any:
		if s, ok := m[keyword].(string); ok {
			msg = s
		} else if s, ok := m["*"].(string); ok {
			msg = s
		}
	}
	v.Field = FieldOf(v.Pointer)
	msg = strings.ReplaceAll(msg, "{property}", lastToken(v.Pointer))
	v.Message = v.Field + ": " + msg
	key := v.Pointer + "\x00" + v.Rule + "\x00" + v.Message
	if e.seen[key] {
		return
	}
	e.seen[key] = true
	e.out = append(e.out, v)
}

// defaultMessage words a keyword failure for a schema node without x-message.
func defaultMessage(keyword string, node map[string]any, value any, fallback string) string {
	switch keyword {
	case "type":
		return "must be " + typeWords(node["type"]) + ", not " + jsonTypeWord(value)
	case "enum":
		var vals []string
		for _, v := range asList(node["enum"]) {
			b, _ := json.Marshal(v)
			vals = append(vals, string(b))
		}
		return "must be one of " + strings.Join(vals, ", ")
	case "const":
		b, _ := json.Marshal(node["const"])
		return "must be " + string(b)
	case "minLength":
		if n, _ := node["minLength"].(float64); n == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %v characters long", node["minLength"])
	case "maxLength":
		return fmt.Sprintf("must be at most %v characters long", node["maxLength"])
	case "pattern":
		return fmt.Sprintf("must match the pattern %v", node["pattern"])
	case "format":
		return fmt.Sprintf("must be a valid %v", node["format"])
	case "uniqueItems":
		return "must not repeat an item: " + fallback
	case "not", "false":
		return "is not allowed here"
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
		return fallback
	}
	return fallback
}

func typeWords(t any) string {
	var words []string
	for _, s := range asList(t) {
		words = append(words, article(fmt.Sprint(s)))
	}
	if len(words) == 0 {
		words = []string{fmt.Sprint(t)}
	}
	return strings.Join(words, " or ")
}

func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "object", "array", "integer":
		return "an " + t
	default:
		return "a " + t
	}
}

func jsonTypeWord(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "an integer"
		}
		return "a number"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func asList(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	default:
		return []any{v}
	}
}

func stringList(v any) []string {
	var out []string
	for _, s := range asList(v) {
		if s, ok := s.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

var patternCache sync.Map // string -> *regexp.Regexp

// extraMembers lists, sorted, the members of obj that the node's properties
// and patternProperties do not cover.
func extraMembers(obj map[string]any, node map[string]any) []string {
	props, _ := node["properties"].(map[string]any)
	pats, _ := node["patternProperties"].(map[string]any)
	var extra []string
	for name := range obj {
		if _, ok := props[name]; ok {
			continue
		}
		matched := false
		for p := range pats {
			re, ok := patternCache.Load(p)
			if !ok {
				c, err := regexp.Compile(p)
				if err != nil {
					continue
				}
				re, _ = patternCache.LoadOrStore(p, c)
			}
			if re.(*regexp.Regexp).MatchString(name) {
				matched = true
				break
			}
		}
		if !matched {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	return extra
}

// pointerFromValidator converts the validator's instance location, whose
// tokens are URL-path-escaped, to an RFC 6901 pointer.
func pointerFromValidator(loc string) string {
	if loc == "" || !strings.Contains(loc, "%") {
		return loc
	}
	parts := strings.Split(loc, "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return strings.Join(parts, "/")
}

// pointerTokens splits an RFC 6901 pointer (possibly URL-escaped, as in a
// URI fragment) into unescaped tokens.
func pointerTokens(ptr string) []string {
	if ptr == "" || ptr == "/" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		parts[i] = unEscapeToken(p)
	}
	return parts
}

func unEscapeToken(t string) string {
	if !strings.Contains(t, "~") {
		return t
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
}

// EscapeToken escapes a member name as a JSON pointer token (RFC 6901:
// "~" as "~0", "/" as "~1").
func EscapeToken(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

func lastToken(ptr string) string {
	toks := pointerTokens(ptr)
	if len(toks) == 0 {
		return ""
	}
	return toks[len(toks)-1]
}

func child(v any, tok string) any {
	switch v := v.(type) {
	case map[string]any:
		return v[tok]
	case []any:
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i >= len(v) {
			return nil
		}
		return v[i]
	}
	return nil
}

// resolve returns the value at an RFC 6901 pointer, or nil.
func resolve(doc any, ptr string) any {
	cur := doc
	for _, t := range pointerTokens(ptr) {
		cur = child(cur, t)
	}
	return cur
}

// Resolve returns the value at the RFC 6901 pointer ptr in a document
// decoded by Decode, and whether it exists.
func Resolve(doc any, ptr string) (any, bool) {
	cur := doc
	for _, t := range pointerTokens(ptr) {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// FieldOf writes a JSON pointer for people: "/instanceConfig/endpoint" is
// "instanceConfig.endpoint", "/variables/1/name" is "variables[1].name",
// a member that is not an identifier is quoted (["Tenant Key ID"]), and ""
// is "(root)".
func FieldOf(ptr string) string {
	toks := pointerTokens(ptr)
	if len(toks) == 0 {
		return "(root)"
	}
	var b strings.Builder
	for _, t := range toks {
		switch {
		case isIndex(t):
			b.WriteString("[" + t + "]")
		case identifier.MatchString(t) || strings.HasPrefix(t, "$Context."):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(t)
		default:
			b.WriteString("[" + strconv.Quote(t) + "]")
		}
	}
	return b.String()
}

func isIndex(t string) bool {
	if t == "" || len(t) > 9 {
		return false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return false
		}
	}
	return t == "0" || t[0] != '0'
}
