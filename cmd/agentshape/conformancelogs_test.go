package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestConformancePluginLogsCappedPerRun: a plugin that floods stderr on every
// call gets at most conformance.MaxPluginLogBytes of messages logged over a
// whole gate run (it used to be 1.8 MB at 50 cases, growing with --cases),
// and one line says how much was dropped.
func TestConformancePluginLogsCappedPerRun(t *testing.T) {
	t.Parallel()
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

// TestConformanceFailureCountsOneUnit: the report's header and the closing
// error count the same things in the same words — failed scenarios out of
// all, and distinct failures — instead of "3 failed" and "4 failure(s)".
func TestConformanceFailureCountsOneUnit(t *testing.T) {
	t.Parallel()
	code, out, errOut := runShapeCLI(t, "conformance", "-q", "--plugin", catalog.MustPath(t, "testdata/hostile/big-write"),
		"--cache-dir", shapeCacheDir, "--repro-dir", t.TempDir())
	m := regexp.MustCompile(`(\d+) of (\d+) scenarios failed \((\d+) distinct failures?\)`)
	head, tail := m.FindString(out), m.FindString(errOut)
	if code != exitFailure || head == "" || head != tail || strings.Contains(errOut, "failure(s)") {
		t.Fatalf("exit %d; header says %q, closing error %q: want the same \"N of M scenarios failed (K distinct failures)\"\nstdout: %.600s\nstderr tail: %s",
			code, head, tail, out, errOut[max(0, len(errOut)-600):])
	}
}
