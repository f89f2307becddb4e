package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero/sys"

	"github.com/agentshape/agentshape/internal/instrument"
)

// Phase names the step of a plugin's life in which an error happened.
type Phase string

// Phases reported in *Error.
const (
	// PhaseLoad covers reading the module, the sha256 pin and the ABI checks
	// of its imports and exports.
	PhaseLoad Phase = "load"
	// PhaseCompile is wazero compiling the module to machine code.
	PhaseCompile Phase = "compile"
	// PhaseInstantiate covers creating an instance and running _initialize.
	PhaseInstantiate Phase = "instantiate"
	// PhaseCall covers alloc, shape (or _start for commands) and copying the output.
	PhaseCall Phase = "call"
	// PhaseDecode covers checking that the output is a valid ABI v1 output.
	PhaseDecode Phase = "decode"
)

// Error kinds. Every *Error carries one of them in Kind, and errors.Is(err,
// ErrTimeout) etc. matches it.
var (
	// ErrTimeout: a call (or _initialize) ran past the plugin's timeout.
	ErrTimeout = errors.New("timed out")
	// ErrMemoryLimit: the plugin tried to grow its memory past its page limit.
	ErrMemoryLimit = errors.New("memory limit exceeded")
	// ErrOutputTooLarge: the output is larger than the plugin's maxOutputBytes.
	ErrOutputTooLarge = errors.New("output too large")
	// ErrTrap: the plugin trapped (unreachable, out-of-bounds access, stack
	// overflow, ...) or exited with a non-zero code.
	ErrTrap = errors.New("trapped")
	// ErrABI: the module does not follow ABI v1 (missing or mistyped export,
	// forbidden import, pointers outside memory, ...).
	ErrABI = errors.New("does not follow ABI v1")
	// ErrHashMismatch: the module's sha256 differs from the pinned one.
	ErrHashMismatch = errors.New("sha256 mismatch")
	// ErrBadOutput: the output is not an ABI v1 output object.
	ErrBadOutput = errors.New("malformed output")
	// ErrPluginRefused: the plugin answered {"error": ...}; the *abi.PluginError
	// is in the chain (errors.As).
	ErrPluginRefused = errors.New("refused the request")
	// ErrInvalidModule: the bytes are not a WebAssembly module wazero can compile,
	// or the file cannot be read.
	ErrInvalidModule = errors.New("invalid module")
	// ErrCanceled: the caller's context ended before the call finished.
	ErrCanceled = errors.New("canceled")
	// ErrClosed: the plugin or its runtime was closed.
	ErrClosed = errors.New("closed")
	// ErrGrant: a grant in the spec cannot be honoured (an environment
	// variable that is not set or may not be granted, a directory that does
	// not exist, a bad guest path).
	ErrGrant = errors.New("grant refused")
)

// Error is the error every function of this package returns for a plugin
// fault. It names the plugin, the phase and the kind of fault; Err holds the
// cause in words a plugin author can act on.
type Error struct {
	// Plugin is the plugin's name (from the manifest, or the file name).
	Plugin string
	// Phase is the step that failed.
	Phase Phase
	// Kind is one of the Err* sentinels of this package.
	Kind error
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("plugin %q: %s: %v: %v", e.Plugin, e.Phase, e.Kind, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func newError(plugin string, phase Phase, kind error, format string, args ...any) *Error {
	return &Error{Plugin: plugin, Phase: phase, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// classify turns a wazero failure into a typed *Error. The host stops a
// plugin (deadline passed or caller gone, yield.go and hostcalls.go) by
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
