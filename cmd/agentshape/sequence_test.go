package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sessionSend runs `session send` on sid with extra flags in the environment env.
func sessionSend(t *testing.T, env map[string]string, sid, text string, extra ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, env, nil, append([]string{"session", "send", "--session-id", sid, "--text", text}, extra...)...)
}

// TestSessionSendRemembersTheSequence: session send without --sequence sends
// one more than the last sequenceId it sent to that session, so successive
// sends are accepted (each used to send 1, and the API refused the second);
// --sequence overrides and is remembered; session end forgets.
func TestSessionSendRemembersTheSequence(t *testing.T) {
	t.Parallel()
	env, _ := orgEnv(t, nil)
	startSession := func() string {
		code, out, stderr := runStart(t, env)
		if code != exitOK {
			t.Fatalf("start: exit %d\n%s", code, stderr)
		}
		return out["session"].(map[string]any)["sessionId"].(string)
	}
	sid := startSession()

	for i, want := range []string{"sequenceId 1: the first", "sequenceId 2: one more"} {
		code, stdout, stderr := sessionSend(t, env, sid, "message")
		if code != exitOK || !strings.Contains(stderr, want) {
			t.Fatalf("send %d without --sequence: exit %d, stderr %q (want %q)\n%s", i+1, code, stderr, want, stdout)
		}
	}
	if code, stdout, stderr := sessionSend(t, env, sid, "jump", "--sequence", "10"); code != exitOK || strings.Contains(stderr, "sequenceId 10") {
		t.Fatalf("--sequence 10: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	if code, _, stderr := sessionSend(t, env, sid, "after the jump"); code != exitOK || !strings.Contains(stderr, "sequenceId 11: one more") {
		t.Fatalf("send after --sequence 10: exit %d, stderr %q", code, stderr)
	}
	// The API really received 11: sending 11 again is refused.
	if code, stdout, _ := sessionSend(t, env, sid, "again", "--sequence", "11"); code != exitAPIError || !strings.Contains(stdout, "400 Exception") {
		t.Fatalf("--sequence 11 after 11 was sent: exit %d, want %d with 400\n%s", code, exitAPIError, stdout)
	}

	store, err := userSequenceStore(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	state := store.path(sid)
	b, err := os.ReadFile(state)
	if err != nil || string(b) != "11\n" {
		t.Fatalf("state file %s: %q, %v; want \"11\\n\"", state, b, err)
	}
	if strings.Contains(state, sid) {
		t.Errorf("the state file's name %s shows the session ID", state)
	}
	if fi, _ := os.Stat(state); fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}

	// Each session counts on its own.
	other := startSession()
	if code, _, stderr := sessionSend(t, env, other, "hello"); code != exitOK || !strings.Contains(stderr, "sequenceId 1: the first") {
		t.Fatalf("a second session's first send: exit %d, stderr %q", code, stderr)
	}

	// session end forgets the session.
	if code, stdout, stderr := runCLI(t, env, nil, "session", "end", "--session-id", sid); code != exitOK {
		t.Fatalf("end: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state of the ended session is still there: %v", err)
	}

	// A damaged state file is named, with what to do; nothing is sent.
	if err := os.WriteFile(store.path(other), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := sessionSend(t, env, other, "hello")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, store.path(other)) || !strings.Contains(stderr, "--sequence N") {
		t.Fatalf("damaged state: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := sessionSend(t, env, other, "hello", "--sequence", "0"); code != exitUsage || !strings.Contains(stderr, "must be 1 or more") {
		t.Fatalf("--sequence 0: exit %d, stderr %q", code, stderr)
	}
	// --sequence repairs the damaged file.
	if code, _, stderr := sessionSend(t, env, other, "hello", "--sequence", "5"); code != exitOK {
		t.Fatalf("--sequence 5: exit %d, stderr %q", code, stderr)
	}
	if last, err := store.last(other); err != nil || last != 5 {
		t.Fatalf("after --sequence 5: last %d, %v", last, err)
	}
}

// TestSequenceStorePrunesOldState: writing a state file removes those left
// by sessions untouched for sequenceStateMaxAge, and keeps the rest.
func TestSequenceStorePrunesOldState(t *testing.T) {
	t.Parallel()
	store := sequenceStore{dir: t.TempDir()}
	for _, id := range []string{"old", "recent"} {
		if err := store.record(id, 3); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-sequenceStateMaxAge - time.Hour)
	if err := os.Chtimes(store.path("old"), past, past); err != nil {
		t.Fatal(err)
	}
	unrelated := filepath.Join(store.dir, "notes.txt")
	if err := os.WriteFile(unrelated, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(unrelated, past, past)
	if err := store.record("new", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(store.path("old")); !os.IsNotExist(err) {
		t.Errorf("stale state kept: %v", err)
	}
	for _, p := range []string{store.path("recent"), store.path("new"), unrelated} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
}
