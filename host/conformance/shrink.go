package conformance

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/agentshape/agentshape/host/abi"
)

// shrink returns the smallest context, derived from c by dropping members one
// at a time, for which still(first, second answer) keeps holding: the
// minimal reproducer of a failure. It returns c's own answer when nothing can
// be dropped. The plugin is called twice per try so that still can judge
// determinism too.
func (g *gate) shrink(c Case, still func(a, b answer) bool) (Case, answer) {
	r := g.runner
	try := func(ctx abi.Context) (answer, bool) {
		a := r.shape(g.ctx, ctx, c.Request)
		b := r.shape(g.ctx, ctx, c.Request)
		return a, still(a, b)
	}
	best, ok := try(c.Context)
	if !ok {
		// not reproducible on its own (e.g. it depends on earlier calls): keep the case as generated
		return c, best
	}
	cur := c.Context
	var dropped []string
	for _, d := range drops(cur) {
		next := d.apply(cur)
		if sameContext(next, cur) {
			continue // nothing to drop
		}
		if a, ok := try(next); ok {
			cur, best = next, a
			dropped = append(dropped, d.name)
		}
	}
	if len(dropped) > 0 {
		c.Label += "; shrunk by dropping " + strings.Join(dropped, ", ")
	}
	c.Context = cur
	return c, best
}

func sameContext(a, b abi.Context) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// drop removes one member of a context.
type drop struct {
	name  string
	apply func(abi.Context) abi.Context
}

func drops(c abi.Context) []drop {
	ds := []drop{
		{"agentId", func(c abi.Context) abi.Context { c.AgentID = ""; return c }},
		{"org", func(c abi.Context) abi.Context { c.Org = abi.Org{}; return c }},
		{"channel", func(c abi.Context) abi.Context { c.Channel = ""; return c }},
		{"conversationId", func(c abi.Context) abi.Context { c.ConversationID = ""; return c }},
		{"user.locale", func(c abi.Context) abi.Context { c.User.Locale = ""; return c }},
		{"user.timezone", func(c abi.Context) abi.Context { c.User.Timezone = ""; return c }},
	}
	keys := make([]string, 0, len(c.User.Attributes))
	for k := range c.User.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ds = append(ds, drop{"user.attributes." + k, func(c abi.Context) abi.Context {
			attrs := make(map[string]any, len(c.User.Attributes))
			for ak, av := range c.User.Attributes {
				if ak != k {
					attrs[ak] = av
				}
			}
			if len(attrs) == 0 {
				attrs = nil
			}
			c.User.Attributes = attrs
			return c
		}})
	}
	return ds
}
