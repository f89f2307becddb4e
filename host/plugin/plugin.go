package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/instrument"
)

// Plugin is a loaded, verified and compiled plugin. Call and Shape are safe
// for concurrent use: a reactor serves up to Limits.PoolSize calls at once
// from pre-initialised instances, a command runs a fresh instance per call.
type Plugin struct {
	name      string
	kind      Kind
	rt        *Runtime
	compiled  wazero.CompiledModule
	limits    Limits
	config    map[string]any
	logger    *slog.Logger
	envPrefix []byte
	sandbox   sandbox // granted env and read-only dirs

	sem  chan struct{}  // concurrency tokens
	idle chan *instance // pre-initialised reactor instances

	closed       atomic.Bool
	instantiated atomic.Int64
	discarded    atomic.Int64
	calls        atomic.Int64
}

// Name returns the plugin's name.
func (p *Plugin) Name() string { return p.name }

// Kind returns Reactor or Command.
func (p *Plugin) Kind() Kind { return p.kind }

// Limits returns the plugin's effective limits.
func (p *Plugin) Limits() Limits { return p.limits }

// Close discards the plugin's instances and compiled code. Calls in flight
// finish; later calls fail with ErrClosed.
func (p *Plugin) Close(ctx context.Context) error {
	if p.closed.Swap(true) {
		return nil
	}
	p.drainIdle(ctx)
	p.rt.forget(p)
	p.sandbox.close()
	return p.compiled.Close(ctx)
}

// Call runs the plugin on a raw envelope (UTF-8 JSON) and returns its raw
// output, checked to be a JSON object within Limits.MaxOutputBytes. Most
// callers want Shape.
func (p *Plugin) Call(ctx context.Context, envelope []byte) ([]byte, error) {
	if p.kind == Command {
		return p.callCommand(ctx, envelope)
	}
	return p.callReactor(ctx, envelope)
}

func (p *Plugin) callReactor(ctx context.Context, env []byte) ([]byte, error) {
	began := time.Now()
	inst, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	l := p.callLogger(ctx, &inst.logN, inst.logger)
	var cctx sliceClock
	var finish func()
	if ctx.Done() == nil {
		// Fast path: the caller can never cancel, so only our deadline matters.
		inst.cctx.begin(ctx, l, p.limits.Timeout)
		cctx, finish = inst.cctx, inst.cctx.end
	} else {
		tctx, cancel := context.WithTimeout(context.WithValue(ctx, callLoggerKey{}, l), p.limits.Timeout)
		cctx, finish = withSliceClock(tctx).(sliceClock), cancel
	}
	meter := cctx.meter()
	meter.start(inst.fuel, p.limits.Fuel)
	inst.stdout.logger, inst.stderr.logger = l, l
	if inst.det != nil {
		inst.det.reset()
	}
	inst.rand.reset()
	ended := inst.guard.running()
	out, err := p.roundTrip(ctx, cctx, inst, env)
	recordStats(ctx, began, meter, inst.mem)
	ended()
	// Disarm before the instance can go back to the pool: another caller may
	// arm its context as soon as it is released.
	finish()
	inst.stdout.endCall()
	inst.stderr.endCall()
	if err != nil {
		p.release(ctx, inst, false)
		return nil, err
	}
	if cerr := checkObject(out); cerr != nil {
		p.release(ctx, inst, false)
		return nil, newError(p.name, PhaseDecode, ErrBadOutput, "%w", cerr)
	}
	// When the deadline passed just as the plugin finished, the answer
	// stands (the checks stop a plugin only while it runs), and so does the
	// instance.
	p.release(ctx, inst, true)
	return out, nil
}

func (p *Plugin) roundTrip(parent, ctx context.Context, inst *instance, env []byte) ([]byte, error) {
	if uint64(len(env)) > 1<<31 {
		return nil, newError(p.name, PhaseCall, ErrABI, "envelope of %d bytes is too large for a 32-bit plugin", len(env))
	}
	st := inst.stack[:]
	st[0] = uint64(len(env))
	if err := inst.alloc.CallWithStack(ctx, st); err != nil {
		return nil, p.classify(parent, PhaseCall, inst.guard, nil, fmt.Errorf("alloc(%d): %w", len(env), err))
	}
	ptr := uint32(st[0])
	if !inst.mem.Write(ptr, env) {
		return nil, newError(p.name, PhaseCall, ErrABI, "alloc(%d) returned %#x, which is outside the plugin's %d-byte memory; alloc must return a pointer to size writable bytes", len(env), ptr, inst.mem.Size())
	}
	st[0], st[1] = uint64(ptr), uint64(len(env))
	if err := inst.shape.CallWithStack(ctx, st); err != nil {
		return nil, p.classify(parent, PhaseCall, inst.guard, nil, fmt.Errorf("shape: %w", err))
	}
	outPtr, outLen := uint32(st[0]>>32), uint32(st[0])
	if uint64(outLen) > uint64(p.limits.MaxOutputBytes) {
		return nil, newError(p.name, PhaseCall, ErrOutputTooLarge, "output is %d bytes, over limits.maxOutputBytes %d; return a smaller request or raise the limit", outLen, p.limits.MaxOutputBytes)
	}
	b, ok := inst.mem.Read(outPtr, outLen)
	if !ok {
		return nil, newError(p.name, PhaseCall, ErrABI, "shape returned output at %#x length %d, which is outside the plugin's %d-byte memory; return (out_ptr << 32) | out_len of bytes in memory", outPtr, outLen, inst.mem.Size())
	}
	return bytes.Clone(b), nil
}

func (p *Plugin) callCommand(ctx context.Context, env []byte) ([]byte, error) {
	began := time.Now()
	if err := p.acquireToken(ctx); err != nil {
		return nil, err
	}
	defer func() { <-p.sem }()
	guard := p.newGuard()
	det := p.newDet()
	var logN atomic.Int32
	cctx, cancel := p.callContext(ctx, guard, &logN, p.limits.Timeout)
	defer cancel()
	l := cctx.Value(callLoggerKey{}).(*slog.Logger)
	stdout := &cappedBuffer{max: p.limits.MaxOutputBytes}
	stderr := &logWriter{logger: l, level: slog.LevelWarn, stream: "stderr"}
	defer stderr.endCall()
	cfg := p.moduleConfig(det, newRand(det)).WithStdin(bytes.NewReader(env)).WithStdout(stdout).WithStderr(stderr)
	if det != nil {
		det.reset()
	}
	mod, err := p.rt.rt.InstantiateModule(cctx, p.compiled, cfg)
	if err != nil {
		return nil, p.classify(ctx, PhaseInstantiate, guard, stdout, err)
	}
	p.instantiated.Add(1)
	defer mod.Close(ctx)
	defer guard.running()()
	fillStack(mod)
	meter := cctx.(sliceClock).meter()
	meter.start(fuelGlobal(mod), p.limits.Fuel)
	defer recordStats(ctx, began, meter, mod.ExportedMemory(abi.MemoryExport))
	for _, name := range []string{instrument.StartExport, abi.StartExport} {
		f := mod.ExportedFunction(name)
		if f == nil {
			continue
		}
		_, err = f.Call(cctx)
		var ee *sys.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 0) {
			return nil, p.classify(ctx, PhaseCall, guard, stdout, fmt.Errorf("%s: %w", startName(name), err))
		}
	}
	if stdout.overflow {
		return nil, newError(p.name, PhaseCall, ErrOutputTooLarge, "output is over limits.maxOutputBytes %d; write a smaller request or raise the limit", p.limits.MaxOutputBytes)
	}
	out := stdout.buf.Bytes()
	if err := checkObject(out); err != nil {
		return nil, newError(p.name, PhaseDecode, ErrBadOutput, "%w", err)
	}
	return out, nil
}

// Shape runs the plugin on the context and the request shaped so far (nil
// means {}) and returns the plugin's new request. A plugin that answers
// {"error": ...} yields an *Error of kind ErrPluginRefused wrapping the
// *abi.PluginError.
func (p *Plugin) Shape(ctx context.Context, c abi.Context, request json.RawMessage) (json.RawMessage, error) {
	req, _, err := p.ShapeDecoded(ctx, c, request)
	return req, err
}

// ShapeDecoded is Shape that also returns the new request decoded, as
// schemas.Decode decodes it (objects as map[string]any, numbers as
// json.Number), from the one decoding that checks the output: a caller
// that needs the value as well as the text (a pipeline, for field
// provenance) need not decode the request again. The value is the
// caller's; nothing else holds it.
func (p *Plugin) ShapeDecoded(ctx context.Context, c abi.Context, request json.RawMessage) (json.RawMessage, map[string]any, error) {
	env, err := p.Envelope(c, request)
	if err != nil {
		return nil, nil, err
	}
	out, err := p.Call(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	return p.decodeOutput(out)
}

// Envelope encodes the input envelope the plugin receives for c and request.
func (p *Plugin) Envelope(c abi.Context, request json.RawMessage) ([]byte, error) {
	cj, err := json.Marshal(c)
	if err != nil {
		return nil, newError(p.name, PhaseCall, ErrABI, "encode context: %w", err)
	}
	req := bytes.TrimSpace(request)
	if len(req) == 0 {
		req = []byte("{}")
	} else if req[0] != '{' || !json.Valid(req) {
		return nil, newError(p.name, PhaseCall, ErrABI, "the request given to the plugin is not a JSON object (starts %q)", preview(req))
	}
	env := make([]byte, 0, len(p.envPrefix)+len(cj)+len(req)+16)
	env = append(env, p.envPrefix...)
	env = append(env, cj...)
	env = append(env, `,"request":`...)
	env = append(env, req...)
	env = append(env, '}')
	return env, nil
}
