// Package headless drives the machine's headless Chromium for tests that
// must see a page the way a browser renders it: the DOM after the page's
// scripts ran, every message the page wrote to the console (and every
// uncaught error, which Chromium logs the same way), and a screenshot.
//
// Chromium is the Debian package `chromium` (`make chromium` installs it).
// Each call starts a fresh browser with its own throw-away profile, no
// network services and no sandbox (tests run as root in CI).
package headless

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// Timeout bounds one browser run.
const Timeout = 90 * time.Second

// ErrNoBrowser is returned when neither chromium nor chromium-browser is on
// the PATH.
var ErrNoBrowser = errors.New("chromium is not installed: run `make chromium` (Debian package chromium; see features/features.mk)")

// Binary returns the path of the headless browser.
func Binary() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Page is a page as the browser left it.
type Page struct {
	// DOM is the serialised document after load and the page's scripts.
	DOM string
	// Console holds every console message and uncaught error, in order.
	Console []string
}

// consoleLine is how Chromium logs a console message or an uncaught error
// with --enable-logging=stderr: [pid:tid:time:INFO:CONSOLE:N] "text", source: URL (line)
var consoleLine = regexp.MustCompile(`:CONSOLE[^\]]*\] "(.*)", source: (.*)$`)

// run starts the browser on url with extra flags and returns its stdout and
// the console messages it logged.
func run(ctx context.Context, url string, extra ...string) ([]byte, []string, error) {
	bin, err := Binary()
	if err != nil {
		return nil, nil, err
	}
	profile, err := os.MkdirTemp("", "agentshape-chromium-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + profile}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(append(args, extra...), url)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("chromium %v %s: %w\n%s", extra, url, err, stderr.String())
	}
	var console []string
	for _, line := range bytes.Split(stderr.Bytes(), []byte("\n")) {
		if m := consoleLine.FindSubmatch(line); m != nil {
			console = append(console, fmt.Sprintf("%s (%s)", m[1], m[2]))
		}
	}
	return stdout.Bytes(), console, nil
}

// Load opens url (file://… for a page on disk) and returns its DOM after
// the page's scripts ran, with what it wrote to the console.
func Load(ctx context.Context, url string) (Page, error) {
	dom, console, err := run(ctx, url, "--dump-dom")
	if err != nil {
		return Page{}, err
	}
	return Page{DOM: string(dom), Console: console}, nil
}

// Screenshot renders url in a window of width×height pixels and writes a
// PNG to file; it returns the PNG's size in bytes.
func Screenshot(ctx context.Context, url, file string, width, height int) (int64, error) {
	if _, _, err := run(ctx, url, "--screenshot="+file, fmt.Sprintf("--window-size=%d,%d", width, height)); err != nil {
		return 0, err
	}
	st, err := os.Stat(file)
	if err != nil {
		return 0, fmt.Errorf("chromium wrote no screenshot of %s: %w", url, err)
	}
	return st.Size(), nil
}

// MustLoad is Load for tests: it fails tb on any error.
func MustLoad(tb testing.TB, url string) Page {
	tb.Helper()
	p, err := Load(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// MustScreenshot is Screenshot for tests: it fails tb on any error.
func MustScreenshot(tb testing.TB, url, file string, width, height int) int64 {
	tb.Helper()
	n, err := Screenshot(context.Background(), url, file, width, height)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
