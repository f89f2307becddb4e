package plugin

import (
	"errors"

	"github.com/agentshape/agentshape/internal/wasmbin"
)

// errNotWasm is the load error for bytes without the WebAssembly 1.0 preamble.
var errNotWasm = errors.New("not a WebAssembly 1.0 binary (missing \\0asm version 1 header)")

// scanImports reads the import section of a wasm binary without compiling
// it, so forbidden imports are refused before any compilation work.
func scanImports(bin []byte) ([]wasmbin.Import, error) {
	if !wasmbin.HasHeader(bin) {
		return nil, errNotWasm
	}
	for s, err := range wasmbin.Sections(bin) {
		if err != nil {
			return nil, err
		}
		if s.ID == wasmbin.SectionImport {
			return wasmbin.ReadImports(s.Reader())
		}
	}
	return nil, nil
}
