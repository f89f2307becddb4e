package inputlimit_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/internal/testfs"
)

// endless is a reader that never ends.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '['
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestReadStopsAtTheCap(t *testing.T) {
	r := &endless{}
	_, err := inputlimit.Read(r, "stdin", 1000, inputlimit.JSON)
	if !errors.Is(err, inputlimit.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if r.read > 64<<10 {
		t.Errorf("read %d bytes of an endless stream to refuse it at 1000", r.read)
	}
	want := "stdin: exceeds 1000 bytes, agentshape's limit for a JSON document;"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want prefix %q", err, want)
	}
	b, err := inputlimit.Read(io.LimitReader(r, 1000), "stdin", 1000, inputlimit.JSON)
	if err != nil || len(b) != 1000 {
		t.Errorf("exactly at the cap: %d bytes, %v", len(b), err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	// A sparse file of 1 TiB: refused by its size, without reading it.
	huge := testfs.Sparse(t, "huge.json", 1<<40)
	_, err := inputlimit.ReadFile(huge, inputlimit.MaxJSONBytes, inputlimit.JSON)
	var le *inputlimit.Error
	if !errors.As(err, &le) || le.Source != huge || le.Limit != inputlimit.MaxJSONBytes {
		t.Fatalf("err = %v, want an *Error naming %s", err, huge)
	}
	if msg := err.Error(); !strings.Contains(msg, huge+": exceeds 4194304 bytes (4 MiB)") || !strings.Contains(msg, "check that this is the right file") {
		t.Errorf("message %q does not name the file, the limit and what to do", msg)
	}
	small := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(small, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := inputlimit.ReadFile(small, inputlimit.MaxYAMLBytes, inputlimit.YAML); err != nil || string(b) != "version: 1\n" {
		t.Errorf("small file: %q, %v", b, err)
	}
	if _, err := inputlimit.ReadFile(filepath.Join(dir, "missing"), 10, inputlimit.YAML); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
	if _, err := inputlimit.ReadFile(dir, 10, inputlimit.YAML); !errors.Is(err, inputlimit.ErrNotRegular) || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: %v, want an error naming it", err)
	}
}

func TestCheckYAMLSize(t *testing.T) {
	big := strings.Repeat("# padding\n", inputlimit.MaxYAMLBytes/10+1)
	err := inputlimit.CheckYAML([]byte(big), "org.yaml")
	if !errors.Is(err, inputlimit.ErrTooLarge) || !strings.HasPrefix(err.Error(), "org.yaml: exceeds 65536 bytes (64 KiB), agentshape's limit for a YAML document") {
		t.Errorf("err = %v", err)
	}
	bomb := "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i <= 6; i++ {
		bomb += "a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat("*a"+string(rune('0'+i-1))+", ", 9) + "*a" + string(rune('0'+i-1)) + "]\n"
	}
	if err := inputlimit.CheckYAML([]byte(bomb), "org.yaml"); err == nil || !strings.HasPrefix(err.Error(), "org.yaml: ") || !strings.Contains(err.Error(), "aliases") {
		t.Errorf("alias bomb: %v", err)
	}
}
