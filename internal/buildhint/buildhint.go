// Package buildhint says how to build a plugin module that is missing, in
// the words of the project the module belongs to: `make build` in a project
// written by `agentshape plugin new`, `make plugins` in the agentshape
// checkout. Error messages about an unreadable plugin end with it. It also
// recognises a module built the wrong way for the host (GoWithoutCShared)
// and gives the build line that fixes it (GoLine).
package buildhint

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// Generic is the hint when the plugin's path belongs to neither kind of
// project.
const Generic = "build it first (in a project made by `agentshape plugin new`: `make build`; in an agentshape checkout, build plugins with `make plugins`)"

// maxMakefile is how much of a Makefile or go.mod For reads: enough for any
// real one, and a bound on what an untrusted directory can make it read.
const maxMakefile = 256 << 10

// maxLevels bounds the walk up from the plugin's directory.
const maxLevels = 32

// checkoutModule is the first line of the agentshape checkout's go.mod.
var checkoutModule = []byte("module github.com/agentshape/agentshape\n")

// buildTarget matches a Makefile rule for the target build (not `build := …`).
var buildTarget = regexp.MustCompile(`(?m)^build[ \t]*:([^=]|$)`)

// For returns the hint for the plugin module at path (relative paths are
// taken from the working directory). It walks up from the module's
// directory to the nearest directory with a Makefile: the agentshape
// checkout (its go.mod names the agentshape module) builds plugins with
// `make plugins`; any other Makefile with a build target is the plugin's
// own project, built with `make build`. Otherwise it returns Generic.
func For(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Generic
	}
	dir := filepath.Dir(abs)
	for range maxLevels {
		if mk, ok := readHead(filepath.Join(dir, "Makefile")); ok {
			if mod, ok := readHead(filepath.Join(dir, "go.mod")); ok && bytes.HasPrefix(mod, checkoutModule) {
				return "build plugins with `make plugins`" + in(dir)
			}
			if buildTarget.Match(mk) {
				return "build it with `make build`" + in(dir)
			}
			return Generic
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return Generic
}

// in says where to run make: nothing when it is the working directory.
func in(dir string) string {
	if wd, err := os.Getwd(); err == nil && filepath.Clean(wd) == dir {
		return ""
	}
	return " in " + dir
}

// readHead reads up to maxMakefile bytes of the regular file at path.
func readHead(path string) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(f, maxMakefile))
	return b, err == nil
}
