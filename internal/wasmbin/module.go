package wasmbin

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the external kind of an import or export.
type Kind byte

// External kinds.
const (
	KindFunc   Kind = 0
	KindTable  Kind = 1
	KindMemory Kind = 2
	KindGlobal Kind = 3
	KindTag    Kind = 4
)

// String names the kind ("function", "memory", …; "kind-7" if unknown).
func (k Kind) String() string {
	switch k {
	case KindFunc:
		return "function"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return fmt.Sprintf("kind-%d", byte(k))
}

// Import is one entry of the import section.
type Import struct {
	Module, Name string
	Kind         Kind
	TypeIndex    uint32 // functions: index into the type section
	Memory       Limits // memories
}

// String is the import's full name, module.name.
func (i Import) String() string { return i.Module + "." + i.Name }

// ReadImports reads the contents of an import section. An import of an
// unknown kind is an error (its description cannot be skipped).
func ReadImports(r *Reader) ([]Import, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := make([]Import, 0, min(n, 1024))
	for i := uint32(0); i < n; i++ {
		var imp Import
		if imp.Module, err = r.Name(); err != nil {
			return nil, err
		}
		if imp.Name, err = r.Name(); err != nil {
			return nil, err
		}
		k, err := r.Byte()
		if err != nil {
			return nil, err
		}
		imp.Kind = Kind(k)
		switch imp.Kind {
		case KindFunc: // type index
			imp.TypeIndex, err = r.U32()
		case KindTable: // reference type, limits
			if _, err = r.Byte(); err == nil {
				_, err = r.Limits()
			}
		case KindMemory: // limits
			imp.Memory, err = r.Limits()
		case KindGlobal: // value type, mutability
			if _, err = r.Byte(); err == nil {
				_, err = r.Byte()
			}
		case KindTag: // attribute, type index
			if _, err = r.Byte(); err == nil {
				_, err = r.U32()
			}
		default:
			return nil, fmt.Errorf("import %s has unknown kind %d", imp, k)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, imp)
	}
	return out, nil
}

// Export is one entry of the export section.
type Export struct {
	Name  string
	Kind  Kind
	Index uint32 // in the index space of Kind (imports first)
}

// FuncType is a function signature, with value types named as in the text
// format.
type FuncType struct {
	Params, Results []string
}

// String renders the signature as "(i32, i32) -> (i64)".
func (t FuncType) String() string {
	return "(" + strings.Join(t.Params, ", ") + ") -> (" + strings.Join(t.Results, ", ") + ")"
}

// Equal reports whether t has exactly these parameter and result types.
func (t FuncType) Equal(o FuncType) bool {
	return strings.Join(t.Params, ",") == strings.Join(o.Params, ",") &&
		strings.Join(t.Results, ",") == strings.Join(o.Results, ",")
}

// Module is what Decode extracts from a binary.
type Module struct {
	Types     []FuncType
	Imports   []Import
	Functions []uint32 // type index of each defined (non-imported) function
	Memories  []Limits // defined (non-imported) memories
	Exports   []Export
	HasStart  bool
	StartFunc uint32
	// Customs names the custom sections, in order (e.g. "name",
	// "producers", and "go:buildid" in a binary Go's linker wrote).
	Customs []string
	// Languages are the source languages the "producers" custom section
	// names (e.g. "Go", "C", "Rust"); empty when it is absent or unreadable.
	Languages []string
}

// ErrNotWasm means the bytes lack the WebAssembly 1.0 preamble.
var ErrNotWasm = errors.New("not a WebAssembly binary: the file does not start with \\0asm version 1 (is it a .wat text file, or a native executable?)")

// Decode reads the type, import, function, memory, export and start sections
// of bin, skipping the others. An error names the section it is in.
func Decode(bin []byte) (*Module, error) {
	if !HasHeader(bin) {
		return nil, ErrNotWasm
	}
	m := &Module{}
	for s, err := range Sections(bin) {
		if err != nil {
			return nil, err
		}
		// A repeated section adds to the first (wazero refuses the module;
		// this reader only describes it).
		r := s.Reader()
		switch s.ID {
		case SectionType:
			err = m.readTypes(r)
		case SectionImport:
			err = appendTo(&m.Imports)(ReadImports(r))
		case SectionFunction:
			err = appendTo(&m.Functions)(readVec(r, r.U32))
		case SectionMemory:
			err = appendTo(&m.Memories)(readVec(r, r.Limits))
		case SectionExport:
			err = appendTo(&m.Exports)(readVec(r, r.export))
		case SectionStart:
			m.HasStart = true
			m.StartFunc, err = r.U32()
		case SectionCustom:
			m.readCustom(r)
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.ID, err)
		}
	}
	return m, nil
}

// readCustom records a custom section's name and, for the tool-conventions
// "producers" section, its languages. A custom section does not make a
// module invalid whatever it holds, so a section it cannot read adds
// nothing rather than failing the decode.
func (m *Module) readCustom(r *Reader) {
	name, err := r.Name()
	if err != nil {
		return
	}
	m.Customs = append(m.Customs, name)
	if name != "producers" {
		return
	}
	fields, err := r.U32()
	for i := uint32(0); err == nil && i < fields; i++ {
		var field string
		var n uint32
		if field, err = r.Name(); err == nil {
			n, err = r.U32()
		}
		for j := uint32(0); err == nil && j < n; j++ {
			var value string
			if value, err = r.Name(); err == nil {
				_, err = r.Name() // version
			}
			if err == nil && field == "language" {
				m.Languages = append(m.Languages, value)
			}
		}
	}
}

// appendTo returns a function that appends a read's items to *dst and
// passes its error on.
func appendTo[T any](dst *[]T) func([]T, error) error {
	return func(v []T, err error) error {
		*dst = append(*dst, v...)
		return err
	}
}

// readVec reads a u32 count and that many items.
func readVec[T any](r *Reader, item func() (T, error)) ([]T, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	var out []T
	for i := uint32(0); i < n; i++ {
		v, err := item()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (m *Module) readTypes(r *Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		form, err := r.Byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return fmt.Errorf("type %d is not a function type (form 0x%02x)", i, form)
		}
		var t FuncType
		if t.Params, err = r.ValTypes(); err != nil {
			return err
		}
		if t.Results, err = r.ValTypes(); err != nil {
			return err
		}
		m.Types = append(m.Types, t)
	}
	return nil
}

func (r *Reader) export() (Export, error) {
	var e Export
	var err error
	if e.Name, err = r.Name(); err != nil {
		return e, err
	}
	k, err := r.Byte()
	if err != nil {
		return e, err
	}
	e.Kind = Kind(k)
	e.Index, err = r.U32()
	return e, err
}

// FuncSig returns the signature of function index idx (imported functions
// first), or false if there is no such function or type.
func (m *Module) FuncSig(idx uint32) (FuncType, bool) {
	var typeIdx uint32
	nImported := uint32(0)
	found := false
	for _, imp := range m.Imports {
		if imp.Kind != KindFunc {
			continue
		}
		if nImported == idx {
			typeIdx, found = imp.TypeIndex, true
			break
		}
		nImported++
	}
	if !found {
		local := idx - nImported
		if idx < nImported || local >= uint32(len(m.Functions)) {
			return FuncType{}, false
		}
		typeIdx = m.Functions[local]
	}
	if typeIdx >= uint32(len(m.Types)) {
		return FuncType{}, false
	}
	return m.Types[typeIdx], true
}

// MemoryLimits returns the limits of memory index idx (imported memories
// first), whether that memory is imported, and false if there is no such
// memory.
func (m *Module) MemoryLimits(idx uint32) (l Limits, imported, ok bool) {
	n := uint32(0)
	for _, imp := range m.Imports {
		if imp.Kind != KindMemory {
			continue
		}
		if n == idx {
			return imp.Memory, true, true
		}
		n++
	}
	local := idx - n
	if idx < n || local >= uint32(len(m.Memories)) {
		return Limits{}, false, false
	}
	return m.Memories[local], false, true
}
