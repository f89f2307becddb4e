package wasmbin

import (
	"bytes"
	"fmt"
	"iter"
	"slices"
)

// header is the 8-byte preamble of a WebAssembly 1.0 binary: "\0asm", version 1.
var header = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// HeaderSize is the length of the preamble; the first section follows it.
const HeaderSize = 8

// HasHeader reports whether bin starts with the WebAssembly 1.0 preamble.
func HasHeader(bin []byte) bool {
	return len(bin) >= HeaderSize && bytes.Equal(bin[:HeaderSize], header)
}

// Section ids this package names.
const (
	SectionCustom    byte = 0
	SectionType      byte = 1
	SectionImport    byte = 2
	SectionFunction  byte = 3
	SectionTable     byte = 4
	SectionMemory    byte = 5
	SectionGlobal    byte = 6
	SectionExport    byte = 7
	SectionStart     byte = 8
	SectionElement   byte = 9
	SectionCode      byte = 10
	SectionData      byte = 11
	SectionDataCount byte = 12
	SectionTag       byte = 13
)

// SectionOrder is the place a non-custom section must take in a module
// (type, import, function, table, memory, tag, global, export, start,
// element, data count, code, data: not the numeric order of the ids), or -1
// for a custom section, which may stand anywhere.
func SectionOrder(id byte) int {
	switch id {
	case SectionTag:
		return int(SectionMemory) + 1
	case SectionGlobal, SectionExport, SectionStart, SectionElement:
		return int(id) + 1
	case SectionDataCount:
		return int(SectionElement) + 2
	case SectionCode, SectionData:
		return int(id) + 2
	case SectionCustom:
		return -1
	}
	return int(id)
}

// Section is one section of a module, located in the module's bytes.
type Section struct {
	ID     byte
	Offset int // of the id byte: the section with its header is bin[Offset:End]
	Start  int // of the contents, after the size
	End    int // just past the contents
	bin    []byte
}

// Reader reads the section's contents; reads stop at its end.
func (s Section) Reader() *Reader { return &Reader{b: s.bin[:s.End], off: s.Start} }

// Sections walks the sections of bin that follow the preamble (which callers
// check with HasHeader). It yields each section in order; on a section
// header it cannot read, or one whose size runs past the end of bin, it
// yields the error once and stops.
func Sections(bin []byte) iter.Seq2[Section, error] {
	return func(yield func(Section, error) bool) {
		r := &Reader{b: bin, off: HeaderSize}
		for !r.Done() {
			s := Section{Offset: r.off, bin: bin}
			var err error
			if s.ID, err = r.Byte(); err != nil {
				yield(Section{}, err)
				return
			}
			size, err := r.U32()
			if err != nil {
				yield(Section{}, err)
				return
			}
			s.Start, s.End = r.off, r.off+int(size)
			if s.End > len(bin) || s.End < s.Start {
				yield(Section{}, fmt.Errorf("section %d at byte %d runs past the end of the module (truncated module?)", s.ID, s.Start))
				return
			}
			if !yield(s, nil) {
				return
			}
			r.off = s.End
		}
	}
}

// WithoutCustomSections returns a copy of bin with the custom sections named
// dropped, or every custom section when no name is given; the other sections
// are copied as they are. It fails on a section header it cannot read.
func WithoutCustomSections(bin []byte, names ...string) ([]byte, error) {
	if !HasHeader(bin) {
		return nil, ErrNotWasm
	}
	out := append([]byte(nil), bin[:HeaderSize]...)
	for s, err := range Sections(bin) {
		if err != nil {
			return nil, err
		}
		if s.ID == SectionCustom {
			name, _ := s.Reader().Name()
			if len(names) == 0 || slices.Contains(names, name) {
				continue
			}
		}
		out = append(out, bin[s.Offset:s.End]...)
	}
	return out, nil
}
