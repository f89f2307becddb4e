package cas_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/cas"
	"github.com/agentshape/agentshape/internal/testfs"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPutAndRead(t *testing.T) {
	s := cas.New(t.TempDir())
	data := []byte("\x00asm\x01\x00\x00\x00 a module")
	d := sum(data)
	path, err := s.Put(d, int64(len(data)), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if path != s.BlobPath(d) {
		t.Fatalf("path %s, want %s", path, s.BlobPath(d))
	}
	if size, ok := s.Stat(d); !ok || size != int64(len(data)) {
		t.Fatalf("Stat = %d, %v", size, ok)
	}
	got, err := s.ReadBlob(d, 1<<10)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadBlob = %q, %v", got, err)
	}
	if _, err := s.ReadBlob(d, 4); !errors.Is(err, cas.ErrTooLarge) {
		t.Fatalf("ReadBlob over the limit: %v, want ErrTooLarge", err)
	}
	if fs := testfs.Files(t, s.Dir()); len(fs) != 1 {
		t.Fatalf("store holds %v, want the one blob", fs)
	}
}

// failingReader returns its data, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// Every refused write leaves the store exactly as it was: no blob, no
// temporary file.
func TestRefusedWritesLeaveNothing(t *testing.T) {
	data := []byte("the real content")
	d := sum(data)
	boom := errors.New("connection reset")
	cases := []struct {
		name string
		size int64
		r    io.Reader
		want error
	}{
		{"tampered", int64(len(data)), strings.NewReader("the fake content"), cas.ErrDigestMismatch},
		{"short", int64(len(data)) + 5, bytes.NewReader(data), cas.ErrSizeMismatch},
		{"long", int64(len(data)) - 1, bytes.NewReader(data), cas.ErrSizeMismatch},
		{"reader fails midway", int64(len(data)), &failingReader{data: data[:5], err: boom}, boom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := cas.New(t.TempDir())
			if _, err := s.Put(d, c.size, c.r); !errors.Is(err, c.want) {
				t.Fatalf("Put: %v, want %v", err, c.want)
			}
			if fs := testfs.Files(t, s.Dir()); len(fs) != 0 {
				t.Fatalf("a refused write left %v", fs)
			}
			if _, ok := s.Stat(d); ok {
				t.Fatal("Stat finds a blob that was refused")
			}
		})
	}
}

func TestBadDigestRefused(t *testing.T) {
	s := cas.New(t.TempDir())
	for _, d := range []string{"", "abc", strings.Repeat("A", 64), strings.Repeat("g", 64), "../../etc/passwd" + strings.Repeat("0", 48)} {
		if _, err := s.Put(d, 1, strings.NewReader("x")); !errors.Is(err, cas.ErrBadDigest) {
			t.Errorf("Put(%q): %v, want ErrBadDigest", d, err)
		}
	}
}

// A blob damaged on disk after it was stored is found when read, and
// removed so that the next fetch repairs the store.
func TestDamagedBlobRemovedOnRead(t *testing.T) {
	s := cas.New(t.TempDir())
	d, path, err := s.PutBytes([]byte("good bytes"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("evil bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadBlob(d, 100); !errors.Is(err, cas.ErrDigestMismatch) {
		t.Fatalf("ReadBlob of a damaged blob: %v, want ErrDigestMismatch", err)
	}
	if _, ok := s.Stat(d); ok {
		t.Fatal("the damaged blob is still there")
	}
	if _, err := s.ReadBlob(d, 100); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("ReadBlob after removal: %v, want ErrNotFound", err)
	}
}

func TestLinks(t *testing.T) {
	s := cas.New(t.TempDir())
	if _, err := s.Resolve("reg.example/team/p:1"); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Resolve of an unknown name: %v, want ErrNotFound", err)
	}
	a, b := sum([]byte("a")), sum([]byte("b"))
	for _, d := range []string{a, b} {
		if err := s.Link("reg.example/team/p:1", d); err != nil {
			t.Fatal(err)
		}
		got, err := s.Resolve("reg.example/team/p:1")
		if err != nil || got != d {
			t.Fatalf("Resolve = %q, %v; want %s", got, err, d)
		}
	}
	if err := s.Link("two\nlines", a); err == nil {
		t.Fatal("a name with a newline was linked")
	}
}
