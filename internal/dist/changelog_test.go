package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleChangelog = `# Changelog

Intro.

## [Unreleased]

### Added

- a thing

## [0.1.0] - 2025-01-02

### Added

- the first thing
`

func TestStampChangelogMovesUnreleased(t *testing.T) {
	out, stamped, err := stampChangelog([]byte(sampleChangelog), "v0.2.0", "2025-06-01")
	if err != nil || !stamped {
		t.Fatalf("stamp: stamped %v, err %v", stamped, err)
	}
	want := strings.Replace(sampleChangelog, "## [Unreleased]\n", "## [Unreleased]\n\n## [0.2.0] - 2025-06-01\n", 1)
	if string(out) != want {
		t.Fatalf("stamped changelog:\n%s\nwant:\n%s", out, want)
	}
	// Running again (make dist after the stamp was committed) changes nothing.
	again, stamped, err := stampChangelog(out, "v0.2.0", "2025-06-09")
	if err != nil || stamped || string(again) != string(out) {
		t.Fatalf("second stamp: stamped %v, err %v, changed %v", stamped, err, string(again) != string(out))
	}
}

func TestStampChangelogRefusals(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"no unreleased heading", "# Changelog\n\n## [0.1.0] - 2025-01-02\n", `no "## [Unreleased]" heading`},
		{"empty unreleased", "# Changelog\n\n## [Unreleased]\n\n\n## [0.1.0] - 2025-01-02\n- x\n", "(line 3) is empty"},
		{"empty unreleased at the end", "# Changelog\n\n## [Unreleased]\n", "is empty"},
	} {
		_, _, err := stampChangelog([]byte(tc.text), "v0.2.0", "2025-06-01")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// A pre-release of the same number is another release.
	text := strings.Replace(sampleChangelog, "## [Unreleased]\n", "## [Unreleased]\n\n- more\n\n## [0.2.0-rc.1] - 2025-05-01\n", 1)
	if _, stamped, err := stampChangelog([]byte(text), "v0.2.0", "2025-06-01"); err != nil || !stamped {
		t.Errorf("v0.2.0 after [0.2.0-rc.1]: stamped %v, err %v; want a new section", stamped, err)
	}
}

func TestStampChangelogFileKeepsAFailedStampOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "CHANGELOG.md")
	empty := "# Changelog\n\n## [Unreleased]\n"
	if err := os.WriteFile(path, []byte(empty), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := stampChangelogFile(path, "v1.0.0", "2025-06-01"); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err %v: want one naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != empty {
		t.Fatalf("a refused stamp changed the file:\n%s", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestCheckVersion(t *testing.T) {
	for _, v := range []string{"v0.1.0", "v1.22.333", "v2.0.0-rc.1", "v0.0.0-test.1"} {
		if err := checkVersion(v); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	for v, why := range map[string]string{
		"":                  "not a release version",
		"devel":             "not a release version",
		"devel-dirty":       "not a release version",
		"0.1.0":             "not a release version",
		"v01.0.0":           "not a release version",
		"v0.1":              "not a release version",
		"v0.1.0+meta":       "not a release version",
		"v0.1.0-dirty":      "uncommitted changes",
		"v0.1.0-3-g1a2b3c4": "a commit after a tag",
	} {
		err := checkVersion(v)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: err %v, want %q", v, err, why)
		}
	}
}

func TestDefaultPlatformsAreTheReleaseMatrix(t *testing.T) {
	ts, err := parsePlatforms(defaultPlatforms)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tg := range ts {
		got[baseName("v1.0.0", tg)+exe(tg.goos)] = tg.goos
	}
	for _, want := range []string{
		"agentshape-v1.0.0-linux-amd64", "agentshape-v1.0.0-linux-arm64",
		"agentshape-v1.0.0-darwin-amd64", "agentshape-v1.0.0-darwin-arm64",
		"agentshape-v1.0.0-windows-amd64.exe", "agentshape-v1.0.0-windows-arm64.exe",
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("the release matrix has no %s (has %v)", want, got)
		}
	}
	if len(got) != 6 {
		t.Errorf("release matrix: %d binaries, want 6: %v", len(got), got)
	}
	for _, bad := range [][]string{nil, {"linux"}, {"linux/"}, {"/amd64"}, {"linux/amd64/v2"}} {
		if _, err := parsePlatforms(bad); err == nil {
			t.Errorf("parsePlatforms(%q) accepted", bad)
		}
	}
}
