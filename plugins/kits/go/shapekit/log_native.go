//go:build !wasip1

package shapekit

import (
	"context"
	"log/slog"
)

// hostLog, outside wasm, writes to slog.Default so native runs of a plugin's
// logic (tests, benchmarks) keep its messages.
func hostLog(level Level, msg string) {
	l := slog.LevelInfo
	switch level {
	case LevelDebug:
		l = slog.LevelDebug
	case LevelWarn:
		l = slog.LevelWarn
	case LevelError:
		l = slog.LevelError
	}
	slog.Default().Log(context.Background(), l, msg, "plugin", "native")
}
