package plugin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/internal/testfs"
)

// TestLoadRefusesOversizeModule: a module file over inputlimit.MaxModuleBytes
// is refused by its size before it is read (a manifest path naming a huge
// file, or /dev/zero, used to be read whole).
func TestLoadRefusesOversizeModule(t *testing.T) {
	huge := testfs.Sparse(t, "huge.wasm", 1<<40)
	rt := newRuntime(t, plugin.RuntimeOptions{})
	_, err := rt.Load(context.Background(), plugin.Spec{Name: "huge", Path: huge})
	if !errors.Is(err, plugin.ErrInvalidModule) || !errors.Is(err, inputlimit.ErrTooLarge) || !strings.Contains(err.Error(), "exceeds 67108864 bytes (64 MiB)") {
		t.Fatalf("err = %v", err)
	}
}
