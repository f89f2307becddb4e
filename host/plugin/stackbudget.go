package plugin

import (
	"context"
	"errors"

	"github.com/tetratelabs/wazero/api"

	"github.com/agentshape/agentshape/internal/instrument"
)

// The host side of the call stack budget internal/instrument adds to every
// module: the budget a new instance gets, and the trap of a call that used
// it up (ErrTrap, "stack overflow"; its instance is discarded, as after any
// trap).

// errStackExhausted is the trap of a call that ran out of stack budget.
var errStackExhausted = errors.New("stack budget exhausted")

// hostStackExhausted implements instrument.ExhaustedImport.
func hostStackExhausted(context.Context, api.Module, []uint64) {
	panic(errStackExhausted)
}

// fillStack gives a new instance its stack budget; a module loaded without
// the instrumentation has no budget to fill.
func fillStack(mod api.Module) {
	if g, ok := mod.ExportedGlobal(instrument.StackExport).(api.MutableGlobal); ok {
		g.Set(instrument.StackBudget)
	}
}
