package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/plugin"
)

// TestFuelChangeSaysWhatHappened: a call without a fuel figure is listed
// by what happened to it — a baseline call that timed out was called, so
// it is not "not called".
func TestFuelChangeSaysWhatHappened(t *testing.T) {
	ran := answer{Steps: []step{{Plugin: "p", Called: true, Fuel: 4181}}}
	for want, old := range map[string]answer{
		"fuel p: timed out -> 4181":       {Plugin: "p", Err: fmt.Errorf("call: %w", plugin.ErrTimeout), Steps: []step{{Plugin: "p", Called: true}}},
		"fuel p: ran out of fuel -> 4181": {Plugin: "p", Err: fmt.Errorf("call: %w", plugin.ErrFuelExhausted), Steps: []step{{Plugin: "p", Called: true}}},
		"fuel p: not called -> 4181":      {Plugin: "p", Err: stoppedError{plugin.ErrTimeout}, Steps: []step{{Plugin: "p"}}},
		"fuel p: not called -> 4181 ":     {Plugin: "q", Err: fmt.Errorf("q: %w", plugin.ErrTimeout), Steps: []step{{Plugin: "q", Called: true}}},
	} {
		ch := fuelChanges(old, ran)
		if len(ch) != 1 || ch[0].String() != strings.TrimSpace(want) {
			t.Errorf("changes %v; want %q", ch, want)
		}
	}
}
