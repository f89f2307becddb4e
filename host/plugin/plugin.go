package plugin

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/instrument"
	"github.com/agentshape/agentshape/schemas"
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

// PoolStats counts what a plugin's pool did.
type PoolStats struct {
	// Instantiated counts instances created (including the one made at load).
	Instantiated int
	// Discarded counts instances thrown away after a fault.
	Discarded int
	// Calls counts calls made.
	Calls int
}

// Name returns the plugin's name.
func (p *Plugin) Name() string { return p.name }

// Kind returns Reactor or Command.
func (p *Plugin) Kind() Kind { return p.kind }

// Limits returns the plugin's effective limits.
func (p *Plugin) Limits() Limits { return p.limits }

// Stats returns a snapshot of the pool's counters.
func (p *Plugin) Stats() PoolStats {
	return PoolStats{Instantiated: int(p.instantiated.Load()), Discarded: int(p.discarded.Load()), Calls: int(p.calls.Load())}
}

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

// instance is one instantiated module with its per-instance sandbox state.
type instance struct {
	mod    api.Module
	mem    api.Memory
	alloc  api.Function
	shape  api.Function
	guard  *memoryGuard
	det    *detSource
	rand   *randBudget // random_get's source, within its per-call budget
	stdout *logWriter
	stderr *logWriter
	stack  [2]uint64
	fuel   api.MutableGlobal // the fuel countdown (fuel.go); nil when unguarded
	cctx   *callCtx
	logger *slog.Logger // the runtime's logger, limited by logN
	logN   atomic.Int32 // log messages in the current call
}

func (i *instance) close(ctx context.Context) {
	_ = i.mod.Close(ctx)
	if i.cctx != nil {
		i.cctx.timer.Stop()
	}
}

// detSource is the clock and randomness of a plugin in deterministic mode:
// restarted at each call so the same envelope gives the same output whichever
// pooled instance serves it.
type detSource struct {
	seed [32]byte
	rng  *mrand.ChaCha8
	now  int64
}

func newDetSource(seed int64, plugin string) *detSource {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	d := &detSource{seed: sha256.Sum256(append(b[:], plugin...))}
	d.rng = mrand.NewChaCha8(d.seed)
	return d
}

func (d *detSource) reset() {
	d.rng.Seed(d.seed)
	d.now = 0
}

// Read implements io.Reader for random_get.
func (d *detSource) Read(p []byte) (int, error) { return d.rng.Read(p) }

// nanotime advances 1 µs per reading, from zero at every call.
func (d *detSource) nanotime() int64 {
	d.now += int64(time.Microsecond)
	return d.now
}

// fixedTime is the wall clock plugins see in deterministic mode
// (plugins/ABI.md states it).
var fixedTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func fixedWalltime() (int64, int32) { return fixedTime.Unix(), 0 }

// moduleConfig is the sandbox: no args, no env, no preopens (wazero grants
// none unless asked), no sockets, no start functions, host clock (det's in
// deterministic mode) and random drawn from random; then the plugin's own
// grants (Spec.Grants), if any.
func (p *Plugin) moduleConfig(det *detSource, random *randBudget) wazero.ModuleConfig {
	cfg := p.sandbox.apply(wazero.NewModuleConfig().WithName("").WithStartFunctions()).WithRandSource(random)
	if det != nil {
		return cfg.WithWalltime(fixedWalltime, sys.ClockResolution(1)).
			WithNanotime(det.nanotime, sys.ClockResolution(1))
	}
	return cfg.WithSysWalltime().WithSysNanotime()
}

// newRand returns the random source of an instance: det in deterministic
// mode, the operating system's CSPRNG otherwise, within the per-call budget.
func newRand(det *detSource) *randBudget {
	if det != nil {
		return newRandBudget(det)
	}
	return newRandBudget(rand.Reader)
}

// callLogger is the logger of one call: the caller's (WithLogger) or the
// runtime's, tagged plugin=<name>, limited to maxLogMessages messages counted
// in n. cached is a ready logger over n for the runtime's logger, or nil.
func (p *Plugin) callLogger(ctx context.Context, n *atomic.Int32, cached *slog.Logger) *slog.Logger {
	n.Store(0)
	if cl, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && cl != nil {
		return slog.New(&limitHandler{inner: cl.With("plugin", p.name).Handler(), n: n})
	}
	if cached != nil {
		return cached
	}
	return slog.New(&limitHandler{inner: p.logger.Handler(), n: n})
}

// maxLogMessages is how many log messages (agentshape.log calls plus
// stdout/stderr lines) one call or _initialize may write; later ones are
// dropped, with one warning saying so.
const maxLogMessages = 256

// limitHandler passes at most maxLogMessages records per call to inner.
type limitHandler struct {
	inner slog.Handler
	n     *atomic.Int32
}

// Enabled implements slog.Handler. Once the call's messages are used up (and
// the warning is out) it answers false, so that callers skip copying what
// would be dropped.
func (h *limitHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.n.Load() <= maxLogMessages && h.inner.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *limitHandler) Handle(ctx context.Context, r slog.Record) error {
	switch n := h.n.Add(1); {
	case n <= maxLogMessages:
		return h.inner.Handle(ctx, r)
	case n == maxLogMessages+1:
		w := slog.NewRecord(r.Time, slog.LevelWarn, fmt.Sprintf("plugin wrote more than %d log messages in one call; dropping the rest of this call's messages", maxLogMessages), 0)
		return h.inner.Handle(ctx, w)
	}
	return nil
}

// WithAttrs implements slog.Handler.
func (h *limitHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &limitHandler{inner: h.inner.WithAttrs(as), n: h.n}
}

// WithGroup implements slog.Handler.
func (h *limitHandler) WithGroup(name string) slog.Handler {
	return &limitHandler{inner: h.inner.WithGroup(name), n: h.n}
}

// startName names a start-up export in errors as plugin authors know it.
func startName(export string) string {
	if export == instrument.StartExport {
		return "start function"
	}
	return export
}

// callContext derives the context of one call: timeout, memory guard,
// logger (limited by n) and the slice clock of the timeout checks.
func (p *Plugin) callContext(ctx context.Context, guard *memoryGuard, n *atomic.Int32, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(ctx, callLoggerKey{}, p.callLogger(ctx, n, nil))
	if guard != nil {
		ctx = experimental.WithMemoryAllocator(ctx, guard)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return withSliceClock(ctx), cancel
}

// MinInitTimeout is the least time a reactor's instantiation and _initialize
// get (the plugin's call timeout when longer): a language runtime's start-up
// (Go's takes tens of milliseconds) must not fail on a busy machine, while an
// endless _initialize is still stopped.
const MinInitTimeout = 10 * time.Second

func (p *Plugin) initTimeout() time.Duration {
	if p.limits.InitTimeout > 0 {
		return p.limits.InitTimeout
	}
	return max(p.limits.Timeout, MinInitTimeout)
}

func (p *Plugin) newGuard() *memoryGuard {
	return &memoryGuard{limitBytes: uint64(p.limits.MemoryMaxPages) * pageSize, heap: p.rt.opts.heapMemory}
}

func (p *Plugin) newDet() *detSource {
	if !p.rt.opts.Deterministic {
		return nil
	}
	return newDetSource(p.rt.opts.Seed, p.name)
}

// instantiate creates a reactor instance and runs _initialize once.
func (p *Plugin) instantiate(ctx context.Context) (*instance, error) {
	inst := &instance{guard: p.newGuard(), det: p.newDet(), cctx: newCallCtx()}
	inst.rand = newRand(inst.det)
	inst.logger = slog.New(&limitHandler{inner: p.logger.Handler(), n: &inst.logN})
	cctx, cancel := p.callContext(ctx, inst.guard, &inst.logN, p.initTimeout())
	defer cancel()
	l := cctx.Value(callLoggerKey{}).(*slog.Logger)
	inst.stdout = &logWriter{logger: l, level: slog.LevelInfo, stream: "stdout"}
	inst.stderr = &logWriter{logger: l, level: slog.LevelWarn, stream: "stderr"}
	defer inst.stdout.endCall() // also when start-up fails: its stderr may say why
	defer inst.stderr.endCall()
	cfg := p.moduleConfig(inst.det, inst.rand).WithStdout(inst.stdout).WithStderr(inst.stderr)
	if inst.det != nil {
		inst.det.reset()
	}
	mod, err := p.rt.rt.InstantiateModule(cctx, p.compiled, cfg)
	if err != nil {
		return nil, p.classify(ctx, PhaseInstantiate, inst.guard, nil, err)
	}
	inst.mod = mod
	inst.fuel = fuelGlobal(mod)
	defer inst.guard.running()()
	fillStack(mod)
	p.instantiated.Add(1)
	for _, name := range []string{instrument.StartExport, abi.InitializeExport} {
		if f := mod.ExportedFunction(name); f != nil {
			if _, err := f.Call(cctx); err != nil {
				inst.close(ctx)
				return nil, p.classify(ctx, PhaseInstantiate, inst.guard, nil, fmt.Errorf("%s: %w", startName(name), err))
			}
		}
	}
	inst.mem = mod.ExportedMemory(abi.MemoryExport)
	inst.alloc = mod.ExportedFunction(abi.AllocExport)
	inst.shape = mod.ExportedFunction(abi.ShapeExport)
	return inst, nil
}

func (p *Plugin) acquireToken(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return newError(p.name, PhaseCall, ErrCanceled, "%w", err)
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return newError(p.name, PhaseCall, ErrCanceled, "waiting for a free instance: %w", ctx.Err())
	}
	p.calls.Add(1)
	if p.closed.Load() {
		<-p.sem
		return newError(p.name, PhaseCall, ErrClosed, "the plugin is closed; load it again")
	}
	return nil
}

func (p *Plugin) acquire(ctx context.Context) (*instance, error) {
	if err := p.acquireToken(ctx); err != nil {
		return nil, err
	}
	select {
	case inst := <-p.idle:
		return inst, nil
	default:
	}
	inst, err := p.instantiate(ctx)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return inst, nil
}

// release returns a healthy instance to the pool, or discards it.
func (p *Plugin) release(ctx context.Context, inst *instance, healthy bool) {
	defer func() { <-p.sem }()
	if !healthy {
		p.discarded.Add(1)
		inst.close(ctx)
		return
	}
	select {
	case p.idle <- inst:
	default:
		inst.close(ctx)
		return
	}
	if p.closed.Load() { // Close may have drained the pool before our send
		p.drainIdle(ctx)
	}
}

// drainIdle closes every idle instance.
func (p *Plugin) drainIdle(ctx context.Context) {
	for {
		select {
		case inst := <-p.idle:
			inst.close(ctx)
		default:
			return
		}
	}
}

// Warm fills a reactor's pool up to Limits.PoolSize pre-initialised
// instances, so that the first concurrent calls do not pay for instantiation
// and _initialize. Load creates one instance; servers and benchmarks that
// expect concurrency call Warm once after Load. Calls wait while Warm runs.
// It does nothing for command plugins.
func (p *Plugin) Warm(ctx context.Context) error {
	if p.kind != Reactor {
		return nil
	}
	n := cap(p.sem)
	for i := 0; i < n; i++ {
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			for ; i > 0; i-- {
				<-p.sem
			}
			return newError(p.name, PhaseInstantiate, ErrCanceled, "warming the pool: %w", ctx.Err())
		}
	}
	defer func() {
		for i := 0; i < n; i++ {
			<-p.sem
		}
	}()
	if p.closed.Load() {
		return newError(p.name, PhaseInstantiate, ErrClosed, "the plugin is closed; load it again")
	}
	for len(p.idle) < n {
		inst, err := p.instantiate(ctx)
		if err != nil {
			return err
		}
		p.idle <- inst
	}
	return nil
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

func checkObject(out []byte) error {
	t := bytes.TrimLeft(out, " \t\r\n")
	if len(t) == 0 {
		return errors.New("output is empty; write {\"request\": {...}} or {\"error\": {...}}")
	}
	if t[0] != '{' || !json.Valid(t) {
		return fmt.Errorf("output is not a JSON object (starts %q); write {\"request\": {...}} or {\"error\": {...}} as UTF-8 JSON", preview(t))
	}
	return nil
}

func preview(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
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

// classify turns a wazero failure into a typed *Error. The host stops a
// plugin (deadline passed or caller gone, stopcheck.go and hostcalls.go) by
// trapping it with wazero's exit codes for a context that is done.
func (p *Plugin) classify(parent context.Context, phase Phase, guard *memoryGuard, stdout *cappedBuffer, err error) *Error {
	if guard != nil && guard.hit.Load() {
		return newError(p.name, phase, ErrMemoryLimit, "the plugin tried to grow its memory past limits.memoryMaxPages %d (%d MiB); use less memory or raise the limit: %w", p.limits.MemoryMaxPages, p.limits.MemoryMaxPages/16, err)
	}
	stopped := false
	var ee *sys.ExitError
	if errors.As(err, &ee) {
		switch ee.ExitCode() {
		case sys.ExitCodeDeadlineExceeded, sys.ExitCodeContextCanceled:
			stopped = true
		}
	}
	if stopped {
		if perr := parent.Err(); perr != nil {
			return newError(p.name, phase, ErrCanceled, "the caller's context ended: %w", perr)
		}
		if phase == PhaseInstantiate && p.kind == Reactor {
			return newError(p.name, phase, ErrTimeout, "instantiation and _initialize did not finish within %s; look for an endless loop in start-up code", p.initTimeout())
		}
		return newError(p.name, phase, ErrTimeout, "did not finish within limits.timeout %s; look for an endless loop or runaway recursion, or raise the limit", p.limits.Timeout)
	}
	if errors.Is(err, errFuelTrap) {
		return newError(p.name, phase, ErrFuelExhausted, "the call used more than limits.fuel %d (fuel counts loop iterations and recursive calls, plugins/ABI.md §8); look for an endless loop, do less work per call, or raise the limit", p.limits.Fuel)
	}
	if be := (*budgetError)(nil); errors.As(err, &be) {
		return newError(p.name, phase, ErrTrap, "%w", be)
	}
	if ee != nil {
		if stdout != nil && stdout.overflow {
			return newError(p.name, phase, ErrOutputTooLarge, "output is over limits.maxOutputBytes %d: %w", p.limits.MaxOutputBytes, err)
		}
		return newError(p.name, phase, ErrTrap, "the plugin exited with code %d (a Go or C runtime panic or abort exits like this; see the plugin's stderr in the log)", ee.ExitCode())
	}
	if stdout != nil && stdout.overflow {
		return newError(p.name, phase, ErrOutputTooLarge, "output is over limits.maxOutputBytes %d: %w", p.limits.MaxOutputBytes, err)
	}
	if errors.Is(err, errStackExhausted) {
		return newError(p.name, phase, ErrTrap, "stack overflow (unbounded recursion?): the plugin's calls nest deeper than its stack budget of %d KiB allows: %w", instrument.StackBudget>>10, err)
	}
	if strings.Contains(err.Error(), "stack overflow") {
		return newError(p.name, phase, ErrTrap, "stack overflow (unbounded recursion?): %w", err)
	}
	return newError(p.name, phase, ErrTrap, "%w", err)
}

// cappedBuffer keeps at most max bytes and remembers if more were written.
type cappedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

// Write implements io.Writer; bytes past the cap are dropped.
func (c *cappedBuffer) Write(b []byte) (int, error) {
	if room := c.max - c.buf.Len(); len(b) > room {
		c.overflow = true
		if room > 0 {
			c.buf.Write(b[:room])
		}
		return len(b), nil
	}
	return c.buf.Write(b)
}

// Shape runs the plugin on the context and the request shaped so far (nil
// means {}) and returns the plugin's new request. A plugin that answers
// {"error": ...} yields an *Error of kind ErrPluginRefused wrapping the
// *abi.PluginError.
func (p *Plugin) Shape(ctx context.Context, c abi.Context, request json.RawMessage) (json.RawMessage, error) {
	env, err := p.Envelope(c, request)
	if err != nil {
		return nil, err
	}
	out, err := p.Call(ctx, env)
	if err != nil {
		return nil, err
	}
	return p.decodeOutput(out)
}

// Decode checks raw output from Call as an ABI v1 output and returns its
// request, or an *Error (ErrPluginRefused wrapping *abi.PluginError for a
// refusal, ErrBadOutput for anything else that is not a valid output).
func (p *Plugin) Decode(out []byte) (json.RawMessage, error) { return p.decodeOutput(out) }

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

// decodeOutput checks an ABI v1 output: exactly one of request (an object) or
// error ({code, message}). It is decoded with the project's JSON decoder,
// which refuses a member named twice (at any depth: encoding/json would
// keep the last) and nesting deeper than inputlimit.MaxDepth.
func (p *Plugin) decodeOutput(out []byte) (json.RawMessage, error) {
	o, raw, err := schemas.DecodeObject(out)
	if err != nil {
		return nil, newError(p.name, PhaseDecode, ErrBadOutput, "%w", err)
	}
	for k := range o {
		if k != "request" && k != "error" {
			return nil, newError(p.name, PhaseDecode, ErrBadOutput, "output has unknown member %q; the output is {\"request\": {...}} or {\"error\": {\"code\": ..., \"message\": ...}}", k)
		}
	}
	req, hasReq := o["request"]
	perr, hasErr := o["error"]
	switch {
	case hasReq && hasErr:
		return nil, newError(p.name, PhaseDecode, ErrBadOutput, "output has both \"request\" and \"error\"; return exactly one")
	case hasErr:
		m, _ := perr.(map[string]any)
		code, _ := m["code"].(string)
		msg, _ := m["message"].(string)
		if len(m) != 2 || code == "" || msg == "" {
			return nil, newError(p.name, PhaseDecode, ErrBadOutput, "\"error\" must be {\"code\": non-empty string, \"message\": non-empty string}, got %s", preview(raw["error"]))
		}
		return nil, &Error{Plugin: p.name, Phase: PhaseDecode, Kind: ErrPluginRefused, Err: &abi.PluginError{Code: code, Message: msg}}
	case hasReq:
		if _, ok := req.(map[string]any); !ok {
			return nil, newError(p.name, PhaseDecode, ErrBadOutput, "\"request\" must be a JSON object (the whole new request), got %s", preview(raw["request"]))
		}
		return raw["request"], nil
	}
	return nil, newError(p.name, PhaseDecode, ErrBadOutput, "output has neither \"request\" nor \"error\"")
}
