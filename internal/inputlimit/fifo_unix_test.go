//go:build unix

package inputlimit_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/internal/testfs"
)

// TestReadFileRefusesAFIFO: a FIFO with no writer is refused at once, by
// its type and naming it — opening it for reading used to block forever.
func TestReadFileRefusesAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "f.wasm")
	err := testfs.ReadFIFO(t, fifo, func() error {
		_, err := inputlimit.ReadFile(fifo, inputlimit.MaxModuleBytes, inputlimit.Module)
		return err
	})
	if !errors.Is(err, inputlimit.ErrNotRegular) || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "not a regular file (it is a FIFO)") {
		t.Fatalf("err = %v; want ErrNotRegular naming %s", err, fifo)
	}
}
