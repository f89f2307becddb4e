//go:build unix

package inputlimit_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentshape/agentshape/internal/inputlimit"
)

// TestReadFileRefusesAFIFO: a FIFO with no writer is refused at once, by
// its type and naming it — opening it for reading used to block forever.
func TestReadFileRefusesAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "f.wasm")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := inputlimit.ReadFile(fifo, inputlimit.MaxModuleBytes, inputlimit.Module)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, inputlimit.ErrNotRegular) || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "not a regular file (it is a FIFO)") {
			t.Fatalf("err = %v; want ErrNotRegular naming %s", err, fifo)
		}
	case <-time.After(20 * time.Second):
		// unblock the reader so the test ends
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("ReadFile of a FIFO with no writer still blocks after 20 s")
	}
}
