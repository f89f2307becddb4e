package instrument

import (
	"fmt"

	"github.com/agentshape/agentshape/internal/wasmbin"
)

// A plugin's call stack lives in host memory that wazero grows on demand up
// to a ceiling of its own (about 80 MB, and more while the old copies wait
// for the garbage collector), whatever the plugin's memory limit. The host
// bounds it with a budget the module itself keeps: a global holding the
// room left (StackExport, filled with StackBudget at instantiation),
// charged at the entry of every function that can recurse by the size its
// frame is reckoned at (frameWeight) and given back when it returns:
//
//	if room < weight { call $stack_exhausted }   ;; traps the call
//	room -= weight
//	block (the function's results)
//	    ...the function's code, with "room += weight" before each return...
//	end
//	room += weight
//
// Functions that cannot recurse appear at most once on any stack; they are
// left uncharged as long as the heaviest chain of them stays within
// maxUncountedStack (else more are charged, see planFunctions). A call that
// runs out of budget fails with plugin.ErrTrap ("stack overflow") and its instance
// is discarded, as after any trap.

// StackBudget is the call stack a plugin instance may use, in bytes as
// frameWeight reckons frames; with maxUncountedStack and the call's
// entry frames it bounds the host memory a plugin's stack takes.
const StackBudget = 4 << 20

// frameWeight reckons the stack frame of a function from the size of its
// body: wazero's compiler gives every value it spills its own slot, and the
// values of a body grow with its length (measured: 0.7-1.4 bytes of frame
// per byte of body, 24 bytes for the smallest; host/plugin's
// BenchmarkInstanceMemory checks the bound that follows).
func frameWeight(b funcBody) int32 {
	return int32(min(32+2*(b.end-b.start), 1<<30))
}

// guards are the code snippets the rewrite inserts.
type guards struct {
	tick      []byte // the timeout check point (checkpoint.go)
	room      uint32 // global index of the stack room
	exhausted uint32 // function index of ImportModule.stack_exhausted
}

// enter charges weight to the stack room, trapping when there is not enough.
func (g guards) enter(weight int32) []byte {
	b := []byte{opGlobalGet}
	b = appendU32(b, g.room)
	b = append(b, opI32Const)
	b = appendS32(b, weight)
	b = append(b, opI32LtS, opIf, 0x40, opCall)
	b = appendU32(b, g.exhausted)
	b = append(b, opEnd, opGlobalGet)
	b = appendU32(b, g.room)
	b = append(b, opI32Const)
	b = appendS32(b, weight)
	b = append(b, opI32Sub, opGlobalSet)
	return appendU32(b, g.room)
}

// leave gives weight back to the stack room.
func (g guards) leave(weight int32) []byte {
	b := []byte{opGlobalGet}
	b = appendU32(b, g.room)
	b = append(b, opI32Const)
	b = appendS32(b, weight)
	b = append(b, opI32Add, opGlobalSet)
	return appendU32(b, g.room)
}

// blockType appends the block type of a block with these results and no
// parameters, adding a type to extra when it needs a type index.
func (m *module) blockType(b []byte, results []byte, extra *[]funcType) []byte {
	switch len(results) {
	case 0:
		return append(b, 0x40)
	case 1:
		return append(b, results[0])
	}
	return appendS32(b, int32(m.typeIndex(funcType{results: results}, extra)))
}

// instrumentCode rewrites the code section: function indices renumbered,
// the timeout check after every loop header and at the entry of functions
// planned for it, and the stack budget around the bodies of counted
// functions.
func (m *module) instrumentCode(plans []funcPlan, g guards, extra *[]funcType) ([]byte, error) {
	bin, ci := m.bin, m.code
	code := appendU32(nil, uint32(len(ci.bodies)))
	var body []byte
	for i, b := range ci.bodies {
		p := plans[i]
		body = append(body[:0], bin[b.start:b.exprStart]...) // the locals
		var leave []byte
		if p.counted {
			leave = g.leave(p.weight)
			body = append(body, g.enter(p.weight)...)
		}
		if p.entryCheck {
			body = append(body, g.tick...)
		}
		if p.counted {
			body = m.blockType(append(body, opBlock), m.types[m.funcTypes[i]].results, extra)
		}
		r := wasmbin.NewReader(bin[:b.end], b.exprStart)
		depth, ended := 0, false
		for !r.Done() {
			at := r.Offset()
			in, err := decodeInstr(r)
			if err != nil {
				return nil, fmt.Errorf("function %d: %w", int(ci.importedFuncs)+i, err)
			}
			if ended {
				return nil, fmt.Errorf("function %d: code after the end of the function", int(ci.importedFuncs)+i)
			}
			switch {
			case in.op == opBlock || in.op == opLoop || in.op == opIf:
				depth++
			case in.op == opEnd && depth > 0:
				depth--
			case in.op == opEnd: // the function's own end
				ended = true
				if p.counted {
					body = append(append(body, opEnd), leave...)
				}
			case in.op == opReturn || isReturnCall(in.op):
				body = append(body, leave...)
			}
			body = m.rewriteInstr(body, bin, at, r.Offset(), in)
			if in.op == opLoop { // check on entry and on every branch back
				body = append(body, g.tick...)
			}
		}
		if !ended {
			return nil, fmt.Errorf("function %d: no end", int(ci.importedFuncs)+i)
		}
		code = appendU32(code, uint32(len(body)))
		code = append(code, body...)
	}
	return code, nil
}
