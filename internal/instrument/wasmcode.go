package instrument

import (
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/internal/wasmbin"
)

// refKind says what an instruction's index immediate refers to.
type refKind byte

const (
	refNone   refKind = iota
	refFunc           // call, return_call, ref.func: a function index
	refGlobal         // global.get, global.set: a global index
	refType           // call_indirect, return_call_indirect, call_ref, return_call_ref, a block type: a type index
)

// instr is one decoded instruction: its opcode, and the index immediate the
// instrumentation checks or renumbers, if it has one.
type instr struct {
	op       byte
	ref      refKind
	index    uint32
	refStart int // offset of the index immediate (valid when ref != refNone)
	refEnd   int // offset just past it
}

// Opcodes the instrumentation looks at.
const (
	opUnreachable        = 0x00
	opBlock              = 0x02
	opLoop               = 0x03
	opIf                 = 0x04
	opElse               = 0x05
	opEnd                = 0x0b
	opBr                 = 0x0c
	opBrIf               = 0x0d
	opBrTable            = 0x0e
	opReturn             = 0x0f
	opCall               = 0x10
	opCallIndirect       = 0x11
	opReturnCall         = 0x12
	opReturnCallIndirect = 0x13
	opCallRef            = 0x14
	opReturnCallRef      = 0x15
	opGlobalGet          = 0x23
	opGlobalSet          = 0x24
	opI32Const           = 0x41
	opI64Const           = 0x42
	opI64Eqz             = 0x50
	opI64Add             = 0x7c
	opI64Sub             = 0x7d
	opI64And             = 0x83
	opI32LtS             = 0x48
	opI32Add             = 0x6a
	opI32Sub             = 0x6b
	opRefFunc            = 0xd2
)

var errUnknownOpcode = errors.New("unknown opcode")

// isReturnCall reports whether op ends the function by a tail call.
func isReturnCall(op byte) bool {
	return op == opReturnCall || op == opReturnCallIndirect || op == opReturnCallRef
}

// skipU32s skips n u32 numbers.
func skipU32s(r *wasmbin.Reader, n int) error {
	for i := 0; i < n; i++ {
		if _, err := r.U32(); err != nil {
			return err
		}
	}
	return nil
}

// memarg skips a memory argument (align, [memory index], offset).
func memarg(r *wasmbin.Reader) error {
	align, err := r.U32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 { // multi-memory: explicit memory index
		if err := r.SkipLEB(); err != nil {
			return err
		}
	}
	return r.SkipLEB()
}

// readS33 reads a signed LEB128 number of at most 33 bits (a block type).
func readS33(r *wasmbin.Reader) (int64, error) {
	var v int64
	var shift uint
	for i := 0; i < 5; i++ {
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
	return 0, wasmbin.ErrMalformedLEB
}

// index reads an index immediate into in.
func (in *instr) readIndex(r *wasmbin.Reader, kind refKind) error {
	in.refStart = r.Offset()
	idx, err := r.U32()
	if err != nil {
		return err
	}
	in.ref, in.index, in.refEnd = kind, idx, r.Offset()
	return nil
}

// decodeInstr decodes one instruction. It knows the instruction set wazero
// compiles (WebAssembly 2.0: MVP, bulk memory, reference types, multi-value,
// SIMD, plus tail calls and typed function references' call_ref); anything
// else is an error.
func decodeInstr(r *wasmbin.Reader) (in instr, err error) {
	op, err := r.Byte()
	if err != nil {
		return in, err
	}
	in.op = op
	switch {
	case op == 0x00 || op == 0x01 || op == opElse || op == opEnd || op == opReturn || op == 0x1a || op == 0x1b || op == 0xd1:
	case op >= 0x45 && op <= 0xc4:
	case op == opBlock || op == opLoop || op == opIf: // blocktype: 0x40, a value type, or a type index (s33)
		start := r.Offset()
		var bt int64
		if bt, err = readS33(r); err == nil && bt >= 0 {
			if bt > 0xffffffff {
				return in, fmt.Errorf("block type index %d out of range", bt)
			}
			in.ref, in.index, in.refStart, in.refEnd = refType, uint32(bt), start, r.Offset()
		}
	case op == opGlobalGet || op == opGlobalSet:
		err = in.readIndex(r, refGlobal)
	case op == opBr || op == opBrIf || op == 0x20 || op == 0x21 || op == 0x22 ||
		op == 0x25 || op == 0x26 || op == 0x3f || op == 0x40 || op == 0xd0:
		err = r.SkipLEB()
	case op == opBrTable:
		var n uint32
		if n, err = r.U32(); err == nil {
			err = skipU32s(r, int(n)+1)
		}
	case op == opCall || op == opReturnCall || op == opRefFunc:
		err = in.readIndex(r, refFunc)
	case op == opCallIndirect || op == opReturnCallIndirect: // type index, table index
		if err = in.readIndex(r, refType); err == nil {
			err = r.SkipLEB()
		}
	case op == opCallRef || op == opReturnCallRef:
		err = in.readIndex(r, refType)
	case op == 0x1c: // select with types
		var n uint32
		if n, err = r.U32(); err == nil {
			err = r.Skip(int(n))
		}
	case op >= 0x28 && op <= 0x3e:
		err = memarg(r)
	case op == 0x41 || op == 0x42:
		err = r.SkipLEB()
	case op == 0x43:
		err = r.Skip(4)
	case op == 0x44:
		err = r.Skip(8)
	case op == 0xfc:
		var sub uint32
		if sub, err = r.U32(); err != nil {
			break
		}
		switch {
		case sub <= 7:
		case sub == 9 || sub == 11 || sub == 13 || sub == 15 || sub == 16 || sub == 17:
			err = r.SkipLEB()
		case sub == 8 || sub == 10 || sub == 12 || sub == 14:
			err = skipU32s(r, 2)
		default:
			return in, fmt.Errorf("%w 0xfc %d", errUnknownOpcode, sub)
		}
	case op == 0xfd:
		var sub uint32
		if sub, err = r.U32(); err != nil {
			break
		}
		switch {
		case sub <= 11 || sub == 92 || sub == 93:
			err = memarg(r)
		case sub == 12 || sub == 13:
			err = r.Skip(16)
		case sub >= 21 && sub <= 34:
			err = r.Skip(1)
		case sub >= 84 && sub <= 91:
			if err = memarg(r); err == nil {
				err = r.Skip(1)
			}
		case sub <= 0x113:
		default:
			return in, fmt.Errorf("%w 0xfd %d", errUnknownOpcode, sub)
		}
	default:
		return in, fmt.Errorf("%w %#x at offset %d", errUnknownOpcode, op, r.Offset()-1)
	}
	return in, err
}
