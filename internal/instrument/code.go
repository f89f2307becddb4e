package instrument

import (
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/internal/wasmbin"
)

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
