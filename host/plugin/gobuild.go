package plugin

import (
	"errors"
	"slices"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/wasmbin"
)

// GoBuildLine is the command that builds a Go plugin as the reactor the host
// expects, from the plugin's directory.
const GoBuildLine = "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm ."

// ErrGoNotCShared is the cause of the ErrABI load error for a Go wasip1
// module built without -buildmode=c-shared that exports shape (errors.Is
// matches it): Go's linker made it a program (_start, no _initialize), so a
// host that treats a module exporting shape as a reactor and never runs
// _start would call alloc on a Go runtime that never started, and every call
// would trap. `plugin inspect` reports the same cause as finding
// go_not_c_shared.
var ErrGoNotCShared = errors.New("this Go module was built without -buildmode=c-shared: " +
	"it exports _start and no _initialize, so the host never starts the Go runtime and every call would trap in alloc " +
	"(\"wasmexport function called before runtime initialization\"); rebuild it as a reactor: " + GoBuildLine)

// GoWithoutCShared reports whether m is a Go wasip1 module built without
// -buildmode=c-shared that exports shape (ErrGoNotCShared says why no call
// can succeed). The module is known to be Go by the build id section Go's
// linker writes or, when that was stripped, by its producers section.
func GoWithoutCShared(m *wasmbin.Module) bool {
	isGo := slices.Contains(m.Customs, "go:buildid") || slices.Contains(m.Languages, "Go")
	if !isGo {
		return false
	}
	exports := map[string]bool{}
	for _, e := range m.Exports {
		if e.Kind == wasmbin.KindFunc {
			exports[e.Name] = true
		}
	}
	return exports[abi.ShapeExport] && exports[abi.StartExport] && !exports[abi.InitializeExport]
}

// checkBuild refuses a module that loads but whose every call would fail
// because of how it was built (ErrGoNotCShared). A binary wasmbin cannot
// decode is left to the compiler, whose error names the fault.
func checkBuild(bin []byte) error {
	m, err := wasmbin.Decode(bin)
	if err != nil || !GoWithoutCShared(m) {
		return nil
	}
	return ErrGoNotCShared
}
