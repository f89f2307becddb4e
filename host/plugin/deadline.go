package plugin

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// callCtx is a reusable per-instance context for calls whose caller context
// can never be canceled (Done() == nil, e.g. context.Background): it carries
// the call's deadline and logger without allocating a timer and context per
// call. Its Done channel closes when the deadline passes, which is what makes
// wazero's close-on-context-done stop the plugin. Reads are lock-free.
type callCtx struct {
	timer *time.Timer

	mu     sync.Mutex // serialises begin/end/expire; guards parent
	armed  bool
	parent context.Context

	logger   atomic.Pointer[slog.Logger]
	deadline atomic.Int64 // unix nanoseconds
	done     atomic.Pointer[chan struct{}]
	expired  atomic.Bool
}

func newCallCtx() *callCtx {
	c := &callCtx{}
	ch := make(chan struct{})
	c.done.Store(&ch)
	c.timer = time.AfterFunc(time.Hour, c.expire)
	c.timer.Stop()
	return c
}

// begin arms the context for one call.
func (c *callCtx) begin(parent context.Context, l *slog.Logger, timeout time.Duration) {
	ch := make(chan struct{})
	c.mu.Lock()
	c.parent = parent
	c.logger.Store(l)
	c.deadline.Store(time.Now().Add(timeout).UnixNano())
	c.done.Store(&ch)
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
	close(*c.done.Load())
}

// Deadline implements context.Context.
func (c *callCtx) Deadline() (time.Time, bool) { return time.Unix(0, c.deadline.Load()), true }

// Done implements context.Context.
func (c *callCtx) Done() <-chan struct{} { return *c.done.Load() }

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
