// Package yamlalias guards YAML decoding against alias bombs: a few lines of
// nested anchors and aliases (*name) can stand for billions of nodes once
// expanded, which a decoder (or whatever consumes its result) then spends
// minutes and gigabytes on. Check counts what the aliases would add before
// anything is decoded.
package yamlalias

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// DefaultLimit is the number of nodes aliases may add to a document by
// default: far more than any hand-written file repeats, far less than a bomb.
const DefaultLimit = 100_000

// Check refuses a document whose aliases would expand to more than limit
// extra nodes. Syntax errors are left to the decoder (Check returns nil).
func Check(data []byte, limit int) error {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil
	}
	anchors := map[string]int{}
	extra := 0
	for _, d := range f.Docs {
		_, e := expandedSize(d.Body, anchors, limit)
		extra = min(extra+e, limit+1)
	}
	if extra > limit {
		return fmt.Errorf("its YAML aliases (*name) expand to more than %d nodes; write the repeated parts out or use fewer nested aliases", limit)
	}
	return nil
}

// expandedSize returns the node count of n with aliases expanded and how
// many of those nodes the aliases added; both saturate past limit. It
// records each anchor's expanded size in anchors (YAML defines an anchor
// before its aliases).
func expandedSize(n ast.Node, anchors map[string]int, limit int) (size, extra int) {
	var kids []ast.Node
	switch n := n.(type) {
	case nil:
		return 0, 0
	case *ast.AnchorNode:
		size, extra = expandedSize(n.Value, anchors, limit)
		anchors[nodeName(n.Name)] = size
		return size, extra
	case *ast.AliasNode:
		s := anchors[nodeName(n.Value)]
		return max(s, 1), s
	case *ast.TagNode:
		return expandedSize(n.Value, anchors, limit)
	case *ast.MappingKeyNode:
		return expandedSize(n.Value, anchors, limit)
	case *ast.MappingValueNode:
		kids = []ast.Node{n.Key, n.Value}
	case *ast.MappingNode:
		size = 1
		for _, v := range n.Values {
			kids = append(kids, v)
		}
	case *ast.SequenceNode:
		size, kids = 1, n.Values
	default:
		return 1, 0
	}
	for _, k := range kids {
		s, e := expandedSize(k, anchors, limit)
		size, extra = min(size+s, limit+1), min(extra+e, limit+1)
	}
	return size, extra
}

// nodeName is the text of an anchor's or alias's name node.
func nodeName(n ast.Node) string {
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}
