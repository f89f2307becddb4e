// Package c_test tests the C kit (agentshape.h) through real modules built
// by `make plugins` from plugins/testdata/ckit, running in the real host.
package c_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestReplyError: as_reply_error always yields an ABI v1 refusal (ABI.md §6:
// code and message non-empty strings), even for empty or NULL arguments, so
// the caller sees "refused the request", not a malformed-output fault or a
// trap.
func TestReplyError(t *testing.T) {
	rt, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{CacheDir: "-", Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	cases := []struct {
		config map[string]any
		want   string
	}{
		{map[string]any{"mode": "given", "code": "no_tier", "message": "pass the \"tier\""}, `refused the request: no_tier: pass the "tier"`},
		{map[string]any{"mode": "given", "code": "no_tier"}, "refused the request: no_tier: the plugin refused without a message"},
		{map[string]any{"mode": "given", "message": "pass the tier"}, "refused the request: refused: pass the tier"},
		{map[string]any{"mode": "empty"}, "refused the request: refused: the plugin refused without a message"},
		{map[string]any{"mode": "null"}, "refused the request: refused: the plugin refused without a message"},
	}
	for _, c := range cases {
		p, err := rt.Load(context.Background(), plugin.Spec{Name: "refuse", Path: catalog.MustPath(t, "testdata/ckit/refuse"), Config: c.config})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Shape(context.Background(), abi.Context{}, json.RawMessage(`{}`))
		if !errors.Is(err, plugin.ErrPluginRefused) || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("config %v: %v, want a refusal ending %q", c.config, err, c.want)
		}
	}
}

// TestNextItem: as_next_item walks every element of an array as a raw JSON
// span — scalars, strings with commas, brackets and escapes, nested
// containers, whitespace — and yields nothing for an empty array or a
// non-array.
func TestNextItem(t *testing.T) {
	rt, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{CacheDir: "-", Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	p, err := rt.Load(context.Background(), plugin.Spec{Name: "items", Path: catalog.MustPath(t, "testdata/ckit/items")})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		list  string // raw JSON, whitespace kept (the host passes the request through as is)
		count int
		items string
	}{
		{"[ 1 ,\n \"a,b]\" ,{\"k\": [1, 2]},null, true,\t\"q\\\"uote\" ]", 6, `["q\"uote",true,null,{"k": [1, 2]},"a,b]",1]`},
		{"[]", 0, `[]`},
		{"[ ]", 0, `[]`},
		{`"not an array"`, 0, `[]`},
		{`{"a": 1}`, 0, `[]`},
	}
	for _, c := range cases {
		out, err := p.Shape(context.Background(), abi.Context{}, json.RawMessage(`{"list": `+c.list+`}`))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Count int             `json:"count"`
			Items json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if got.Count != c.count || string(got.Items) != c.items {
			t.Errorf("list %v: count %d items %s, want %d %s", c.list, got.Count, got.Items, c.count, c.items)
		}
	}
}
