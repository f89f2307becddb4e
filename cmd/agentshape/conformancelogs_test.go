package main

import (
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestConformancePluginLogsCappedPerRun: a plugin that floods stderr on every
// call gets at most conformance.MaxPluginLogBytes of messages logged over a
// whole gate run (it used to be 1.8 MB at 50 cases, growing with --cases),
// and one line says how much was dropped.
func TestConformancePluginLogsCappedPerRun(t *testing.T) {
	code, _, errOut := runShapeCLI(t, "conformance", "-q", "--plugin", catalog.MustPath(t, "testdata/hostile/big-write"),
		"--cache-dir", shapeCacheDir, "--repro-dir", t.TempDir())
	if code != exitFailure {
		t.Fatalf("exit %d, want 1 (big-write fails the gate)\nstderr: %.2000s", code, errOut)
	}
	if len(errOut) > 100<<10 || strings.Count(errOut, "dropped: the gate logs at most") != 1 {
		t.Fatalf("stderr is %d bytes, %d lines; want at most 100 KiB with one line saying what was dropped\nlast lines: %s",
			len(errOut), strings.Count(errOut, "\n"), errOut[max(0, len(errOut)-1500):])
	}
}
