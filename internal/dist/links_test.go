package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// mdTarget finds link targets in Markdown: ](target) and [name]: target.
var mdTarget = regexp.MustCompile(`\]\(([^()\s]+)|(?m)^\s{0,3}\[[^\]]+\]:\s*(\S+)`)

// TestShippedDocsLinksLeadSomewhere: in the docs as packed, every link is an
// anchor, a file the archive holds or an absolute URL — for this repo's
// files, one at the release's tag naming a file that exists.
func TestShippedDocsLinksLeadSomewhere(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	const version = "v9.9.9"
	shipped := map[string]bool{"CHANGELOG.md": true}
	for _, d := range docs {
		shipped[d] = true
	}
	rewrote := 0
	for _, d := range append(docs, "CHANGELOG.md") {
		if !strings.HasSuffix(d, ".md") {
			continue
		}
		md, err := os.ReadFile(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdTarget.FindAllStringSubmatch(string(absoluteLinks(md, version, shipped)), -1) {
			target := m[1] + m[2]
			file, _, _ := strings.Cut(target, "#")
			switch {
			case file == "" || shipped[file] || strings.HasPrefix(target, "mailto:"):
			case strings.HasPrefix(target, repoBlobURL+version+"/"):
				rewrote++
				if _, err := os.Stat(filepath.Join(root, strings.TrimPrefix(file, repoBlobURL+version+"/"))); err != nil {
					t.Errorf("%s: %s names no file of the repository: %v", d, target, err)
				}
			case strings.Contains(target, "://"):
			default:
				t.Errorf("%s: link %q leads nowhere inside the archive", d, target)
			}
		}
	}
	if rewrote == 0 {
		t.Fatal("no link was made absolute: README links docs/agent-api.md and plugins/ABI.md")
	}
}

// TestAbsoluteLinksLeavesCodeAndShippedFiles: links in fenced code, to
// shipped files, anchors and URLs are kept; others get the tag's URL.
func TestAbsoluteLinksLeavesCodeAndShippedFiles(t *testing.T) {
	in := "See [api](docs/api.md#x \"t\"), [sec](SECURITY.md), [a](#top), [w](https://e.x/y) and ![i](./img/a.png).\n" +
		"```\n[code](docs/api.md)\n```\n[ref]: plugins/ABI.md\n"
	want := "See [api](" + repoBlobURL + "v1.2.3/docs/api.md#x \"t\"), [sec](SECURITY.md), [a](#top), [w](https://e.x/y) and ![i](" + repoBlobURL + "v1.2.3/img/a.png).\n" +
		"```\n[code](docs/api.md)\n```\n[ref]: " + repoBlobURL + "v1.2.3/plugins/ABI.md\n"
	if got := string(absoluteLinks([]byte(in), "v1.2.3", map[string]bool{"SECURITY.md": true})); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
