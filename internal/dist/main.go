// Command dist builds agentshape's release files: it stamps CHANGELOG.md with
// the version, cross-compiles static binaries (CGO_ENABLED=0, -trimpath) for
// each platform, packs each with the LICENSE, README, SECURITY and CHANGELOG
// into an archive (.tar.gz, .zip for Windows) and writes SHA256SUMS over all
// of them. `make dist` runs it; see the Makefile for the variables.
//
//	go run ./internal/dist -version v0.2.0 -ldflags '-X …' -out dist
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// defaultPlatforms are the release targets: GOOS/GOARCH pairs.
var defaultPlatforms = []string{
	"linux/amd64", "linux/arm64",
	"darwin/amd64", "darwin/arm64",
	"windows/amd64", "windows/arm64",
}

// releaseVersion is a semantic version with the v prefix Go modules use
// (v1.2.3, v1.2.3-rc.1); a build-metadata suffix is not a release.
var releaseVersion = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// checkVersion refuses what cannot name a release: a dev build, a git
// describe of an untagged or dirty tree, a version without its v.
func checkVersion(v string) error {
	switch {
	case !releaseVersion.MatchString(v):
		return fmt.Errorf("version %q is not a release version: give one like v0.2.0 or v0.2.0-rc.1 (make dist VERSION=v0.2.0), or tag HEAD with it", v)
	case strings.HasSuffix(v, "-dirty"):
		return fmt.Errorf("version %q comes from a tree with uncommitted changes: commit or stash them, or give VERSION=v… explicitly", v)
	case regexp.MustCompile(`-[0-9]+-g[0-9a-f]+$`).MatchString(v):
		return fmt.Errorf("version %q is a commit after a tag (git describe): tag HEAD, or give VERSION=v… explicitly", v)
	}
	return nil
}

func main() {
	var o options
	var platforms string
	flag.StringVar(&o.version, "version", "", "release version, v-prefixed semver (required)")
	flag.StringVar(&o.ldflags, "ldflags", "", "linker flags that stamp the version and commit (the Makefile's LDFLAGS)")
	flag.StringVar(&o.out, "out", "dist", "output directory")
	flag.StringVar(&o.changelog, "changelog", "CHANGELOG.md", "the changelog to stamp and ship")
	flag.StringVar(&o.date, "date", "", "release date for the changelog, YYYY-MM-DD (default today, UTC)")
	flag.StringVar(&o.goCmd, "go", "go", "the go command")
	flag.StringVar(&platforms, "platforms", strings.Join(defaultPlatforms, " "), "GOOS/GOARCH pairs, space separated")
	flag.Int64Var(&o.epoch, "epoch", 0, "modification time of archive entries, Unix seconds (reproducible archives; default: now)")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments %q: every input is a flag", flag.Args()))
	}
	o.platforms = strings.Fields(platforms)
	if o.date == "" {
		o.date = time.Now().UTC().Format(time.DateOnly)
	}
	if o.epoch == 0 {
		o.epoch = time.Now().Unix()
	}
	if err := run(o, os.Stdout); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "dist:", err)
	var ue usageError
	if errors.As(err, &ue) {
		os.Exit(2)
	}
	os.Exit(1)
}

// usageError marks a bad input, as opposed to a build that failed.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }
