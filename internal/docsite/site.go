package docsite

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/agentshape/agentshape/internal/version"
)

// Options say what to render and from where.
type Options struct {
	// Root is the repository's root directory.
	Root string
	// FeaturesDir holds the .feature files, relative to Root ("features").
	FeaturesDir string
	// Reports are the Cucumber JSON reports of the run.
	Reports []Report
	// Version and Commit say which agentshape ran (internal/version).
	Version, Commit string
	// RunAt is when the run happened; zero means the newest report's time.
	RunAt time.Time
	// RepoURL is where a link to a repository file that the site does not
	// render points: RepoURL + path ("https://github.com/o/r/blob/main/").
	RepoURL string
}

// Site is the documentation, ready to write.
type Site struct {
	Features []*Feature
	Docs     []*Doc
	Counts   Counts
	RunAt    time.Time
	Version  string
	Commit   string
	Folders  []Folder
	Tags     []TagCount // every tag, most used first
	opts     Options
}

// Folder groups the features of one folder of features/.
type Folder struct {
	Name, Title, Blurb string
	Features           []*Feature
}

// TagCount is a tag and how many scenarios carry it.
type TagCount struct {
	Tag   string
	Count int
}

// folderInfo names and explains the folders of features/.
var folderInfo = map[string][2]string{
	"flow":           {"Flow Builder: the Start Session action", "What a Flow admin sees: the action's inputs, outputs and preconditions, and how the New Session Request Body is built."},
	"product":        {"agentshape itself", "Shaping with plugins, the sandbox, validation, retries, the Agent API emulator, a session's life and the conformance gate."},
	"plugincontract": {"The plugin contract", "The rules every plugin keeps; `agentshape conformance` runs these features against a team's plugin."},
}

// docPages are the Markdown documents the site renders, in menu order.
var docPages = []struct{ src, page, label string }{
	{"docs/agent-api.md", "agent-api.html", "Agent API reference"},
	{"plugins/ABI.md", "plugin-abi.html", "Plugin ABI"},
	{"features/README.md", "reading-the-features.html", "Reading the features"},
}

// Build loads the features, their results and the documents.
func Build(opts Options) (*Site, error) {
	if opts.FeaturesDir == "" {
		opts.FeaturesDir = "features"
	}
	features, runAt, err := LoadFeatures(filepath.Join(opts.Root, opts.FeaturesDir), opts.Reports)
	if err != nil {
		return nil, err
	}
	if !opts.RunAt.IsZero() {
		runAt = opts.RunAt
	}
	s := &Site{Features: features, RunAt: runAt.UTC(), Version: opts.Version, Commit: opts.Commit, opts: opts}
	tags := map[string]int{}
	byFolder := map[string]*Folder{}
	for _, f := range features {
		s.Counts.Passed += f.Counts.Passed
		s.Counts.Failed += f.Counts.Failed
		s.Counts.Skipped += f.Counts.Skipped
		s.Counts.NotRun += f.Counts.NotRun
		for _, sc := range f.Scenarios() {
			for _, t := range sc.Tags {
				tags[t]++
			}
		}
		fo := byFolder[f.Folder]
		if fo == nil {
			info := folderInfo[f.Folder]
			fo = &Folder{Name: f.Folder, Title: info[0], Blurb: info[1]}
			if fo.Title == "" {
				fo.Title = f.Folder
			}
			byFolder[f.Folder] = fo
		}
		fo.Features = append(fo.Features, f)
	}
	for _, name := range []string{"flow", "product", "plugincontract"} {
		if fo := byFolder[name]; fo != nil {
			s.Folders = append(s.Folders, *fo)
			delete(byFolder, name)
		}
	}
	var rest []string
	for name := range byFolder {
		rest = append(rest, name)
	}
	sort.Strings(rest)
	for _, name := range rest {
		s.Folders = append(s.Folders, *byFolder[name])
	}
	for t, n := range tags {
		s.Tags = append(s.Tags, TagCount{t, n})
	}
	sort.Slice(s.Tags, func(i, j int) bool {
		if s.Tags[i].Count != s.Tags[j].Count {
			return s.Tags[i].Count > s.Tags[j].Count
		}
		return s.Tags[i].Tag < s.Tags[j].Tag
	})
	for _, d := range docPages {
		doc, err := renderMarkdown(opts.Root, d.src, d.page, s.linkTarget)
		if err != nil {
			return nil, err
		}
		doc.Title = d.label
		s.Docs = append(s.Docs, doc)
	}
	return s, nil
}

// linkTarget maps a repository path to the site page that shows it, or to
// the repository on the web.
func (s *Site) linkTarget(repoPath string) string {
	for _, d := range docPages {
		if repoPath == d.src {
			return d.page
		}
	}
	fdir := path.Clean(filepath.ToSlash(s.opts.FeaturesDir))
	for _, f := range s.Features {
		if repoPath == path.Join(fdir, f.Path) {
			return featurePage(f)
		}
	}
	for _, fo := range s.Folders {
		if repoPath == path.Join(fdir, fo.Name) {
			return "index.html#folder-" + fo.Name
		}
	}
	if s.opts.RepoURL == "" {
		return "index.html"
	}
	return s.opts.RepoURL + repoPath
}

func featurePage(f *Feature) string { return "feature-" + f.Slug + ".html" }

// Write writes the site into dir, replacing the pages of an earlier run
// (other files are left alone).
func (s *Site) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.html"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	write := func(name, tmpl string, data any) error {
		var b bytes.Buffer
		if err := pages.ExecuteTemplate(&b, tmpl, data); err != nil {
			return fmt.Errorf("rendering %s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644)
	}
	if err := write("index.html", "index", s); err != nil {
		return err
	}
	for _, f := range s.Features {
		if err := write(featurePage(f), "feature", struct {
			*Site
			Feature *Feature
		}{s, f}); err != nil {
			return err
		}
	}
	for _, d := range s.Docs {
		if err := write(d.Page, "doc", struct {
			*Site
			Doc *Doc
		}{s, d}); err != nil {
			return err
		}
	}
	return nil
}

// citation is a reference to one of the rendered documents in a feature's
// text, with the sections that follow it.
var citation = regexp.MustCompile(`(?:docs/)?agent-api\.md((?:\s*(?:,|and)?\s*§\d+)*)|(?:plugins/)?ABI\.md((?:\s*(?:,|and)?\s*§\d+)*)`)
var sectionRef = regexp.MustCompile(`§(\d+)`)

// Linkify escapes text and links its citations of the Agent API reference
// and the plugin ABI to their pages and sections.
func (s *Site) Linkify(text string) template.HTML {
	esc := html.EscapeString(text)
	out := citation.ReplaceAllStringFunc(esc, func(m string) string {
		page, doc := "agent-api.html", s.doc("docs/agent-api.md")
		if strings.Contains(m, "ABI.md") {
			page, doc = "plugin-abi.html", s.doc("plugins/ABI.md")
		}
		name, secs := m, ""
		if i := strings.Index(m, "§"); i >= 0 {
			name, secs = strings.TrimRight(m[:i], " ,"), m[len(strings.TrimRight(m[:i], " ,")):]
		}
		secs = sectionRef.ReplaceAllStringFunc(secs, func(ref string) string {
			anchor := ""
			if doc != nil {
				anchor = doc.Sections[strings.TrimPrefix(ref, "§")]
			}
			if anchor == "" {
				return ref
			}
			return `<a href="` + page + `#` + anchor + `">` + ref + `</a>`
		})
		return `<a href="` + page + `">` + name + `</a>` + secs
	})
	return template.HTML(out)
}

func (s *Site) doc(src string) *Doc {
	for _, d := range s.Docs {
		if d.Source == src {
			return d
		}
	}
	return nil
}

// block is a paragraph or a table of a feature's description.
type block struct {
	Text  string
	Table [][]string
}

// descBlocks splits a description into text and the tables written in it
// with Gherkin's | pipes |.
func descBlocks(desc string) []block {
	var out []block
	var text []string
	var table [][]string
	flush := func() {
		if len(text) > 0 {
			out = append(out, block{Text: strings.Trim(strings.Join(text, "\n"), "\n")})
			text = nil
		}
		if len(table) > 0 {
			out = append(out, block{Table: table})
			table = nil
		}
	}
	for _, line := range strings.Split(desc, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "|") && strings.HasSuffix(t, "|") && len(t) > 1 {
			if len(text) > 0 {
				flush()
			}
			var cells []string
			for _, c := range strings.Split(strings.Trim(t, "|"), "|") {
				cells = append(cells, strings.TrimSpace(c))
			}
			table = append(table, cells)
			continue
		}
		if len(table) > 0 {
			flush()
		}
		text = append(text, line)
	}
	flush()
	return out
}

// shortCommit is a commit hash cut to 12 characters.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func statusClass(s Status) string { return strings.ReplaceAll(string(s), " ", "-") }

func sourceLabel(tag string) string { return sourceLabels[tag] }

func otherTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if _, ok := sourceLabels[t]; !ok {
			out = append(out, t)
		}
	}
	return out
}

func searchText(f *Feature, sc *Scenario) string {
	return strings.ToLower(f.Name + " " + sc.Name + " " + sc.Example + " " + strings.Join(sc.Tags, " "))
}

var funcs = template.FuncMap{
	"statusClass": statusClass,
	"sourceLabel": sourceLabel,
	"otherTags":   otherTags,
	"join":        strings.Join,
	"descBlocks":  descBlocks,
	"featurePage": featurePage,
	"short":       shortCommit,
	"search":      searchText,
	"date":        func(t time.Time) string { return t.Format("2006-01-02 15:04 UTC") },
	"sourceTags":  func() []string { return SourceTags },
	"rawHTML":     func(b []byte) template.HTML { return template.HTML(b) },
}

// CurrentVersion is the version and commit the site names: the running
// binary's (internal/version, stamped by make with -ldflags), with the
// checkout's commit from git when the binary does not know its own.
func CurrentVersion(root string) (ver, commit string) {
	v := version.Current()
	if v.Commit == version.Unknown {
		if c, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err == nil {
			v.Commit = strings.TrimSpace(string(c))
		}
	}
	return v.Version, v.Commit
}
