package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// A plugin's log: the caller's or the runtime's logger, tagged with the
// plugin's name, and at most maxLogMessages messages per call.

// callLogger is the logger of one call: the caller's (WithLogger) or the
// runtime's, tagged plugin=<name>, limited to maxLogMessages messages counted
// in n. cached is a ready logger over n for the runtime's logger, or nil.
func (p *Plugin) callLogger(ctx context.Context, n *atomic.Int32, cached *slog.Logger) *slog.Logger {
	n.Store(0)
	if cl, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && cl != nil {
		return slog.New(&limitHandler{inner: cl.With("plugin", p.name).Handler(), n: n})
	}
	if cached != nil {
		return cached
	}
	return slog.New(&limitHandler{inner: p.logger.Handler(), n: n})
}

// maxLogMessages is how many log messages (agentshape.log calls plus
// stdout/stderr lines) one call or _initialize may write; later ones are
// dropped, with one warning saying so.
const maxLogMessages = 256

// limitHandler passes at most maxLogMessages records per call to inner.
type limitHandler struct {
	inner slog.Handler
	n     *atomic.Int32
}

// Enabled implements slog.Handler. Once the call's messages are used up (and
// the warning is out) it answers false, so that callers skip copying what
// would be dropped.
func (h *limitHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.n.Load() <= maxLogMessages && h.inner.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *limitHandler) Handle(ctx context.Context, r slog.Record) error {
	switch n := h.n.Add(1); {
	case n <= maxLogMessages:
		return h.inner.Handle(ctx, r)
	case n == maxLogMessages+1:
		w := slog.NewRecord(r.Time, slog.LevelWarn, fmt.Sprintf("plugin wrote more than %d log messages in one call; dropping the rest of this call's messages", maxLogMessages), 0)
		return h.inner.Handle(ctx, w)
	}
	return nil
}

// WithAttrs implements slog.Handler.
func (h *limitHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &limitHandler{inner: h.inner.WithAttrs(as), n: h.n}
}

// WithGroup implements slog.Handler.
func (h *limitHandler) WithGroup(name string) slog.Handler {
	return &limitHandler{inner: h.inner.WithGroup(name), n: h.n}
}
