package plugin_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// sandboxView runs testdata/grants/reader and returns what it saw: env,
// file, write and escape (see reader.c).
func sandboxView(t *testing.T, p *plugin.Plugin) map[string]string {
	t.Helper()
	out, err := p.Shape(context.Background(), abi.Context{}, nil)
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	var req struct {
		Variables []struct{ Name, Value string }
	}
	if err := json.Unmarshal(out, &req); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, v := range req.Variables {
		seen[v.Name] = v.Value
	}
	return seen
}

// grantDir makes a host directory holding value.txt.
func grantDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "value.txt"), []byte("from-the-file\nsecond line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Without grants a plugin sees neither the host's environment nor its files,
// even when the variable is set and the directory exists.
func TestNoGrantsNoAccess(t *testing.T) {
	t.Setenv("GRANT_TEST_VALUE", "host-value")
	rt := newRuntime(t, plugin.RuntimeOptions{})
	got := sandboxView(t, load(t, rt, "testdata/grants/reader", plugin.Limits{}, nil))
	want := map[string]string{"env": "(unset)", "file": "(unreadable)", "write": "refused", "escape": "refused"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// Granted variables and directories are visible, directories read-only, and
// nothing else opens up.
func TestGrantsOpenOnlyWhatTheyName(t *testing.T) {
	t.Setenv("GRANT_TEST_VALUE", "host-value")
	t.Setenv("OTHER_VALUE", "not granted")
	dir := grantDir(t)
	var logs syncBuffer
	rt := newRuntime(t, plugin.RuntimeOptions{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for _, mode := range []string{"reactor", "deterministic"} {
		t.Run(mode, func(t *testing.T) {
			r := rt
			if mode == "deterministic" {
				r = newRuntime(t, plugin.RuntimeOptions{Deterministic: true, Seed: 1})
			}
			p, err := r.Load(context.Background(), plugin.Spec{
				Path:   catalog.MustPath(t, "testdata/grants/reader"),
				Grants: plugin.Grants{Env: []string{"GRANT_TEST_VALUE"}, Dirs: []plugin.DirGrant{{Host: dir, Guest: "/data"}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			got := sandboxView(t, p)
			want := map[string]string{"env": "host-value", "file": "from-the-file", "write": "refused", "escape": "refused"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "written.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the plugin created a file in a read-only grant: %v", err)
	}
	l := logs.String()
	if !strings.Contains(l, "env GRANT_TEST_VALUE") || !strings.Contains(l, "-> /data (read-only)") {
		t.Errorf("the debug log should name the grants: %s", l)
	}
	if strings.Contains(l, "host-value") {
		t.Errorf("a granted variable's value reached the log: %s", l)
	}
}

// Grants that cannot be honoured are refused at load, naming the grant and
// the fix, and never quoting a variable's value.
func TestGrantRefusals(t *testing.T) {
	t.Setenv("GRANT_TEST_VALUE", "s3cr3t-value")
	t.Setenv("SF_CLIENT_SECRET", "client-secret-value")
	t.Setenv("COPIED_SECRET", "client-secret-value")
	dir := grantDir(t)
	notDir := filepath.Join(dir, "value.txt")
	rt := newRuntime(t, plugin.RuntimeOptions{})
	for _, c := range []struct {
		name   string
		grants plugin.Grants
		says   string
	}{
		{"salesforce secret", plugin.Grants{Env: []string{"SF_CLIENT_SECRET"}}, "Salesforce credential, which never reaches a plugin"},
		{"salesforce secret any case", plugin.Grants{Env: []string{"sf_client_secret"}}, "Salesforce credential"},
		{"unset variable", plugin.Grants{Env: []string{"GRANT_TEST_VALUE", "NOT_SET_ANYWHERE_42"}}, "NOT_SET_ANYWHERE_42 is not set"},
		{"bad name", plugin.Grants{Env: []string{"A=B"}}, "not an environment variable name"},
		{"twice", plugin.Grants{Env: []string{"GRANT_TEST_VALUE", "GRANT_TEST_VALUE"}}, "granted twice"},
		{"a copy of the secret", plugin.Grants{Env: []string{"COPIED_SECRET"}}, "same value as SF_CLIENT_SECRET"},
		{"relative guest", plugin.Grants{Dirs: []plugin.DirGrant{{Host: dir, Guest: "data"}}}, "clean absolute path"},
		{"root guest", plugin.Grants{Dirs: []plugin.DirGrant{{Host: dir, Guest: "/"}}}, "clean absolute path"},
		{"dotted guest", plugin.Grants{Dirs: []plugin.DirGrant{{Host: dir, Guest: "/data/../etc"}}}, "clean absolute path"},
		{"missing dir", plugin.Grants{Env: []string{"GRANT_TEST_VALUE"}, Dirs: []plugin.DirGrant{{Host: filepath.Join(dir, "nope"), Guest: "/data"}}}, "create it or fix the path"},
		{"file not dir", plugin.Grants{Dirs: []plugin.DirGrant{{Host: notDir, Guest: "/data"}}}, "is not a directory"},
		{"same guest twice", plugin.Grants{Dirs: []plugin.DirGrant{{Host: dir, Guest: "/data"}, {Host: dir, Guest: "/data"}}}, "mounted twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := rt.Load(context.Background(), plugin.Spec{Path: catalog.MustPath(t, "testdata/grants/reader"), Grants: c.grants})
			var pe *plugin.Error
			if !errors.Is(err, plugin.ErrGrant) || !errors.As(err, &pe) || pe.Phase != plugin.PhaseLoad || pe.Plugin != "reader" {
				t.Fatalf("err = %v, want a load-phase ErrGrant for plugin reader", err)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("err = %v, want it to say %q", err, c.says)
			}
			if strings.Contains(err.Error(), "s3cr3t-value") || strings.Contains(err.Error(), "client-secret-value") {
				t.Errorf("an environment value reached the error: %v", err)
			}
		})
	}
}

// A directory grant is confined the way os.Root confines a directory: a
// symlink or a .. that leads out of the mount is unreadable, while a
// relative symlink that stays inside keeps working. (A symlink committed to
// a plugin team's repository used to hand the plugin any host file,
// /proc/self/environ and its secrets included.)
func TestDirGrantConfinedToItsMount(t *testing.T) {
	dir := grantDir(t)
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("outside-the-grant\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"leak": outside, "inner.txt": "value.txt"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p, err := rt.Load(context.Background(), plugin.Spec{
		Path:   catalog.MustPath(t, "testdata/grants/reader"),
		Grants: plugin.Grants{Dirs: []plugin.DirGrant{{Host: dir, Guest: "/data"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := sandboxView(t, p)
	want := map[string]string{
		"file":   "from-the-file",
		"inner":  "from-the-file",
		"leak":   "(unreadable)",
		"dotdot": "(unreadable)",
		"escape": "refused",
	}
	if got["leakerr"] != "Operation not permitted" {
		t.Errorf("opening a link out of the grant failed with %q, want EPERM (Operation not permitted), not a disk fault", got["leakerr"])
	}
	listing := strings.Split(got["listing"], ",")
	slices.Sort(listing)
	if l := strings.Join(listing, ","); l != "inner.txt,leak,sub,value.txt" {
		t.Errorf("listing of /data = %q, want every entry, links included", l)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// Inside a grant only regular files and directories open: a FIFO would block
// the host call that opens or reads it past the plugin's deadline (it hung
// the plugin with no time limit). It is refused at once.
func TestDirGrantRefusesFIFOs(t *testing.T) {
	dir := grantDir(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p, err := rt.Load(context.Background(), plugin.Spec{
		Path:   catalog.MustPath(t, "testdata/grants/reader"),
		Grants: plugin.Grants{Dirs: []plugin.DirGrant{{Host: dir, Guest: "/data"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := sandboxView(t, p)
	if got["fifo"] != "(unreadable)" || got["file"] != "from-the-file" {
		t.Errorf("fifo = %q, file = %q; want the FIFO refused and the file read (all: %v)", got["fifo"], got["file"], got)
	}
	if got["fifoerr"] != "Operation not permitted" {
		t.Errorf("opening the FIFO failed with %q, want EPERM (Operation not permitted)", got["fifoerr"])
	}
}

// A kernel file system never reaches a plugin: granting /proc/self is
// refused at load, and a grant of a directory that holds one (here the
// host's /) cannot read through it. /proc/self/environ holds the host's
// environment, SF_CLIENT_SECRET included, which no env grant may hand over.
func TestDirGrantRefusesKernelFileSystems(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	t.Setenv("SF_CLIENT_SECRET", "client-secret-value")
	rt := newRuntime(t, plugin.RuntimeOptions{})
	_, err := rt.Load(context.Background(), plugin.Spec{
		Path:   catalog.MustPath(t, "testdata/grants/reader"),
		Grants: plugin.Grants{Dirs: []plugin.DirGrant{{Host: "/proc/self", Guest: "/h"}}},
	})
	if !errors.Is(err, plugin.ErrGrant) || !strings.Contains(err.Error(), "proc file system") {
		t.Fatalf("granting /proc/self: err = %v, want a grant refusal naming the proc file system", err)
	}
	p, err := rt.Load(context.Background(), plugin.Spec{
		Path:   catalog.MustPath(t, "testdata/grants/reader"),
		Grants: plugin.Grants{Dirs: []plugin.DirGrant{{Host: "/", Guest: "/data"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := sandboxView(t, p)
	if got["hostproc"] != "(unreadable)" {
		t.Errorf("/proc/self/environ through a grant of / = %q, want it unreadable", got["hostproc"])
	}
}
