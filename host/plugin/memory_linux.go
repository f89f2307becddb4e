//go:build linux

package plugin

import (
	"sync/atomic"
	"syscall"
)

// mappedMemory is a plugin's linear memory in an anonymous private mapping
// of the most it may grow to, made without reserving swap: untouched pages
// take no host memory, growing is a new length on the same bytes, and
// Free unmaps it all.
type mappedMemory struct {
	guard  *memoryGuard
	region []byte
	state  atomic.Int32 // mapIdle, mapRunning, mapFreeLater or mapFreed
}

// States of a mappedMemory.
const (
	mapIdle      int32 = iota // mapped, nothing running
	mapRunning                // mapped, the plugin runs or the host reads it
	mapFreeLater              // freed while running: unmap when the run ends
	mapFreed                  // unmapped
)

// mapMemory maps size bytes for g, or returns nil when the mapping fails
// (the caller then uses the Go heap).
func mapMemory(g *memoryGuard, size uint64) *mappedMemory {
	if size == 0 || size > maxWasmPages*pageSize {
		return nil
	}
	region, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return &mappedMemory{guard: g, region: region}
}

// Reallocate implements experimental.LinearMemory: the first size bytes of
// the mapping, or nil (memory.grow answers -1) past the limit.
func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > m.guard.limitBytes {
		m.guard.hit.Store(true)
		return nil
	}
	if size > uint64(len(m.region)) {
		return nil
	}
	return m.region[:size]
}

// Free implements experimental.LinearMemory: it unmaps the memory, or, while
// the plugin runs, has the end of the run unmap it.
func (m *mappedMemory) Free() {
	for {
		switch m.state.Load() {
		case mapIdle:
			if m.state.CompareAndSwap(mapIdle, mapFreed) {
				m.unmap()
				return
			}
		case mapRunning:
			if m.state.CompareAndSwap(mapRunning, mapFreeLater) {
				return
			}
		default:
			return
		}
	}
}

// running implements memoryGuard.running.
func (m *mappedMemory) running() (ended func()) {
	if !m.state.CompareAndSwap(mapIdle, mapRunning) {
		return func() {} // freed already: the run fails before touching it
	}
	return func() {
		if !m.state.CompareAndSwap(mapRunning, mapIdle) && m.state.CompareAndSwap(mapFreeLater, mapFreed) {
			m.unmap()
		}
	}
}

func (m *mappedMemory) unmap() {
	_ = syscall.Munmap(m.region)
	m.region = nil
}
