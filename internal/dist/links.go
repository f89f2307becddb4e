package main

import (
	"bytes"
	"path"
	"regexp"
	"strings"
)

// repoBlobURL is where a release's files are read on the web: relative links
// in the shipped docs to files the archive does not hold point there, at the
// release's tag, so they still lead somewhere outside the repository.
const repoBlobURL = "https://github.com/agentshape/agentshape/blob/"

// inlineLink matches a Markdown inline link or image target: ](target) or
// ](target "title"). refLink matches a reference definition: [name]: target.
var (
	inlineLink = regexp.MustCompile(`\]\(([^()\s]+)((?:\s+"[^"]*")?\))`)
	refLink    = regexp.MustCompile(`^(\s{0,3}\[[^\]]+\]:\s*)(\S+)`)
)

// absoluteLinks rewrites the relative links of the Markdown document md,
// except those to files in shipped (archive names, beside md) and anchors
// within it, to absolute links at version's tag. Fenced code is left alone.
func absoluteLinks(md []byte, version string, shipped map[string]bool) []byte {
	rewrite := func(target string) string {
		if target == "" || strings.HasPrefix(target, "#") || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			return target
		}
		file, _, _ := strings.Cut(target, "#")
		file, _, _ = strings.Cut(file, "?")
		clean := path.Clean(strings.TrimPrefix(target, "./"))
		if shipped[path.Clean(file)] || strings.HasPrefix(clean, "../") || strings.HasPrefix(target, "/") {
			return target
		}
		return repoBlobURL + version + "/" + clean
	}
	lines := bytes.SplitAfter(md, []byte("\n"))
	fenced := false
	for i, line := range lines {
		if t := bytes.TrimSpace(line); bytes.HasPrefix(t, []byte("```")) || bytes.HasPrefix(t, []byte("~~~")) {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		l := inlineLink.ReplaceAllStringFunc(string(line), func(m string) string {
			sub := inlineLink.FindStringSubmatch(m)
			return "](" + rewrite(sub[1]) + sub[2]
		})
		if sub := refLink.FindStringSubmatchIndex(l); sub != nil {
			l = l[:sub[4]] + rewrite(l[sub[4]:sub[5]]) + l[sub[5]:]
		}
		lines[i] = []byte(l)
	}
	return bytes.Join(lines, nil)
}
