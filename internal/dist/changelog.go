package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// unreleasedHeading opens the section of changes not yet released (Keep a
// Changelog, https://keepachangelog.com/en/1.1.0/).
const unreleasedHeading = "## [Unreleased]"

// stampChangelog turns the [Unreleased] section of a Keep a Changelog file
// into the release's section, "## [0.2.0] - 2025-06-01" (the version without
// its v, as Keep a Changelog writes it), under a new empty [Unreleased]
// heading. A changelog that already has the release's section is returned
// unchanged (stamped false), so make dist can run again after the stamp was
// committed. An [Unreleased] section with nothing in it is refused: a release
// says what changed.
func stampChangelog(text []byte, version, date string) (out []byte, stamped bool, err error) {
	number := strings.TrimPrefix(version, "v")
	lines := strings.SplitAfter(string(text), "\n")
	unreleased := -1
	for i, l := range lines {
		h := strings.TrimRight(l, " \t\r\n")
		if strings.HasPrefix(h, "## ["+number+"]") {
			return text, false, nil
		}
		if h == unreleasedHeading && unreleased < 0 {
			unreleased = i
		}
	}
	if unreleased < 0 {
		return nil, false, fmt.Errorf("no %q heading: add one above the changes this release brings", unreleasedHeading)
	}
	end := len(lines)
	for i := unreleased + 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "## ") {
			end = i
			break
		}
	}
	if strings.TrimSpace(strings.Join(lines[unreleased+1:end], "")) == "" {
		return nil, false, fmt.Errorf("%s (line %d) is empty: write what %s changes under it first", unreleasedHeading, unreleased+1, version)
	}
	var b bytes.Buffer
	for _, l := range lines[:unreleased+1] {
		b.WriteString(l)
	}
	fmt.Fprintf(&b, "\n## [%s] - %s\n", number, date)
	for _, l := range lines[unreleased+1:] {
		b.WriteString(l)
	}
	return b.Bytes(), true, nil
}

// stampChangelogFile stamps the changelog at path in place (through a
// temporary file and a rename, so it is never left half-written).
func stampChangelogFile(path, version, date string) (stamped bool, err error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	out, stamped, err := stampChangelog(text, version, date)
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if !stamped {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".changelog-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if fi, err := os.Stat(path); err == nil {
		_ = os.Chmod(tmp.Name(), fi.Mode().Perm())
	}
	return true, os.Rename(tmp.Name(), path)
}
