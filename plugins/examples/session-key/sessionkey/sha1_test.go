package sessionkey

import (
	"crypto/sha1"
	"strings"
	"testing"
)

// TestSHA1 checks the plugin's SHA-1 against crypto/sha1 on every length
// around the block and padding boundaries.
func TestSHA1(t *testing.T) {
	for n := 0; n < 300; n++ {
		msg := []byte(strings.Repeat("abcdefghij", 30)[:n])
		if got, want := sha1Sum(msg), sha1.Sum(msg); got != want {
			t.Fatalf("len %d: %x, want %x", n, got, want)
		}
	}
}
