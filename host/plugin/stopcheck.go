package plugin

import (
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/host/wasmbin"
)

// The host stops a plugin that runs past its deadline (or whose caller gave
// up) through a flag the module itself checks: instrumentStops adds a mutable
// i32 global, exported as StopExport, and inserts
//
//	global.get $stop  if  unreachable  end
//
// at every loop header and at the entry of every function that could recurse
// without meeting a loop. Any endless execution passes one of those points
// again and again, so once the host sets the flag the plugin traps within a
// loop iteration. The check is a load, a test and a branch: much cheaper than
// wazero's own close-on-context-done check, which calls out of the guest at
// every loop header.

// StopExport is the name under which an instrumented module exports its stop
// flag. A module that already exports this name is refused.
const StopExport = "agentshape.stop"

// StartExport is the name under which an instrumented module exports the
// function of its start section, which is removed: wazero would run it
// inside instantiation, where nothing can stop it, so the host calls it
// right after instantiating, under the same deadline as _initialize.
const StartExport = "agentshape.start"

// Section ids used here beyond those wasmbin names.
const (
	sectionGlobal    byte = 6
	sectionElement   byte = 9
	sectionData      byte = 11
	sectionDataCount byte = 12
	sectionCustom    byte = 0
)

// stopCheck returns the check for the global at index g.
func stopCheck(g uint32) []byte {
	b := []byte{0x23} // global.get
	b = appendU32(b, g)
	return append(b, 0x04, 0x40, 0x00, 0x0b) // if (empty) unreachable end
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
	var importedGlobals, definedGlobals uint32
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
				if imp.Kind == wasmbin.KindGlobal {
					importedGlobals++
				}
			}
		case sectionGlobal:
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
	stop := importedGlobals + definedGlobals
	check := stopCheck(stop)
	entries, err := needsCheck(bin, ci)
	if err != nil {
		return nil, fmt.Errorf("cannot decode the module's code for timeout checks: %w", err)
	}

	newGlobal := []byte{0x7f, 0x01, 0x41, 0x00, 0x0b} // mut i32 = i32.const 0
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
		if !wroteGlobal && afterGlobalSection(s.ID) {
			out = appendSection(out, sectionGlobal, append([]byte{1}, newGlobal...))
			wroteGlobal = true
		}
		if !wroteExport && afterExportSection(s.ID) {
			out = appendSection(out, wasmbin.SectionExport, append(appendU32(nil, newExports), newExport...))
			wroteExport = true
		}
		switch s.ID {
		case sectionGlobal:
			out = appendSection(out, sectionGlobal, appendVec(bin[s.Start:s.End], 1, newGlobal))
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
	if !wroteGlobal {
		out = appendSection(out, sectionGlobal, append([]byte{1}, newGlobal...))
	}
	if !wroteExport {
		out = appendSection(out, wasmbin.SectionExport, append(appendU32(nil, newExports), newExport...))
	}
	return out, nil
}

// afterGlobalSection reports whether a section with this id comes after the
// global section in a module (custom sections stay where they are).
func afterGlobalSection(id byte) bool {
	switch id {
	case wasmbin.SectionExport, wasmbin.SectionStart, sectionElement, sectionDataCount, wasmbin.SectionCode, sectionData:
		return true
	}
	return false
}

// afterExportSection reports whether a section with this id comes after the
// export section.
func afterExportSection(id byte) bool {
	return id != wasmbin.SectionExport && id != sectionCustom && afterGlobalSection(id)
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
