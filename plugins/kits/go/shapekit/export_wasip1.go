//go:build wasip1

package shapekit

import (
	"errors"
	"strconv"
	"unsafe"
)

//go:wasmimport agentshape log
func agentshapeLog(level int32, ptr unsafe.Pointer, n int32)

func hostLog(level Level, msg string) {
	if len(msg) == 0 {
		agentshapeLog(int32(level), nil, 0)
		return
	}
	agentshapeLog(int32(level), unsafe.Pointer(unsafe.StringData(msg)), int32(len(msg)))
}

// Buffers handed to the host. They are referenced from package variables so
// the garbage collector keeps them (Go's collector does not move objects)
// until the kit lets go of them: input buffers at the end of the shape call
// that reads them, the output buffer at the next shape call.
var (
	inputs [][]byte
	output []byte
	zero   [1]byte
)

// abiMarker declares ABI v1.
//
//go:wasmexport agentshape_abi_v1
func abiMarker() {}

// alloc returns a pointer to size writable bytes for the host's input.
//
//go:wasmexport alloc
func alloc(size uint32) uint32 {
	if size == 0 {
		return uint32(uintptr(unsafe.Pointer(&zero[0])))
	}
	buf := make([]byte, size)
	inputs = append(inputs, buf)
	return uint32(uintptr(unsafe.Pointer(&buf[0])))
}

// shape runs the registered ShapeFunc on the envelope at ptr..ptr+n and
// returns (out_ptr << 32) | out_len.
//
//go:wasmexport shape
func shape(ptr unsafe.Pointer, n uint32) uint64 {
	var in []byte
	if n > 0 {
		in = unsafe.Slice((*byte)(ptr), n)
	}
	output = Handle(registered, in)
	for i := range inputs {
		inputs[i] = nil
	}
	inputs = inputs[:0]
	if len(output) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&output[0])))<<32 | uint64(len(output))
}

//go:wasmimport wasi_snapshot_preview1 random_get
func randomGet(buf unsafe.Pointer, n uint32) uint32

// fillRandom reads from WASI random_get, the host's randomness (seeded by the
// host in deterministic mode). crypto/rand would do the same but links the
// whole crypto stack into every plugin.
func fillRandom(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if errno := randomGet(unsafe.Pointer(&b[0]), uint32(len(b))); errno != 0 {
		return errors.New("wasi random_get failed with errno " + strconv.FormatUint(uint64(errno), 10))
	}
	return nil
}
