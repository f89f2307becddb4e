package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/agentshape/agentshape", Version: "v0.3.0"}}
	checkout := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/agentshape/agentshape", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name          string
		linkV, linkC  string
		bi            *debug.BuildInfo
		want          Info
		wantFormatted string
	}{
		{"link time wins", "v1.2.3", "abc", checkout,
			Info{Version: "v1.2.3", Commit: "abc"}, "v1.2.3 (commit abc)"},
		{"go install of a tag: module version, no revision", "", "", installed,
			Info{Version: "v0.3.0", Commit: Unknown}, "v0.3.0 (commit unknown)"},
		{"checkout build: revision and dirty tree, (devel) is not a version", "", "", checkout,
			Info{Version: Unknown, Commit: "0123456789abcdef0123456789abcdef01234567", Modified: true},
			"unknown (commit 0123456789abcdef0123456789abcdef01234567, modified)"},
		{"link-time version with the toolchain's revision", "v1.2.3", "", checkout,
			Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", Modified: true},
			"v1.2.3 (commit 0123456789abcdef0123456789abcdef01234567, modified)"},
		{"nothing recorded", "", "", nil, Info{Version: Unknown, Commit: Unknown}, "unknown (commit unknown)"},
	} {
		got := resolve(tc.linkV, tc.linkC, tc.bi)
		if got != tc.want {
			t.Errorf("%s: resolve = %+v, want %+v", tc.name, got, tc.want)
		}
		if s := got.String(); s != tc.wantFormatted {
			t.Errorf("%s: String() = %q, want %q", tc.name, s, tc.wantFormatted)
		}
	}
}

// TestCurrentReadsTheTestBinary: a test binary carries build info, so Current
// never comes back empty.
func TestCurrentReadsTheTestBinary(t *testing.T) {
	got := Current()
	if got.Version == "" || got.Commit == "" {
		t.Fatalf("Current() = %+v: empty fields", got)
	}
	if String() != got.String() {
		t.Fatalf("String() %q != Current().String() %q", String(), got.String())
	}
}
