package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// This file decodes the parts of a WebAssembly binary that inspection needs
// (types, imports, functions, memories, exports, start) without compiling it.

// Value type names, as in the WebAssembly text format.
var valTypeNames = map[byte]string{
	0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128",
	0x70: "funcref", 0x6f: "externref",
}

// External kinds of imports and exports.
const (
	kindFunc   byte = 0
	kindTable  byte = 1
	kindMemory byte = 2
	kindGlobal byte = 3
	kindTag    byte = 4
)

func kindName(k byte) string {
	switch k {
	case kindFunc:
		return "function"
	case kindTable:
		return "table"
	case kindMemory:
		return "memory"
	case kindGlobal:
		return "global"
	case kindTag:
		return "tag"
	}
	return fmt.Sprintf("kind-%d", k)
}

// funcType is a function signature.
type funcType struct {
	params, results []string
}

func (t funcType) String() string {
	return "(" + strings.Join(t.params, ", ") + ") -> (" + strings.Join(t.results, ", ") + ")"
}

func (t funcType) equal(params, results []string) bool {
	return strings.Join(t.params, ",") == strings.Join(params, ",") &&
		strings.Join(t.results, ",") == strings.Join(results, ",")
}

// limits are the page limits of a memory or the element limits of a table.
type limits struct {
	min    uint64
	max    uint64
	hasMax bool
	shared bool
	is64   bool
}

type rawImport struct {
	module, name string
	kind         byte
	typeIdx      uint32 // functions
	mem          limits // memories
}

type rawExport struct {
	name  string
	kind  byte
	index uint32
}

// module is what decode extracts from a binary.
type module struct {
	types     []funcType
	imports   []rawImport
	funcTypes []uint32 // type index of each defined (non-imported) function
	memories  []limits // defined memories
	exports   []rawExport
	hasStart  bool
	startFunc uint32
}

var wasmHeader = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// errNotWasm means the bytes lack the WebAssembly 1.0 header.
var errNotWasm = errors.New("not a WebAssembly binary: the file does not start with \\0asm version 1 (is it a .wat text file, or a native executable?)")

func decode(bin []byte) (*module, error) {
	if len(bin) < 8 || !bytes.Equal(bin[:8], wasmHeader) {
		return nil, errNotWasm
	}
	m := &module{}
	r := &reader{b: bin, off: 8}
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
			return nil, fmt.Errorf("section %d at byte %d runs past the end of the file (truncated module?)", id, r.off)
		}
		sec := &reader{b: r.b[:end], off: r.off}
		switch id {
		case 1:
			err = m.readTypes(sec)
		case 2:
			err = m.readImports(sec)
		case 3:
			err = m.readFunctions(sec)
		case 5:
			err = m.readMemories(sec)
		case 7:
			err = m.readExports(sec)
		case 8:
			m.hasStart = true
			m.startFunc, err = sec.u32()
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		r.off = end
	}
	return m, nil
}

func (m *module) readTypes(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return fmt.Errorf("type %d is not a function type (form 0x%02x)", i, form)
		}
		var t funcType
		if t.params, err = r.valTypes(); err != nil {
			return err
		}
		if t.results, err = r.valTypes(); err != nil {
			return err
		}
		m.types = append(m.types, t)
	}
	return nil
}

func (m *module) readImports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		var imp rawImport
		if imp.module, err = r.name(); err != nil {
			return err
		}
		if imp.name, err = r.name(); err != nil {
			return err
		}
		if imp.kind, err = r.byte(); err != nil {
			return err
		}
		switch imp.kind {
		case kindFunc:
			imp.typeIdx, err = r.u32()
		case kindTable:
			if _, err = r.byte(); err == nil {
				_, err = r.limits()
			}
		case kindMemory:
			imp.mem, err = r.limits()
		case kindGlobal:
			if _, err = r.byte(); err == nil {
				_, err = r.byte()
			}
		case kindTag:
			if _, err = r.byte(); err == nil {
				_, err = r.u32()
			}
		default:
			return fmt.Errorf("import %s.%s has unknown kind %d", imp.module, imp.name, imp.kind)
		}
		if err != nil {
			return err
		}
		m.imports = append(m.imports, imp)
	}
	return nil
}

func (m *module) readFunctions(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		t, err := r.u32()
		if err != nil {
			return err
		}
		m.funcTypes = append(m.funcTypes, t)
	}
	return nil
}

func (m *module) readMemories(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		l, err := r.limits()
		if err != nil {
			return err
		}
		m.memories = append(m.memories, l)
	}
	return nil
}

func (m *module) readExports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		var e rawExport
		if e.name, err = r.name(); err != nil {
			return err
		}
		if e.kind, err = r.byte(); err != nil {
			return err
		}
		if e.index, err = r.u32(); err != nil {
			return err
		}
		m.exports = append(m.exports, e)
	}
	return nil
}

// funcSig returns the signature of function index idx (imports first).
func (m *module) funcSig(idx uint32) (funcType, bool) {
	var typeIdx uint32
	nImported := uint32(0)
	found := false
	for _, imp := range m.imports {
		if imp.kind != kindFunc {
			continue
		}
		if nImported == idx {
			typeIdx, found = imp.typeIdx, true
			break
		}
		nImported++
	}
	if !found {
		local := idx - nImported
		if idx < nImported || local >= uint32(len(m.funcTypes)) {
			return funcType{}, false
		}
		typeIdx = m.funcTypes[local]
	}
	if typeIdx >= uint32(len(m.types)) {
		return funcType{}, false
	}
	return m.types[typeIdx], true
}

// memoryLimits returns the limits of memory index idx (imports first) and
// whether it is imported.
func (m *module) memoryLimits(idx uint32) (limits, bool, bool) {
	n := uint32(0)
	for _, imp := range m.imports {
		if imp.kind != kindMemory {
			continue
		}
		if n == idx {
			return imp.mem, true, true
		}
		n++
	}
	local := idx - n
	if idx < n || local >= uint32(len(m.memories)) {
		return limits{}, false, false
	}
	return m.memories[local], false, true
}

type reader struct {
	b   []byte
	off int
}

var errTruncated = errors.New("unexpected end of section (truncated or malformed module)")

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) uleb(maxBits int) (uint64, error) {
	var v uint64
	for shift := 0; shift < maxBits+7; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("malformed LEB128 integer")
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	if r.off+int(n) > len(r.b) || r.off+int(n) < r.off {
		return "", errTruncated
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s, nil
}

func (r *reader) valTypes() ([]string, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := []string{}
	for i := uint32(0); i < n; i++ {
		c, err := r.byte()
		if err != nil {
			return nil, err
		}
		name, ok := valTypeNames[c]
		if !ok {
			name = fmt.Sprintf("0x%02x", c)
		}
		out = append(out, name)
	}
	return out, nil
}

func (r *reader) limits() (limits, error) {
	flags, err := r.byte()
	if err != nil {
		return limits{}, err
	}
	l := limits{hasMax: flags&1 != 0, shared: flags&2 != 0, is64: flags&4 != 0}
	bits := 32
	if l.is64 {
		bits = 64
	}
	if l.min, err = r.uleb(bits); err != nil {
		return limits{}, err
	}
	if l.hasMax {
		if l.max, err = r.uleb(bits); err != nil {
			return limits{}, err
		}
	}
	return l, nil
}
