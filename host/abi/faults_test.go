package abi_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestFaultCodesMatchABIDoc: plugins/ABI.md §6.1's table of reserved fault
// codes and abi.FaultCodes list the same codes in the same order, so the
// page a plugin author reads is the rule the gate applies.
func TestFaultCodesMatchABIDoc(t *testing.T) {
	doc := catalog.MustReadRepoFile(t, "plugins/ABI.md")
	sec := regexp.MustCompile(`(?s)### 6\.1 Refusals and faults(.*?)\n## `).FindSubmatch(doc)
	if sec == nil {
		t.Fatal("plugins/ABI.md lost its section 6.1 Refusals and faults")
	}
	var inDoc []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllSubmatch(sec[1], -1) {
		inDoc = append(inDoc, string(m[1]))
	}
	var inGo []string
	for _, f := range abi.FaultCodes {
		inGo = append(inGo, f.Code)
		if f.Kits == "" || f.Meaning == "" || f.Fix == "" {
			t.Errorf("fault code %s lacks kits, meaning or fix", f.Code)
		}
		if got, ok := abi.LookupFaultCode(f.Code); !ok || got != f {
			t.Errorf("LookupFaultCode(%q) = %v, %v", f.Code, got, ok)
		}
	}
	if !slices.Equal(inDoc, inGo) {
		t.Fatalf("ABI.md §6.1 lists %v, host/abi.FaultCodes %v", inDoc, inGo)
	}
	for _, deliberate := range []string{"lightning_url", "bad_config", "plugin_failed", "refused", ""} {
		if _, ok := abi.LookupFaultCode(deliberate); ok {
			t.Errorf("%q is a deliberate refusal code, not a fault", deliberate)
		}
	}
}
