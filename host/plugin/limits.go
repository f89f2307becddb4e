package plugin

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/experimental"
)

// Limits bound what one plugin may use. A zero field takes its default
// (DefaultLimits).
type Limits struct {
	// MemoryMaxPages caps the plugin's linear memory in 64 KiB pages.
	MemoryMaxPages uint32 `json:"memoryMaxPages,omitempty"`
	// Timeout caps one call (and one _initialize).
	Timeout time.Duration `json:"timeout,omitempty"`
	// MaxOutputBytes caps the size of the output JSON.
	MaxOutputBytes int `json:"maxOutputBytes,omitempty"`
	// PoolSize is how many instances of a reactor serve calls concurrently
	// (and the concurrency bound for command plugins).
	PoolSize int `json:"poolSize,omitempty"`
	// InitTimeout caps a reactor's instantiation and _initialize; zero means
	// the larger of Timeout and MinInitTimeout.
	InitTimeout time.Duration `json:"initTimeout,omitempty"`
	// Fuel caps the fuel one call may use (fuel.go, plugins/ABI.md §8): a
	// call past it fails with ErrFuelExhausted at the check point that goes
	// over. Zero means no limit (the timeout still applies). Instantiation
	// and _initialize are not metered.
	Fuel int64 `json:"fuel,omitempty"`
}

// Default limit values.
const (
	// DefaultMemoryMaxPages is 512 pages = 32 MiB, room for a Go-guest plugin.
	DefaultMemoryMaxPages = 512
	// DefaultTimeout is the per-call timeout.
	DefaultTimeout = 2 * time.Second
	// DefaultMaxOutputBytes is 1 MiB.
	DefaultMaxOutputBytes = 1 << 20
)

// DefaultLimits returns the defaults: 512 pages (32 MiB), 2 s per call,
// 1 MiB output, a pool of GOMAXPROCS instances.
func DefaultLimits() Limits {
	return Limits{
		MemoryMaxPages: DefaultMemoryMaxPages,
		Timeout:        DefaultTimeout,
		MaxOutputBytes: DefaultMaxOutputBytes,
		PoolSize:       runtime.GOMAXPROCS(0),
	}
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MemoryMaxPages == 0 {
		l.MemoryMaxPages = d.MemoryMaxPages
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = d.MaxOutputBytes
	}
	if l.PoolSize <= 0 {
		l.PoolSize = d.PoolSize
	}
	return l
}

// maxWasmPages is the most pages a 32-bit wasm memory can have.
const maxWasmPages = 65536

// MaxMemoryPages is the largest Limits.MemoryMaxPages: a 32-bit wasm memory
// has at most 65536 pages (4 GiB).
const MaxMemoryPages = maxWasmPages

// pageSize is the size of a wasm page.
const pageSize = 65536

// memoryGuard is a per-instance wazero memory allocator that refuses to grow
// past a page limit and remembers that it did, so a failure that follows
// (a trap, a Go runtime "out of memory" exit) is classified as ErrMemoryLimit.
//
// Where the system allows (memory_linux.go), the memory is a mapping that
// reserves the limit's address space up front and takes host memory only as
// the plugin touches pages: growing copies nothing and leaves nothing
// behind, and closing the instance returns every page at once. Elsewhere,
// or when heap is set, it is a Go slice grown by appending.
type memoryGuard struct {
	limitBytes uint64
	heap       bool
	hit        atomic.Bool
	mapped     *mappedMemory // the instance's memory, when mapped
}

// Allocate implements experimental.MemoryAllocator. max is the module's own
// maximum, if it declares one.
func (g *memoryGuard) Allocate(_, max uint64) experimental.LinearMemory {
	if !g.heap {
		if m := mapMemory(g, min(max, g.limitBytes)); m != nil {
			g.mapped = m
			return m
		}
	}
	return &heapMemory{guard: g}
}

// running marks a stretch in which the plugin runs or the host reads its
// memory: a mapped memory closed meanwhile (Runtime.Close with calls in
// flight) is unmapped only when the returned function says it ended.
func (g *memoryGuard) running() (ended func()) {
	if g == nil || g.mapped == nil {
		return func() {}
	}
	return g.mapped.running()
}

// heapMemory is a growable []byte that fails past the guard's limit.
type heapMemory struct {
	guard *memoryGuard
	buf   []byte
}

// Reallocate implements experimental.LinearMemory: it returns nil (memory.grow
// answers -1) when size is past the limit.
func (m *heapMemory) Reallocate(size uint64) []byte {
	if size > m.guard.limitBytes {
		m.guard.hit.Store(true)
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	m.buf = append(m.buf, make([]byte, size-uint64(len(m.buf)))...)
	return m.buf
}

// Free implements experimental.LinearMemory.
func (m *heapMemory) Free() { m.buf = nil }
