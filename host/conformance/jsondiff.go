package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/agentshape/agentshape/schemas"
)

// How two answers differ: the first JSON pointer where two outputs part,
// and a walk over every place they differ (the behaviour diff uses it too).

func describe(a answer) string {
	if a.Err != nil {
		return "error: " + a.Err.Error()
	}
	return preview(a.Output)
}

// describeDifference says how two answers differ: where two JSON outputs
// first part (pointer and both values), else both answers in short.
func describeDifference(a, b answer) string {
	if a.Err == nil && b.Err == nil {
		var x, y any
		if json.Unmarshal(a.Output, &x) == nil && json.Unmarshal(b.Output, &y) == nil {
			if ptr, xv, yv, ok := firstJSONDifference(x, y, ""); ok {
				return fmt.Sprintf("first difference at %s: %s, then %s", ptr, preview(xv), preview(yv))
			}
		}
	}
	return fmt.Sprintf("first %s, then %s", describe(a), describe(b))
}

// firstJSONDifference walks two decoded JSON values in a fixed order
// (object members sorted) and returns the pointer of the first place they
// differ, with the JSON of both values there.
func firstJSONDifference(x, y any, ptr string) (p string, a, b []byte, found bool) {
	walkJSONDifferences(x, y, ptr, func(q string, xv, yv []byte) bool {
		p, a, b, found = q, xv, yv, true
		return false
	})
	return p, a, b, found
}

// walkJSONDifferences walks two decoded JSON values in a fixed order (object
// members sorted, array elements by index) and calls visit with the pointer
// of every place they differ and the JSON of both values there ("(absent)"
// for a member or element only one has); it stops when visit returns false,
// and reports whether it ran to the end.
func walkJSONDifferences(x, y any, ptr string, visit func(ptr string, xv, yv []byte) bool) bool {
	xm, xok := x.(map[string]any)
	ym, yok := y.(map[string]any)
	if xok && yok {
		keys := make([]string, 0, len(xm)+len(ym))
		for k := range xm {
			keys = append(keys, k)
		}
		for k := range ym {
			if _, dup := xm[k]; !dup {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := ptr + "/" + schemas.EscapeToken(k)
			xv, xin := xm[k]
			yv, yin := ym[k]
			if !xin || !yin {
				if !visit(p, jsonOrAbsent(xv, xin), jsonOrAbsent(yv, yin)) {
					return false
				}
				continue
			}
			if !walkJSONDifferences(xv, yv, p, visit) {
				return false
			}
		}
		return true
	}
	xa, xok := x.([]any)
	ya, yok := y.([]any)
	if xok && yok {
		for i := 0; i < max(len(xa), len(ya)); i++ {
			p := ptr + "/" + strconv.Itoa(i)
			if i >= len(xa) || i >= len(ya) {
				if !visit(p, jsonOrAbsent(at(xa, i), i < len(xa)), jsonOrAbsent(at(ya, i), i < len(ya))) {
					return false
				}
				continue
			}
			if !walkJSONDifferences(xa[i], ya[i], p, visit) {
				return false
			}
		}
		return true
	}
	xj, _ := json.Marshal(x)
	yj, _ := json.Marshal(y)
	if bytes.Equal(xj, yj) {
		return true
	}
	if ptr == "" {
		ptr = "(the whole output)"
	}
	return visit(ptr, xj, yj)
}

func at(a []any, i int) any {
	if i < len(a) {
		return a[i]
	}
	return nil
}

func jsonOrAbsent(v any, present bool) []byte {
	if !present {
		return []byte("(absent)")
	}
	b, _ := json.Marshal(v)
	return b
}
