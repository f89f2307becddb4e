package secrets

import (
	"strings"
	"testing"
)

// TestRedactEveryForm: each way a server may echo a secret is replaced, and
// text without it is left alone; secrets under 4 bytes are not redacted.
func TestRedactEveryForm(t *testing.T) {
	const sec = `Top+Secret/xyz= ok"<&`
	for _, echoed := range []string{
		sec,
		`Top%2BSecret%2Fxyz%3D+ok%22%3C%26`, // url.QueryEscape
		`Top%2bSecret%2fxyz%3d+ok%22%3c%26`, // the same, lower-case hex
		`Top+Secret%2Fxyz=%20ok%22%3C&`,     // url.PathEscape
		`Top+Secret/xyz= ok\"\u003c\u0026`,  // JSON, HTML-escaped
		`Top+Secret/xyz= ok\"<&`,            // JSON
	} {
		got := Redact("a "+echoed+" b", sec)
		if got != "a "+Placeholder+" b" {
			t.Errorf("Redact(%q) = %q", echoed, got)
		}
	}
	if got := Redact("plain text", sec, "abc", ""); got != "plain text" {
		t.Errorf("text without a secret changed: %q", got)
	}
	if got := Redact("abc", "abc"); got != "abc" {
		t.Errorf("a 3-byte secret was redacted: %q", got)
	}
	if strings.Contains(Redact("x"+sec+sec, sec), "Secret") {
		t.Error("a repeated secret was left")
	}
}
