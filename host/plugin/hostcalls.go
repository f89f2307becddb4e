package plugin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/instrument"
)

// Host calls are the functions a plugin imports: WASI preview 1 and
// agentshape.log. The timeout checks at loop headers read the deadline
// only every 4096 check points (yield.go), so a plugin making a few slow host calls
// would never meet it; therefore every host call checks its call's context
// before doing anything, and the ones whose cost grows with their arguments
// are bounded per call: random_get by maxRandomBytesPerCall, fd_write to
// stdout/stderr by maxStdioBytesPerCall (the rest is dropped unread) and
// maxLogMessage per line, agentshape.log by maxLogMessage per message.

// Per-call budgets of host calls. A reactor's _initialize gets the same.
const (
	// maxRandomBytesPerCall is the most random bytes random_get may draw in
	// one call; a random_get that would draw more traps the call.
	maxRandomBytesPerCall = 1 << 20
	// maxStdioBytesPerCall is how many of the bytes a call writes to each of
	// stdout and stderr (when they go to the log) are split into log lines;
	// the rest are dropped unread and counted, and one warning per stream
	// says how many were dropped.
	maxStdioBytesPerCall = 64 << 10
)

// maxLogMessage caps one agentshape.log message and one stdout/stderr line.
const maxLogMessage = 8 << 10

// Exit errors a host call traps with when its call's context is done: the
// same ones wazero's own close-on-context-done uses, which classify reads as
// "the host stopped the plugin" (ErrTimeout or ErrCanceled).
var (
	exitDeadlineExceeded = sys.NewExitError(sys.ExitCodeDeadlineExceeded)
	exitContextCanceled  = sys.NewExitError(sys.ExitCodeContextCanceled)
)

// checkDeadline traps the calling plugin when ctx, its call's context, is
// done (deadline passed or caller gone). One atomic load when it is not.
func checkDeadline(ctx context.Context) {
	switch err := ctx.Err(); err {
	case nil:
	case context.DeadlineExceeded:
		panic(exitDeadlineExceeded)
	default:
		panic(exitContextCanceled)
	}
}

// checked returns f preceded by the deadline check.
func checked(f api.GoModuleFunction) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		checkDeadline(ctx)
		f.Call(ctx, mod, stack)
	}
}

// instantiateWASI instantiates wazero's WASI preview 1 module with every
// function behind the deadline check, or as wazero ships it when unchecked
// (only for the benchmark that measures the checks). wazero's functions do
// the work: each is taken from a compiled copy of its module and exported
// again, with the same name and signature, behind the check.
func instantiateWASI(ctx context.Context, rt wazero.Runtime, unchecked bool) error {
	if unchecked {
		_, err := wasi_snapshot_preview1.Instantiate(ctx, rt)
		return err
	}
	shipped, err := wasi_snapshot_preview1.NewBuilder(rt).Compile(ctx)
	if err != nil {
		return err
	}
	defer shipped.Close(ctx)
	defs := shipped.ExportedFunctions()
	b := rt.NewHostModuleBuilder(abi.WASIModule)
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		d := defs[name]
		var f api.GoModuleFunction
		switch g := d.GoFunction().(type) {
		case api.GoModuleFunction:
			f = g
		case api.GoFunction:
			f = api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) { g.Call(ctx, stack) })
		default:
			return fmt.Errorf("WASI function %s is implemented by %T, not a Go function", name, g)
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(checked(f), d.ParamTypes(), d.ResultTypes()).
			WithParameterNames(d.ParamNames()...).
			WithResultNames(d.ResultNames()...).
			Export(name)
	}
	_, err = b.Instantiate(ctx)
	return err
}

// instantiateHostModule instantiates the agentshape module (agentshape.log),
// with the deadline check unless unchecked.
func instantiateHostModule(ctx context.Context, rt wazero.Runtime, unchecked bool) error {
	f := api.GoModuleFunc(hostLog)
	if !unchecked {
		f = checked(f)
	}
	_, err := rt.NewHostModuleBuilder(abi.HostModule).
		NewFunctionBuilder().
		WithGoModuleFunction(f, []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, nil).
		WithParameterNames("level", "ptr", "len").
		Export(abi.LogImport).
		Instantiate(ctx)
	return err
}

// hostLog implements agentshape.log(level, ptr, len). A range not wholly
// inside memory is ignored with a warning (ABI §3); a longer message than
// maxLogMessage is cut.
func hostLog(ctx context.Context, mod api.Module, stack []uint64) {
	level, ptr, n := int32(stack[0]), uint32(stack[1]), uint32(stack[2])
	l, _ := ctx.Value(callLoggerKey{}).(*slog.Logger)
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	if uint64(ptr)+uint64(n) > uint64(mod.Memory().Size()) {
		l.Warn("agentshape.log called with a message outside the plugin's memory; ignored", "ptr", ptr, "len", n)
		return
	}
	var lvl slog.Level
	switch level {
	case abi.LogDebug:
		lvl = slog.LevelDebug
	case abi.LogInfo:
		lvl = slog.LevelInfo
	case abi.LogWarn:
		lvl = slog.LevelWarn
	case abi.LogError:
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	if !l.Enabled(ctx, lvl) { // e.g. past the call's message limit: copy nothing
		return
	}
	truncated := n > maxLogMessage
	msg, _ := mod.Memory().Read(ptr, min(n, maxLogMessage))
	if truncated {
		l.Log(ctx, lvl, string(msg), "truncated", true)
		return
	}
	l.Log(ctx, lvl, string(msg))
}

// budgetError is a host call refused because it would exceed its per-call
// budget; the call traps with it.
type budgetError struct {
	call  string // e.g. "random_get of 16 bytes"
	limit string // e.g. "1048576 random bytes"
	hint  string // what to do
}

func (e *budgetError) Error() string {
	return fmt.Sprintf("%s would draw more than %s in one call (the per-call budget of host calls); %s", e.call, e.limit, e.hint)
}

// randBudget is a plugin instance's random source for random_get, limited
// to maxRandomBytesPerCall per call: past it, random_get traps (a panic
// that wazero turns into the call's error) before drawing anything.
type randBudget struct {
	src  io.Reader
	left int
}

func newRandBudget(src io.Reader) *randBudget {
	return &randBudget{src: src, left: maxRandomBytesPerCall}
}

// reset gives the next call its budget.
func (r *randBudget) reset() { r.left = maxRandomBytesPerCall }

// Read implements io.Reader.
func (r *randBudget) Read(p []byte) (int, error) {
	if len(p) > r.left {
		panic(&budgetError{
			call:  fmt.Sprintf("random_get of %d bytes", len(p)),
			limit: fmt.Sprintf("%d random bytes", maxRandomBytesPerCall),
			hint:  "draw only the randomness a call needs (a key or nonce is a few dozen bytes)",
		})
	}
	n, err := r.src.Read(p)
	r.left -= n
	return n, err
}

// logWriter turns a plugin's stdout or stderr into log lines, within the
// per-call caps: each line is cut at maxLogMessage bytes, and only the first
// maxStdioBytesPerCall bytes a call writes are looked at; the rest are
// dropped unread. endCall logs what is left and one warning if anything was
// dropped.
type logWriter struct {
	logger *slog.Logger
	level  slog.Level
	stream string
	line   []byte
	cut    bool  // the current line was cut at maxLogMessage
	wrote  int64 // bytes written in this call
	kept   int64 // bytes of this call that reached (or will reach) the log, newlines included
}

// Write implements io.Writer. It always reports every byte written.
func (w *logWriter) Write(b []byte) (int, error) {
	n := len(b)
	room := maxStdioBytesPerCall - w.wrote
	w.wrote += int64(n)
	if room <= 0 {
		return n, nil
	}
	b = b[:min(int64(len(b)), room)]
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		seg := b
		if i >= 0 {
			seg = b[:i]
		}
		keep := min(len(seg), maxLogMessage-len(w.line))
		w.line = append(w.line, seg[:keep]...)
		w.kept += int64(keep)
		w.cut = w.cut || keep < len(seg)
		if i < 0 {
			break
		}
		w.kept++ // the newline
		w.flush()
		b = b[i+1:]
	}
	return n, nil
}

// flush logs the current line, if any.
func (w *logWriter) flush() {
	if len(w.line) == 0 {
		return
	}
	if !w.logger.Enabled(context.Background(), w.level) {
		w.line, w.cut = w.line[:0], false
		return
	}
	if w.cut {
		w.logger.Log(context.Background(), w.level, string(w.line), "stream", w.stream, "truncated", true)
	} else {
		w.logger.Log(context.Background(), w.level, string(w.line), "stream", w.stream)
	}
	w.line, w.cut = w.line[:0], false
}

// endCall flushes the last line, says how much of the call's output was
// dropped (outside the per-call message limit: this warning is never
// dropped) and starts the next call's count.
func (w *logWriter) endCall() {
	w.flush()
	if dropped := w.wrote - w.kept; dropped > 0 {
		uncounted(w.logger).Warn(fmt.Sprintf("plugin wrote %d bytes to %s in this call; %d of them were dropped (each line is cut at %d bytes, and only the first %d bytes a call writes are logged)",
			w.wrote, w.stream, dropped, maxLogMessage, maxStdioBytesPerCall), "stream", w.stream)
	}
	w.wrote, w.kept = 0, 0
}

// uncounted returns l without its per-call message limit, for the few
// warnings the host itself must always get through.
func uncounted(l *slog.Logger) *slog.Logger {
	if h, ok := l.Handler().(*limitHandler); ok {
		return slog.New(h.inner)
	}
	return l
}

// instantiateInternalModule instantiates the host functions the
// instrumentation imports (instrument.ImportModule).
func instantiateInternalModule(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(instrument.ImportModule)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostYield), nil, nil).Export(instrument.YieldImport)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostStackExhausted), nil, nil).Export(instrument.ExhaustedImport)
	_, err := b.Instantiate(ctx)
	return err
}
