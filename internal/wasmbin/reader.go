// Package wasmbin reads the parts of the WebAssembly binary format agentshape
// checks before handing a module to wazero: sections, imports, exports,
// function types, memories.
//
// It decodes without compiling or validating: every read is bounds-checked
// and a short or malformed input is an error, never a panic, so hostile bytes
// can be looked at safely. What it does not decode it skips.
package wasmbin

import (
	"errors"
	"fmt"
)

// ErrTruncated means a read ran past the end of the section or module.
var ErrTruncated = errors.New("unexpected end of section (truncated or malformed module)")

// ErrMalformedLEB means a LEB128 number is longer than its type allows.
var ErrMalformedLEB = errors.New("malformed LEB128 integer")

// Reader reads primitive values of the binary format from a byte slice,
// starting at an offset. Offsets are always offsets into the whole slice,
// so they can be used to cut the module's bytes.
type Reader struct {
	b   []byte
	off int
}

// NewReader reads b from offset off; b's end is where reads stop.
func NewReader(b []byte, off int) *Reader { return &Reader{b: b, off: off} }

// Offset is the offset of the next byte to read.
func (r *Reader) Offset() int { return r.off }

// Seek moves to offset off (which may be past the end: then Done is true).
func (r *Reader) Seek(off int) { r.off = off }

// Done reports whether every byte has been read.
func (r *Reader) Done() bool { return r.off >= len(r.b) }

// Peek returns the next byte without reading it.
func (r *Reader) Peek() (byte, error) {
	if r.off >= len(r.b) || r.off < 0 {
		return 0, ErrTruncated
	}
	return r.b[r.off], nil
}

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	c, err := r.Peek()
	if err == nil {
		r.off++
	}
	return c, err
}

// ULEB reads an unsigned LEB128 number of at most bits bits (32 or 64): at
// most ceil(bits/7) bytes. Bits past the type's width in the last byte are
// dropped.
func (r *Reader) ULEB(bits int) (uint64, error) {
	var v uint64
	for shift := 0; shift < bits; shift += 7 {
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, ErrMalformedLEB
}

// U32 reads an unsigned LEB128 u32 (counts, sizes and indices).
func (r *Reader) U32() (uint32, error) {
	v, err := r.ULEB(32)
	return uint32(v), err
}

// SkipLEB skips one LEB128 number, signed or unsigned, of up to 64 bits.
func (r *Reader) SkipLEB() error {
	for i := 0; i < 10; i++ {
		c, err := r.Byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return ErrMalformedLEB
}

// Skip skips n bytes.
func (r *Reader) Skip(n int) error {
	if n < 0 || r.off+n > len(r.b) || r.off+n < r.off {
		return ErrTruncated
	}
	r.off += n
	return nil
}

// Name reads a name: a u32 length and that many bytes (not checked to be
// UTF-8).
func (r *Reader) Name() (string, error) {
	n, err := r.U32()
	if err != nil {
		return "", err
	}
	start := r.off
	if err := r.Skip(int(n)); err != nil {
		return "", err
	}
	return string(r.b[start:r.off]), nil
}

// valTypeNames are the value type names of the WebAssembly text format.
var valTypeNames = map[byte]string{
	0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128",
	0x70: "funcref", 0x6f: "externref",
}

// ValTypeName names the value type encoded as c ("i32", "externref", …);
// an unknown encoding is named by its hex value ("0x40").
func ValTypeName(c byte) string {
	if name, ok := valTypeNames[c]; ok {
		return name
	}
	return fmt.Sprintf("0x%02x", c)
}

// ValTypes reads a vector of value types and returns their names (see
// ValTypeName); an empty vector is an empty, non-nil slice.
func (r *Reader) ValTypes() ([]string, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := []string{}
	for i := uint32(0); i < n; i++ {
		c, err := r.Byte()
		if err != nil {
			return nil, err
		}
		out = append(out, ValTypeName(c))
	}
	return out, nil
}

// Limits are the page limits of a memory or the element limits of a table.
type Limits struct {
	Min    uint64
	Max    uint64 // meaningful only when HasMax
	HasMax bool
	Shared bool // threads proposal: a shared memory
	Is64   bool // memory64 proposal: 64-bit limits
}

// Limits reads the limits of a memory or table: a flags byte (1 has max,
// 2 shared, 4 64-bit), the minimum and, if flagged, the maximum.
func (r *Reader) Limits() (Limits, error) {
	flags, err := r.Byte()
	if err != nil {
		return Limits{}, err
	}
	l := Limits{HasMax: flags&1 != 0, Shared: flags&2 != 0, Is64: flags&4 != 0}
	bits := 32
	if l.Is64 {
		bits = 64
	}
	if l.Min, err = r.ULEB(bits); err != nil {
		return Limits{}, err
	}
	if l.HasMax {
		if l.Max, err = r.ULEB(bits); err != nil {
			return Limits{}, err
		}
	}
	return l, nil
}
