// Package secrets removes secrets (a client secret, an access token) from
// text before it is shown or logged, in every form a server may echo them:
// raw, form/query-escaped, path-escaped and JSON-escaped.
package secrets

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// Placeholder replaces every secret Redact finds.
const Placeholder = "[REDACTED]"

// minLen is the shortest secret redacted: shorter ones would blank out
// ordinary text.
const minLen = 4

// Redact returns text with each secret of at least 4 bytes, and each of its
// encoded forms, replaced by Placeholder.
func Redact(text string, secrets ...string) string {
	var forms []string
	for _, sec := range secrets {
		if len(sec) >= minLen {
			forms = append(forms, Forms(sec)...)
		}
	}
	// Longest first, so that a form containing another is removed whole.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	for _, f := range forms {
		text = strings.ReplaceAll(text, f, Placeholder)
	}
	return text
}

// Forms lists the distinct ways sec can appear in text a server sends back:
// as is, query-escaped (as in a form body, upper- or lower-case hex),
// path-escaped and JSON-escaped (with and without HTML escaping), including
// a JSON-escaped form of each escaped one.
func Forms(sec string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec)} {
		add(f)
		add(lowerHex(f))
		add(jsonEscaped(f, true))
		add(jsonEscaped(f, false))
	}
	return out
}

// jsonEscaped is s as it appears between the quotes of a JSON string.
func jsonEscaped(s string, html bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		return ""
	}
	q := strings.TrimSuffix(b.String(), "\n")
	return q[1 : len(q)-1]
}

// lowerHex is s with the hex digits of its %XX escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
			i += 2
		}
	}
	return string(b)
}
