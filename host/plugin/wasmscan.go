package plugin

import (
	"bytes"
	"errors"
	"fmt"
)

// wasmImport is one entry of a module's import section.
type wasmImport struct {
	module, name string
	kind         byte // 0 func, 1 table, 2 memory, 3 global, 4 tag
}

func (i wasmImport) String() string { return i.module + "." + i.name }

func (i wasmImport) kindName() string {
	switch i.kind {
	case 0:
		return "function"
	case 1:
		return "table"
	case 2:
		return "memory"
	case 3:
		return "global"
	case 4:
		return "tag"
	}
	return fmt.Sprintf("kind %d", i.kind)
}

var wasmMagic = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// scanImports reads the import section of a wasm binary without compiling
// it, so forbidden imports are refused before any compilation work.
func scanImports(bin []byte) ([]wasmImport, error) {
	if len(bin) < 8 || !bytes.Equal(bin[:8], wasmMagic) {
		return nil, errors.New("not a WebAssembly 1.0 binary (missing \\0asm version 1 header)")
	}
	r := &wasmReader{b: bin, off: 8}
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		end := r.off + int(size)
		if end > len(r.b) || end < r.off {
			return nil, fmt.Errorf("section %d runs past the end of the module", id)
		}
		if id != 2 {
			r.off = end
			continue
		}
		sec := &wasmReader{b: r.b[:end], off: r.off}
		return sec.imports()
	}
	return nil, nil
}

type wasmReader struct {
	b   []byte
	off int
}

var errTruncated = errors.New("module is truncated")

func (r *wasmReader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *wasmReader) u32() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("malformed LEB128 integer")
}

func (r *wasmReader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	if r.off+int(n) > len(r.b) {
		return "", errTruncated
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s, nil
}

func (r *wasmReader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags&1 != 0 {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

func (r *wasmReader) imports() ([]wasmImport, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := make([]wasmImport, 0, n)
	for i := uint32(0); i < n; i++ {
		var imp wasmImport
		if imp.module, err = r.name(); err != nil {
			return nil, err
		}
		if imp.name, err = r.name(); err != nil {
			return nil, err
		}
		if imp.kind, err = r.byte(); err != nil {
			return nil, err
		}
		switch imp.kind {
		case 0: // func: type index
			_, err = r.u32()
		case 1: // table: reftype + limits
			if _, err = r.byte(); err == nil {
				err = r.limits()
			}
		case 2: // memory: limits
			err = r.limits()
		case 3: // global: valtype + mut
			if _, err = r.byte(); err == nil {
				_, err = r.byte()
			}
		case 4: // tag: attribute + type index
			if _, err = r.byte(); err == nil {
				_, err = r.u32()
			}
		default:
			return nil, fmt.Errorf("import %s.%s has unknown kind %d", imp.module, imp.name, imp.kind)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, imp)
	}
	return out, nil
}

// entryCheck is `loop end` with an empty block type: a no-op whose loop
// header makes wazero's close-on-context-done check for a timeout.
var entryCheck = []byte{0x03, 0x40, 0x0b}

// parseCode finds the number of imported functions and the function bodies.
func parseCode(bin []byte) (*codeInfo, error) {
	ci := &codeInfo{}
	r := &wasmReader{b: bin, off: 8}
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		end := r.off + int(size)
		if end > len(r.b) || end < r.off {
			return nil, fmt.Errorf("section %d runs past the end of the module", id)
		}
		sec := &wasmReader{b: r.b[:end], off: r.off}
		switch id {
		case 2:
			imps, err := sec.imports()
			if err != nil {
				return nil, err
			}
			for _, imp := range imps {
				if imp.kind == 0 {
					ci.importedFuncs++
				}
			}
		case 10:
			if ci.bodies != nil {
				return nil, errors.New("more than one code section")
			}
			ci.bodies = []funcBody{}
			n, err := sec.u32()
			if err != nil {
				return nil, err
			}
			for i := uint32(0); i < n; i++ {
				size, err := sec.u32()
				if err != nil {
					return nil, err
				}
				b := funcBody{start: sec.off, end: sec.off + int(size)}
				if b.end > end || b.end < b.start {
					return nil, fmt.Errorf("function body %d runs past the code section", i)
				}
				groups, err := sec.u32()
				if err != nil {
					return nil, err
				}
				for g := uint32(0); g < groups; g++ {
					if _, err := sec.u32(); err != nil {
						return nil, err
					}
					if _, err := sec.byte(); err != nil {
						return nil, err
					}
				}
				if sec.off > b.end {
					return nil, fmt.Errorf("function body %d: locals run past the body", i)
				}
				b.exprStart = sec.off
				ci.bodies = append(ci.bodies, b)
				sec.off = b.end
			}
			if sec.off != end {
				return nil, errors.New("code section has bytes after its last function body")
			}
		}
		r.off = end
	}
	return ci, nil
}

// instrumentEntries returns the module with an empty loop inserted at the
// start of every function that could recurse without meeting a loop. wazero
// checks for a closed module (the call timeout) only at loop headers, so
// without this a loop-free recursion (exponential, or via call_indirect)
// could never be stopped. Modules that need nothing are returned unchanged.
func instrumentEntries(bin []byte) ([]byte, error) {
	if len(bin) < 8 || !bytes.Equal(bin[:8], wasmMagic) {
		return nil, errors.New("not a WebAssembly 1.0 binary (missing \\0asm version 1 header)")
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
	out = append(out, bin[:8]...)
	r := &wasmReader{b: bin, off: 8}
	for r.off < len(r.b) {
		start := r.off
		id, _ := r.byte()
		size, _ := r.u32()
		end := r.off + int(size)
		if id != 10 {
			out = append(out, r.b[start:end]...)
			r.off = end
			continue
		}
		n, _ := (&wasmReader{b: r.b[:end], off: r.off}).u32()
		code := make([]byte, 0, int(size)+count*(len(entryCheck)+1)+5)
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
		out = append(out, 10)
		out = appendU32(out, uint32(len(code)))
		out = append(out, code...)
		r.off = end
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
