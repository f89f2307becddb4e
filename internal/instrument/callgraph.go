package instrument

import (
	"fmt"

	"github.com/agentshape/agentshape/internal/wasmbin"
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
		in, err := decodeInstr(r)
		if err != nil {
			return false
		}
		switch in.op {
		case opLoop:
			return true
		case opUnreachable, opIf, opEnd, opBr, opBrIf, opBrTable, opReturn,
			opCall, opCallIndirect, opReturnCall, opReturnCallIndirect, opCallRef, opReturnCallRef:
			return false
		}
	}
	return false
}

// funcPlan says how the rewrite instruments one defined function.
type funcPlan struct {
	// entryCheck: a timeout check at entry, because the function can
	// recurse without meeting a loop header.
	entryCheck bool
	// counted: charged to the stack budget at entry, given back at return,
	// because the function can recurse (or is counted to keep the stack of
	// uncounted functions small, see planFunctions).
	counted bool
	// weight is the function's frame size as the budget counts it.
	weight int32
	// calls: the function calls another function of the module.
	calls bool
}

// maxUncountedStack bounds the estimated stack that functions not charged
// to the stack budget may take: each of them appears at most once on any
// call stack (it can reach no cycle back to itself), so their worst stack is
// the heaviest chain of them; past this bound more functions are counted.
const maxUncountedStack = 64 << 10

// planFunctions decodes every function body once: it checks that the code
// refers only to the module's own functions, globals and types, records the
// call graph and which functions ref.func names, and decides what each
// function gets (funcPlan). call_indirect and call_ref may reach any
// function an element segment or ref.func names.
func planFunctions(m *module) ([]funcPlan, error) {
	bin, ci := m.bin, m.code
	n := len(ci.bodies)
	plans := make([]funcPlan, n)
	direct := make([][]int, n)
	indirectCall := make([]bool, n)
	for i, b := range ci.bodies {
		r := wasmbin.NewReader(bin[:b.end], b.exprStart)
		seen := map[int]bool{}
		for !r.Done() {
			in, err := decodeInstr(r)
			if err == nil {
				err = m.checkRef(in)
			}
			if err != nil {
				return nil, fmt.Errorf("function %d: %w", int(ci.importedFuncs)+i, err)
			}
			switch {
			case in.op == opRefFunc:
				m.markIndirect(in.index)
			case in.ref == refFunc && in.index >= ci.importedFuncs:
				if d := int(in.index - ci.importedFuncs); !seen[d] {
					seen[d] = true
					direct[i] = append(direct[i], d)
				}
			case in.op == opCallIndirect || in.op == opReturnCallIndirect || in.op == opCallRef || in.op == opReturnCallRef:
				indirectCall[i] = true
			}
		}
		plans[i].weight = frameWeight(b)
		plans[i].calls = len(direct[i]) > 0 || indirectCall[i]
	}

	// Timeout checks at entry: cycles of functions that do not start with a
	// loop (a cycle through a loop-first function meets a check point every
	// time around). x = n stands for "any function called indirectly".
	loopFirst := make([]bool, n)
	for i, b := range ci.bodies {
		loopFirst[i] = b.startsWithLoop(bin)
	}
	x := n
	edges := make([][]int, n+1)
	for i := range n {
		if loopFirst[i] {
			continue
		}
		if m.indirect[i] {
			edges[x] = append(edges[x], i)
		}
		for _, d := range direct[i] {
			if !loopFirst[d] {
				edges[i] = append(edges[i], d)
			}
		}
		if indirectCall[i] {
			edges[i] = append(edges[i], x)
		}
	}
	for i, c := range sccs(edges).onCycle[:n] {
		plans[i].entryCheck = c
	}

	// The stack budget: every function on a cycle, loop-first or not.
	edges = make([][]int, n+1)
	for i := range n {
		if m.indirect[i] {
			edges[x] = append(edges[x], i)
		}
		edges[i] = append(edges[i], direct[i]...)
		if indirectCall[i] {
			edges[i] = append(edges[i], x)
		}
	}
	g := sccs(edges)
	for i := range n {
		plans[i].counted = g.onCycle[i]
	}
	if g.heaviestChain(func(v int) int64 {
		if v == x || plans[v].counted {
			return 0
		}
		return int64(plans[v].weight)
	}) <= maxUncountedStack {
		return plans, nil
	}
	// Too heavy: count every function that calls another, leaving leaves,
	// of which a call stack holds at most one (at its top); failing that,
	// count everything.
	heaviestLeaf := int32(0)
	for i := range plans {
		plans[i].counted = plans[i].counted || plans[i].calls
		if !plans[i].counted {
			heaviestLeaf = max(heaviestLeaf, plans[i].weight)
		}
	}
	if heaviestLeaf > maxUncountedStack {
		for i := range plans {
			plans[i].counted = true
		}
	}
	return plans, nil
}

// sccGraph is a graph's strongly connected components.
type sccGraph struct {
	edges [][]int
	// comps lists the components in reverse topological order: every edge
	// leads to the same component or to one listed earlier.
	comps [][]int
	// onCycle marks the vertices that lie on a cycle: in a component of two
	// or more vertices, or with an edge to themselves.
	onCycle []bool
}

// heaviestChain returns the heaviest weight of a path through the
// component graph, a component weighing the sum of its vertices' weights.
func (g *sccGraph) heaviestChain(weight func(v int) int64) int64 {
	comp := make([]int, len(g.edges))
	for c, vs := range g.comps {
		for _, v := range vs {
			comp[v] = c
		}
	}
	best := make([]int64, len(g.comps))
	var heaviest int64
	for c, vs := range g.comps {
		var own, below int64
		for _, v := range vs {
			own += weight(v)
			for _, w := range g.edges[v] {
				if d := comp[w]; d != c {
					below = max(below, best[d])
				}
			}
		}
		best[c] = own + below
		heaviest = max(heaviest, best[c])
	}
	return heaviest
}

// sccs runs Tarjan's algorithm (iteratively).
func sccs(edges [][]int) *sccGraph {
	n := len(edges)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next := 0
	g := &sccGraph{edges: edges, onCycle: make([]bool, n)}
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
			g.comps = append(g.comps, comp)
			if len(comp) > 1 {
				for _, w := range comp {
					g.onCycle[w] = true
				}
				continue
			}
			for _, w := range edges[v] {
				if w == v {
					g.onCycle[v] = true
				}
			}
		}
	}
	return g
}
