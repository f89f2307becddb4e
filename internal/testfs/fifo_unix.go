//go:build unix

package testfs

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// ReadFIFO makes a FIFO at path (skipping tb where FIFOs cannot be made),
// runs read, which must refuse it, and returns read's error. A read that
// still blocks after 20 s fails tb (the FIFO is then opened for writing, so
// the reader ends with the test).
func ReadFIFO(tb testing.TB, path string, read func() error) error {
	tb.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		tb.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- read() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		tb.Fatalf("reading the FIFO %s with no writer still blocks after 20 s", path)
		return nil
	}
}
