package shapekit

// Level is a log level of agentshape.log (plugins/ABI.md).
type Level int32

// Log levels, as the host's slog levels debug, info, warn and error.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// Log sends msg to the host's log at level; the host tags it with the
// plugin's name. Never log secrets: the host's log is not a safe place for them.
func Log(level Level, msg string) { hostLog(level, msg) }
