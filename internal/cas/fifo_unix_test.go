//go:build unix

package cas_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/cas"
	"github.com/agentshape/agentshape/internal/testfs"
)

// TestFIFOInTheStoreIsRefused: a FIFO where a blob should be (a cache
// directory someone else can write) is a cache miss at once, naming the
// file — opening it for reading used to block the pull forever.
func TestFIFOInTheStoreIsRefused(t *testing.T) {
	s := cas.New(t.TempDir())
	d := sum([]byte("a module"))
	blob := s.BlobPath(d)
	if err := os.MkdirAll(filepath.Dir(blob), 0o700); err != nil {
		t.Fatal(err)
	}
	err := testfs.ReadFIFO(t, blob, func() error {
		_, err := s.ReadBlob(d, 1<<10)
		return err
	})
	if !errors.Is(err, cas.ErrNotFound) || !strings.Contains(err.Error(), blob) || !strings.Contains(err.Error(), "it is a FIFO") {
		t.Fatalf("ReadBlob of a FIFO: %v; want ErrNotFound naming %s as a FIFO", err, blob)
	}
}
