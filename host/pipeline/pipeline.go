package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/schemas"
)

// BaseOwner owns, in a Provenance, the fields that came from the base request
// and no plugin changed.
const BaseOwner = "base"

// Pipeline is a loaded manifest: its plugins in order. Run is safe for
// concurrent use; the plugins' instance pools serve concurrent callers.
type Pipeline struct {
	plugins []*plugin.Plugin
}

// New loads every plugin of m into rt. Plugins are read, compiled (or
// fetched from the compilation cache) and instantiated concurrently, which
// roughly divides start-up time by the number of cores; the pipeline keeps the
// manifest's order. On error, the plugins already loaded are closed and the
// error of the first failing entry (in manifest order) is returned.
func New(ctx context.Context, rt *plugin.Runtime, m *Manifest) (*Pipeline, error) {
	n := len(m.Plugins)
	plugins := make([]*plugin.Plugin, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range m.Plugins {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e := &m.Plugins[i]
			spec, err := e.Spec(m.Dir)
			if err == nil {
				plugins[i], err = rt.Load(ctx, spec)
			}
			if err != nil {
				loc := m.Path
				if e.Line > 0 {
					loc = fmt.Sprintf("%s:%d", loc, e.Line)
				}
				errs[i] = fmt.Errorf("manifest %s: plugins[%d] (%s): %w", loc, i, e.Name, err)
			}
		}(i)
	}
	wg.Wait()
	pl := &Pipeline{}
	for _, p := range plugins {
		if p != nil {
			pl.plugins = append(pl.plugins, p)
		}
	}
	for _, err := range errs {
		if err != nil {
			_ = pl.Close(ctx)
			return nil, err
		}
	}
	return pl, nil
}

// FromPlugins builds a pipeline from already loaded plugins (they are closed
// by Close).
func FromPlugins(plugins ...*plugin.Plugin) *Pipeline {
	return &Pipeline{plugins: plugins}
}

// Plugins returns the pipeline's plugins in order.
func (pl *Pipeline) Plugins() []*plugin.Plugin { return pl.plugins }

// Warm fills every reactor's pool to its pool size (see plugin.Plugin.Warm);
// call it before serving concurrent callers.
func (pl *Pipeline) Warm(ctx context.Context) error {
	for _, p := range pl.plugins {
		if err := p.Warm(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close closes every plugin.
func (pl *Pipeline) Close(ctx context.Context) error {
	var errs []error
	for _, p := range pl.plugins {
		errs = append(errs, p.Close(ctx))
	}
	return errors.Join(errs...)
}

// Result is the outcome of a run.
type Result struct {
	// Request is the final shaped request.
	Request json.RawMessage
	// Value is Request decoded, as schemas.Decode decodes it (numbers as
	// json.Number), for validating it without decoding it again.
	Value map[string]any
	// Provenance maps every JSON pointer of Request to the plugin that last
	// set or changed it (BaseOwner for untouched base fields).
	Provenance Provenance
	// Reserved lists every time a plugin's output set the reserved Tenant Key
	// ID (agent-api.md §6), even when a later plugin removed it again: no
	// plugin may set it, so the run's request must not be sent.
	Reserved []ReservedWrite
}

// ReservedWrite is a plugin output that set a reserved member.
type ReservedWrite struct {
	// Plugin is the plugin that set it.
	Plugin string
	// Pointer is where, in that plugin's output request.
	Pointer string
}

// Run passes base (nil means {}) through every plugin in order, each seeing
// the previous one's request, and returns the final request with its field
// provenance. A plugin failure stops the run; the error wraps the *plugin.Error.
func (pl *Pipeline) Run(ctx context.Context, c abi.Context, base json.RawMessage) (*Result, error) {
	req := bytes.TrimSpace(base)
	if len(req) == 0 {
		req = []byte("{}")
	}
	prev, err := decode(req)
	if err != nil {
		return nil, fmt.Errorf("base request: %w (it must be a JSON object)", err)
	}
	if _, ok := prev.(map[string]any); !ok {
		return nil, errors.New("base request: not a JSON object; pass an object or nothing")
	}
	t := newTracer(prev)
	var reserved []ReservedWrite
	for i, p := range pl.plugins {
		// The value is the one the plugin's output checks decoded: the
		// request is decoded once per step.
		out, next, err := p.ShapeDecoded(ctx, c, req)
		if err != nil {
			return nil, fmt.Errorf("pipeline step %d of %d: %w", i+1, len(pl.plugins), err)
		}
		t.step(p.Name(), next)
		for _, ptr := range schemas.ReservedPointers(next) {
			if t.prov[ptr] == p.Name() { // set or changed here, not passed on from an earlier step
				reserved = append(reserved, ReservedWrite{Plugin: p.Name(), Pointer: ptr})
			}
		}
		req = out
	}
	return &Result{Request: json.RawMessage(req), Value: t.prev.(map[string]any), Provenance: t.prov, Reserved: reserved}, nil
}

// tracer follows field provenance from a base request through each
// plugin's output.
type tracer struct {
	prev any
	prov Provenance
}

func newTracer(base any) *tracer {
	t := &tracer{prev: base, prov: Provenance{}}
	record(nil, false, base, "", "", BaseOwner, nil, t.prov)
	return t
}

// step records plugin's output request next.
func (t *tracer) step(plugin string, next any) {
	np := make(Provenance, len(t.prov))
	record(t.prev, true, next, "", "", plugin, t.prov, np)
	t.prov, t.prev = np, next
}

// Step is one plugin's output request in a run that already happened.
type Step struct {
	// Plugin is the plugin's name.
	Plugin string
	// Request is the request the plugin returned.
	Request json.RawMessage
}

// Trace gives the field provenance of a run that already happened — base
// is the request the first plugin was given, steps each plugin's output in
// order — exactly as Run's Result.Provenance (and `shape --explain`) gives
// it: the conformance gate blames failures with it.
func Trace(base json.RawMessage, steps []Step) (Provenance, error) {
	prev, err := decode(base)
	if err != nil {
		return nil, fmt.Errorf("base request: %w", err)
	}
	t := newTracer(prev)
	for i, st := range steps {
		next, err := decode(st.Request)
		if err != nil {
			return nil, fmt.Errorf("step %d (%s): %w", i+1, st.Plugin, err)
		}
		t.step(st.Plugin, next)
	}
	return t.prov, nil
}

// decode is the project's JSON decoding (schemas.Decode): numbers as
// json.Number, a member named twice or nesting deeper than
// inputlimit.MaxDepth refused.
func decode(b []byte) (any, error) { return schemas.Decode(b) }

// record walks next, writing into np the owner of every pointer: owner when
// the value is new or changed compared with prev, else its old owner from op.
// ptr is where next sits in the new request, prevPtr where prev sat in the
// old one (they differ when an array element moved). It returns whether the
// value changed.
func record(prev any, prevOK bool, next any, ptr, prevPtr, owner string, op, np Provenance) bool {
	changed := !prevOK
	switch nv := next.(type) {
	case map[string]any:
		pm, isMap := prev.(map[string]any)
		if prevOK && (!isMap || len(pm) != len(nv)) {
			changed = true
		}
		for k, v := range nv {
			pv, ok := pm[k]
			ek := "/" + schemas.EscapeToken(k)
			if record(pv, ok && isMap, v, ptr+ek, prevPtr+ek, owner, op, np) {
				changed = true
			}
		}
	case []any:
		pa, isArr := prev.([]any)
		if prevOK && (!isArr || len(pa) != len(nv)) {
			changed = true
		}
		match := matchElements(pa, nv)
		for i, v := range nv {
			j := match[i]
			var pv any
			if j >= 0 {
				pv = pa[j]
			}
			if j != i {
				changed = changed || prevOK
			}
			if record(pv, j >= 0, v, ptr+"/"+strconv.Itoa(i), prevPtr+"/"+strconv.Itoa(j), owner, op, np) {
				changed = true
			}
		}
	default:
		if prevOK {
			switch prev.(type) {
			case map[string]any, []any:
				changed = true
			default:
				changed = changed || prev != next
			}
		}
	}
	if changed || op == nil {
		np[ptr] = owner
	} else if o, ok := op[prevPtr]; ok {
		np[ptr] = o
	} else {
		np[ptr] = owner
	}
	return changed
}

// maxMatchScan bounds the elements matchElements compares by value, so a
// plugin returning a huge array costs linear time.
const maxMatchScan = 256

// matchElements pairs each element of next with the element of prev it
// continues, so that a plugin that inserts, removes or reorders array
// elements owns only what it wrote: objects with a string "name" member
// (variables, agent-api.md §3) pair by name; other elements pair with an
// equal unpaired element, else with the unpaired element at the same index.
// match[i] is the index in prev, or -1 for a new element.
func matchElements(prev, next []any) []int {
	match := make([]int, len(next))
	used := make([]bool, len(prev))
	byName := map[string]int{}
	for j, pv := range prev {
		if n, ok := elementName(pv); ok {
			if _, dup := byName[n]; !dup {
				byName[n] = j
			}
		}
	}
	for i, v := range next {
		match[i] = -1
		if n, ok := elementName(v); ok {
			if j, ok := byName[n]; ok && !used[j] {
				match[i], used[j] = j, true
			}
		}
	}
	if len(prev) <= maxMatchScan && len(next) <= maxMatchScan {
		for i, v := range next {
			if match[i] >= 0 {
				continue
			}
			for j, pv := range prev {
				if !used[j] && reflect.DeepEqual(pv, v) {
					match[i], used[j] = j, true
					break
				}
			}
		}
	}
	for i := range next {
		if match[i] < 0 && i < len(prev) && !used[i] {
			match[i], used[i] = i, true
		}
	}
	return match
}

// elementName returns the string "name" member of an object element.
func elementName(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	n, ok := m["name"].(string)
	return n, ok
}

// Provenance maps JSON pointers (RFC 6901; "" is the whole request) to the
// name of the plugin that last set or changed the value there. Objects and
// arrays count as changed when anything inside them changed or moved. Array
// elements are followed across plugins by identity, not index (variables by
// name, other elements by value), so a plugin that inserts, removes or
// reorders elements does not take over the ones it only shifted.
type Provenance map[string]string

// Owner returns the owner of ptr, or of its nearest ancestor present in the
// request (for a pointer to a field that does not exist, e.g. a missing
// required field, that is the plugin that last shaped its parent).
func (p Provenance) Owner(ptr string) string {
	for {
		if o, ok := p[ptr]; ok {
			return o
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return p[""]
		}
		ptr = ptr[:i]
	}
}
