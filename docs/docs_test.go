package docs_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the checkout this test runs in (the parent of docs/).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod above docs/: %v", err)
	}
	return root
}

// repoFiles lists the files of the checkout, tracked or new but not
// ignored, relative to the root with forward slashes.
func repoFiles(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files (the citation check reads the checkout's files): %v", err)
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			continue // deleted in the work tree
		}
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}

// textFiles reads every text file of the checkout (no NUL byte, at most
// 4 MiB); binaries such as .wasm and images are skipped.
func textFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range repoFiles(t, root) {
		switch strings.ToLower(path.Ext(f)) {
		case ".wasm", ".png", ".jpg", ".gif", ".ico", ".so", ".a", ".gz", ".zip":
			continue
		}
		st, err := os.Stat(filepath.Join(root, f))
		if err != nil || st.IsDir() || st.Size() > 4<<20 {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(b, 0) >= 0 {
			continue
		}
		out[f] = string(b)
	}
	return out
}

var sectionHeading = regexp.MustCompile(`(?m)^## (\d+)\. `)

// sections returns the numbered top-level sections ("## N. Title") of a
// Markdown file of the checkout.
func sections(t *testing.T, root, file string) map[int]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[int]bool{}
	for _, m := range sectionHeading.FindAllStringSubmatch(string(b), -1) {
		n, _ := strconv.Atoi(m[1])
		out[n] = true
	}
	if len(out) == 0 {
		t.Fatalf("%s has no numbered sections (## N. Title)", file)
	}
	return out
}

// citation is one "§N" found in a file, and the document it refers to.
type citation struct {
	file string
	line int
	doc  string // "agent-api.md" or "ABI.md"
	n    int
	text string
}

var (
	docName = regexp.MustCompile(`agent-api\.md|ABI\.md`)
	// sectionList is what may follow a document name: closing quotes or
	// brackets, then §N, optionally more numbers joined by commas, "and",
	// dashes or slashes.
	sectionList = regexp.MustCompile("^[`'\")\\]]*\\s{0,2}§(\\d+)((?:\\s*(?:,|and|–|-|/|to)\\s*§?\\d+)*)")
	moreNumbers = regexp.MustCompile(`\d+`)
	bareSection = regexp.MustCompile(`§(\d+)`)
)

// citations finds the section citations of one file. A §N right after a
// document name cites that document. A bare §N cites agent-api.md in a file
// that names agent-api.md, and ABI.md in plugins/ABI.md or in a file that
// names only ABI.md; in other files a bare § is ambiguous and not checked.
func citations(file, text string) []citation {
	var out []citation
	mentionsAPI := strings.Contains(text, "agent-api.md")
	mentionsABI := strings.Contains(text, "ABI.md")
	bareDoc := ""
	switch {
	case file == "plugins/ABI.md":
		bareDoc = "ABI.md"
	case file == "docs/agent-api.md" || mentionsAPI:
		bareDoc = "agent-api.md"
	case mentionsABI:
		bareDoc = "ABI.md"
	}
	for i, line := range strings.Split(text, "\n") {
		claimed := map[int]bool{} // byte offsets of § already attributed
		for _, loc := range docName.FindAllStringIndex(line, -1) {
			doc := line[loc[0]:loc[1]]
			rest := line[loc[1]:]
			m := sectionList.FindStringSubmatchIndex(rest)
			if m == nil {
				continue
			}
			numbers := []string{rest[m[2]:m[3]]}
			numbers = append(numbers, moreNumbers.FindAllString(rest[m[4]:m[5]], -1)...)
			for _, s := range numbers {
				n, _ := strconv.Atoi(s)
				out = append(out, citation{file, i + 1, doc, n, strings.TrimSpace(line)})
			}
			for j := loc[1]; j < loc[1]+m[1]; j++ {
				claimed[j] = true
			}
		}
		if bareDoc == "" {
			continue
		}
		for _, m := range bareSection.FindAllStringSubmatchIndex(line, -1) {
			if claimed[m[0]] {
				continue
			}
			n, _ := strconv.Atoi(line[m[2]:m[3]])
			out = append(out, citation{file, i + 1, bareDoc, n, strings.TrimSpace(line)})
		}
	}
	return out
}

// TestCitationsResolve: every "agent-api.md §N" (and "ABI.md §N") in code,
// schemas, features, messages and docs names a section the document has, so
// a reader of any message can follow it to docs/agent-api.md.
func TestCitationsResolve(t *testing.T) {
	root := repoRoot(t)
	docs := map[string]map[int]bool{
		"agent-api.md": sections(t, root, "docs/agent-api.md"),
		"ABI.md":       sections(t, root, "plugins/ABI.md"),
	}
	for n := 1; n <= 9; n++ {
		if !docs["agent-api.md"][n] {
			t.Errorf("docs/agent-api.md lacks §%d, which the code has always cited", n)
		}
	}
	total := 0
	for file, text := range textFiles(t, root) {
		if file == "docs/docs_test.go" {
			continue // this file's examples
		}
		for _, c := range citations(file, text) {
			total++
			if !docs[c.doc][c.n] {
				t.Errorf("%s:%d cites %s §%d, which does not exist (sections: %v): %s", c.file, c.line, c.doc, c.n, keys(docs[c.doc]), c.text)
			}
		}
	}
	if total < 100 {
		t.Errorf("found only %d section citations; the scan is broken", total)
	}
	t.Logf("%d section citations checked", total)
}

// TestCitationParser pins how citations are attributed.
func TestCitationParser(t *testing.T) {
	got := citations("x.go", "a (agent-api.md §2, §3 and §8) b `plugins/ABI.md` §9 c §5 d agent-api.md: x (§7)\n")
	var s []string
	for _, c := range got {
		s = append(s, fmt.Sprintf("%s§%d", c.doc, c.n))
	}
	want := "agent-api.md§2 agent-api.md§3 agent-api.md§8 ABI.md§9 agent-api.md§5 agent-api.md§7"
	if strings.Join(s, " ") != want {
		t.Errorf("citations = %v, want %s", s, want)
	}
	if got := citations("y.go", "no document named here: §12\n"); len(got) != 0 {
		t.Errorf("a bare § in a file naming no document was attributed: %v", got)
	}
}

func keys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

var (
	// machinePath is an absolute path on someone's machine, or the shared
	// working notes beside a checkout. Spelled with classes so that this
	// file does not match itself.
	machinePath = regexp.MustCompile(`/[w]ork/|/[h]ome/[a-z]|/[U]sers/[A-Za-z]|\.\./[s]hared/|[s]hared/agent-api\.md`)
	mdLink      = regexp.MustCompile(`\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)`)
)

// TestNoPathLeavesTheRepository: no file names a path on a developer's
// machine or the working notes outside the repository, and every relative
// link in a Markdown or feature file stays inside the repository and
// points at a file that exists.
func TestNoPathLeavesTheRepository(t *testing.T) {
	root := repoRoot(t)
	for file, text := range textFiles(t, root) {
		if file == "docs/docs_test.go" {
			continue
		}
		for i, line := range strings.Split(text, "\n") {
			if m := machinePath.FindString(line); m != "" {
				t.Errorf("%s:%d names a path outside the repository (%q): %s", file, i+1, m, strings.TrimSpace(line))
			}
		}
		if !strings.HasSuffix(file, ".md") && !strings.HasSuffix(file, ".feature") {
			continue
		}
		for i, line := range strings.Split(text, "\n") {
			for _, m := range mdLink.FindAllStringSubmatch(strings.TrimSpace(line), -1) {
				target := m[1]
				if target == "" {
					target = m[2]
				}
				if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				if strings.HasPrefix(target, "/") {
					t.Errorf("%s:%d links an absolute path %q; link relative to the file", file, i+1, target)
					continue
				}
				resolved := path.Clean(path.Join(path.Dir(file), target))
				if resolved == ".." || strings.HasPrefix(resolved, "../") {
					t.Errorf("%s:%d links %q, which leaves the repository", file, i+1, target)
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(resolved))); err != nil {
					t.Errorf("%s:%d links %q, which does not exist", file, i+1, target)
				}
			}
		}
	}
}

var (
	refUse = regexp.MustCompile(`\]\[([a-z0-9./-]+)\]`)
	refDef = regexp.MustCompile(`(?m)^\[([a-z0-9./-]+)\]:\s*(\S+)`)
	// tagUse is a source tag: **[A]** or **[?]** alone, or a linked one,
	// [**[D]**][label]; group 1 is "[" when the tag is a link.
	tagUse = regexp.MustCompile(`(\[?)\*\*\[(D|O|SF|A|\?)\]\*\*(\]\[[a-z0-9./-]+\])?`)
)

// TestReferenceSourcesAreLinked: every source tag of docs/agent-api.md
// that claims a source outside the project (documented, observed,
// Salesforce's client) links to it, and every link label is defined.
func TestReferenceSourcesAreLinked(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "docs", "agent-api.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	defs := map[string]string{}
	for _, m := range refDef.FindAllStringSubmatch(text, -1) {
		defs[m[1]] = m[2]
	}
	for _, m := range refUse.FindAllStringSubmatch(text, -1) {
		if _, ok := defs[m[1]]; !ok {
			t.Errorf("docs/agent-api.md uses the link label [%s] but never defines it", m[1])
		}
	}
	for label, url := range defs {
		if !strings.HasPrefix(url, "https://") {
			t.Errorf("docs/agent-api.md: source [%s] is %q, want an https link", label, url)
		}
	}
	counts := map[string]int{}
	body := text[sectionHeading.FindStringIndex(text)[0]:] // after the legend
	for _, m := range tagUse.FindAllStringSubmatch(body, -1) {
		kind, linked := m[2], m[1] == "[" && m[3] != ""
		counts[kind]++
		external := kind == "D" || kind == "O" || kind == "SF"
		if external && !linked {
			t.Errorf("docs/agent-api.md: %q: a [%s] tag must link its source, as [**[%s]**][label]", m[0], kind, kind)
		}
		if !external && linked {
			t.Errorf("docs/agent-api.md: %q: [%s] marks our own assumption or an open question; write it **[%s]**, unlinked", m[0], kind, kind)
		}
	}
	for _, k := range []string{"D", "O", "SF", "A", "?"} {
		if counts[k] == 0 {
			t.Errorf("docs/agent-api.md has no fact tagged [%s]", k)
		}
	}
	t.Logf("source tags: %v", counts)
}
