//go:build linux

package plugin

import "testing"

// A mapped memory freed while its plugin runs (Runtime.Close with a call in
// flight) stays mapped until the run ends: unmapping it under running code
// would crash the host on the plugin's next memory access.
func TestMappedMemoryOutlivesFreeWhileRunning(t *testing.T) {
	g := &memoryGuard{limitBytes: 4 * pageSize}
	lm := g.Allocate(0, 1<<32)
	m, ok := lm.(*mappedMemory)
	if !ok || g.mapped != m {
		t.Fatalf("Allocate gave %T, want the mapped memory", lm)
	}
	buf := m.Reallocate(2 * pageSize)
	if len(buf) != 2*pageSize || m.Reallocate(5*pageSize) != nil || !g.hit.Load() {
		t.Fatal("growth within and past the limit not as expected")
	}
	ended := g.running()
	m.Free()
	buf[len(buf)-1] = 1 // still mapped: this would fault if it were not
	if m.region == nil {
		t.Fatal("unmapped while running")
	}
	ended()
	if m.region != nil || m.state.Load() != mapFreed {
		t.Fatal("not unmapped when the run ended")
	}
	// Freed when idle: unmapped at once; a later run does nothing.
	g2 := &memoryGuard{limitBytes: pageSize}
	m2 := g2.Allocate(0, pageSize).(*mappedMemory)
	m2.Free()
	if m2.region != nil {
		t.Fatal("not unmapped when idle")
	}
	g2.running()()
}
