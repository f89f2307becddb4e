package yamlalias_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/yamlalias"
)

// bomb returns a document whose aliases nest levels deep, ten to a level:
// 10^(levels+1) nodes once expanded, in a few hundred bytes.
func bomb(levels int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= levels; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, refs)
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	for levels, refused := range map[int]bool{2: false, 3: false, 4: true, 8: true} {
		err := yamlalias.Check([]byte(bomb(levels)), yamlalias.DefaultLimit)
		if (err != nil) != refused {
			t.Errorf("%d levels (%d bytes): err = %v, want refused=%v", levels, len(bomb(levels)), err, refused)
		}
		if err != nil && !strings.Contains(err.Error(), "aliases") {
			t.Errorf("error does not say what to fix: %v", err)
		}
	}
	// Ordinary anchors, and syntax errors (left to the decoder), pass.
	for _, doc := range []string{
		"base: &base {a: 1, b: 2}\nx: *base\ny: *base\n",
		"key: [unclosed\n",
		"",
	} {
		if err := yamlalias.Check([]byte(doc), yamlalias.DefaultLimit); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
}
