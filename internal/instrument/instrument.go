// Package instrument rewrites a WebAssembly module so that no plugin
// outlives its limits: host/plugin runs every module it loads through Module
// before compiling it, and provides the host functions the rewritten module
// imports (ImportModule). This package only rewrites bytes; it runs nothing.
//
// What the rewrite adds: a timeout check at every loop header and at the
// entry of functions that can recurse without a loop (checkpoint.go), whose
// countdown is also the call's fuel, and a call stack budget charged at the
// entry of functions that can recurse and given back when they return
// (stackbudget.go). In detail:
//
//   - two imports from ImportModule, after the module's own imports (so
//     every function the module defines moves up two indices, and every
//     reference to one is renumbered): YieldImport () -> (), where the
//     timeout checks trip into Go, and ExhaustedImport () -> (), which traps
//     a call that ran out of stack budget;
//   - two mutable globals after the module's own: the i64 check-point
//     countdown, exported as FuelExport, and the i32 stack room left,
//     exported as StackExport for the host to fill at instantiation;
//   - the export StartExport for the start section's function, and no start
//     section (wazero would run it inside instantiation, where nothing can
//     stop it; the host calls it right after instantiating, under the same
//     deadline as _initialize);
//   - the function types these need, after the module's own.
//
// The module's own code must refer only to its own functions, globals and
// types: an index that the rewrite's additions would make valid (a module
// reaching for the tick counter to silence its checks) is refused.
package instrument

import (
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/internal/wasmbin"
)

// Version names what Module writes. The host's on-disk cache of
// instrumented modules is keyed by it and by the original module's sha256,
// so a warm start instruments nothing. Change it whenever the
// instrumentation's output changes (TestVersionPinsOutput fails until you
// do).
const Version = "guard-3"

// The functions the rewrite imports; a plugin may not import ImportModule
// itself.
const (
	// ImportModule is the import module of the functions the rewrite adds.
	ImportModule = "agentshape:host"
	// YieldImport is ImportModule.yield () -> (): the trip into Go of the
	// timeout checks.
	YieldImport = "yield"
	// ExhaustedImport is ImportModule.stack_exhausted () -> (): it must
	// trap the call that ran out of stack budget.
	ExhaustedImport = "stack_exhausted"
	// hostImports is how many functions the rewrite imports.
	hostImports = 2
)

// StackExport is the name under which an instrumented module exports its
// stack room global. A module that already exports this name is refused.
const StackExport = "agentshape.stack"

// StartExport is the name under which an instrumented module exports the
// function of its start section, which is removed. A module that already
// exports this name is refused.
const StartExport = "agentshape.start"

// FuelExport is the name under which an instrumented module exports its
// fuel countdown global. A module that already exports this name is refused.
const FuelExport = "agentshape.fuel"

// funcType is a function type: its encoding and its result types.
type funcType struct {
	params, results []byte // value types (one byte each)
}

// encode returns the type's encoding in a type section.
func (t funcType) encode() []byte {
	b := append([]byte{0x60}, appendU32(nil, uint32(len(t.params)))...)
	b = append(b, t.params...)
	b = appendU32(b, uint32(len(t.results)))
	return append(b, t.results...)
}

// module is what the rewrite reads of a module before writing it out.
type module struct {
	bin             []byte
	sections        []wasmbin.Section
	types           []funcType
	funcTypes       []uint32 // type index of each defined function
	importedFuncs   uint32
	importedGlobals uint32
	definedGlobals  uint32
	startFunc       *uint32
	code            *codeInfo
	// indirect marks the defined functions a call_indirect or call_ref may
	// reach: those an element segment or a ref.func names.
	indirect []bool
	// typeIndices finds a type by its encoding (typeIndex).
	typeIndices map[string]uint32
	// rewritten holds the new contents of the sections the rewrite changes
	// (besides code), by section offset.
	rewritten map[int][]byte
}

func (m *module) funcCount() uint32   { return m.importedFuncs + uint32(len(m.funcTypes)) }
func (m *module) globalCount() uint32 { return m.importedGlobals + m.definedGlobals }

// newFunc renumbers a function index of the original module.
func (m *module) newFunc(idx uint32) uint32 {
	if idx < m.importedFuncs {
		return idx
	}
	return idx + hostImports
}

// markIndirect records that function idx may be called indirectly.
func (m *module) markIndirect(idx uint32) {
	if idx >= m.importedFuncs && int(idx-m.importedFuncs) < len(m.indirect) {
		m.indirect[idx-m.importedFuncs] = true
	}
}

// checkRef checks an index immediate against the original module's index
// spaces.
func (m *module) checkRef(in instr) error {
	var limit uint32
	var what string
	switch in.ref {
	case refFunc:
		limit, what = m.funcCount(), "function"
	case refGlobal:
		limit, what = m.globalCount(), "global"
	case refType:
		limit, what = uint32(len(m.types)), "type"
	default:
		return nil
	}
	if in.index >= limit {
		return fmt.Errorf("refers to %s %d, but the module has only %d", what, in.index, limit)
	}
	return nil
}

// rewriteInstr appends in, read from code, to out with its function index
// renumbered.
func (m *module) rewriteInstr(out, code []byte, start, end int, in instr) []byte {
	if in.ref != refFunc {
		return append(out, code[start:end]...)
	}
	out = append(out, code[start:in.refStart]...)
	out = appendU32(out, m.newFunc(in.index))
	return append(out, code[in.refEnd:end]...)
}

// constExpr reads a constant expression (up to and including its end),
// checks its references, marks ref.func targets as indirect and appends it,
// renumbered, to out.
func (m *module) constExpr(r *wasmbin.Reader, out []byte) ([]byte, error) {
	for {
		start := r.Offset()
		in, err := decodeInstr(r)
		if err != nil {
			return nil, err
		}
		if err := m.checkRef(in); err != nil {
			return nil, err
		}
		if in.op == opRefFunc {
			m.markIndirect(in.index)
		}
		out = m.rewriteInstr(out, m.bin, start, r.Offset(), in)
		if in.op == opEnd {
			return out, nil
		}
	}
}

// funcIndexVec reads a vector of function indices and appends it,
// renumbered, to out, marking each as an indirect call target.
func (m *module) funcIndexVec(r *wasmbin.Reader, out []byte) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out = appendU32(out, n)
	for range n {
		idx, err := r.U32()
		if err != nil {
			return nil, err
		}
		if idx >= m.funcCount() {
			return nil, fmt.Errorf("refers to function %d, but the module has only %d", idx, m.funcCount())
		}
		m.markIndirect(idx)
		out = appendU32(out, m.newFunc(idx))
	}
	return out, nil
}

// readModule reads what the rewrite needs and rewrites every section but
// code and custom ones.
func readModule(bin []byte) (*module, error) {
	if !wasmbin.HasHeader(bin) {
		return nil, wasmbin.ErrNotWasm
	}
	m := &module{bin: bin, rewritten: map[int][]byte{}}
	var err error
	if m.code, err = parseCode(bin); err != nil {
		return nil, err
	}
	m.indirect = make([]bool, len(m.code.bodies))
	for s, err := range wasmbin.Sections(bin) {
		if err != nil {
			return nil, err
		}
		m.sections = append(m.sections, s)
	}
	for _, s := range m.sections {
		var err error
		r := s.Reader()
		switch s.ID {
		case wasmbin.SectionType:
			err = m.readTypes(r)
		case wasmbin.SectionImport:
			err = m.readImports(r)
		case wasmbin.SectionFunction:
			m.funcTypes, err = readU32Vec(r)
			for _, t := range m.funcTypes {
				if err == nil && t >= uint32(len(m.types)) {
					err = fmt.Errorf("a function has type %d, but the module has only %d", t, len(m.types))
				}
			}
		case wasmbin.SectionTable:
			err = checkTables(r)
		case wasmbin.SectionGlobal:
			m.rewritten[s.Offset], err = m.rewriteGlobals(r)
		case wasmbin.SectionExport:
			m.rewritten[s.Offset], err = m.rewriteExports(r)
		case wasmbin.SectionStart:
			var f uint32
			if f, err = r.U32(); err == nil && f >= m.funcCount() {
				err = fmt.Errorf("start function %d does not exist", f)
			}
			m.startFunc = &f
		case wasmbin.SectionElement:
			m.rewritten[s.Offset], err = m.rewriteElements(r)
		case wasmbin.SectionData:
			err = m.checkData(r)
		case wasmbin.SectionCustom:
			if nameIs(r, "name") {
				m.rewritten[s.Offset] = m.rewriteNames(r)
			}
			r.Seek(s.End)
		default:
			r.Seek(s.End)
		}
		if err == nil && !r.Done() {
			err = fmt.Errorf("%d bytes after the section's contents", s.End-r.Offset())
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.ID, err)
		}
	}
	if len(m.funcTypes) != len(m.code.bodies) {
		return nil, fmt.Errorf("%d functions declared but %d bodies", len(m.funcTypes), len(m.code.bodies))
	}
	return m, nil
}

func readU32Vec(r *wasmbin.Reader) ([]uint32, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := make([]uint32, 0, min(n, 1<<16))
	for range n {
		v, err := r.U32()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// valTypes reads a vector of one-byte value types.
func valTypes(bin []byte, r *wasmbin.Reader) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	start := r.Offset()
	if err := r.Skip(int(n)); err != nil {
		return nil, err
	}
	ts := bin[start:r.Offset()]
	for _, t := range ts {
		switch t {
		case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		default:
			return nil, fmt.Errorf("value type %#x is not a WebAssembly 2.0 value type", t)
		}
	}
	return ts, nil
}

func (m *module) readTypes(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := range n {
		form, err := r.Byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return fmt.Errorf("type %d is not a function type (form %#x)", i, form)
		}
		var t funcType
		if t.params, err = valTypes(m.bin, r); err != nil {
			return err
		}
		if t.results, err = valTypes(m.bin, r); err != nil {
			return err
		}
		m.types = append(m.types, t)
	}
	return nil
}

func (m *module) readImports(r *wasmbin.Reader) error {
	imps, err := wasmbin.ReadImports(r)
	if err != nil {
		return err
	}
	for _, imp := range imps {
		switch imp.Kind {
		case wasmbin.KindFunc:
			if imp.TypeIndex >= uint32(len(m.types)) {
				return fmt.Errorf("import %s has type %d, but the module has only %d", imp, imp.TypeIndex, len(m.types))
			}
			m.importedFuncs++
		case wasmbin.KindGlobal:
			m.importedGlobals++
		}
	}
	return nil
}

// checkTables refuses table initialiser expressions (typed function
// references), which could name functions the rewrite does not renumber.
func checkTables(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for range n {
		t, err := r.Byte()
		if err != nil {
			return err
		}
		if t == 0x40 {
			return errors.New("a table has an initialiser expression (typed function references), which the host does not support")
		}
		if _, err := r.Limits(); err != nil {
			return err
		}
	}
	return nil
}

func (m *module) rewriteGlobals(r *wasmbin.Reader) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	m.definedGlobals = n
	out := appendU32(nil, n)
	for range n {
		start := r.Offset()
		if err := r.Skip(2); err != nil { // value type, mutability
			return nil, err
		}
		out = append(out, m.bin[start:r.Offset()]...)
		if out, err = m.constExpr(r, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (m *module) rewriteExports(r *wasmbin.Reader) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := appendU32(nil, n)
	for range n {
		name, err := r.Name()
		if err != nil {
			return nil, err
		}
		if name == StackExport || name == StartExport || name == FuelExport {
			return nil, fmt.Errorf("the module exports %q, a name the host reserves; rename that export", name)
		}
		kind, err := r.Byte()
		if err != nil {
			return nil, err
		}
		idx, err := r.U32()
		if err != nil {
			return nil, err
		}
		switch wasmbin.Kind(kind) {
		case wasmbin.KindFunc:
			if idx >= m.funcCount() {
				return nil, fmt.Errorf("export %q: function %d does not exist", name, idx)
			}
			idx = m.newFunc(idx)
		case wasmbin.KindGlobal:
			if idx >= m.globalCount() {
				return nil, fmt.Errorf("export %q: global %d does not exist", name, idx)
			}
		}
		out = appendName(out, name)
		out = append(out, kind)
		out = appendU32(out, idx)
	}
	return out, nil
}

// rewriteElements renumbers the functions of every element segment (all
// eight encodings) and checks their expressions.
func (m *module) rewriteElements(r *wasmbin.Reader) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := appendU32(nil, n)
	for range n {
		flags, err := r.U32()
		if err != nil {
			return nil, err
		}
		if flags > 7 {
			return nil, fmt.Errorf("element segment flags %d", flags)
		}
		out = appendU32(out, flags)
		if flags&2 != 0 && flags&1 == 0 { // explicit table index
			t, err := r.U32()
			if err != nil {
				return nil, err
			}
			out = appendU32(out, t)
		}
		if flags&1 == 0 { // active: offset expression
			if out, err = m.constExpr(r, out); err != nil {
				return nil, err
			}
		}
		if flags&3 != 0 { // element kind or reference type
			k, err := r.Byte()
			if err != nil {
				return nil, err
			}
			out = append(out, k)
		}
		if flags&4 == 0 {
			out, err = m.funcIndexVec(r, out)
		} else {
			var k uint32
			if k, err = r.U32(); err == nil {
				out = appendU32(out, k)
				for i := uint32(0); i < k && err == nil; i++ {
					out, err = m.constExpr(r, out)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkData checks the offset expressions of data segments.
func (m *module) checkData(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for range n {
		flags, err := r.U32()
		if err != nil {
			return err
		}
		if flags == 2 {
			if _, err := r.U32(); err != nil {
				return err
			}
		}
		if flags != 1 {
			if _, err := m.constExpr(r, nil); err != nil {
				return err
			}
		}
		size, err := r.U32()
		if err != nil {
			return err
		}
		if err := r.Skip(int(size)); err != nil {
			return err
		}
	}
	return nil
}

// nameIs reads a custom section's name and reports whether it is want.
func nameIs(r *wasmbin.Reader, want string) bool {
	name, err := r.Name()
	return err == nil && name == want
}

// rewriteNames renumbers the function names and local names of a "name"
// section (r is past its name), keeping its other subsections; nil drops a
// section it cannot read (names only serve stack traces).
func (m *module) rewriteNames(r *wasmbin.Reader) []byte {
	out := appendName(nil, "name")
	for !r.Done() {
		id, err := r.Byte()
		if err != nil {
			return nil
		}
		size, err := r.U32()
		if err != nil {
			return nil
		}
		start := r.Offset()
		if err := r.Skip(int(size)); err != nil {
			return nil
		}
		sub := m.bin[start:r.Offset()]
		if id == 1 || id == 2 { // function names, local names: keyed by function index
			if sub = m.renumberNameMap(sub, id == 2); sub == nil {
				return nil
			}
		}
		out = append(out, id)
		out = appendU32(out, uint32(len(sub)))
		out = append(out, sub...)
	}
	return out
}

// renumberNameMap renumbers the function indices of a name map (or, when
// indirect, of an indirect name map).
func (m *module) renumberNameMap(sub []byte, indirect bool) []byte {
	r := wasmbin.NewReader(sub, 0)
	n, err := r.U32()
	if err != nil {
		return nil
	}
	out := appendU32(nil, n)
	for range n {
		idx, err := r.U32()
		if err != nil {
			return nil
		}
		out = appendU32(out, m.newFunc(idx))
		start := r.Offset()
		if indirect {
			k, err := r.U32()
			for i := uint32(0); err == nil && i < k; i++ {
				if _, err = r.U32(); err == nil {
					_, err = r.Name()
				}
			}
			if err != nil {
				return nil
			}
		} else if _, err := r.Name(); err != nil {
			return nil
		}
		out = append(out, sub[start:r.Offset()]...)
	}
	return out
}

// typeIndex returns the index of t among the module's types, adding it to
// extra (the types the rewrite appends) if it is not there.
func (m *module) typeIndex(t funcType, extra *[]funcType) uint32 {
	if m.typeIndices == nil {
		m.typeIndices = make(map[string]uint32, len(m.types))
		for i := len(m.types) - 1; i >= 0; i-- {
			m.typeIndices[string(m.types[i].encode())] = uint32(i)
		}
	}
	enc := string(t.encode())
	if i, ok := m.typeIndices[enc]; ok {
		return i
	}
	i := uint32(len(m.types) + len(*extra))
	*extra = append(*extra, t)
	m.typeIndices[enc] = i
	return i
}

// Module returns the module rewritten as described in the package doc. An
// error says what in the module the rewrite cannot accept.
func Module(bin []byte) ([]byte, error) {
	return rewrite(bin, tickCheck)
}

// Unmetered is Module with the timeout check as it was before fuel (a tick
// counting up, a trip into Go every FuelChunk check points, fuel reading
// zero); only for the benchmark that measures what metering costs.
func Unmetered(bin []byte) ([]byte, error) {
	return rewrite(bin, unmeteredCheck)
}

// rewrite is Module with check as the check point's code (tickCheck;
// unmeteredCheck for the benchmark of metering).
func rewrite(bin []byte, check func(fuel, yield uint32) []byte) ([]byte, error) {
	m, err := readModule(bin)
	if err != nil {
		return nil, err
	}
	plan, err := planFunctions(m)
	if err != nil {
		return nil, fmt.Errorf("cannot decode the module's code for timeout checks: %w", err)
	}
	var extraTypes []funcType
	voidType := m.typeIndex(funcType{}, &extraTypes)
	ticks, room := m.globalCount(), m.globalCount()+1
	g := guards{
		tick:      check(ticks, m.importedFuncs),
		room:      room,
		exhausted: m.importedFuncs + 1,
	}
	code, err := m.instrumentCode(plan, g, &extraTypes)
	if err != nil {
		return nil, err
	}

	var newImports []byte
	for _, name := range []string{YieldImport, ExhaustedImport} {
		newImports = appendName(newImports, ImportModule)
		newImports = appendName(newImports, name)
		newImports = append(newImports, byte(wasmbin.KindFunc))
		newImports = appendU32(newImports, voidType)
	}
	// mut i64 = i64.const FuelChunk, the fuel countdown; mut i32 = i32.const
	// 0, the stack room.
	newGlobals := append([]byte{0x7e, 0x01, opI64Const}, appendS32(nil, FuelChunk)...)
	newGlobals = append(newGlobals, opEnd, 0x7f, 0x01, opI32Const, 0x00, opEnd)
	newExports := appendName(nil, StackExport)
	newExports = append(newExports, byte(wasmbin.KindGlobal))
	newExports = appendU32(newExports, room)
	newExports = appendName(newExports, FuelExport)
	newExports = append(newExports, byte(wasmbin.KindGlobal))
	newExports = appendU32(newExports, ticks)
	exportCount := uint32(2)
	if m.startFunc != nil {
		newExports = appendName(newExports, StartExport)
		newExports = append(newExports, byte(wasmbin.KindFunc))
		newExports = appendU32(newExports, m.newFunc(*m.startFunc))
		exportCount++
	}
	var newTypes []byte
	for _, t := range extraTypes {
		newTypes = append(newTypes, t.encode()...)
	}

	// What each kept section becomes, and the sections to add if the module
	// has none of that kind.
	additions := []struct {
		id    byte
		count uint32
		items []byte
		done  bool
	}{
		{id: wasmbin.SectionType, count: uint32(len(extraTypes)), items: newTypes},
		{id: wasmbin.SectionImport, count: hostImports, items: newImports},
		{id: wasmbin.SectionGlobal, count: 2, items: newGlobals},
		{id: wasmbin.SectionExport, count: exportCount, items: newExports},
	}
	out := make([]byte, 0, len(bin)+len(bin)/4+256)
	out = append(out, bin[:wasmbin.HeaderSize]...)
	for _, s := range m.sections {
		for i := range additions {
			// A section the module lacks goes before the first that must follow it.
			if a := &additions[i]; !a.done && wasmbin.SectionOrder(s.ID) > wasmbin.SectionOrder(a.id) {
				if a.count > 0 {
					out = appendSection(out, a.id, append(appendU32(nil, a.count), a.items...))
				}
				a.done = true
			}
		}
		contents, changed := m.rewritten[s.Offset]
		if !changed {
			contents = bin[s.Start:s.End]
		}
		for i := range additions {
			if a := &additions[i]; a.id == s.ID && !a.done {
				contents, changed = appendVec(contents, a.count, a.items), true
				a.done = true
			}
		}
		switch {
		case s.ID == wasmbin.SectionStart: // exported as StartExport instead
		case s.ID == wasmbin.SectionCode:
			out = appendSection(out, s.ID, code)
		case changed && contents == nil: // a name section it could not read
		case changed:
			out = appendSection(out, s.ID, contents)
		default:
			out = append(out, bin[s.Offset:s.End]...)
		}
	}
	for _, a := range additions {
		if !a.done && a.count > 0 {
			out = appendSection(out, a.id, append(appendU32(nil, a.count), a.items...))
		}
	}
	return out, nil
}

// appendVec returns a vector's contents (count, then items) with k more
// items, encoded in items, added at the end.
func appendVec(vec []byte, k uint32, items []byte) []byte {
	r := wasmbin.NewReader(vec, 0)
	n, err := r.U32()
	if err != nil { // the caller read this count before
		panic(errors.New("vector count unreadable"))
	}
	out := appendU32(nil, n+k)
	out = append(out, vec[r.Offset():]...)
	return append(out, items...)
}

func appendSection(out []byte, id byte, contents []byte) []byte {
	out = append(out, id)
	out = appendU32(out, uint32(len(contents)))
	return append(out, contents...)
}

func appendName(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}
