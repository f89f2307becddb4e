//go:build !linux

package plugin

// mappedMemory is not used on this system: plugin memory lives on the Go
// heap (heapMemory).
type mappedMemory struct{}

func mapMemory(*memoryGuard, uint64) *mappedMemory { return nil }

func (*mappedMemory) running() func() { return func() {} }

func (*mappedMemory) Reallocate(uint64) []byte { return nil }

func (*mappedMemory) Free() {}
