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
