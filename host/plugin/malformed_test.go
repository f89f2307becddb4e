package plugin_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/plugin"
)

// TestLoadMalformedModuleDoesNotCrash loads a module that makes wazero's
// validator panic (found by internal/inspect's fuzzer) and expects a classified
// error instead of a crashed host.
func TestLoadMalformedModuleDoesNotCrash(t *testing.T) {
	raw, err := os.ReadFile("../../internal/inspect/testdata/fuzz/FuzzInspect/e4e48b7a7c0f23cd")
	if err != nil {
		t.Fatalf("read fuzz corpus entry: %v", err)
	}
	lines := strings.SplitN(string(raw), "\n", 2)
	lit := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lines[1]), "[]byte("), ")")
	s, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatalf("decode fuzz corpus entry: %v", err)
	}
	rt := newRuntime(t, plugin.RuntimeOptions{})
	_, err = rt.Load(context.Background(), plugin.Spec{Name: "malformed", Bytes: []byte(s)})
	if err == nil {
		t.Fatal("Load accepted a malformed module")
	}
	if !errors.Is(err, plugin.ErrInvalidModule) {
		t.Fatalf("want ErrInvalidModule, got %v", err)
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "malformed") && !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("error does not say the module is malformed: %v", err)
	}
}
