package plugin

import (
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/host/wasmbin"
)

// codeInfo is what the instrumentation needs to know about a module.
type codeInfo struct {
	importedFuncs uint32
	bodies        []funcBody
}

// funcBody locates one function body in the module binary.
type funcBody struct {
	start, exprStart, end int // body (after its size), expression, end
}

// startsWithLoop reports whether every execution of the function reaches a
// loop header — a timeout check point — before it can call anything: the
// body opens a loop before its first call, branch, if, return or trap
// (Go-compiled functions do, after a short prologue).
func (f funcBody) startsWithLoop(bin []byte) bool {
	r := wasmbin.NewReader(bin[:f.end], f.exprStart)
	for !r.Done() {
		op, _ := r.Peek()
		switch op {
		case 0x03:
			return true
		case 0x00, 0x04, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15:
			return false
		}
		// Any other instruction: decode one and continue.
		stop := false
		err := scanOne(r, func(uint32) { stop = true }, func() { stop = true })
		if err != nil || stop {
			return false
		}
	}
	return false
}

// needsCheck marks the functions that need a timeout check at entry: those
// on a call cycle made only of functions that do not start with a loop (a
// cycle through a loop-first function already meets a check point every time
// around). call_indirect and call_ref may reach any function, so they count
// as calls to every such function. An error means a body could not be
// decoded; callers then check every function.
func needsCheck(bin []byte, ci *codeInfo) ([]bool, error) {
	n := len(ci.bodies)
	// Vertices: candidate functions (not loop-first), plus a virtual vertex
	// x = n standing for "any function" (the target of indirect calls).
	cand := make([]bool, n)
	for i, b := range ci.bodies {
		cand[i] = !b.startsWithLoop(bin)
	}
	x := n
	edges := make([][]int, n+1)
	for i, b := range ci.bodies {
		if !cand[i] {
			continue
		}
		edges[x] = append(edges[x], i)
		r := wasmbin.NewReader(bin[:b.end], b.exprStart)
		seen := map[int]bool{}
		err := scanCalls(r, func(idx uint32) {
			if idx < ci.importedFuncs {
				return
			}
			if d := int(idx - ci.importedFuncs); d < n && cand[d] && !seen[d] {
				seen[d] = true
				edges[i] = append(edges[i], d)
			}
		}, func() {
			if !seen[x] {
				seen[x] = true
				edges[i] = append(edges[i], x)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", int(ci.importedFuncs)+i, err)
		}
	}
	onCycle := sccCycles(edges)
	return onCycle[:n], nil
}

// sccCycles runs Tarjan's algorithm (iteratively) and marks the vertices that
// lie on a cycle: in a strongly connected component of two or more vertices,
// or with an edge to themselves.
func sccCycles(edges [][]int) []bool {
	n := len(edges)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next := 0
	out := make([]bool, n)
	type frame struct{ v, i int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{v: root}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.i < len(edges[f.v]) {
				w := edges[f.v][f.i]
				f.i++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 {
				for _, w := range comp {
					out[w] = true
				}
				continue
			}
			for _, w := range edges[v] {
				if w == v {
					out[v] = true
				}
			}
		}
	}
	return out
}

var errUnknownOpcode = errors.New("unknown opcode")

// skipU32s skips n u32 numbers.
func skipU32s(r *wasmbin.Reader, n int) error {
	for i := 0; i < n; i++ {
		if _, err := r.U32(); err != nil {
			return err
		}
	}
	return nil
}

// memarg skips a memory argument (align, [memory index], offset).
func memarg(r *wasmbin.Reader) error {
	align, err := r.U32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 { // multi-memory: explicit memory index
		if err := r.SkipLEB(); err != nil {
			return err
		}
	}
	return r.SkipLEB()
}

// scanCalls decodes an expression and reports direct call targets and the
// presence of indirect calls. It knows the instruction set wazero compiles
// (WebAssembly 2.0: MVP, bulk memory, reference types, multi-value, SIMD,
// plus tail calls); anything else is an error.
func scanCalls(r *wasmbin.Reader, call func(uint32), indirectCall func()) error {
	for !r.Done() {
		if err := scanOne(r, call, indirectCall); err != nil {
			return err
		}
	}
	return nil
}

// scanOne decodes one instruction (see scanCalls).
func scanOne(r *wasmbin.Reader, call func(uint32), indirectCall func()) error {
	{
		op, err := r.Byte()
		if err != nil {
			return err
		}
		switch {
		case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a || op == 0x1b || op == 0xd1:
		case op >= 0x45 && op <= 0xc4:
		case op == 0x02 || op == 0x03 || op == 0x04: // blocktype: 0x40, a value type, or a type index (s33)
			err = r.SkipLEB()
		case op == 0x0c || op == 0x0d || op == 0x20 || op == 0x21 || op == 0x22 || op == 0x23 || op == 0x24 ||
			op == 0x25 || op == 0x26 || op == 0x3f || op == 0x40 || op == 0xd2 || op == 0xd0:
			err = r.SkipLEB()
		case op == 0x0e: // br_table
			var n uint32
			if n, err = r.U32(); err == nil {
				err = skipU32s(r, int(n)+1)
			}
		case op == 0x10 || op == 0x12: // call, return_call
			var idx uint32
			if idx, err = r.U32(); err == nil {
				call(idx)
			}
		case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
			indirectCall()
			err = skipU32s(r, 2)
		case op == 0x14 || op == 0x15: // call_ref, return_call_ref
			indirectCall()
			err = r.SkipLEB()
		case op == 0x1c: // select with types
			var n uint32
			if n, err = r.U32(); err == nil {
				err = r.Skip(int(n))
			}
		case op >= 0x28 && op <= 0x3e:
			err = memarg(r)
		case op == 0x41 || op == 0x42:
			err = r.SkipLEB()
		case op == 0x43:
			err = r.Skip(4)
		case op == 0x44:
			err = r.Skip(8)
		case op == 0xfc:
			var sub uint32
			if sub, err = r.U32(); err != nil {
				break
			}
			switch {
			case sub <= 7:
			case sub == 9 || sub == 11 || sub == 13 || sub == 15 || sub == 16 || sub == 17:
				err = r.SkipLEB()
			case sub == 8 || sub == 10 || sub == 12 || sub == 14:
				err = skipU32s(r, 2)
			default:
				return fmt.Errorf("%w 0xfc %d", errUnknownOpcode, sub)
			}
		case op == 0xfd:
			var sub uint32
			if sub, err = r.U32(); err != nil {
				break
			}
			switch {
			case sub <= 11 || sub == 92 || sub == 93:
				err = memarg(r)
			case sub == 12 || sub == 13:
				err = r.Skip(16)
			case sub >= 21 && sub <= 34:
				err = r.Skip(1)
			case sub >= 84 && sub <= 91:
				if err = memarg(r); err == nil {
					err = r.Skip(1)
				}
			case sub <= 0x113:
			default:
				return fmt.Errorf("%w 0xfd %d", errUnknownOpcode, sub)
			}
		default:
			return fmt.Errorf("%w %#x at offset %d", errUnknownOpcode, op, r.Offset()-1)
		}
		return err
	}
}
