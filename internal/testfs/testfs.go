// Package testfs holds file-system helpers for tests.
package testfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Files lists every regular file below dir, hidden ones included, as paths
// relative to dir; none (not an error) when dir does not exist. Tests use it
// to prove that a failed operation left nothing behind, not even a
// temporary file.
func Files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// Sparse makes a file of size bytes named name in a temporary directory of
// t that takes no disk space, for tests of input caps: reading it whole
// would take the time and memory the caps exist to prevent. The test is
// skipped where sparse files cannot be made.
func Sparse(t testing.TB, name string, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	return p
}
