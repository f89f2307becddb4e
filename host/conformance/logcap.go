package conformance

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
)

// A gate run calls each plugin hundreds of times (every scenario, every
// generated case, the shrinker's retries), and the plugin host's per-call
// log limits multiply by that. The gate logs at most this much of each
// plugin's output over one run, then one line saying what was dropped.
const (
	// MaxPluginLogRecords is how many log records (agentshape.log calls and
	// stdout/stderr lines) of one plugin one gate run logs.
	MaxPluginLogRecords = 100
	// MaxPluginLogBytes is how many bytes of log messages of one plugin one
	// gate run logs.
	MaxPluginLogBytes = 64 << 10
)

// logCap counts each plugin's log records over one gate run and drops those
// past MaxPluginLogRecords or MaxPluginLogBytes.
type logCap struct {
	out *slog.Logger
	mu  sync.Mutex
	per map[string]*pluginLogs
}

// pluginLogs is one plugin's count.
type pluginLogs struct {
	records, bytes        int
	dropped, droppedBytes int64
}

type logCapKey struct{}

// withLogCap returns ctx carrying a new cap over logger's output, for every
// plugin runtime the run opens (openRunner); report writes its summary.
func withLogCap(ctx context.Context, logger *slog.Logger) (context.Context, *logCap) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &logCap{out: logger, per: map[string]*pluginLogs{}}
	return context.WithValue(ctx, logCapKey{}, c), c
}

// capLogger is the logger plugin runtimes opened under ctx log to: the run's
// cap, or nil (the runtime's default) when ctx carries none.
func capLogger(ctx context.Context) *slog.Logger {
	c, _ := ctx.Value(logCapKey{}).(*logCap)
	if c == nil {
		return nil
	}
	return slog.New(&capHandler{cap: c, inner: c.out.Handler()})
}

// admit counts one record of plugin with a message of n bytes and reports
// whether it may be logged.
func (c *logCap) admit(plugin string, n int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.per[plugin]
	if p == nil {
		p = &pluginLogs{}
		c.per[plugin] = p
	}
	if p.records >= MaxPluginLogRecords || p.bytes+n > MaxPluginLogBytes {
		p.dropped++
		p.droppedBytes += int64(n)
		p.bytes = MaxPluginLogBytes // nothing after the first drop gets through
		return false
	}
	p.records++
	p.bytes += n
	return true
}

// report logs one warning per plugin whose records were dropped.
func (c *logCap) report() {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.per))
	for name := range c.per {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := c.per[name]
		if p.dropped == 0 {
			continue
		}
		c.out.Warn(fmt.Sprintf("plugin logged %d more records (%d bytes of messages) in this conformance run; dropped: the gate logs at most %d records or %d bytes per plugin per run",
			p.dropped, p.droppedBytes, MaxPluginLogRecords, MaxPluginLogBytes), "plugin", name)
	}
}

// capHandler passes a plugin's records to inner within its logCap.
type capHandler struct {
	cap    *logCap
	inner  slog.Handler
	plugin string // from the plugin=<name> attribute the plugin host adds
}

// Enabled implements slog.Handler.
func (h *capHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *capHandler) Handle(ctx context.Context, r slog.Record) error {
	plugin := h.plugin
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "plugin" {
			plugin = a.Value.String()
		}
		return true
	})
	if !h.cap.admit(plugin, len(r.Message)) {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *capHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	for _, a := range attrs {
		if a.Key == "plugin" {
			c.plugin = a.Value.String()
		}
	}
	c.inner = h.inner.WithAttrs(attrs)
	return &c
}

// WithGroup implements slog.Handler.
func (h *capHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.inner = h.inner.WithGroup(name)
	return &c
}
