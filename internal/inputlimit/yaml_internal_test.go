package inputlimit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// astDepth is the nesting of collections go-yaml builds for n.
func astDepth(n ast.Node) int {
	deepest := func(ns ...ast.Node) int {
		d := 0
		for _, k := range ns {
			d = max(d, astDepth(k))
		}
		return d
	}
	switch n := n.(type) {
	case *ast.DocumentNode:
		return astDepth(n.Body)
	case *ast.MappingNode:
		var kids []ast.Node
		for _, v := range n.Values {
			kids = append(kids, v.Key, v.Value)
		}
		return 1 + deepest(kids...)
	case *ast.MappingValueNode:
		return 1 + deepest(n.Key, n.Value)
	case *ast.SequenceNode:
		return 1 + deepest(n.Values...)
	case *ast.AnchorNode:
		return astDepth(n.Value)
	case *ast.TagNode:
		return astDepth(n.Value)
	case *ast.MappingKeyNode:
		return astDepth(n.Value)
	}
	return 0
}

// parsedDepth is the depth go-yaml builds for doc, or -1 when it refuses it.
func parsedDepth(doc []byte) (d int) {
	defer func() {
		if recover() != nil {
			d = -1
		}
	}()
	f, err := parser.ParseBytes(doc, 0)
	if err != nil {
		return -1
	}
	for _, doc := range f.Docs {
		d = max(d, astDepth(doc))
	}
	return d
}

var yamlSeeds = []string{
	"", "a", "a: 1", "- a", "[a]", "{a: 1}", "a: [1, [2, {b: [3]}]]",
	"a:\n  b:\n    c: 1\n  d: 2\ne: 3\n",
	"- - - x\n  - y\n- z\n",
	"- a: 1\n  b:\n  - c\n  - d: [e]\n",
	"key:\n- a\n- b\nother: {x: [1]}\n",
	"a: |\n  [[[[\n  ]]\nb: >-\n  {{{\nc: [1]\n",
	"a: '[[[' \nb: \"]]]\\\"[\"\nc: it's [x]\n",
	"a: x # [[[\nb: [1, # ]]]\n  2]\n",
	"? [a, b]\n: c\n? - d\n: - e\n",
	"[a, b]: c\n",
	"--- [1]\n--- {a: [2]}\n...\n%YAML 1.2\n---\n- x\n",
	"a: &x [1, [2]]\nb: *x\nc: !!seq [3]\n",
	"a: plain\n  continued [[[ text\n  more\nb: 1\n",
	"{\"a\": [\"b\", {\"c\": \"d\"}], \"e\": null}",
	"a:\n  - b:\n      - c:\n          - d\n",
	"- \"multi\n  line [[[\"\n- [x]\n",
	"a: [b,\n  [c,\n   {d: e}]]\n",
	"[- - - a]", "{a: - b}", "[a, - b]", "[a: [b: c]]", "- a\r- !t\r- !t\r- x",
	"[ |\n  ]]\n]", "a: [ |\n    ]]\n  ]", "[a\n# ]]]\n]", "* 0: 1", "! 0\n: 0",
	"a: x\n  - y: [\n- !t\n- !t\n", "&a\t[b]: c", "\ufeffa: [1]",
}

func TestYAMLDepth(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want int
	}{
		{"a: 1", 1}, {"- a", 1}, {"[a]", 1}, {"a: [1, [2, {b: [3]}]]", 5}, {"[a, [b]]: c", 3},
		{"a:\n  b:\n    c: 1\n  d: 2\ne: 3\n", 3},
		{"- - - x\n  - y\n- z\n", 3},
		{"key:\n- a\n- b\nother: {x: [1]}\n", 3},
		{"a: |\n  [[[[\n  ]]\nb: >-\n  {{{\nc: [1]\n", 2},
		{"a: '[[[' \nb: \"]]]\\\"[\"\nc: it's [x]\n", 1},
		{"a: x # [[[\nb: [1, # ]]]\n  2]\n", 2},
		{"a: plain\n  continued [[[ text\n  more\nb: 1\n", 1},
		{strings.Repeat("[", 50) + strings.Repeat("]", 50), 50},
		{strings.Repeat("- ", 50) + "x", 50},
		// go-yaml takes the node after a line-ending tag as the tagged
		// node, whatever its indentation: the tags chain.
		{strings.Repeat("- !t\n", 50) + "- x\n", 51},
		{strings.Repeat("a: !t\n", 50) + "b: x\n", 51},
		{"- - !0\n-", 3},
		{"- \n0:", 2},
		{"! 0000000: \n-", 2},
	} {
		if got := yamlDepth([]byte(c.doc)); got != c.want {
			t.Errorf("%q: depth %d, want %d", c.doc, got, c.want)
		}
		if got := parsedDepth([]byte(c.doc)); got > c.want {
			t.Errorf("%q: go-yaml builds depth %d, over the test's %d", c.doc, got, c.want)
		}
	}
}

// TestYAMLDepthOfRealDocuments: every YAML file of the repository measures
// at least what go-yaml builds for it.
func TestYAMLDepthOfRealDocuments(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../../plugins/*/*.yaml", "../../plugins/*/*/*.yaml", "../../host/*/testdata/*.yaml", "../../features/*/*.yaml"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("found only %d YAML files", len(files))
	}
	for _, f := range files {
		if strings.Contains(f, "hostile-inputs") {
			continue // TestHostileInputs; go-yaml would take gigabytes
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := parsedDepth(b)
		if want < 0 {
			continue // go-yaml refuses it
		}
		if got := yamlDepth(b); got != want {
			t.Errorf("%s: scanned depth %d, go-yaml builds %d", f, got, want)
		}
	}
}

// FuzzYAMLDepth: for every document go-yaml accepts, the scan's depth is at
// least the depth go-yaml builds, so no document deeper than MaxDepth
// reaches the parser.
func FuzzYAMLDepth(f *testing.F) {
	for _, s := range yamlSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 4096 {
			return
		}
		scanned := yamlDepth(doc)
		if built := parsedDepth(doc); built > scanned {
			t.Fatalf("%q: go-yaml builds depth %d, the scan saw %d", doc, built, scanned)
		}
	})
}

func TestCheckYAML(t *testing.T) {
	deepFlow := "config: " + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + "\n"
	var deepBlock strings.Builder
	deepBlock.WriteString("root:\n")
	for i := 0; i < MaxDepth; i++ {
		fmt.Fprintf(&deepBlock, "%sk:\n", strings.Repeat(" ", i+1))
	}
	for name, c := range map[string]struct {
		doc      string
		wantLine int
	}{
		"flow":           {deepFlow, 1},
		"flow on line 3": {"a: 1\nb: 2\n" + deepFlow, 3},
		"block":          {deepBlock.String(), MaxDepth + 1},
		"compact":        {"x:\n  " + strings.Repeat("- ", MaxDepth) + "x\n", 2},
		"json":           {`{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + "}", 1},
	} {
		err := CheckYAML([]byte(c.doc), "m.yaml")
		var le *Error
		if !errors.As(err, &le) || le.Kind != ErrTooDeep || le.Line != c.wantLine {
			t.Errorf("%s: %v, want too deep at line %d", name, err, c.wantLine)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, fmt.Sprintf("m.yaml:%d: nested deeper than %d levels", c.wantLine, MaxDepth)) {
			t.Errorf("%s: message %q", name, msg)
		}
	}
	// At the limit: accepted.
	ok := "config: " + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + "\n"
	if err := CheckYAML([]byte(ok), "m.yaml"); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
}

// TestHostileInputs: every YAML document of the hostile input corpus
// (plugins/testdata/hostile-inputs) is refused for its depth at the line
// that crosses the limit, before go-yaml builds anything: the check
// allocates next to nothing where go-yaml took gigabytes.
func TestHostileInputs(t *testing.T) {
	lines := map[string]int{
		"nested-manifest.yaml": 9, "nested-org.yaml": 7, "tag-chain.yaml": 131,
		"compact-sequences.yaml": 3, "block-nesting.yaml": 130, "flow-block-sequences.yaml": 2,
	}
	files, _ := filepath.Glob("../../plugins/testdata/hostile-inputs/*.yaml")
	if len(files) != len(lines) {
		t.Fatalf("found %d YAML files, want %d: %v", len(files), len(lines), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err = CheckYAML(b, filepath.Base(f))
		runtime.ReadMemStats(&after)
		var le *Error
		if !errors.As(err, &le) || le.Kind != ErrTooDeep || le.Line != lines[filepath.Base(f)] {
			t.Errorf("%s: %v, want too deep at line %d", f, err, lines[filepath.Base(f)])
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
			t.Errorf("%s: the check allocated %d bytes", f, alloc)
		}
		if len(b) < 32<<10 {
			if d := parsedDepth(b); d <= MaxDepth {
				t.Errorf("%s: go-yaml builds depth %d, not past the limit: not a hostile case", f, d)
			}
		}
	}
}
