package plugin

import (
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/host/wasmbin"
)

// The host stops a plugin that runs past its deadline (or whose caller gave
// up) through a flag the module itself checks. instrumentStops adds two
// mutable i32 globals — a stop flag, exported as StopExport, that only the
// host writes, and a tick counter only the module writes — and inserts at
// every loop header, and at the entry of every function that could recurse
// without meeting a loop:
//
//	ticks += 1
//	if ticks & yieldMask == 0 {
//	    memory.grow 0; drop        ;; a trip into Go: a preemption point
//	    if stop { unreachable }
//	}
//
// Any endless execution passes those points again and again. Go cannot
// preempt a goroutine while it runs compiled guest code, so without the
// periodic trip into Go a busy plugin would hold its thread's P forever —
// and a stop-the-world (every GC) would wait for it, deadlocking the
// process, timer included. With it, the deadline timer runs, sets the flag,
// and the plugin traps within yieldMask+1 check points. All this costs a
// counter update and a branch per loop iteration; wazero's own
// close-on-context-done instead calls out of the guest at every loop header
// (4-5x on a Go-guest plugin).

// yieldMask sets how often a plugin yields: every 4096 check points.
const yieldMask = 0xfff

// StopExport is the name under which an instrumented module exports its stop
// flag. A module that already exports this name is refused.
const StopExport = "agentshape.stop"

// StartExport is the name under which an instrumented module exports the
// function of its start section, which is removed: wazero would run it
// inside instantiation, where nothing can stop it, so the host calls it
// right after instantiating, under the same deadline as _initialize.
const StartExport = "agentshape.start"

// stopCheck returns the check point code for the stop flag at global index
// stop and the tick counter at ticks.
func stopCheck(stop, ticks uint32) []byte {
	b := []byte{0x23} // global.get $ticks
	b = appendU32(b, ticks)
	b = append(b, 0x41, 0x01, 0x6a, 0x24) // i32.const 1; i32.add; global.set $ticks
	b = appendU32(b, ticks)
	b = append(b, 0x23) // global.get $ticks
	b = appendU32(b, ticks)
	b = append(b, 0x41)                         // i32.const yieldMask
	b = appendS32(b, yieldMask)                 //
	b = append(b, 0x71, 0x45, 0x04, 0x40)       // i32.and; i32.eqz; if
	b = append(b, 0x41, 0x00, 0x40, 0x00, 0x1a) // i32.const 0; memory.grow 0; drop
	b = append(b, 0x23)                         // global.get $stop
	b = appendU32(b, stop)
	return append(b, 0x04, 0x40, 0x00, 0x0b, 0x0b) // if unreachable end; end
}

// appendS32 appends v as a signed LEB128.
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// instrumentStops returns the module with the stop flag and its checks.
func instrumentStops(bin []byte) ([]byte, error) {
	if !wasmbin.HasHeader(bin) {
		return nil, errNotWasm
	}
	ci, err := parseCode(bin)
	if err != nil {
		return nil, err
	}
	var importedGlobals, definedGlobals, memories uint32
	var startFunc *uint32 // the start section's function, if any
	var sections []wasmbin.Section
	for s, err := range wasmbin.Sections(bin) {
		if err != nil {
			return nil, err
		}
		sections = append(sections, s)
		switch s.ID {
		case wasmbin.SectionImport:
			imps, err := wasmbin.ReadImports(s.Reader())
			if err != nil {
				return nil, err
			}
			for _, imp := range imps {
				switch imp.Kind {
				case wasmbin.KindGlobal:
					importedGlobals++
				case wasmbin.KindMemory:
					memories++
				}
			}
		case wasmbin.SectionMemory:
			n, err := s.Reader().U32()
			if err != nil {
				return nil, fmt.Errorf("memory section: %w", err)
			}
			memories += n
		case wasmbin.SectionGlobal:
			if definedGlobals, err = s.Reader().U32(); err != nil {
				return nil, fmt.Errorf("global section: %w", err)
			}
		case wasmbin.SectionExport:
			exps, err := readExportNames(s.Reader())
			if err != nil {
				return nil, err
			}
			for _, name := range exps {
				if name == StopExport || name == StartExport {
					return nil, fmt.Errorf("the module exports %q, a name the host reserves; rename that export", name)
				}
			}
		case wasmbin.SectionStart:
			f, err := s.Reader().U32()
			if err != nil {
				return nil, fmt.Errorf("start section: %w", err)
			}
			startFunc = &f
		}
	}
	// A module without memory gets an empty one, for memory.grow to yield
	// (nothing can refer to it but the checks).
	addMemory := memories == 0
	stop := importedGlobals + definedGlobals
	check := stopCheck(stop, stop+1)
	entries, err := needsCheck(bin, ci)
	if err != nil {
		return nil, fmt.Errorf("cannot decode the module's code for timeout checks: %w", err)
	}

	// Two mut i32 = i32.const 0: the stop flag, then the tick counter.
	newGlobal := []byte{0x7f, 0x01, 0x41, 0x00, 0x0b, 0x7f, 0x01, 0x41, 0x00, 0x0b}
	newExport := appendName(nil, StopExport)
	newExport = append(newExport, 0x03) // global
	newExport = appendU32(newExport, stop)
	newExports := uint32(1)
	if startFunc != nil {
		newExport = appendName(newExport, StartExport)
		newExport = append(newExport, 0x00) // func
		newExport = appendU32(newExport, *startFunc)
		newExports++
	}

	out := make([]byte, 0, len(bin)+len(bin)/8+64)
	out = append(out, bin[:wasmbin.HeaderSize]...)
	wroteGlobal, wroteExport := false, false
	for _, s := range sections {
		if addMemory && comesAfter(s.ID, wasmbin.SectionMemory) {
			out = appendSection(out, wasmbin.SectionMemory, []byte{1, 0x00, 0x00}) // one memory, min 0 pages
			addMemory = false
		}
		if !wroteGlobal && comesAfter(s.ID, wasmbin.SectionGlobal) {
			out = appendSection(out, wasmbin.SectionGlobal, append([]byte{2}, newGlobal...))
			wroteGlobal = true
		}
		if !wroteExport && comesAfter(s.ID, wasmbin.SectionExport) {
			out = appendSection(out, wasmbin.SectionExport, append(appendU32(nil, newExports), newExport...))
			wroteExport = true
		}
		switch s.ID {
		case wasmbin.SectionMemory:
			if addMemory { // a memory section declaring none: replace it
				out = appendSection(out, wasmbin.SectionMemory, []byte{1, 0x00, 0x00})
				addMemory = false
			} else {
				out = append(out, bin[s.Offset:s.End]...)
			}
		case wasmbin.SectionGlobal:
			out = appendSection(out, wasmbin.SectionGlobal, appendVec(bin[s.Start:s.End], 2, newGlobal))
			wroteGlobal = true
		case wasmbin.SectionExport:
			out = appendSection(out, wasmbin.SectionExport, appendVec(bin[s.Start:s.End], newExports, newExport))
			wroteExport = true
		case wasmbin.SectionStart: // exported as StartExport instead
		case wasmbin.SectionCode:
			code, err := instrumentCode(bin, ci, entries, check)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, wasmbin.SectionCode, code)
		default:
			out = append(out, bin[s.Offset:s.End]...)
		}
	}
	if addMemory {
		out = appendSection(out, wasmbin.SectionMemory, []byte{1, 0x00, 0x00})
	}
	if !wroteGlobal {
		out = appendSection(out, wasmbin.SectionGlobal, append([]byte{2}, newGlobal...))
	}
	if !wroteExport {
		out = appendSection(out, wasmbin.SectionExport, append(appendU32(nil, newExports), newExport...))
	}
	return out, nil
}

// comesAfter reports whether a section with this id must follow a section
// of kind (custom sections stay where they are).
func comesAfter(id, kind byte) bool {
	return wasmbin.SectionOrder(id) > wasmbin.SectionOrder(kind)
}

// instrumentCode rewrites the code section: the check after every loop
// header and, for functions marked in entries, at the start of the body.
func instrumentCode(bin []byte, ci *codeInfo, entries []bool, check []byte) ([]byte, error) {
	code := appendU32(nil, uint32(len(ci.bodies)))
	var body []byte
	for i, b := range ci.bodies {
		body = append(body[:0], bin[b.start:b.exprStart]...)
		if entries[i] {
			body = append(body, check...)
		}
		r := wasmbin.NewReader(bin[:b.end], b.exprStart)
		for !r.Done() {
			at := r.Offset()
			op, _ := r.Peek()
			if err := scanOne(r, func(uint32) {}, func() {}); err != nil {
				return nil, fmt.Errorf("function %d: %w", int(ci.importedFuncs)+i, err)
			}
			body = append(body, bin[at:r.Offset()]...)
			if op == 0x03 { // loop: check on entry and on every branch back
				body = append(body, check...)
			}
		}
		code = appendU32(code, uint32(len(body)))
		code = append(code, body...)
	}
	return code, nil
}

// readExportNames reads the names in an export section.
func readExportNames(r *wasmbin.Reader) ([]string, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, n)
	for range n {
		name, err := r.Name()
		if err != nil {
			return nil, err
		}
		if _, err := r.Byte(); err != nil {
			return nil, err
		}
		if _, err := r.U32(); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
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
