package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sequenceStore remembers, per session, the last message sequenceId that
// `session send` sent from this machine, so a send without --sequence sends
// the next one: the Agent API wants sequenceId to increase within a session
// and tolerates gaps (agent-api.md §1), but offers no way to ask for the last
// one. One small file per session holds a decimal number and nothing else;
// its name is the sha256 of the session ID.
type sequenceStore struct{ dir string }

// sequenceStateMaxBytes bounds a state file: a decimal int64 and a newline.
const sequenceStateMaxBytes = 32

// sequenceStateMaxAge: state files untouched for longer are removed when
// another one is written (an Agent API session has long ended by then).
const sequenceStateMaxAge = 7 * 24 * time.Hour

// userSequenceStore is the store under the user cache directory of the
// environment getenv reads: <user cache dir>/agentshape/sessions
// (XDG_CACHE_HOME or ~/.cache on Linux).
func userSequenceStore(getenv func(string) string) (sequenceStore, error) {
	cache, err := userCacheDir(getenv)
	if err != nil {
		return sequenceStore{}, fmt.Errorf("no user cache directory to remember sequenceIds in (%w): pass --sequence N", err)
	}
	return sequenceStore{dir: filepath.Join(cache, "agentshape", "sessions")}, nil
}

func (s sequenceStore) path(sessionID string) string {
	sum := sha256.Sum256([]byte(sessionID))
	return filepath.Join(s.dir, hex.EncodeToString(sum[:16])+".seq")
}

// last returns the last sequenceId recorded for the session, or 0 when none was.
func (s sequenceStore) last(sessionID string) (int64, error) {
	p := s.path(sessionID)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the last sequenceId of session %s: %w", sessionID, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, sequenceStateMaxBytes+1))
	if err != nil {
		return 0, fmt.Errorf("reading the last sequenceId of session %s: %w", sessionID, err)
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if len(b) > sequenceStateMaxBytes || perr != nil || n < 1 {
		return 0, fmt.Errorf("%s (the last sequenceId sent to session %s) does not hold a positive number: pass --sequence N, which rewrites it, or delete the file", p, sessionID)
	}
	return n, nil
}

// record stores seq as the session's last sequenceId (through a temporary
// file and a rename, so a reader never sees half a number), and removes
// state files older than sequenceStateMaxAge.
func (s sequenceStore) record(sessionID string, seq int64) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("remembering sequenceId %d of session %s: %w", seq, sessionID, err)
	}
	tmp, err := os.CreateTemp(s.dir, ".seq-*")
	if err != nil {
		return fmt.Errorf("remembering sequenceId %d of session %s: %w", seq, sessionID, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := fmt.Fprintf(tmp, "%d\n", seq)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), s.path(sessionID))
	}
	if werr != nil {
		return fmt.Errorf("remembering sequenceId %d of session %s: %w", seq, sessionID, werr)
	}
	s.prune(time.Now().Add(-sequenceStateMaxAge))
	return nil
}

// forget removes the session's state (after session end).
func (s sequenceStore) forget(sessionID string) error {
	if err := os.Remove(s.path(sessionID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// prune removes state files last written before cutoff; failures only
// leave a few bytes behind, so they are ignored.
func (s sequenceStore) prune(cutoff time.Time) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".seq") || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}
