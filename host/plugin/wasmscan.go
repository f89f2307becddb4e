package plugin

import (
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/host/wasmbin"
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

// entryCheck is `loop end` with an empty block type: a no-op whose loop
// header makes wazero's close-on-context-done check for a timeout.
var entryCheck = []byte{0x03, 0x40, 0x0b}

// parseCode finds the number of imported functions and the function bodies.
func parseCode(bin []byte) (*codeInfo, error) {
	ci := &codeInfo{}
	for s, err := range wasmbin.Sections(bin) {
		if err != nil {
			return nil, err
		}
		sec := s.Reader()
		switch s.ID {
		case wasmbin.SectionImport:
			imps, err := wasmbin.ReadImports(sec)
			if err != nil {
				return nil, err
			}
			for _, imp := range imps {
				if imp.Kind == wasmbin.KindFunc {
					ci.importedFuncs++
				}
			}
		case wasmbin.SectionCode:
			if ci.bodies != nil {
				return nil, errors.New("more than one code section")
			}
			ci.bodies = []funcBody{}
			n, err := sec.U32()
			if err != nil {
				return nil, err
			}
			for i := uint32(0); i < n; i++ {
				size, err := sec.U32()
				if err != nil {
					return nil, err
				}
				b := funcBody{start: sec.Offset(), end: sec.Offset() + int(size)}
				if b.end > s.End || b.end < b.start {
					return nil, fmt.Errorf("function body %d runs past the code section", i)
				}
				groups, err := sec.U32()
				if err != nil {
					return nil, err
				}
				for g := uint32(0); g < groups; g++ {
					if _, err := sec.U32(); err != nil {
						return nil, err
					}
					if _, err := sec.Byte(); err != nil {
						return nil, err
					}
				}
				if sec.Offset() > b.end {
					return nil, fmt.Errorf("function body %d: locals run past the body", i)
				}
				b.exprStart = sec.Offset()
				ci.bodies = append(ci.bodies, b)
				sec.Seek(b.end)
			}
			if sec.Offset() != s.End {
				return nil, errors.New("code section has bytes after its last function body")
			}
		}
	}
	return ci, nil
}

// instrumentEntries returns the module with an empty loop inserted at the
// start of every function that could recurse without meeting a loop. wazero
// checks for a closed module (the call timeout) only at loop headers, so
// without this a loop-free recursion (exponential, or via call_indirect)
// could never be stopped. Modules that need nothing are returned unchanged.
func instrumentEntries(bin []byte) ([]byte, error) {
	if !wasmbin.HasHeader(bin) {
		return nil, errNotWasm
	}
	ci, err := parseCode(bin)
	if err != nil {
		return nil, err
	}
	mark, err := needsCheck(bin, ci)
	if err != nil { // undecodable body: be safe, check every function
		mark = make([]bool, len(ci.bodies))
		for i, b := range ci.bodies {
			mark[i] = !b.startsWithLoop(bin)
		}
	}
	count := 0
	for _, m := range mark {
		if m {
			count++
		}
	}
	if count == 0 {
		return bin, nil
	}
	out := make([]byte, 0, len(bin)+count*len(entryCheck)+16)
	out = append(out, bin[:wasmbin.HeaderSize]...)
	for s := range wasmbin.Sections(bin) { // parseCode read them all without error
		if s.ID != wasmbin.SectionCode {
			out = append(out, bin[s.Offset:s.End]...)
			continue
		}
		n, _ := s.Reader().U32()
		code := make([]byte, 0, s.End-s.Start+count*(len(entryCheck)+1)+5)
		code = appendU32(code, n)
		for i, b := range ci.bodies {
			size := uint32(b.end - b.start)
			if mark[i] {
				size += uint32(len(entryCheck))
			}
			code = appendU32(code, size)
			code = append(code, bin[b.start:b.exprStart]...)
			if mark[i] {
				code = append(code, entryCheck...)
			}
			code = append(code, bin[b.exprStart:b.end]...)
		}
		out = append(out, wasmbin.SectionCode)
		out = appendU32(out, uint32(len(code)))
		out = append(out, code...)
	}
	return out, nil
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
