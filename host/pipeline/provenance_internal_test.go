package pipeline

import (
	"strconv"
	"testing"

	"github.com/agentshape/agentshape/schemas"
)

// FuzzRecord: for any two JSON documents, every pointer of the new one gets
// an owner; an unchanged document keeps every owner; and an element paired
// by matchElements is paired once.
func FuzzRecord(f *testing.F) {
	f.Add(`{"variables":[{"name":"a","value":"1"}]}`, `{"variables":[{"name":"b"},{"name":"a","value":"1"}]}`)
	f.Add(`[1,2,3]`, `[3,2,1,1]`)
	f.Add(`{"a":[{"name":"x"},{"name":"x"}]}`, `{"a":[{"name":"x","v":2}]}`)
	f.Add(`{}`, `{"a":{"b":[null,true,"s"]}}`)
	f.Fuzz(func(t *testing.T, before, after string) {
		prev, err1 := decode([]byte(before))
		next, err2 := decode([]byte(after))
		if err1 != nil || err2 != nil {
			return
		}
		first := Provenance{}
		record(nil, false, prev, "", "", "p1", nil, first)
		second := Provenance{}
		record(prev, true, next, "", "", "p2", first, second)
		walk(next, "", func(ptr string) {
			if second[ptr] == "" {
				t.Fatalf("pointer %q has no owner", ptr)
			}
		})
		again := Provenance{}
		if record(next, true, next, "", "", "p3", second, again) {
			t.Fatal("an unchanged document counts as changed")
		}
		for ptr, o := range again {
			if o != second[ptr] {
				t.Fatalf("unchanged %q moved from %q to %q", ptr, second[ptr], o)
			}
		}
		pa, _ := prev.([]any)
		na, _ := next.([]any)
		seen := map[int]bool{}
		for _, j := range matchElements(pa, na) {
			if j >= len(pa) || (j >= 0 && seen[j]) {
				t.Fatalf("matchElements paired prev[%d] badly", j)
			}
			seen[j] = j >= 0
		}
	})
}

func walk(v any, ptr string, f func(string)) {
	f(ptr)
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			walk(c, ptr+"/"+schemas.EscapeToken(k), f)
		}
	case []any:
		for i, c := range x {
			walk(c, ptr+"/"+strconv.Itoa(i), f)
		}
	}
}
