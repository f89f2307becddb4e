package buildhint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFor(t *testing.T) {
	tmp := t.TempDir()
	project := filepath.Join(tmp, "team", "tag")
	write(t, filepath.Join(project, "Makefile"), "WASM := build/tag.wasm\n\n.PHONY: build\nbuild: $(WASM)\n")
	checkout := filepath.Join(tmp, "agentshape")
	write(t, filepath.Join(checkout, "go.mod"), "module github.com/agentshape/agentshape\n\ngo 1.26\n")
	write(t, filepath.Join(checkout, "Makefile"), "build:\n\tgo build ./cmd/agentshape\n")
	noBuild := filepath.Join(tmp, "other")
	write(t, filepath.Join(noBuild, "Makefile"), "build := yes\nall:\n")
	write(t, filepath.Join(tmp, "nested", "Makefile", "x"), "a directory named Makefile is not one\n")

	for _, tc := range []struct{ path, want string }{
		{filepath.Join(project, "build", "tag.wasm"), "build it with `make build` in " + project},
		{filepath.Join(project, "deep", "er", "x.wasm"), "build it with `make build` in " + project},
		{filepath.Join(checkout, "plugins", "build", "endpoint.wasm"), "build plugins with `make plugins` in " + checkout},
		{filepath.Join(noBuild, "build", "x.wasm"), Generic},
		{filepath.Join(tmp, "nested", "x.wasm"), Generic},
		{filepath.Join(tmp, "x.wasm"), Generic},
	} {
		if got := For(tc.path); got != tc.want {
			t.Errorf("For(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
	// In the project directory itself, a relative path and no "in DIR".
	t.Chdir(project)
	if got := For("build/tag.wasm"); got != "build it with `make build`" {
		t.Errorf("from the project: %q", got)
	}
	for _, want := range []string{"`make build`", "build plugins with `make plugins`", "agentshape plugin new"} {
		if !strings.Contains(Generic, want) {
			t.Errorf("Generic lacks %q", want)
		}
	}
}
