package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestVersionIsStampedAtBuildTime builds the CLI the way make build does
// (-ldflags -X on internal/version) and checks that --version and the
// version command both print the stamped version and commit, and that a
// build without the stamp still prints a line (with "unknown" where the
// toolchain recorded nothing) rather than an empty version.
func TestVersionIsStampedAtBuildTime(t *testing.T) {
	t.Parallel()
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	build := func(ldflags string) string {
		bin := filepath.Join(t.TempDir(), "agentshape")
		// -trimpath and CGO_ENABLED=0 as make vet/build: the packages are
		// already compiled, only the link is new.
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/agentshape")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build -ldflags %q: %v\n%s", ldflags, err, out)
		}
		return bin
	}
	output := func(bin string, args ...string) string {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		return string(out)
	}
	const pkg = "github.com/agentshape/agentshape/internal/version"
	const commit = "0123456789abcdef0123456789abcdef01234567"
	stamped := build("-X " + pkg + ".version=v9.8.7-rc.1 -X " + pkg + ".commit=" + commit)
	want := "agentshape v9.8.7-rc.1 (commit " + commit + ") " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if got := output(stamped, args...); got != want {
			t.Errorf("%v: got %q, want %q", args, got, want)
		}
	}

	plain := build("")
	got := output(plain, "--version")
	if !strings.HasPrefix(got, "agentshape ") || strings.Contains(got, "v9.8.7") || !strings.Contains(got, "(commit ") {
		t.Errorf("unstamped --version: got %q", got)
	}
	if v := output(plain, "version"); v != got {
		t.Errorf("unstamped: version says %q, --version says %q", v, got)
	}
}
