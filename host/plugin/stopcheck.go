package plugin

import (
	"context"
	"runtime"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// The host stops a plugin that runs past its deadline (or whose caller gave
// up) through checks the module itself makes. The rewrite (instrument.go)
// inserts at every loop header, and at the entry of every function that
// could recurse without meeting a loop:
//
//	fuel -= 1
//	if fuel == 0 {
//	    call $yield        ;; a trip into Go
//	}
//
// where fuel counts down from at most yieldMask+1 (fuel.go: the same
// counter measures a call's fuel).
//
// Any endless execution passes those points again and again. yield checks
// the call's context there and then, against the clock — not a flag some
// timer has to set, since a timer needs a free thread to run, which busy
// plugins may all be holding — and traps the plugin once its deadline has
// passed or its caller has gone. Go cannot preempt a goroutine while it
// runs compiled guest code, so without the periodic trip a busy plugin
// would hold its thread forever, and a stop-the-world (every GC) would wait
// for it, deadlocking the process. yield also gives up its thread after
// yieldSlice of guest code, so that plugins sharing few cores take turns
// finely and one whose deadline has passed soon gets a turn to stop. All
// this costs a counter update and a branch per loop iteration; wazero's own
// close-on-context-done instead calls out of the guest at every loop header
// (4-5x on a Go-guest plugin).

// yieldMask sets how often a plugin trips into Go: every 4096 check points.
const yieldMask = 0xfff

// yieldSlice is how long a plugin runs before yield lets other goroutines
// have its thread (Go's own preemption, which only applies at such trips,
// waits 10 ms).
const yieldSlice = time.Millisecond

// tickCheck returns the check point code for the fuel countdown at global
// index fuel and the yield function at index yield.
func tickCheck(fuel, yield uint32) []byte {
	return checkPoint(fuel, yield, []byte{opI64Const, 0x01, opI64Sub}, []byte{opI64Eqz})
}

// unmeteredCheck is the check point as it was before fuel: the counter
// counts up and the plugin trips into Go when its low 12 bits are zero
// (the host's resets to fuelChunk keep that cadence). Only the benchmark of
// metering's cost uses it (RuntimeOptions.unmetered).
func unmeteredCheck(ticks, yield uint32) []byte {
	test := append([]byte{opI64Const}, appendS32(nil, yieldMask)...)
	return checkPoint(ticks, yield, []byte{opI64Const, 0x01, opI64Add}, append(test, opI64And, opI64Eqz))
}

// checkPoint returns: counter = counter <update>; if counter <test> { call
// yield }, for the i64 counter at global index counter.
func checkPoint(counter, yield uint32, update, test []byte) []byte {
	b := []byte{opGlobalGet}
	b = appendU32(b, counter)
	b = append(b, update...)
	b = append(b, opGlobalSet)
	b = appendU32(b, counter)
	b = append(b, opGlobalGet)
	b = appendU32(b, counter)
	b = append(b, test...)
	b = append(b, opIf, 0x40, opCall)
	b = appendU32(b, yield)
	return append(b, opEnd)
}

// appendS32 appends v as a signed LEB128.
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// sliceClock is a call context that remembers when its plugin last gave up
// its thread.
type sliceClock interface {
	context.Context
	lastYield() *int64
	meter() *fuelMeter
}

// guestCtx is the context of a call, instantiation or command run that is
// not served by a callCtx: its parent (with the deadline) plus the
// sliceClock.
type guestCtx struct {
	context.Context
	yielded int64
	fuel    fuelMeter
}

func (c *guestCtx) lastYield() *int64 { return &c.yielded }
func (c *guestCtx) meter() *fuelMeter { return &c.fuel }

// withSliceClock returns ctx as a sliceClock.
func withSliceClock(ctx context.Context) context.Context {
	return &guestCtx{Context: ctx, yielded: time.Now().UnixNano()}
}

// hostYield implements internalModule.yield: the trip into Go of the
// timeout checks.
func hostYield(ctx context.Context, mod api.Module, _ []uint64) {
	c, clocked := ctx.(sliceClock)
	if clocked {
		c.meter().trip(mod)
	} else if g := fuelGlobal(mod); g != nil {
		g.Set(fuelChunk)
	}
	now := time.Now()
	if d, ok := ctx.Deadline(); ok && !now.Before(d) {
		panic(exitDeadlineExceeded)
	}
	checkDeadline(ctx)
	if clocked {
		last := c.lastYield()
		if now.UnixNano()-*last >= int64(yieldSlice) {
			runtime.Gosched()
			*last = time.Now().UnixNano()
		}
	}
}
