package conformance_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/conformance"
	"github.com/agentshape/agentshape/internal/headless"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// renderDOM loads file in headless Chromium and returns the DOM after
// rendering (and a screenshot's size as proof it painted).
func renderDOM(t *testing.T, file string) (dom string, screenshot int) {
	t.Helper()
	page := headless.MustLoad(t, "file://"+file)
	if len(page.Console) > 0 {
		t.Errorf("the page wrote to the console: %q", page.Console)
	}
	size := headless.MustScreenshot(t, "file://"+file, filepath.Join(t.TempDir(), "report.png"), 1100, 1400)
	return page.DOM, int(size)
}

var (
	externalRef = regexp.MustCompile(`(?i)<(link|script|img|iframe)\b|\bsrc\s*=|url\(`)
	tagText     = regexp.MustCompile(`<[^>]+>`)
)

// TestHTMLReportRendersInChromium: --html writes one self-contained page that
// a browser renders with the verdict, the scenarios, their steps and the
// failures with reproducers.
func TestHTMLReportRendersInChromium(t *testing.T) {
	wasm := catalog.MustPath(t, "testdata/broken/wrong-field")
	rep := run(t, conformance.Options{Plugin: wasm, Cases: 5, Baseline: catalog.MustPath(t, "endpoint")})
	file := filepath.Join(t.TempDir(), "report.html")
	var page bytes.Buffer
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if m := externalRef.FindString(page.String()); m != "" {
		t.Fatalf("the page is not self-contained: it has %q", m)
	}
	dom, shot := renderDOM(t, file)
	if shot < 10_000 {
		t.Errorf("screenshot is only %d bytes; the page did not paint", shot)
	}
	text := tagText.ReplaceAllString(dom, " ")
	for _, want := range []string{
		`data-verdict="failed"`,
		"Conformance failed",
		"Failures and how to reproduce them",
		"plugin call " + wasm,
		"Plugin contract: the module speaks ABI v1",
		"Every shaped request is valid",
		"The shaped request starts a session",
	} {
		if !strings.Contains(dom, want) && !strings.Contains(text, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	p, f, _ := rep.Counts()
	if !regexp.MustCompile(`id="count-failed"[^>]*>\s*<b>` + itoa(f) + `</b>`).MatchString(dom) {
		t.Errorf("rendered page does not show %d failed scenarios", f)
	}
	if !regexp.MustCompile(`id="count-passed"[^>]*>\s*<b>` + itoa(p) + `</b>`).MatchString(dom) {
		t.Errorf("rendered page does not show %d passed scenarios", p)
	}
	if n := strings.Count(dom, `<details class="scenario`); n != p+f {
		t.Errorf("rendered page has %d scenarios, want %d", n, p+f)
	}
	if n := strings.Count(dom, `class="failure"`); n != len(rep.Failures) {
		t.Errorf("rendered page shows %d failures, want %d", n, len(rep.Failures))
	}
	// What was checked: the agentshape version, the org, the plugin's sha256.
	for _, want := range []string{rep.Version, rep.Plugins[0].SHA256, "the built-in demo org", "--org ORG.yaml"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	// Every reproducer envelope is embedded, whole.
	embedded := 0
	for _, f := range rep.Failures {
		if f.Envelope == "" {
			continue
		}
		env, err := os.ReadFile(f.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, env, "", "  "); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, indented.String()) {
			t.Errorf("rendered page does not embed the envelope of %s:\n%s", f.Envelope, indented.String())
		}
		embedded++
	}
	if embedded == 0 || strings.Count(dom, `<pre class="envelope">`) != embedded {
		t.Errorf("%d envelopes embedded, want %d", strings.Count(dom, `<pre class="envelope">`), embedded)
	}
	// The behaviour diff against the baseline (endpoint): one table per
	// differing case, a row for /userId with both values.
	if !strings.Contains(text, "Behaviour diff against the baseline") || !strings.Contains(text, rep.Diff.Summary()) {
		t.Errorf("rendered page lacks the diff section or its summary %q", rep.Diff.Summary())
	}
	if n := strings.Count(dom, `<table class="diff">`); n != len(rep.Diff.Listed()) || n != 8 {
		t.Errorf("rendered page has %d diff tables, want one per listed case (%d of 8)", n, len(rep.Diff.Listed()))
	}
	if !regexp.MustCompile(`<tr class="field"><td><code>/userId</code></td><td><code>\(absent\)</code></td><td><code>"005000000000001AAA"</code></td></tr>`).MatchString(dom) {
		t.Errorf("rendered page lacks the /userId row")
	}
}

// TestHTMLReportPassing: a passing run renders as passed, with no failure section.
func TestHTMLReportPassing(t *testing.T) {
	rep := run(t, conformance.Options{Plugin: catalog.MustPath(t, "timezone"), Cases: 5})
	file := filepath.Join(t.TempDir(), "report.html")
	var page bytes.Buffer
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, _ := renderDOM(t, file)
	if !strings.Contains(dom, `data-verdict="passed"`) || strings.Contains(dom, `id="failures"`) {
		t.Fatalf("a passing report does not render as passed:\n%.2000s", dom)
	}
	if strings.Count(dom, `<li class="passed">`) < 40 {
		t.Errorf("rendered page lists only %d passed steps", strings.Count(dom, `<li class="passed">`))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
