package plugin

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/experimental"
)

// callCtx is a reusable per-instance context for calls whose caller context
// can never be canceled (Done() == nil, e.g. context.Background): it carries
// the call's deadline and logger without allocating a timer and context per
// call. When the deadline passes it closes its Done channel. (The plugin's
// own checks read the deadline itself, yield.go.) Reads are lock-free,
// and it is the call's sliceClock.
type callCtx struct {
	timer   *time.Timer
	yielded int64 // when the plugin last gave up its thread (sliceClock)
	fuel    fuelMeter

	mu     sync.Mutex // serialises begin/end/expire; guards parent
	armed  bool
	parent context.Context

	logger   atomic.Pointer[slog.Logger]
	deadline atomic.Int64                  // unix nanoseconds
	done     atomic.Pointer[chan struct{}] // made on first Done of a call (nobody asks on the hot path)
	expired  atomic.Bool
}

func newCallCtx() *callCtx {
	c := &callCtx{}
	c.timer = time.AfterFunc(time.Hour, c.expire)
	c.timer.Stop()
	return c
}

// begin arms the context for one call.
func (c *callCtx) begin(parent context.Context, l *slog.Logger, timeout time.Duration) {
	c.mu.Lock()
	c.parent = parent
	c.logger.Store(l)
	now := time.Now()
	c.yielded = now.UnixNano()
	c.deadline.Store(now.Add(timeout).UnixNano())
	c.done.Store(nil)
	c.expired.Store(false)
	c.armed = true
	c.mu.Unlock()
	c.timer.Reset(timeout)
}

// end disarms it; a timer firing late for an ended call does nothing.
func (c *callCtx) end() {
	c.timer.Stop()
	c.mu.Lock()
	c.armed = false
	c.parent = nil
	c.logger.Store(nil)
	c.mu.Unlock()
}

func (c *callCtx) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A stale firing (armed for an earlier call) finds the deadline ahead.
	if !c.armed || time.Now().UnixNano() < c.deadline.Load() {
		return
	}
	c.armed = false
	c.expired.Store(true)
	if ch := c.done.Load(); ch != nil {
		close(*ch)
	}
}

func (c *callCtx) lastYield() *int64 { return &c.yielded }
func (c *callCtx) meter() *fuelMeter { return &c.fuel }

// Deadline implements context.Context.
func (c *callCtx) Deadline() (time.Time, bool) { return time.Unix(0, c.deadline.Load()), true }

// Done implements context.Context. The channel is made on first use in a
// call (closed at once if the call has already expired).
func (c *callCtx) Done() <-chan struct{} {
	if ch := c.done.Load(); ch != nil {
		return *ch
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch := c.done.Load(); ch != nil {
		return *ch
	}
	ch := make(chan struct{})
	if c.expired.Load() {
		close(ch)
	}
	c.done.Store(&ch)
	return ch
}

// Err implements context.Context.
func (c *callCtx) Err() error {
	if c.expired.Load() {
		return context.DeadlineExceeded
	}
	return nil
}

// Value implements context.Context; it answers the call's logger itself.
func (c *callCtx) Value(key any) any {
	if _, ok := key.(callLoggerKey); ok {
		return c.logger.Load()
	}
	c.mu.Lock()
	p := c.parent
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Value(key)
}

// callContext derives the context of one call: timeout, memory guard,
// logger (limited by n) and the slice clock of the timeout checks.
func (p *Plugin) callContext(ctx context.Context, guard *memoryGuard, n *atomic.Int32, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(ctx, callLoggerKey{}, p.callLogger(ctx, n, nil))
	if guard != nil {
		ctx = experimental.WithMemoryAllocator(ctx, guard)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return withSliceClock(ctx), cancel
}
