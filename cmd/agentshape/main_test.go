package main

import (
	"os"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestGroupCommandsRefuseUnknownSubcommands: a mistyped sub-command of a
// command group (`schemas lsit`, `session sned`) is a usage error (exit 2)
// naming the typo, not the group's help with exit 0 that lets a script go on.
func TestGroupCommandsRefuseUnknownSubcommands(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"schemas", "lsit"},
		{"session", "sned"},
		{"plugin", "cal"},
	} {
		code, stdout, stderr := runShapeCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, `unknown command "`+args[1]+`"`) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming %q", args, code, stdout, stderr, args[1])
		}
	}
	// The bare group still prints its help and succeeds.
	for _, group := range []string{"schemas", "session", "plugin"} {
		code, stdout, stderr := runShapeCLI(t, group)
		if code != exitOK || !strings.Contains(stdout, "Available Commands:") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want its help", group, code, stdout, stderr)
		}
	}
}

// TestUsageErrorsExit2: every kind of usage error cobra finds — an unknown
// command or flag, a malformed flag value, a wrong number of arguments, a
// missing required flag — exits 2 with cobra's own words, told apart by
// where it comes from (the flag-error hook, the argument validators, the
// required-flag check) and not by its text; a run with nothing wrong but
// an unreadable file whose name says "flag" is not one.
func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"strat"}, `unknown command "strat" for "agentshape"`},
		{[]string{"shape", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"start", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{[]string{"validate"}, "accepts 1 arg(s), received 0"},
		{[]string{"version", "extra"}, `unknown command "extra" for "agentshape version"`},
		{[]string{"shape", "--context", "ctx.json"}, `required flag(s) "manifest" not set`},
		{[]string{"--log-level", "loud", "version"}, `--log-level "loud"`},
	} {
		code, stdout, stderr := runShapeCLI(t, c.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, c.says) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 saying %q", c.args, code, stdout, stderr, c.says)
		}
	}
	// A failure whose text happens to hold "flag" is still a failure (exit
	// 1): the exit code once came from matching words in the error.
	bin, err := os.ReadFile(catalog.MustPath(t, "testdata/inspect/init-trap"))
	if err != nil {
		t.Fatal(err)
	}
	flagged := writeShapeFile(t, "flag.wasm", string(bin))
	if code, _, stderr := runShapeCLI(t, "plugin", "inspect", flagged); code != exitFailure || !strings.Contains(stderr, "flag.wasm: the host will refuse this plugin") {
		t.Errorf("inspect %s: exit %d, stderr %q; want exit 1, the plugin refused", flagged, code, stderr)
	}
}
