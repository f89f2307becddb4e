package plugin

import (
	"context"
	"runtime"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// The host stops a plugin that runs past its deadline (or whose caller gave
// up) through checks the module itself makes (internal/instrument: a fuel
// countdown at every loop header and at the entry of every function that
// could recurse without meeting a loop, and a call of hostYield whenever it
// reaches zero, every instrument.FuelChunk check points at most).
//
// hostYield checks the call's context there and then, against the clock —
// not a flag some timer has to set, since a timer needs a free thread to
// run, which busy plugins may all be holding — and traps the plugin once its
// deadline has passed or its caller has gone. It also gives up its thread
// after yieldSlice of guest code, so that plugins sharing few cores take
// turns finely and one whose deadline has passed soon gets a turn to stop.

// yieldSlice is how long a plugin runs before yield lets other goroutines
// have its thread (Go's own preemption, which only applies at such trips,
// waits 10 ms).
const yieldSlice = time.Millisecond

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

// hostYield implements instrument.YieldImport: the trip into Go of the
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
