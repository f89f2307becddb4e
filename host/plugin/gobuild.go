package plugin

import (
	"errors"

	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/wasmbin"
)

// ErrGoNotCShared is the cause of the ErrABI load error for a Go wasip1
// module built without -buildmode=c-shared that exports shape (errors.Is
// matches it): Go's linker made it a program (_start, no _initialize), so a
// host that treats a module exporting shape as a reactor and never runs
// _start would call alloc on a Go runtime that never started, and every call
// would trap. `plugin inspect` reports the same cause as finding
// go_not_c_shared.
var ErrGoNotCShared = errors.New("this Go module was built without -buildmode=c-shared: " +
	"it exports _start and no _initialize, so the host never starts the Go runtime and every call would trap in alloc " +
	"(\"wasmexport function called before runtime initialization\"); rebuild it as a reactor: " + buildhint.GoLine)

// checkBuild refuses a module that loads but whose every call would fail
// because of how it was built (ErrGoNotCShared). A binary wasmbin cannot
// decode is left to the compiler, whose error names the fault.
func checkBuild(bin []byte) error {
	m, err := wasmbin.Decode(bin)
	if err != nil || !buildhint.GoWithoutCShared(m) {
		return nil
	}
	return ErrGoNotCShared
}
