package plugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/instrument"
)

// RuntimeOptions configures a Runtime.
type RuntimeOptions struct {
	// CacheDir is where compiled plugins are cached on disk. "" means the
	// default, DefaultCacheDir(); "-" disables the disk cache, as the CLI's
	// --cache-dir - does (a directory named "-" is "./-").
	CacheDir string
	// Deterministic fixes the clock plugins see and makes their randomness a
	// stream seeded by Seed, restarted at every call.
	Deterministic bool
	// Seed seeds deterministic randomness.
	Seed int64
	// Logger receives plugin logs (agentshape.log, reactor stdout/stderr),
	// tagged plugin=<name>. nil discards them.
	Logger *slog.Logger
	// Engine chooses how wazero runs plugin code; the zero value,
	// EngineAuto, compiles where wazero's compiler supports the platform and
	// interprets elsewhere.
	Engine Engine
	// Stop chooses how a plugin past its timeout is stopped; the zero
	// value, StopByChecks, is the host's own instrumentation.
	Stop StopMechanism

	// unguarded loads modules without the stop-flag instrumentation; only
	// for the benchmark that measures its cost. Timeouts are not enforced.
	unguarded bool
	// unmetered instruments modules with the timeout check as it was before
	// fuel (a tick counting up, a trip into Go every 4096th); only for the
	// benchmark that measures what metering costs. Fuel reads zero.
	unmetered bool
	// heapMemory keeps plugin memory on the Go heap, grown by appending, as
	// on systems without mapped memory; only for the benchmark that compares
	// the two.
	heapMemory bool
	// uncheckedHostCalls gives plugins wazero's WASI and agentshape.log
	// without the deadline check (hostcalls.go); only for the benchmark that
	// measures its cost. Timeouts are then missed inside host calls.
	uncheckedHostCalls bool
}

// Runtime is one wazero runtime shared by every plugin of a host. It is safe
// for concurrent use.
type Runtime struct {
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	cacheDir string
	opts     RuntimeOptions
	logger   *slog.Logger
	wasi     map[string]api.FunctionDefinition

	mu      sync.Mutex
	plugins map[*Plugin]struct{}
	closed  bool

	// compiling serialises compilations of identical module bytes: wazero
	// v1.12.0 races when the same module is compiled concurrently from a warm
	// file cache (the second caller can see the first one's compiled module
	// before its entry preambles exist and panic at instantiation).
	compiling sync.Map // moduleKey -> *sync.Mutex
}

// DefaultCacheDir returns the default compilation cache directory,
// <user cache dir>/agentshape/wazero.
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("plugin: no user cache directory (%w); set a cache dir explicitly or disable the cache", err)
	}
	return filepath.Join(base, "agentshape", "wazero"), nil
}

// NewRuntime creates the wazero runtime (opts.Engine: the compiler where
// wazero supports the platform, its interpreter elsewhere; an on-disk
// compilation cache) with the WASI and agentshape host modules instantiated.
// Timeouts, fuel and the call stack budget are enforced by checks every
// loaded module is instrumented with (internal/instrument), not by wazero's close-on-context-done,
// unless opts.Stop chooses that fallback.
func NewRuntime(ctx context.Context, opts RuntimeOptions) (*Runtime, error) {
	r := &Runtime{opts: opts, logger: opts.Logger, plugins: map[*Plugin]struct{}{}}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := opts.Engine.config()
	if err != nil {
		return nil, err
	}
	if opts.Stop != StopByChecks && opts.Stop != StopByWazero {
		return nil, fmt.Errorf("plugin: unknown stop mechanism %d; use StopByChecks or StopByWazero", opts.Stop)
	}
	cfg = cfg.WithCloseOnContextDone(opts.Stop == StopByWazero).
		WithCoreFeatures(api.CoreFeaturesV2)
	if opts.CacheDir != "-" {
		dir := opts.CacheDir
		var err error
		if dir == "" {
			dir, err = DefaultCacheDir()
		}
		var cache wazero.CompilationCache
		if err == nil {
			cache, err = wazero.NewCompilationCacheWithDir(dir)
			if err != nil {
				err = fmt.Errorf("plugin: compilation cache at %s: %w (choose another cache dir or disable the cache)", dir, err)
			}
		}
		switch {
		case err == nil:
			r.cache, r.cacheDir = cache, dir
			cfg = cfg.WithCompilationCache(cache)
		case opts.CacheDir != "":
			return nil, err // an explicit cache dir must work
		default: // the default location is a convenience: run without it
			r.logger.Warn("plugins will be compiled on every start: no usable compilation cache", "err", err)
		}
	}
	if opts.Stop == StopByWazero {
		r.logger.Warn("plugins are stopped by wazero's close-on-context-done, not the host's checks: no fuel, no stack budget, and a recursion without loops runs past its timeout; use this fallback only with plugins you trust")
	}
	r.rt = wazero.NewRuntimeWithConfig(ctx, cfg)
	if err := instantiateWASI(ctx, r.rt, opts.uncheckedHostCalls); err != nil {
		_ = r.Close(ctx)
		return nil, fmt.Errorf("plugin: instantiate WASI: %w", err)
	}
	r.wasi = r.rt.Module(abi.WASIModule).ExportedFunctionDefinitions()
	if err := instantiateHostModule(ctx, r.rt, opts.uncheckedHostCalls); err != nil {
		_ = r.Close(ctx)
		return nil, fmt.Errorf("plugin: instantiate host module %q: %w", abi.HostModule, err)
	}
	if err := instantiateInternalModule(ctx, r.rt); err != nil {
		_ = r.Close(ctx)
		return nil, fmt.Errorf("plugin: instantiate host module %q: %w", instrument.ImportModule, err)
	}
	return r, nil
}

// CacheDir returns the compilation cache directory in use, or "" when the
// disk cache is disabled.
func (r *Runtime) CacheDir() string { return r.cacheDir }

// Close closes every plugin loaded in the runtime, the runtime and the cache.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	ps := make([]*Plugin, 0, len(r.plugins))
	for p := range r.plugins {
		ps = append(ps, p)
	}
	r.mu.Unlock()
	var errs []error
	for _, p := range ps {
		errs = append(errs, p.Close(ctx))
	}
	if r.rt != nil {
		errs = append(errs, r.rt.Close(ctx))
	}
	if r.cache != nil {
		errs = append(errs, r.cache.Close(ctx))
	}
	return errors.Join(errs...)
}

func (r *Runtime) forget(p *Plugin) {
	r.mu.Lock()
	delete(r.plugins, p)
	r.mu.Unlock()
}

// loggerKey carries a per-call logger in a context.
type loggerKey struct{}

// WithLogger returns a context whose plugin calls log to l (tagged
// plugin=<name>) instead of the runtime's logger.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// callLoggerKey carries the resolved plugin logger (already tagged) of a call.
type callLoggerKey struct{}
