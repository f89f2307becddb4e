// Package version says which agentshape this is: the release version and the
// source commit it was built from.
//
// Release builds (make build, make dist) set both at link time:
//
//	go build -ldflags "-X github.com/agentshape/agentshape/internal/version.version=v0.3.0 \
//	                   -X github.com/agentshape/agentshape/internal/version.commit=0123abc…"
//
// A build without them (go install …@v0.3.0, go build in a checkout) falls back
// to what the Go toolchain records in the binary (runtime/debug.ReadBuildInfo):
// the module version, and the VCS revision when the build had one.
package version

import (
	"runtime/debug"
	"strings"
)

// Set with -ldflags -X at build time; empty when the build did not set them.
var (
	version string
	commit  string
)

// Unknown is the version and commit of a build that recorded neither.
const Unknown = "unknown"

// Info is what a binary knows about its own origin.
type Info struct {
	// Version is the release version ("v0.3.0"), a Go pseudo-version for an
	// untagged commit, or "unknown".
	Version string `json:"version"`
	// Commit is the full source revision, or "unknown".
	Commit string `json:"commit"`
	// Modified is true when the build's working tree had uncommitted changes
	// (known only from Go's VCS stamping, not from -ldflags).
	Modified bool `json:"modified,omitempty"`
}

// Current is the Info of the running binary.
func Current() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, bi)
}

// String is the running binary's version and commit in one line, as reports
// and --version print it.
func String() string { return Current().String() }

// String formats i as "v0.3.0 (commit 0123abc…)"; a modified tree adds ", modified".
func (i Info) String() string {
	s := i.Version + " (commit " + i.Commit
	if i.Modified {
		s += ", modified"
	}
	return s + ")"
}

// resolve prefers the link-time values and fills what they leave empty from
// the toolchain's build information (nil when the binary carries none).
func resolve(linkVersion, linkCommit string, bi *debug.BuildInfo) Info {
	info := Info{Version: strings.TrimSpace(linkVersion), Commit: strings.TrimSpace(linkCommit)}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.modified":
				// Only meaningful for the revision Go recorded; a link-time
				// commit comes with its own idea of cleanliness.
				info.Modified = linkCommit == "" && s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = Unknown
	}
	if info.Commit == "" {
		info.Commit = Unknown
	}
	return info
}
