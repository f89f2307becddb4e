package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/instrument"
)

// A reactor's pool: pre-initialised instances (instantiate runs
// _initialize once each), at most Limits.PoolSize calls at a time, an
// instance discarded after any fault.

// PoolStats counts what a plugin's pool did.
type PoolStats struct {
	// Instantiated counts instances created (including the one made at load).
	Instantiated int
	// Discarded counts instances thrown away after a fault.
	Discarded int
	// Calls counts calls made.
	Calls int
}

// Stats returns a snapshot of the pool's counters.
func (p *Plugin) Stats() PoolStats {
	return PoolStats{Instantiated: int(p.instantiated.Load()), Discarded: int(p.discarded.Load()), Calls: int(p.calls.Load())}
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

// startName names a start-up export in errors as plugin authors know it.
func startName(export string) string {
	if export == instrument.StartExport {
		return "start function"
	}
	return export
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
