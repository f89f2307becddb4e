package emulator

import (
	"encoding/json"
	"hash/maphash"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/agentshape/agentshape/schemas"
)

// The schema verdict cache.
//
// Validating a Start Session body against schemas.StartSessionRequest is a
// pure function of the body. Two members carry per-conversation values that
// the schema constrains only by type and minimum length: externalSessionKey
// and variables[].value. The cache keys a verdict by the decoded body with
// those values masked (when they are strings long enough), so the bodies a
// pipeline produces for different conversations share one verdict and the
// full validator runs once per body shape.
//
// The masking is sound only while the schema constrains those two members
// that little; maskingSafe reads the embedded schema once and turns masking
// (and so the cache) off if it finds anything else there.

// maxVerdicts bounds the cache; beyond it verdicts are computed every time.
const maxVerdicts = 4096

// verdictCache memoises schema verdicts.
type verdictCache struct {
	seed1, seed2 maphash.Seed
	m            sync.Map // [2]uint64 -> *apiError (nil = valid), stored as verdict
	n            atomic.Int64
}

type verdict struct{ err *apiError }

var (
	maskOnce sync.Once
	maskESK  = -1 // minimum length of a maskable externalSessionKey; -1 = never mask
	maskVal  = -1 // same for variables[].value
)

// maskRules reads the embedded start-session-request schema and decides
// whether the two members may be masked: each must be described only by
// type "string", minLength and annotations, and nothing else in the schema
// may reach it (no root-level applicators, no patternProperties matching it,
// variables items only through $defs/variable).
func maskRules() (esk, val int) {
	maskOnce.Do(func() {
		src, err := schemas.Source(schemas.StartSessionRequest)
		if err != nil {
			return
		}
		var root map[string]any
		if json.Unmarshal(src, &root) != nil {
			return
		}
		rootOK := map[string]bool{"$schema": true, "$id": true, "title": true, "description": true, "type": true,
			"x-message": true, "required": true, "properties": true, "patternProperties": true,
			"additionalProperties": true, "$defs": true, "examples": true, "$comment": true}
		for k := range root {
			if !rootOK[k] {
				return
			}
		}
		if pp, ok := root["patternProperties"].(map[string]any); ok {
			for p := range pp {
				re, err := regexp.Compile(p)
				if err != nil || re.MatchString("externalSessionKey") {
					return
				}
			}
		}
		props, _ := root["properties"].(map[string]any)
		maskESK = stringOnly(props["externalSessionKey"])
		vars, _ := props["variables"].(map[string]any)
		items, _ := vars["items"].(map[string]any)
		if len(items) != 1 || items["$ref"] != "#/$defs/variable" {
			return
		}
		defs, _ := root["$defs"].(map[string]any)
		variable, _ := defs["variable"].(map[string]any)
		val := 0
		for k, v := range variable {
			switch k {
			case "if", "then", "else", "anyOf", "oneOf", "not", "dependentSchemas", "patternProperties":
				return
			case "allOf":
				// Branches chosen by the variable's type may narrow the
				// value's JSON type; masking stays sound while every branch
				// still lets any string through.
				n := typeBranchesAllowStrings(v)
				if n < 0 {
					return
				}
				val = max(val, n)
			}
		}
		vprops, _ := variable["properties"].(map[string]any)
		if n := stringAllowed(vprops["value"]); n < 0 {
			return
		} else {
			maskVal = max(val, n)
		}
	})
	return maskESK, maskVal
}

// typeBranchesAllowStrings reads a variable's allOf: each entry must be
// {"if": (about "type" only), "then": {"properties": {"value": N}}} where N
// lets any string through (stringAllowed). It returns the largest
// minLength they set, or -1 when a branch could judge a string value by
// its content or reads anything but the variable's type.
func typeBranchesAllowStrings(allOf any) int {
	list, ok := allOf.([]any)
	if !ok {
		return -1
	}
	out := 0
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || len(m) != 2 {
			return -1
		}
		cond, _ := m["if"].(map[string]any)
		then, _ := m["then"].(map[string]any)
		if cond == nil || then == nil || len(then) != 1 {
			return -1
		}
		for k, v := range cond {
			switch k {
			case "required":
			case "properties":
				props, _ := v.(map[string]any)
				if _, onlyType := props["type"]; len(props) != 1 || !onlyType {
					return -1
				}
			default:
				return -1
			}
		}
		props, _ := then["properties"].(map[string]any)
		if len(props) != 1 {
			return -1
		}
		n := stringAllowed(props["value"])
		if n < 0 {
			return -1
		}
		out = max(out, n)
	}
	return out
}

// stringAllowed returns the minLength of a schema node that lets every
// string (of that length) through: its type is "string" or a list holding
// "string", with minLength and annotations only; or -1.
func stringAllowed(node any) int {
	m, ok := node.(map[string]any)
	if !ok {
		return -1
	}
	if list, isList := m["type"].([]any); isList {
		for _, t := range list {
			if t == "string" {
				c := make(map[string]any, len(m))
				for k, v := range m {
					c[k] = v
				}
				c["type"] = "string"
				return stringOnly(c)
			}
		}
		return -1
	}
	return stringOnly(m)
}

// stringOnly returns the minLength of a schema node that only says
// type string (+ minLength and annotations), or -1.
func stringOnly(node any) int {
	m, ok := node.(map[string]any)
	if !ok || m["type"] != "string" {
		return -1
	}
	minLen := 0
	for k, v := range m {
		switch k {
		case "type", "description", "x-message", "examples", "title", "$comment":
		case "minLength":
			f, ok := v.(float64)
			if !ok {
				return -1
			}
			minLen = int(f)
		default:
			return -1
		}
	}
	return minLen
}

func newVerdictCache() *verdictCache {
	return &verdictCache{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed()}
}

// validate returns the verdict for a decoded Start Session body.
func (vc *verdictCache) validate(doc map[string]any) *apiError {
	esk, val := maskRules()
	if esk < 0 && val < 0 {
		return validateStartValue(doc)
	}
	key := vc.key(doc, esk, val)
	if v, ok := vc.m.Load(key); ok {
		return v.(verdict).err
	}
	e := validateStartValue(doc)
	if vc.n.Add(1) <= maxVerdicts {
		vc.m.Store(key, verdict{e})
	}
	return e
}

// key hashes doc (128 bits) with the maskable values replaced by a marker.
func (vc *verdictCache) key(doc map[string]any, esk, val int) [2]uint64 {
	k := keyHasher{esk: esk, val: val}
	k.h1.SetSeed(vc.seed1)
	k.h2.SetSeed(vc.seed2)
	k.object(doc, k.rootMember)
	return [2]uint64{k.h1.Sum64(), k.h2.Sum64()}
}

// keyHasher feeds a decoded document into two independent hashes.
type keyHasher struct {
	h1, h2   maphash.Hash
	esk, val int
}

func (k *keyHasher) b(c byte) { k.h1.WriteByte(c); k.h2.WriteByte(c) }

func (k *keyHasher) s(s string) {
	n := len(s)
	for i := 0; i < 4; i++ {
		k.b(byte(n >> (8 * i)))
	}
	k.h1.WriteString(s)
	k.h2.WriteString(s)
}

func (k *keyHasher) maskable(v any, min int) bool {
	s, ok := v.(string)
	return ok && min >= 0 && utf8.RuneCountInString(s) >= min
}

// object hashes a map in key order, hashing each member with member.
func (k *keyHasher) object(m map[string]any, member func(name string, v any)) {
	keys := make([]string, 0, len(m))
	for name := range m {
		keys = append(keys, name)
	}
	sort.Strings(keys)
	k.b('{')
	for _, name := range keys {
		k.s(name)
		member(name, m[name])
	}
	k.b('}')
}

// rootMember masks externalSessionKey and hashes variables item by item.
func (k *keyHasher) rootMember(name string, v any) {
	switch {
	case name == "externalSessionKey" && k.maskable(v, k.esk):
		k.b('M')
	case name == "variables":
		items, ok := v.([]any)
		if !ok {
			k.value(v)
			return
		}
		k.b('[')
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				k.object(m, k.variableMember)
			} else {
				k.value(it)
			}
		}
		k.b(']')
	default:
		k.value(v)
	}
}

// variableMember masks a variable's value.
func (k *keyHasher) variableMember(name string, v any) {
	if name == "value" && k.maskable(v, k.val) {
		k.b('M')
		return
	}
	k.value(v)
}

func (k *keyHasher) plainMember(_ string, v any) { k.value(v) }

// value hashes any decoded JSON value without masking.
func (k *keyHasher) value(v any) {
	switch x := v.(type) {
	case map[string]any:
		k.object(x, k.plainMember)
	case []any:
		k.b('[')
		for _, e := range x {
			k.value(e)
		}
		k.b(']')
	case string:
		k.b('s')
		k.s(x)
	case json.Number:
		k.b('n')
		k.s(string(x))
	case bool:
		if x {
			k.b('t')
		} else {
			k.b('f')
		}
	case nil:
		k.b('z')
	default:
		k.b('?')
	}
}
