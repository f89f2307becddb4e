package plugin

import (
	"fmt"

	"github.com/tetratelabs/wazero"
)

// Engine chooses how wazero runs plugin code (RuntimeOptions.Engine).
type Engine int

const (
	// EngineAuto compiles plugins to machine code where wazero's compiler
	// supports the platform (amd64 and arm64 on Linux, macOS, Windows and
	// the BSDs) and interprets them elsewhere, rather than failing. It is
	// the default.
	EngineAuto Engine = iota
	// EngineCompiler requires wazero's compiler; NewRuntime then fails on a
	// platform without it only when a plugin is compiled.
	EngineCompiler
	// EngineInterpreter interprets plugins: no machine code is generated
	// and the compilation cache is not used. Calls are several times
	// slower; timeouts, fuel, the stack budget and the memory limit work
	// the same, and fuel figures are identical to the compiler's.
	EngineInterpreter
)

// String names the engine as RuntimeOptions documents it.
func (e Engine) String() string {
	switch e {
	case EngineAuto:
		return "auto"
	case EngineCompiler:
		return "compiler"
	case EngineInterpreter:
		return "interpreter"
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// ParseEngine reads an engine's name: auto, compiler or interpreter.
func ParseEngine(name string) (Engine, error) {
	for _, e := range []Engine{EngineAuto, EngineCompiler, EngineInterpreter} {
		if e.String() == name {
			return e, nil
		}
	}
	return 0, fmt.Errorf("unknown engine %q; use auto, compiler or interpreter", name)
}

// config returns wazero's runtime configuration for the engine.
func (e Engine) config() (wazero.RuntimeConfig, error) {
	switch e {
	case EngineAuto:
		return wazero.NewRuntimeConfig(), nil
	case EngineCompiler:
		return wazero.NewRuntimeConfigCompiler(), nil
	case EngineInterpreter:
		return wazero.NewRuntimeConfigInterpreter(), nil
	}
	return nil, fmt.Errorf("plugin: unknown engine %d; use EngineAuto, EngineCompiler or EngineInterpreter", int(e))
}

// StopMechanism chooses how the host stops a plugin at its timeout or when
// the caller gives up (RuntimeOptions.Stop).
type StopMechanism int

const (
	// StopByChecks is the default: the host instruments every module with
	// a stop check at each loop header and at the entry of each function
	// that can recurse without a loop, counting fuel and charging a stack
	// budget as it goes (plugins/ABI.md §8). It costs about 1.1× an
	// unguarded call.
	StopByChecks StopMechanism = iota
	// StopByWazero is the fallback: modules run as they are, and wazero's
	// own close-on-context-done stops them (about 4× an unguarded call on a
	// Go guest). There is no fuel (a plugin with limits.fuel is refused at
	// load), no stack budget (wazero's own ceiling applies) and a recursion
	// without loops is stopped only by running out of stack. Use it if the
	// instrumentation ever refuses or mistreats a module, and report that.
	StopByWazero
)

// String names the mechanism: checks or wazero.
func (m StopMechanism) String() string {
	switch m {
	case StopByChecks:
		return "checks"
	case StopByWazero:
		return "wazero"
	}
	return fmt.Sprintf("StopMechanism(%d)", int(m))
}

// ParseStopMechanism reads a stop mechanism's name: checks or wazero.
func ParseStopMechanism(name string) (StopMechanism, error) {
	for _, m := range []StopMechanism{StopByChecks, StopByWazero} {
		if m.String() == name {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown stop mechanism %q; use checks or wazero", name)
}
