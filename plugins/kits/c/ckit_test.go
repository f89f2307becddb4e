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
	rt, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{NoCache: true, Deterministic: true})
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
