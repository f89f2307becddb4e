package plugin

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// callCtx is a reusable per-instance context for calls whose caller context
// can never be canceled (Done() == nil, e.g. context.Background): it carries
// the call's deadline and logger without allocating a timer and context per
// call. Its Done channel closes when the deadline passes, which is what makes
// wazero's close-on-context-done stop the plugin.
type callCtx struct {
	timer *time.Timer

	mu       sync.Mutex
	parent   context.Context
	logger   *slog.Logger
	deadline time.Time
	done     chan struct{}
	err      error
	armed    bool
}

func newCallCtx() *callCtx {
	c := &callCtx{done: make(chan struct{})}
	c.timer = time.AfterFunc(time.Hour, c.expire)
	c.timer.Stop()
	return c
}

// begin arms the context for one call.
func (c *callCtx) begin(parent context.Context, l *slog.Logger, timeout time.Duration) {
	c.mu.Lock()
	c.parent, c.logger = parent, l
	c.deadline = time.Now().Add(timeout)
	c.done = make(chan struct{})
	c.err, c.armed = nil, true
	c.mu.Unlock()
	c.timer.Reset(timeout)
}

// end disarms it; a timer firing late for an ended call does nothing.
func (c *callCtx) end() {
	c.timer.Stop()
	c.mu.Lock()
	c.armed = false
	c.parent, c.logger = nil, nil
	c.mu.Unlock()
}

func (c *callCtx) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A stale firing (armed for an earlier call) finds the deadline ahead.
	if !c.armed || time.Now().Before(c.deadline) {
		return
	}
	c.err, c.armed = context.DeadlineExceeded, false
	close(c.done)
}

// Deadline implements context.Context.
func (c *callCtx) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadline, true
}

// Done implements context.Context.
func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// Err implements context.Context.
func (c *callCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value implements context.Context; it answers the call's logger itself.
func (c *callCtx) Value(key any) any {
	if _, ok := key.(callLoggerKey); ok {
		return c.logger
	}
	c.mu.Lock()
	p := c.parent
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Value(key)
}
