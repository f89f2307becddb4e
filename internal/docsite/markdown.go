package docsite

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Doc is a Markdown document of the repository rendered as a page.
type Doc struct {
	Source string // path in the repository, e.g. docs/agent-api.md
	Page   string // file name in the site, e.g. agent-api.html
	Title  string // the first heading
	HTML   []byte
	// Sections maps a numbered section ("## 7. Authentication") to the
	// anchor of its heading, so citations "agent-api.md §7" can link to it.
	Sections map[string]string
	// TOC lists the level-2 headings: anchor and text.
	TOC [][2]string
}

// maxDocBytes bounds one Markdown document.
const maxDocBytes = 4 << 20

var numberedHeading = regexp.MustCompile(`^(\d+)\.\s`)

// linkTarget says where a link of a rendered document should point: another
// page of the site, or the repository on the web.
type linkTarget func(repoPath string) string

// renderMarkdown renders the document at root/src. Relative links are
// resolved against the document's folder in the repository and rewritten
// by target.
func renderMarkdown(root, src, page string, target linkTarget) (*Doc, error) {
	b, err := os.ReadFile(path.Join(root, src))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDocBytes {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", src, len(b), maxDocBytes)
	}
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
	doc := md.Parser().Parse(text.NewReader(b))
	d := &Doc{Source: src, Page: page, Sections: map[string]string{}}
	err = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			id, _ := n.AttributeString("id")
			anchor, _ := id.([]byte)
			title := string(n.Lines().Value(b))
			if n.Level == 1 && d.Title == "" {
				d.Title = title
			}
			if n.Level == 2 {
				d.TOC = append(d.TOC, [2]string{string(anchor), title})
				if m := numberedHeading.FindStringSubmatch(title); m != nil {
					d.Sections[m[1]] = string(anchor)
				}
			}
		case *ast.Link:
			n.Destination = []byte(rewriteLink(src, string(n.Destination), target))
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := md.Renderer().Render(&out, b, doc); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", src, err)
	}
	if d.Title == "" {
		d.Title = src
	}
	d.HTML = out.Bytes()
	return d, nil
}

// rewriteLink keeps absolute URLs and in-page anchors and maps a relative
// link to the page that shows that file.
func rewriteLink(src, dest string, target linkTarget) string {
	if dest == "" || strings.HasPrefix(dest, "#") || strings.Contains(dest, "://") || strings.HasPrefix(dest, "mailto:") {
		return dest
	}
	file, frag, _ := strings.Cut(dest, "#")
	repoPath := path.Clean(path.Join(path.Dir(src), file))
	out := target(repoPath)
	if frag != "" && !strings.Contains(out, "#") {
		out += "#" + frag
	}
	return out
}
