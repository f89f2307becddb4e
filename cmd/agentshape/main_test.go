package main

import (
	"strings"
	"testing"
)

// TestGroupCommandsRefuseUnknownSubcommands: a mistyped sub-command of a
// command group (`schemas lsit`, `session sned`) is a usage error (exit 2)
// naming the typo, not the group's help with exit 0 that lets a script go on.
func TestGroupCommandsRefuseUnknownSubcommands(t *testing.T) {
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
