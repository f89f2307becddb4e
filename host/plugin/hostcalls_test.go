package plugin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// waitingMessage is what calls-after-deadline logs before its host calls.
const waitingMessage = "waiting for the deadline"

// deadlineHandler logs to inner and holds the plugin's "waiting for the
// deadline" message until the call's context is done, first canceling the
// caller's context when cancel is set. The plugin then makes its host calls
// after the deadline, whatever the machine's speed: no timing is assumed.
type deadlineHandler struct {
	inner  slog.Handler
	cancel context.CancelFunc
}

func (h *deadlineHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *deadlineHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == waitingMessage {
		if h.cancel != nil {
			h.cancel()
		}
		<-ctx.Done()
	}
	return h.inner.Handle(ctx, r)
}

func (h *deadlineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &deadlineHandler{inner: h.inner.WithAttrs(as), cancel: h.cancel}
}

func (h *deadlineHandler) WithGroup(name string) slog.Handler {
	return &deadlineHandler{inner: h.inner.WithGroup(name), cancel: h.cancel}
}

// TestHostCallsCheckTheDeadline (issue 11, item 4): a plugin that keeps
// making host calls after its deadline — fewer than the 4,096 loop
// iterations between two reads of the deadline — is stopped at its next
// host call, whichever it is, and the error is classified like every other
// timeout (or cancellation). Before the fix these calls returned
// {"request":{"ok":true}}.
func TestHostCallsCheckTheDeadline(t *testing.T) {
	const timeout = 50 * time.Millisecond
	callers := []struct {
		name string
		kind error
		// ctx returns the caller's context and, for the log handler, the
		// function that cancels it (nil: wait for the plugin's deadline).
		ctx func() (context.Context, context.CancelFunc, context.CancelFunc)
	}{
		{"background", plugin.ErrTimeout, func() (context.Context, context.CancelFunc, context.CancelFunc) {
			return context.Background(), nil, func() {}
		}},
		{"cancelable", plugin.ErrTimeout, func() (context.Context, context.CancelFunc, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			return ctx, nil, cancel
		}},
		{"canceled-by-caller", plugin.ErrCanceled, func() (context.Context, context.CancelFunc, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			return ctx, cancel, cancel
		}},
	}
	for _, mode := range []string{"log", "write", "random", "clock", "args"} {
		for _, c := range callers {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				ctx, cancelInHandler, cancel := c.ctx()
				defer cancel()
				var logs syncBuffer
				h := &deadlineHandler{inner: slog.NewTextHandler(&logs, nil), cancel: cancelInHandler}
				rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(h)})
				p := load(t, rt, "testdata/hostile/calls-after-deadline", plugin.Limits{Timeout: timeout, PoolSize: 1}, map[string]any{"mode": mode})
				out, err := p.Shape(ctx, abi.Context{}, nil)
				var pe *plugin.Error
				if !errors.Is(err, c.kind) || !errors.As(err, &pe) || pe.Phase != plugin.PhaseCall {
					t.Fatalf("mode %s: Shape = %s, %v; want a %v error in phase call", mode, out, err, c.kind)
				}
				if c.kind == plugin.ErrTimeout && !strings.Contains(err.Error(), "did not finish within limits.timeout 50ms") {
					t.Fatalf("timeout error does not name the limit: %v", err)
				}
				if st := p.Stats(); st.Discarded != 1 {
					t.Fatalf("stopped instance not discarded: %+v", st)
				}
			})
		}
	}
}

// TestLogOutOfRangeIsIgnored (issue 11, item 6): agentshape.log with a range
// that is not wholly inside memory is ignored with a warning (ABI §3); no
// byte of memory reaches the log. Before the fix, (0, -1) logged 8 KiB from
// address 0.
func TestLogOutOfRangeIsIgnored(t *testing.T) {
	var logs syncBuffer
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	p := load(t, rt, "testdata/hostile/log-out-of-range", plugin.Limits{PoolSize: 1}, nil)
	out, err := p.Shape(context.Background(), abi.Context{}, nil)
	if err != nil || string(out) != `{"ok":true}` {
		t.Fatalf("Shape = %s, %v; want {\"ok\":true}", out, err)
	}
	s := logs.String()
	if strings.Contains(s, "MEMORY-AT-ADDR") {
		t.Fatalf("plugin memory reached the log through an out-of-range agentshape.log:\n%.600s", s)
	}
	for _, want := range []string{"ptr=0 len=4294967295", "ptr=65536 len=16", "ptr=4294967280 len=32", "ptr=65530 len=100", "ptr=256 len=65536"} {
		if n := strings.Count(s, want); n != 1 {
			t.Errorf("%d warnings naming %s, want 1; log:\n%s", n, want, s)
		}
	}
	if n := strings.Count(s, "level=WARN msg=\"agentshape.log called with a message outside the plugin's memory"); n != 5 {
		t.Fatalf("%d out-of-memory warnings, want 5; log:\n%s", n, s)
	}
}

// TestRandomFloodStopsAtTheBudget (issue 11, item 4): random_get draws at
// most plugin.MaxRandomBytesPerCall per call; past it the call traps with an
// error naming the budget, instead of drawing 4,000 × 16 MiB. The next call
// on the same runtime works.
func TestRandomFloodStopsAtTheBudget(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.DiscardHandler)})
	p := load(t, rt, "testdata/hostile/random-flood", plugin.Limits{Timeout: 10 * time.Second, PoolSize: 1}, nil)
	_, err := p.Shape(context.Background(), abi.Context{}, nil)
	want := fmt.Sprintf("random_get of 16777216 bytes would draw more than %d random bytes in one call", plugin.MaxRandomBytesPerCall)
	if !errors.Is(err, plugin.ErrTrap) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v; want a trap saying %q", err, want)
	}
	benign := load(t, rt, "testdata/entropy", plugin.Limits{}, nil)
	for range 3 { // each call gets a fresh budget
		entropy(t, benign)
	}
}

// TestStdoutFloodIsCapped (issue 11, item 5): 300 × fd_write(16 MiB) of
// 1 KiB lines to a reactor's stdout logs the first MaxStdioBytesPerCall bytes
// (64 lines) and one warning saying how much was dropped. Before the fix it
// logged 4.7 GiB.
func TestStdoutFloodIsCapped(t *testing.T) {
	var logs syncBuffer
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	p := load(t, rt, "testdata/hostile/write-flood", plugin.Limits{Timeout: 10 * time.Second, PoolSize: 1}, nil)
	for call := 1; call <= 2; call++ { // the cap is per call
		out, err := p.Shape(context.Background(), abi.Context{}, nil)
		if err != nil || string(out) != `{"ok":true}` {
			t.Fatalf("call %d: Shape = %s, %v", call, out, err)
		}
		recs := logRecords(t, logs.String())
		line := strings.Repeat("y", 1023)
		lines := 0
		for _, r := range recs {
			if r["stream"] == "stdout" && r["msg"] == line {
				lines++
			}
		}
		if want := call * plugin.MaxStdioBytesPerCall / 1024; lines != want {
			t.Fatalf("after call %d: %d stdout lines logged, want %d", call, lines, want)
		}
		const written = 300 << 24
		dropped := written - plugin.MaxStdioBytesPerCall
		summary := fmt.Sprintf("plugin wrote %d bytes to stdout in this call; %d of them were dropped", written, dropped)
		if n := strings.Count(logs.String(), summary); n != call {
			t.Fatalf("after call %d: %d warnings %q, want %d", call, n, summary, call)
		}
		if len(logs.String()) > call*(plugin.MaxStdioBytesPerCall+64*200+1000) {
			t.Fatalf("after call %d the log holds %d bytes", call, len(logs.String()))
		}
	}
}

// TestLongStderrLineIsCut (issue 11, item 5): one fd_write of a 24 MiB line
// to stderr becomes one record cut at 8 KiB, marked truncated, and a warning
// saying how much was dropped. Before the fix it became one 25 MB record.
func TestLongStderrLineIsCut(t *testing.T) {
	var logs syncBuffer
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	p := load(t, rt, "testdata/hostile/big-write", plugin.Limits{PoolSize: 1}, nil)
	out, err := p.Shape(context.Background(), abi.Context{}, nil)
	if err != nil || string(out) != `{"ok":true}` {
		t.Fatalf("Shape = %s, %v", out, err)
	}
	var cut []map[string]any
	for _, r := range logRecords(t, logs.String()) {
		if msg, _ := r["msg"].(string); r["stream"] == "stderr" && !strings.HasPrefix(msg, "plugin wrote") {
			cut = append(cut, r)
		}
	}
	if len(cut) != 1 || cut[0]["msg"] != strings.Repeat("z", 8<<10) || cut[0]["truncated"] != true || cut[0]["level"] != "WARN" {
		t.Fatalf("stderr records %.300v; want one WARN record of 8 KiB of z, truncated", cut)
	}
	const written = 24 << 20
	summary := fmt.Sprintf("plugin wrote %d bytes to stderr in this call; %d of them were dropped", written, written-8<<10)
	if !strings.Contains(logs.String(), summary) {
		t.Fatalf("no warning %q in the log", summary)
	}
}

// TestCommandStderrFloodIsCapped (issue 11, item 5): a command's stderr is
// capped like a reactor's: 64 × 1 MiB on one line becomes one 8 KiB record
// and a warning saying how much was dropped (before the fix: 64 records of
// 1 MiB).
func TestCommandStderrFloodIsCapped(t *testing.T) {
	var logs syncBuffer
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	p := load(t, rt, "testdata/hostile/command-stderr-flood", plugin.Limits{}, nil)
	if p.Kind() != plugin.Command {
		t.Fatalf("kind %v, want command", p.Kind())
	}
	out, err := p.Shape(context.Background(), abi.Context{}, nil)
	if err != nil || string(out) != `{}` {
		t.Fatalf("Shape = %s, %v", out, err)
	}
	records := 0
	for _, r := range logRecords(t, logs.String()) {
		if msg, _ := r["msg"].(string); r["stream"] == "stderr" && strings.HasPrefix(msg, "eee") {
			records++
			if msg != strings.Repeat("e", 8<<10) || r["truncated"] != true {
				t.Fatalf("stderr record of %d bytes, truncated=%v; want 8 KiB, truncated", len(msg), r["truncated"])
			}
		}
	}
	const written = 64 << 20
	summary := fmt.Sprintf("plugin wrote %d bytes to stderr in this call; %d of them were dropped", written, written-8<<10)
	if records != 1 || !strings.Contains(logs.String(), summary) {
		t.Fatalf("%d stderr records (want 1); warning %q logged: %v", records, summary, strings.Contains(logs.String(), summary))
	}
}

// TestLogFloodPastTheCapCopiesNothing: once a call's MaxLogMessages are
// used up, agentshape.log copies nothing out of the plugin (before: one 8 KiB
// string per call, then dropped). moody "chatty" logs 10,000 times a call;
// counted in allocations, not time.
func TestLogFloodPastTheCapCopiesNothing(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	p := load(t, rt, "testdata/hostile/moody", plugin.Limits{PoolSize: 1}, map[string]any{"mode": "chatty"})
	env, err := p.Envelope(abi.Context{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := p.Call(context.Background(), env); err != nil {
			t.Fatal(err)
		}
	})
	if limit := float64(4 * plugin.MaxLogMessages); allocs > limit {
		t.Fatalf("%.0f allocations per call of 10,000 log calls, want at most %.0f (a few per logged message)", allocs, limit)
	}
}

// TestDocsStateHostCallBudgets keeps README.md and plugins/ABI.md in step
// with the host-call budgets the code enforces.
func TestDocsStateHostCallBudgets(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	random := fmt.Sprintf("%d MiB", plugin.MaxRandomBytesPerCall>>20)
	stdio := fmt.Sprintf("%d KiB", plugin.MaxStdioBytesPerCall>>10)
	for file, phrases := range map[string][]string{
		"README.md": {"`random_get` draws at most **" + random + "**", "at most **" + stdio + "** written to each of stdout and stderr"},
		"plugins/ABI.md": {"| random bytes drawn by `random_get` | " + random + " (" + commas(plugin.MaxRandomBytesPerCall) + " bytes) |",
			"| " + stdio + " (" + commas(plugin.MaxStdioBytesPerCall) + " bytes) each |"},
	} {
		doc, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(doc)), " ") // lines rewrap freely
		for _, p := range phrases {
			if !strings.Contains(text, p) {
				t.Errorf("%s does not say %q", file, p)
			}
		}
	}
}

// commas writes n with thousands separators (1,048,576).
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// logRecords decodes a JSON-lines log.
func logRecords(t *testing.T, s string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("log line %.200q: %v", l, err)
		}
		recs = append(recs, r)
	}
	return recs
}
