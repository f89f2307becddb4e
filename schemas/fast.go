package schemas

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The fast verdict.
//
// jsonschema/v5 builds an error value (with fmt.Sprintf) for every subschema
// that fails, including the "if" of every if/then/else that takes its else
// branch, and allocates bookkeeping for every object and array it visits.
// On a valid Start Session request that costs several times a json.Unmarshal
// of the same bytes. Validation therefore first asks a small evaluator,
// compiled from the same embedded schema documents, for a yes/no verdict that
// allocates nothing; only when it says "invalid" does jsonschema/v5 run, to
// explain. The evaluator implements exactly the keywords the embedded
// schemas use, with jsonschema/v5's semantics (same regexp engine, same
// format functions, same number comparison); a schema using anything else
// is not given a fast verdict and always goes through jsonschema/v5.
// FuzzFastVerdict checks that both verdicts agree.

// fnode is a compiled schema node of the fast evaluator.
type fnode struct {
	always *bool // a boolean schema

	types uint8 // bit set of jsonType*; 0 = any

	ref          *fnode
	hasConst     bool
	constV       any
	enum         []any
	not          *fnode
	allOf, anyOf []*fnode
	oneOf        []*fnode
	ifN          *fnode
	thenN, elseN *fnode

	props      map[string]*fnode
	patProps   []patProp
	addl       *fnode // nil: any additional property is allowed
	required   []string
	minProps   int // -1 = none
	maxProps   int
	items      *fnode
	minItems   int
	maxItems   int
	unique     bool
	minLen     int
	maxLen     int
	pattern    matcher
	format     func(any) bool
	min, max   *big.Rat
	exMin      *big.Rat
	exMax      *big.Rat
	hasNumeric bool
}

type patProp struct {
	m matcher
	n *fnode
}

const (
	tNull = 1 << iota
	tBool
	tNumber
	tInteger
	tString
	tArray
	tObject
)

var typeBits = map[string]uint8{
	"null": tNull, "boolean": tBool, "number": tNumber, "integer": tInteger,
	"string": tString, "array": tArray, "object": tObject,
}

// keywords the fast evaluator understands; annotations it may ignore.
var (
	fastKeywords = map[string]bool{
		"type": true, "$ref": true, "const": true, "enum": true, "not": true, "allOf": true, "anyOf": true,
		"oneOf": true, "if": true, "then": true, "else": true, "properties": true, "patternProperties": true,
		"additionalProperties": true, "required": true, "minProperties": true, "maxProperties": true,
		"items": true, "minItems": true, "maxItems": true, "uniqueItems": true, "minLength": true,
		"maxLength": true, "pattern": true, "format": true, "minimum": true, "maximum": true,
		"exclusiveMinimum": true, "exclusiveMaximum": true,
	}
	ignoredKeywords = map[string]bool{
		"$schema": true, "$defs": true, "$comment": true, "title": true, "description": true,
		"examples": true, "default": true, "deprecated": true, "readOnly": true, "writeOnly": true,
	}
)

// fastSchema is the fast evaluator of one named schema, or nil when the
// schema uses a keyword it does not implement.
type fastSchema struct{ root *fnode }

// fastBy holds one lazily compiled fast evaluator per embedded schema; the
// map is built once and only read afterwards.
var fastBy = sync.OnceValue(func() map[Name]*fastEntry {
	m := map[Name]*fastEntry{}
	for _, n := range List() {
		m[n] = &fastEntry{}
	}
	return m
})

type fastEntry struct {
	once sync.Once
	fs   *fastSchema
	err  error // why there is no fast evaluator
}

// fastFor returns the fast evaluator for name, or nil.
func fastFor(name Name) *fastSchema {
	e, ok := fastBy()[name]
	if !ok {
		return nil
	}
	e.once.Do(func() {
		docs, err := raw()
		if err != nil {
			e.err = err
			return
		}
		c := fastCompiler{docs: docs, nodes: map[string]*fnode{}}
		root, err := c.compile(URL(name), "")
		if err != nil {
			e.err = err
			return
		}
		e.fs = &fastSchema{root: root}
	})
	return e.fs
}

// fastErr tells why name has no fast evaluator (nil if it has one).
func fastErr(name Name) error {
	if fastFor(name) != nil {
		return nil
	}
	if e, ok := fastBy()[name]; ok {
		return e.err
	}
	return unknown(name)
}

type fastCompiler struct {
	docs  map[string]any
	nodes map[string]*fnode // by absolute location, for $ref cycles
}

func (c *fastCompiler) compile(base, ptr string) (*fnode, error) {
	loc := base + "#" + ptr
	if n, ok := c.nodes[loc]; ok {
		return n, nil
	}
	doc, ok := c.docs[base]
	if !ok {
		return nil, fmt.Errorf("no schema %s", base)
	}
	v := doc
	for _, t := range pointerTokens(ptr) {
		v = child(v, t)
	}
	n := &fnode{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	c.nodes[loc] = n
	switch s := v.(type) {
	case bool:
		n.always = &s
		return n, nil
	case map[string]any:
		return n, c.fill(n, base, ptr, s)
	}
	return nil, fmt.Errorf("%s is not a schema", loc)
}

func (c *fastCompiler) fill(n *fnode, base, ptr string, s map[string]any) error {
	for k := range s {
		if !fastKeywords[k] && !ignoredKeywords[k] && !strings.HasPrefix(k, "x-") && !(k == "$id" && ptr == "") {
			return fmt.Errorf("keyword %s not supported", k)
		}
	}
	var err error
	sub := func(key string) *fnode {
		if err != nil {
			return nil
		}
		var m *fnode
		m, err = c.compile(base, ptr+"/"+key) // key is already an escaped relative pointer
		return m
	}
	list := func(key string) []*fnode {
		arr, _ := s[key].([]any)
		var out []*fnode
		for i := range arr {
			out = append(out, sub(fmt.Sprintf("%s/%d", key, i)))
		}
		return out
	}
	if t, ok := s["type"]; ok {
		for _, name := range asList(t) {
			b, ok := typeBits[fmt.Sprint(name)]
			if !ok {
				return fmt.Errorf("type %v", name)
			}
			n.types |= b
		}
	}
	if r, ok := s["$ref"].(string); ok {
		u, perr := url.Parse(base)
		if perr != nil {
			return perr
		}
		ru, perr := u.Parse(r)
		if perr != nil {
			return perr
		}
		frag := ru.Fragment
		ru.Fragment = ""
		if strings.HasPrefix(r, "#") && !strings.HasPrefix(r, "#/") && r != "#" {
			return fmt.Errorf("anchor refs not supported")
		}
		if n.ref, err = c.compile(ru.String(), frag); err != nil {
			return err
		}
	}
	if cv, ok := s["const"]; ok {
		n.hasConst, n.constV = true, cv
	}
	if ev, ok := s["enum"].([]any); ok {
		n.enum = ev
	}
	if _, ok := s["not"]; ok {
		n.not = sub("not")
	}
	n.allOf, n.anyOf, n.oneOf = list("allOf"), list("anyOf"), list("oneOf")
	if _, ok := s["if"]; ok {
		n.ifN = sub("if")
		if _, ok := s["then"]; ok {
			n.thenN = sub("then")
		}
		if _, ok := s["else"]; ok {
			n.elseN = sub("else")
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		n.props = make(map[string]*fnode, len(props))
		for k := range props {
			n.props[k] = sub("properties/" + EscapeToken(k))
		}
	}
	if pats, ok := s["patternProperties"].(map[string]any); ok {
		for p := range pats {
			m, cerr := newMatcher(p)
			if cerr != nil {
				return cerr
			}
			n.patProps = append(n.patProps, patProp{m: m, n: sub("patternProperties/" + EscapeToken(p))})
		}
	}
	if _, ok := s["additionalProperties"]; ok {
		n.addl = sub("additionalProperties")
	}
	n.required = stringList(s["required"])
	intKw := func(key string, dst *int) {
		if f, ok := s[key].(float64); ok {
			*dst = int(f)
		}
	}
	intKw("minProperties", &n.minProps)
	intKw("maxProperties", &n.maxProps)
	intKw("minItems", &n.minItems)
	intKw("maxItems", &n.maxItems)
	intKw("minLength", &n.minLen)
	intKw("maxLength", &n.maxLen)
	if _, ok := s["items"]; ok {
		if _, isArr := s["items"].([]any); isArr {
			return fmt.Errorf("array form of items")
		}
		n.items = sub("items")
	}
	n.unique, _ = s["uniqueItems"].(bool)
	if p, ok := s["pattern"].(string); ok {
		if n.pattern, err = newMatcher(p); err != nil {
			return err
		}
	}
	if f, ok := s["format"].(string); ok {
		switch f {
		case "iana-time-zone":
			n.format = isTimeZone
		default:
			fn, known := jsonschema.Formats[f]
			if !known {
				return fmt.Errorf("format %s", f)
			}
			n.format = fn
		}
	}
	rat := func(key string) *big.Rat {
		v, ok := s[key]
		if !ok {
			return nil
		}
		n.hasNumeric = true
		r, _ := new(big.Rat).SetString(fmt.Sprint(v))
		return r
	}
	n.min, n.max, n.exMin, n.exMax = rat("minimum"), rat("maximum"), rat("exclusiveMinimum"), rat("exclusiveMaximum")
	return err
}

// matcher is a compiled pattern: a plain prefix or suffix test when the
// pattern is ^literal or literal$, else a DFA (dfa.go) that falls back to
// the regexp jsonschema/v5 uses.
type matcher struct {
	re             *regexp.Regexp
	dfa            *dfa
	prefix, suffix string
	kind           uint8 // 0 none, 1 regexp, 2 prefix, 3 suffix, 4 dfa
}

func newMatcher(p string) (matcher, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return matcher{}, err
	}
	if lit, ok := strings.CutPrefix(p, "^"); ok && regexp.QuoteMeta(lit) == lit {
		return matcher{re: re, prefix: lit, kind: 2}, nil
	}
	if lit, ok := strings.CutSuffix(p, "$"); ok && regexp.QuoteMeta(lit) == lit {
		return matcher{re: re, suffix: lit, kind: 3}, nil
	}
	if d, ok := newDFA(p); ok {
		return matcher{re: re, dfa: d, kind: 4}, nil
	}
	return matcher{re: re, kind: 1}, nil
}

func (m *matcher) match(s string) bool {
	switch m.kind {
	case 2:
		return strings.HasPrefix(s, m.prefix)
	case 3:
		// "$" also matches before a final "\n" in RE2 only with (?m); without
		// flags it is end of text, so a suffix test is exact.
		return strings.HasSuffix(s, m.suffix)
	case 4:
		if matched, ok := m.dfa.match(s); ok {
			return matched
		}
		return m.re.MatchString(s)
	default:
		return m.re.MatchString(s)
	}
}

// valid reports whether v is valid against the schema.
func (f *fastSchema) valid(v any) bool { return f.root.ok(v) }

func (n *fnode) ok(v any) bool {
	if n.always != nil {
		return *n.always
	}
	if n.types != 0 && !hasType(n.types, v) {
		return false
	}
	if n.ref != nil && !n.ref.ok(v) {
		return false
	}
	if n.hasConst && !equalJSON(v, n.constV) {
		return false
	}
	if n.enum != nil {
		found := false
		for _, e := range n.enum {
			if equalJSON(v, e) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if n.not != nil && n.not.ok(v) {
		return false
	}
	for _, s := range n.allOf {
		if !s.ok(v) {
			return false
		}
	}
	if n.anyOf != nil {
		matched := false
		for _, s := range n.anyOf {
			if s.ok(v) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	if n.oneOf != nil {
		count := 0
		for _, s := range n.oneOf {
			if s.ok(v) {
				count++
			}
		}
		if count != 1 {
			return false
		}
	}
	if n.ifN != nil {
		if n.ifN.ok(v) {
			if n.thenN != nil && !n.thenN.ok(v) {
				return false
			}
		} else if n.elseN != nil && !n.elseN.ok(v) {
			return false
		}
	}
	switch x := v.(type) {
	case map[string]any:
		return n.okObject(x)
	case []any:
		return n.okArray(x)
	case string:
		return n.okString(x)
	case json.Number, float64:
		return n.okNumber(v)
	}
	return true
}

func (n *fnode) okObject(o map[string]any) bool {
	if n.minProps >= 0 && len(o) < n.minProps || n.maxProps >= 0 && len(o) > n.maxProps {
		return false
	}
	for _, r := range n.required {
		if _, ok := o[r]; !ok {
			return false
		}
	}
	if n.props == nil && n.patProps == nil && n.addl == nil {
		return true
	}
	for k, v := range o {
		matched := false
		if p, ok := n.props[k]; ok {
			matched = true
			if !p.ok(v) {
				return false
			}
		}
		for i := range n.patProps {
			pp := &n.patProps[i]
			if pp.m.match(k) {
				matched = true
				if !pp.n.ok(v) {
					return false
				}
			}
		}
		if !matched && n.addl != nil && !n.addl.ok(v) {
			return false
		}
	}
	return true
}

func (n *fnode) okArray(a []any) bool {
	if n.minItems >= 0 && len(a) < n.minItems || n.maxItems >= 0 && len(a) > n.maxItems {
		return false
	}
	if n.unique {
		for i := 1; i < len(a); i++ {
			for j := 0; j < i; j++ {
				if equalJSON(a[i], a[j]) {
					return false
				}
			}
		}
	}
	if n.items != nil {
		for _, it := range a {
			if !n.items.ok(it) {
				return false
			}
		}
	}
	return true
}

func (n *fnode) okString(s string) bool {
	if n.minLen >= 0 || n.maxLen >= 0 {
		l := utf8.RuneCountInString(s)
		if n.minLen >= 0 && l < n.minLen || n.maxLen >= 0 && l > n.maxLen {
			return false
		}
	}
	if n.pattern.kind != 0 && !n.pattern.match(s) {
		return false
	}
	if n.format != nil && !n.format(s) {
		return false
	}
	return true
}

func (n *fnode) okNumber(v any) bool {
	if !n.hasNumeric {
		return true
	}
	r := toRat(v)
	if r == nil {
		return false
	}
	return !(n.min != nil && r.Cmp(n.min) < 0 || n.exMin != nil && r.Cmp(n.exMin) <= 0 ||
		n.max != nil && r.Cmp(n.max) > 0 || n.exMax != nil && r.Cmp(n.exMax) >= 0)
}

func toRat(v any) *big.Rat {
	r, ok := new(big.Rat).SetString(fmt.Sprint(v))
	if !ok {
		return nil
	}
	return r
}

func hasType(bits uint8, v any) bool {
	switch x := v.(type) {
	case nil:
		return bits&tNull != 0
	case bool:
		return bits&tBool != 0
	case string:
		return bits&tString != 0
	case []any:
		return bits&tArray != 0
	case map[string]any:
		return bits&tObject != 0
	case json.Number:
		if bits&tNumber != 0 {
			return true
		}
		return bits&tInteger != 0 && isIntegral(string(x), v)
	case float64:
		if bits&tNumber != 0 {
			return true
		}
		return bits&tInteger != 0 && isIntegral("", v)
	}
	return false
}

// isIntegral reports whether a number is an integer value (1, -3, 1.0, 1e2),
// as jsonschema/v5 decides it.
func isIntegral(s string, v any) bool {
	if s != "" {
		plain := true
		for i := 0; i < len(s); i++ {
			if c := s[i]; (c < '0' || c > '9') && !(i == 0 && c == '-') {
				plain = false
				break
			}
		}
		if plain {
			return true
		}
	}
	r := toRat(v)
	return r != nil && r.IsInt()
}

// equalJSON is JSON equality as jsonschema/v5 defines it (numbers by value).
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number, float64:
		switch b.(type) {
		case json.Number, float64:
		default:
			return false
		}
		if xs, ok := a.(json.Number); ok {
			if ys, ok := b.(json.Number); ok && xs == ys {
				return true
			}
		}
		ra, rb := toRat(a), toRat(b)
		return ra != nil && rb != nil && ra.Cmp(rb) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalJSON(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}
