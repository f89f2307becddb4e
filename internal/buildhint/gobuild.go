package buildhint

import (
	"slices"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/wasmbin"
)

// GoLine is the command that builds a Go plugin as the reactor the host
// expects, from the plugin's directory.
const GoLine = "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm ."

// GoWithoutCShared reports whether m is a Go wasip1 module built without
// -buildmode=c-shared that exports shape: Go's linker made it a program
// (_start, no _initialize), so no call can succeed (plugin.ErrGoNotCShared
// says why; GoLine is the fix). The module is known to be Go by the build
// id section Go's linker writes or, when that was stripped, by its
// producers section.
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
