// Package catalog locates the plugins that `make plugins` builds into
// plugins/build, so tests, benchmarks and examples find real .wasm modules
// without hard-coding paths.
package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/agentshape/agentshape/host/abi"
)

// BuildDirEnv overrides where built plugins are looked up.
const BuildDirEnv = "AGENTSHAPE_PLUGIN_BUILD_DIR"

// RepoRoot returns the repository root: the nearest directory at or above the
// working directory that holds go.mod and plugins/.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("catalog: working directory: %w", err)
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && dirExists(filepath.Join(dir, "plugins")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("catalog: no agentshape repository (go.mod + plugins/) above the working directory; run from inside the repository or set " + BuildDirEnv)
		}
		dir = parent
	}
}

// BuildDir returns the directory holding built plugins (plugins/build).
func BuildDir() (string, error) {
	if d := os.Getenv(BuildDirEnv); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "plugins", "build"), nil
}

// Path returns the path of the built plugin rel (e.g. "endpoint" or
// "testdata/hostile/infinite-loop"; ".wasm" is added), or an error telling
// the caller to run `make plugins` when it has not been built.
func Path(rel string) (string, error) {
	dir, err := BuildDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, filepath.FromSlash(rel)+".wasm")
	if !fileExists(p) {
		return "", fmt.Errorf("catalog: plugin %q is not built (%s missing): run `make plugins`", rel, p)
	}
	return p, nil
}

// MustPath is Path for tests and benchmarks: it stops tb when the plugin is missing.
func MustPath(tb interface {
	Helper()
	Fatalf(string, ...any)
}, rel string) string {
	tb.Helper()
	p, err := Path(rel)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return p
}

// MustRead returns the bytes of the built plugin rel (as for Path); it stops
// tb when the plugin is missing or unreadable.
func MustRead(tb interface {
	Helper()
	Fatalf(string, ...any)
}, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(MustPath(tb, rel))
	if err != nil {
		tb.Fatalf("catalog: %v", err)
	}
	return b
}

// MustTestModules returns every built test plugin (plugins/build/testdata,
// one level of subdirectories deep), the seeds of the fuzzers over module
// bytes; it stops tb when none is built.
func MustTestModules(tb interface {
	Helper()
	Fatalf(string, ...any)
}) [][]byte {
	tb.Helper()
	dir, err := BuildDir()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "testdata", "*", "*.wasm"))
	more, _ := filepath.Glob(filepath.Join(dir, "testdata", "*.wasm"))
	if len(paths)+len(more) == 0 {
		tb.Fatalf("no built test plugins under %s: run `make plugins`", dir)
	}
	var mods [][]byte
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatalf("catalog: %v", err)
		}
		mods = append(mods, b)
	}
	return mods
}

// MustReadRepoFile returns the bytes of the repository file rel (slash
// separated, from the repository root: "plugins/ABI.md"); it stops tb when
// the repository or the file cannot be read.
func MustReadRepoFile(tb interface {
	Helper()
	Fatalf(string, ...any)
}, rel string) []byte {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatalf("catalog: %v", err)
	}
	return b
}

// MustDemoContext returns the caller context of the example pipeline,
// plugins/examples/context.json, decoded; it stops tb when that file is
// missing or is not a context.
func MustDemoContext(tb interface {
	Helper()
	Fatalf(string, ...any)
}) abi.Context {
	tb.Helper()
	raw := MustReadRepoFile(tb, "plugins/examples/context.json")
	var c abi.Context
	if err := json.Unmarshal(raw, &c); err != nil {
		tb.Fatalf("catalog: plugins/examples/context.json is not a context: %v", err)
	}
	return c
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
