package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/schemas"
)

// Member is one plugin of the subject under test: the plugin given with
// --plugin, or one entry of a pipeline manifest.
type Member struct {
	// Name is the plugin's name (manifest name, or the file name).
	Name string
	// Path is the .wasm file.
	Path string
	// SHA256 optionally pins the module.
	SHA256 string
	// Config is the plugin's configuration.
	Config map[string]any
	// Limits are the plugin's limits (zero fields take the defaults).
	Limits plugin.Limits
	// Grants open the plugin's sandbox as the manifest says: the gate runs
	// a plugin with exactly the environment and directories it will get.
	Grants plugin.Grants
	// sum is the hex sha256 of the module the run checked.
	sum string
	// entry is the member's manifest entry with its paths made absolute (for
	// a plugin checked on its own, the entry a manifest would give it):
	// end-to-end reproducers replay the pipeline with it.
	entry *pipeline.Entry
}

// runner is one deterministic runtime with every member loaded.
type runner struct {
	rt      *plugin.Runtime
	plugins []*plugin.Plugin
	// stopped remembers members that are not called again: those that broke
	// a limit (later calls fail at once with the same error instead of
	// burning the time limit again) and those whose first failure was at
	// the ABI level (it would repeat on every case). Their later answers
	// carry the same error, so the failure is reported once, with the
	// reproducer of the first call.
	stopped map[string]error
	// fuel records what every call cost: runners of one gate share it, so
	// the report covers every call the budget applied to.
	fuel *fuelLedger
}

// fuelLedger records the fuel of every call the runners sharing it made,
// call by call in each runner's order, so the seed sweep (fuelsweep.go) can
// replay the same calls under other seeds and compare them one by one.
type fuelLedger struct {
	// traces holds one trace per runner that shaped anything, in the
	// order they started.
	traces []*fuelTrace
	// exhausted names the members that ran out of their budget.
	exhausted map[string]bool
}

func newFuelLedger() *fuelLedger { return &fuelLedger{exhausted: map[string]bool{}} }

// fuelTrace is what one runner shaped, in order.
type fuelTrace struct {
	owner *runner
	calls []*tracedCall
}

// tracedCall is one shaping of a context and base request through the
// members, with the fuel of each member's call that did not run out of
// fuel (each was checked against the member's budget).
type tracedCall struct {
	context abi.Context
	request []byte
	fuel    map[string]int64
}

// begin records that r starts shaping c from request and returns the
// call's entry, which record fills.
func (l *fuelLedger) begin(r *runner, c abi.Context, request []byte) *tracedCall {
	var t *fuelTrace
	for _, x := range l.traces {
		if x.owner == r {
			t = x
		}
	}
	if t == nil {
		t = &fuelTrace{owner: r}
		l.traces = append(l.traces, t)
	}
	call := &tracedCall{context: c, request: request, fuel: map[string]int64{}}
	t.calls = append(t.calls, call)
	return call
}

// record notes that member name used fuel in call and answered err.
func (l *fuelLedger) record(call *tracedCall, name string, fuel int64, err error) {
	if errors.Is(err, plugin.ErrFuelExhausted) {
		l.exhausted[name] = true
		return
	}
	call.fuel[name] = fuel
}

// calls are the recorded calls in which member name's call did not run
// out of fuel, in order.
func (l *fuelLedger) calls(name string) []*tracedCall {
	var out []*tracedCall
	for _, t := range l.traces {
		for _, c := range t.calls {
			if _, ok := c.fuel[name]; ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// openRunner creates a deterministic runtime and loads members into it, each
// with a pool of one instance so state kept across calls shows up.
func openRunner(ctx context.Context, members []Member, seed int64, cacheDir string) (*runner, error) {
	rt, err := newGateRuntime(ctx, seed, cacheDir)
	if err != nil {
		return nil, err
	}
	r, err := loadRunner(ctx, rt, members)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	r.rt = rt
	return r, nil
}

// newGateRuntime creates a deterministic runtime under seed.
func newGateRuntime(ctx context.Context, seed int64, cacheDir string) (*plugin.Runtime, error) {
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{CacheDir: cacheDir, Deterministic: true, Seed: seed, Logger: capLogger(ctx)})
	if err != nil {
		return nil, fmt.Errorf("conformance: start the plugin runtime: %w", err)
	}
	return rt, nil
}

// loadRunner loads members into rt, each with a pool of one instance; the
// runner does not own rt (close releases only its plugins).
func loadRunner(ctx context.Context, rt *plugin.Runtime, members []Member) (*runner, error) {
	r := &runner{stopped: map[string]error{}, fuel: newFuelLedger()}
	for _, m := range members {
		lim := m.Limits
		lim.PoolSize = 1
		p, err := rt.Load(ctx, plugin.Spec{Name: m.Name, Path: m.Path, SHA256: m.SHA256, Config: m.Config, Limits: lim, Grants: m.Grants})
		if err != nil {
			r.close(ctx)
			return nil, err
		}
		r.plugins = append(r.plugins, p)
	}
	return r, nil
}

// close releases the runner's runtime, or only its plugins when it does
// not own its runtime.
func (r *runner) close(ctx context.Context) {
	switch {
	case r == nil:
	case r.rt != nil:
		_ = r.rt.Close(ctx)
	default:
		for _, p := range r.plugins {
			_ = p.Close(ctx)
		}
	}
}

// answer is what shaping one envelope through every member gave.
type answer struct {
	// Output is the last member's raw output (or the failing member's).
	Output []byte
	// Request is the final request; nil on refusal or fault.
	Request []byte
	// Refusal is set when a member answered {"error": ...}.
	Refusal *abi.PluginError
	// Err is a fault: a broken limit, a trap, a malformed output.
	Err error
	// Plugin names the member that refused or failed.
	Plugin string
	// Steps records each member's envelope and request, in order.
	Steps []step
}

// step is one member's part of an answer.
type step struct {
	Plugin   string
	Envelope []byte
	Request  []byte // the member's output request (nil if it refused or failed)
	Fuel     int64  // the fuel the call used (plugins/ABI.md §8); 0 if not called
	Called   bool   // the member was called (not skipped after an earlier broken limit)
}

// stoppedError is the answer of a member that is not called again because
// it broke a limit before; it reads as the original error so that the
// failure is reported once, with the reproducer of the first call.
type stoppedError struct{ err error }

func (e stoppedError) Error() string { return e.err.Error() }
func (e stoppedError) Unwrap() error { return e.err }

// kitFault is an answer carrying a reserved fault code (plugins/ABI.md
// §6.1): the plugin broke — the Go kit reports a panic as plugin_panic — and
// its kit said so through the refusal channel. The gate counts it as a fault.
type kitFault struct {
	plugin  string
	refusal abi.PluginError
	code    abi.FaultCode
}

func (e kitFault) Error() string {
	return fmt.Sprintf("plugin %q crashed: its answer carries the fault code %s (%s: %s), which is a fault, not a refusal (plugins/ABI.md §6.1): %s",
		e.plugin, e.refusal.Code, e.code.Meaning, e.refusal.Message, e.code.Fix)
}

// abiLevel reports whether err is a fault below the plugin's own logic,
// which every later call would repeat whatever the envelope: an ABI
// violation (pointers outside memory, ...), a failed instantiation or
// _initialize, or a trap in alloc (before shape ever ran).
func abiLevel(err error) bool {
	if errors.Is(err, plugin.ErrABI) {
		return true
	}
	var pe *plugin.Error
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Phase == plugin.PhaseInstantiate ||
		(errors.Is(err, plugin.ErrTrap) && pe.Err != nil && strings.HasPrefix(pe.Err.Error(), abi.AllocExport+"("))
}

// stopsPlugin reports whether a member that answered err is not called again.
func stopsPlugin(err error) bool { return limitError(err) || abiLevel(err) }

// limitError reports whether err is a broken limit (time, fuel, memory,
// output size).
func limitError(err error) bool {
	return errors.Is(err, plugin.ErrTimeout) || errors.Is(err, plugin.ErrFuelExhausted) || errors.Is(err, plugin.ErrMemoryLimit) || errors.Is(err, plugin.ErrOutputTooLarge)
}

// shape runs the members in order on c, starting from request.
func (r *runner) shape(ctx context.Context, c abi.Context, request []byte) answer {
	var a answer
	req := request
	call := r.fuel.begin(r, c, request)
	for _, p := range r.plugins {
		env, err := p.Envelope(c, req)
		if err != nil {
			a.Err, a.Plugin = err, p.Name()
			return a
		}
		st := step{Plugin: p.Name(), Envelope: env}
		if prev, ok := r.stopped[p.Name()]; ok {
			a.Steps = append(a.Steps, st)
			a.Err, a.Plugin = stoppedError{prev}, p.Name()
			return a
		}
		var stats plugin.CallStats
		out, err := p.Call(plugin.WithCallStats(ctx, &stats), env)
		st.Fuel, st.Called = stats.Fuel, true
		r.fuel.record(call, p.Name(), stats.Fuel, err)
		a.Output = out
		if err != nil {
			if stopsPlugin(err) {
				r.stopped[p.Name()] = err
			}
			a.Steps = append(a.Steps, st)
			a.Err, a.Plugin = err, p.Name()
			return a
		}
		next, refusal, err := decodeOutput(out)
		switch {
		case err != nil:
			a.Err, a.Plugin = fmt.Errorf("plugin %s: %w", p.Name(), err), p.Name()
		case refusal != nil:
			if fc, ok := abi.LookupFaultCode(refusal.Code); ok {
				a.Err, a.Plugin = kitFault{plugin: p.Name(), refusal: *refusal, code: fc}, p.Name()
				break
			}
			a.Refusal, a.Plugin = refusal, p.Name()
		}
		st.Request = next
		a.Steps = append(a.Steps, st)
		if next == nil {
			return a
		}
		req = next
	}
	a.Request = req
	return a
}

// decodeOutput checks an ABI v1 output: exactly one of request (an object)
// or error (a non-empty code and message). It reads the output as the host
// does (schemas.DecodeObject), so output naming a member twice or nested
// past inputlimit.MaxDepth fails here as it fails in a pipeline.
func decodeOutput(out []byte) (request []byte, refusal *abi.PluginError, err error) {
	_, o, err := schemas.DecodeObject(out)
	if err != nil {
		return nil, nil, fmt.Errorf("output is not a JSON object the host reads: %w", err)
	}
	for k := range o {
		if k != "request" && k != "error" {
			return nil, nil, fmt.Errorf("output has the member %q; an output is {\"request\": {...}} or {\"error\": {\"code\", \"message\"}}", k)
		}
	}
	reqRaw, hasReq := o["request"]
	errRaw, hasErr := o["error"]
	switch {
	case hasReq && hasErr:
		return nil, nil, errors.New(`output has both "request" and "error"; return exactly one`)
	case hasErr:
		var pe abi.PluginError
		if err := json.Unmarshal(errRaw, &pe); err != nil || strings.TrimSpace(pe.Code) == "" || strings.TrimSpace(pe.Message) == "" {
			return nil, nil, fmt.Errorf(`"error" must be {"code": non-empty string, "message": non-empty string}, got %s`, preview(errRaw))
		}
		return nil, &pe, nil
	case hasReq:
		t := bytes.TrimSpace(reqRaw)
		if len(t) == 0 || t[0] != '{' {
			return nil, nil, fmt.Errorf(`"request" must be a JSON object, got %s`, preview(t))
		}
		return t, nil, nil
	}
	return nil, nil, errors.New(`output has neither "request" nor "error"`)
}

func preview(b []byte) string {
	const max = 120
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// membersFromPlugin describes a single plugin file as the subject.
func membersFromPlugin(path string, config map[string]any, grants plugin.Grants) ([]Member, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("conformance: plugin %s: %w (%s)", path, err, buildhint.For(path))
	}
	name := strings.TrimSuffix(filepath.Base(path), ".wasm")
	entry := pipeline.Entry{Name: name, Path: absPath(path), Config: config, Grants: pipeline.EntryGrants{Env: grants.Env}}
	for _, d := range grants.Dirs {
		entry.Grants.Dirs = append(entry.Grants.Dirs, pipeline.EntryDir{Host: absPath(d.Host), Guest: d.Guest})
	}
	return []Member{{Name: name, Path: path, Config: config, Grants: grants, entry: &entry}}, nil
}

// absPath is path made absolute, or path itself when it cannot be.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
