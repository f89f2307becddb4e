package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// options are the inputs of one dist run.
type options struct {
	version   string   // v0.2.0
	ldflags   string   // -X flags stamping the version and commit
	out       string   // output directory
	changelog string   // CHANGELOG.md, stamped then shipped
	date      string   // release date for the changelog heading
	goCmd     string   // the go command
	platforms []string // GOOS/GOARCH
	epoch     int64    // archive entries' modification time
}

// docs ship in every archive beside the binary (the changelog too, from options).
var docs = []string{"LICENSE", "README.md", "SECURITY.md"}

// sumsFile names the checksum file, in `sha256sum -c` format.
const sumsFile = "SHA256SUMS"

// run stamps the changelog, then builds, packs and checksums every platform.
// Files of an earlier dist run in out are removed first, so SHA256SUMS
// always describes exactly the directory.
func run(o options, log io.Writer) error {
	if err := checkVersion(o.version); err != nil {
		return usageError{err}
	}
	if _, err := time.Parse(time.DateOnly, o.date); err != nil {
		return usageError{fmt.Errorf("release date %q: want YYYY-MM-DD", o.date)}
	}
	targets, err := parsePlatforms(o.platforms)
	if err != nil {
		return usageError{err}
	}
	for _, f := range append(slices.Clone(docs), o.changelog) {
		if _, err := os.Stat(f); err != nil {
			return usageError{fmt.Errorf("%s ships in every archive: %w (run make dist from the repository root)", f, err)}
		}
	}
	if out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
		fmt.Fprintf(log, "warning: the working tree has uncommitted changes; they are built into the binaries, whose version names the last commit. Release from a clean checkout of the tag.\n%s", out)
	}
	stamped, err := stampChangelogFile(o.changelog, o.version, o.date)
	if err != nil {
		return err
	}
	if stamped {
		fmt.Fprintf(log, "%s: [Unreleased] is now [%s] - %s; commit it with the release\n", o.changelog, strings.TrimPrefix(o.version, "v"), o.date)
	} else {
		fmt.Fprintf(log, "%s: already has [%s]\n", o.changelog, strings.TrimPrefix(o.version, "v"))
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := removeEarlierRun(o.out); err != nil {
		return err
	}
	docFiles, cleanup, err := packDocs(o)
	if err != nil {
		return err
	}
	defer cleanup()
	var shipped []string
	for _, t := range targets {
		names, err := buildTarget(o, t, docFiles)
		if err != nil {
			return err
		}
		shipped = append(shipped, names...)
		fmt.Fprintf(log, "%s/%s: %s\n", t.goos, t.goarch, strings.Join(names, ", "))
	}
	if err := writeSums(o.out, shipped); err != nil {
		return err
	}
	fmt.Fprintf(log, "%s: %d files\n", filepath.Join(o.out, sumsFile), len(shipped))
	return nil
}

// target is one GOOS/GOARCH pair.
type target struct{ goos, goarch string }

func parsePlatforms(list []string) ([]target, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("no platforms: give GOOS/GOARCH pairs such as linux/amd64")
	}
	var ts []target
	for _, p := range list {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
			return nil, fmt.Errorf("platform %q: want GOOS/GOARCH, such as linux/amd64", p)
		}
		ts = append(ts, target{goos, goarch})
	}
	return ts, nil
}

// baseName is a platform's file name stem: agentshape-v0.2.0-linux-amd64.
func baseName(version string, t target) string {
	return "agentshape-" + version + "-" + t.goos + "-" + t.goarch
}

// exe is the executable suffix of goos.
func exe(goos string) string {
	if goos == "windows" {
		return ".exe"
	}
	return ""
}

// buildTarget cross-compiles one platform's binary into out and packs it
// with the docs; it returns the names of both files.
func buildTarget(o options, t target, docFiles []archiveFile) ([]string, error) {
	base := baseName(o.version, t)
	bin := base + exe(t.goos)
	cmd := exec.Command(o.goCmd, "build", "-trimpath", "-ldflags", "-s -w "+o.ldflags, "-o", filepath.Join(o.out, bin), "./cmd/agentshape")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.goos, "GOARCH="+t.goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building %s/%s: %w", t.goos, t.goarch, err)
	}
	// Executable by everyone whatever the umask.
	if err := os.Chmod(filepath.Join(o.out, bin), 0o755); err != nil {
		return nil, err
	}
	files := []archiveFile{{name: "agentshape" + exe(t.goos), path: filepath.Join(o.out, bin), mode: 0o755}}
	files = append(files, docFiles...)
	archive := base + ".tar.gz"
	write := writeTarGz
	if t.goos == "windows" {
		archive, write = base+".zip", writeZip
	}
	if err := writeArchiveFile(filepath.Join(o.out, archive), base, files, o.epoch, write); err != nil {
		return nil, fmt.Errorf("packing %s: %w", archive, err)
	}
	return []string{bin, archive}, nil
}

// packDocs lists the docs every archive holds. Markdown docs are copied to
// a temporary directory (cleanup removes it) with their relative links to
// files the archive lacks (docs/agent-api.md, plugins/ABI.md, …) made
// absolute at the release's tag: inside the archive they would lead nowhere.
func packDocs(o options) (files []archiveFile, cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", "agentshape-dist-docs-")
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	all := append(slices.Clone(docs), o.changelog)
	shipped := map[string]bool{}
	for _, d := range all {
		shipped[filepath.Base(d)] = true
	}
	for _, d := range all {
		f := archiveFile{name: filepath.Base(d), path: d, mode: 0o644}
		if strings.HasSuffix(d, ".md") {
			md, err := os.ReadFile(d)
			if err != nil {
				cleanup()
				return nil, nil, err
			}
			f.path = filepath.Join(tmp, f.name)
			if err := os.WriteFile(f.path, absoluteLinks(md, o.version, shipped), 0o644); err != nil {
				cleanup()
				return nil, nil, err
			}
		}
		files = append(files, f)
	}
	return files, cleanup, nil
}

// removeEarlierRun deletes what an earlier run wrote in out (agentshape-*
// and SHA256SUMS) and nothing else.
func removeEarlierRun(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && (strings.HasPrefix(e.Name(), "agentshape-") || e.Name() == sumsFile) {
			if err := os.Remove(filepath.Join(out, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeSums writes SHA256SUMS for names (files in out), sorted, in the
// format `sha256sum -c` and `shasum -a 256 -c` check.
func writeSums(out string, names []string) error {
	names = slices.Sorted(slices.Values(names))
	var b strings.Builder
	for _, n := range names {
		sum, err := fileSHA256(filepath.Join(out, n))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, n)
	}
	return os.WriteFile(filepath.Join(out, sumsFile), []byte(b.String()), 0o644)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
