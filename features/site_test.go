package features

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/docsite"
	"github.com/agentshape/agentshape/internal/headless"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// Set by the feature runs of this process: the site test renders their
// reports, so it shows the run it belongs to.
var (
	featuresRan       bool
	pluginContractRan bool
)

var (
	// externalResource is anything a browser would fetch: the site must
	// open from disk with no network and nothing beside each page.
	externalResource = regexp.MustCompile(`(?i)<(link|img|iframe|object|embed)\b|<script[^>]*\bsrc\s*=|\burl\(|@import`)
	href             = regexp.MustCompile(`href="([^"]*)"`)
	anchorID         = regexp.MustCompile(`id="([^"]*)"`)
	visibleScenario  = regexp.MustCompile(`<tr class="scenario"[^>]*>`)
)

// TestDocsSite renders the features with the results of this run (TestFeatures
// and TestPluginContractFeatures, above) into features/reports/site — the
// site `make docs` writes to docs/site — and opens it in headless Chromium:
// every feature appears with its results, every scenario has a result, the
// tag filter works, nothing is written to the console, and every page is
// self-contained with working links. The screenshot stays in
// features/reports/site.png.
func TestDocsSite(t *testing.T) {
	if !featuresRan || !pluginContractRan {
		t.Skip("the site shows the results of TestFeatures and TestPluginContractFeatures: run them in the same go test (make test, make docs)")
	}
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := reportsDir(t)
	ver, commit := docsite.CurrentVersion(root)
	site, err := docsite.Build(docsite.Options{
		Root: root, FeaturesDir: "features", Version: ver, Commit: commit,
		Reports: []docsite.Report{
			{File: filepath.Join(dir, "features.cucumber.json")},
			{File: filepath.Join(dir, "plugincontract.cucumber.json"), Prefix: "plugincontract/"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := filepath.Abs(filepath.Join(dir, "site"))
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Write(out); err != nil {
		t.Fatal(err)
	}
	t.Logf("site: %s/index.html (%d features, %+v)", out, len(site.Features), site.Counts)

	checkPages(t, out)

	// Every scenario of this run has a result, unless GODOG_TAGS ran a part.
	partial := os.Getenv("GODOG_TAGS") != ""
	for _, f := range site.Features {
		for _, sc := range f.Scenarios() {
			if sc.Status == docsite.NotRun && !partial {
				t.Errorf("%s:%d %q has no result in this run's reports", f.Path, sc.Line, sc.Name)
			}
		}
	}

	// The index, with the filter set to one source tag by the URL.
	const tag = "@salesforce-observed"
	page := headless.MustLoad(t, "file://"+filepath.Join(out, "index.html")+"#tag="+tag)
	if len(page.Console) > 0 {
		t.Errorf("index.html wrote to the console: %q", page.Console)
	}
	dom := page.DOM
	for _, f := range site.Features {
		row := fmt.Sprintf(`data-feature="%s" data-passed="%d" data-failed="%d" data-skipped="%d" data-not-run="%d"`,
			f.Path, f.Counts.Passed, f.Counts.Failed, f.Counts.Skipped, f.Counts.NotRun)
		if !strings.Contains(dom, row) {
			t.Errorf("index.html does not list %s with its results (%s)", f.Path, row)
		}
	}
	for id, n := range map[string]int{"count-passed": site.Counts.Passed, "count-failed": site.Counts.Failed,
		"count-skipped": site.Counts.Skipped, "count-not-run": site.Counts.NotRun} {
		if !regexp.MustCompile(`id="` + id + `"[^>]*>\s*<b>` + fmt.Sprint(n) + `</b>`).MatchString(dom) {
			t.Errorf("index.html does not show %s = %d", id, n)
		}
	}
	total, withTag := 0, 0
	for _, f := range site.Features {
		for _, sc := range f.Scenarios() {
			total++
			for _, tg := range sc.Tags {
				if tg == tag {
					withTag++
				}
			}
		}
	}
	if n := strings.Count(dom, `<tr class="scenario"`); n != total {
		t.Errorf("index.html lists %d scenarios, want %d", n, total)
	}
	visible := 0
	for _, m := range visibleScenario.FindAllString(dom, -1) {
		if !strings.Contains(m, "hidden") {
			visible++
		}
	}
	if withTag == 0 || visible != withTag {
		t.Errorf("filtered by %s the index shows %d scenarios, want %d", tag, visible, withTag)
	}
	if want := fmt.Sprintf("%d of %d scenarios shown", withTag, total); !strings.Contains(dom, want) {
		t.Errorf("index.html does not say %q", want)
	}

	// A feature page, as a Flow admin reads it.
	var flow *docsite.Feature
	for _, f := range site.Features {
		if f.Path == "flow/start-session-outputs.feature" {
			flow = f
		}
	}
	if flow == nil {
		t.Fatal("no flow/start-session-outputs.feature")
	}
	fp := headless.MustLoad(t, "file://"+filepath.Join(out, "feature-"+flow.Slug+".html"))
	if len(fp.Console) > 0 {
		t.Errorf("the feature page wrote to the console: %q", fp.Console)
	}
	for _, sc := range flow.Scenarios() {
		if !strings.Contains(fp.DOM, `id="`+sc.Anchor+`" data-status="`+strings.ReplaceAll(string(sc.Status), " ", "-")+`"`) {
			t.Errorf("the feature page lacks %q with its result %s", sc.Name, sc.Status)
		}
	}

	shot := filepath.Join(dir, "site.png")
	if size := headless.MustScreenshot(t, "file://"+filepath.Join(out, "index.html"), shot, 1200, 1600); size < 10_000 {
		t.Errorf("the screenshot is only %d bytes; the page did not paint", size)
	}
	t.Logf("screenshot: %s", shot)
}

// checkPages: every page is self-contained, and every link to another page
// of the site reaches an existing page and anchor.
func checkPages(t *testing.T, out string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pages in %s: %v", out, err)
	}
	ids := map[string]map[string]bool{}
	texts := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		texts[name] = string(b)
		ids[name] = map[string]bool{}
		for _, m := range anchorID.FindAllStringSubmatch(string(b), -1) {
			ids[name][m[1]] = true
		}
		if m := externalResource.FindString(string(b)); m != "" {
			t.Errorf("%s is not self-contained: it has %q", name, m)
		}
	}
	for name, text := range texts {
		for _, m := range href.FindAllStringSubmatch(text, -1) {
			link := m[1]
			if strings.HasPrefix(link, "https://") || strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			page, frag, _ := strings.Cut(link, "#")
			if page == "" {
				page = name
			}
			if _, ok := ids[page]; !ok {
				t.Errorf("%s links %q, which is not a page of the site", name, link)
				continue
			}
			if frag != "" && !ids[page][frag] && !strings.HasPrefix(frag, "tag=") {
				t.Errorf("%s links %q, but %s has no id %q", name, link, page, frag)
			}
		}
	}
}
