package schemas

import (
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// dfa answers regexp.MatchString for ASCII input with a lazily built
// deterministic automaton over the pattern's compiled program: one table
// lookup per byte instead of the backtracking or NFA simulation package
// regexp uses, which costs 20–60 ns per byte on the short strings schemas
// check. It supports the empty-width assertions ^ and $ (begin and end of
// text); newDFA refuses anything else, and match reports ok=false for input
// with non-ASCII bytes or once the state cache is full, so the caller falls
// back to package regexp. FuzzMatcher checks it against package regexp.
type dfa struct {
	prog  *syntax.Prog
	start *dstate // state before the first byte (begin of text)

	mu     sync.Mutex
	states map[string]*dstate
}

// dstate is a set of program counters: instructions waiting for a byte,
// Match, and EmptyWidth($) instructions that only the end of text satisfies.
type dstate struct {
	pcs     []uint32
	matched bool // contains InstMatch: some prefix of the input matches
	next    [128]atomic.Pointer[dstate]
	endOK   int32 // 0 unknown, 1 matches at end of text, 2 does not
}

const maxDFAStates = 512 // at most 512 KiB of transition tables per pattern

func newDFA(pattern string) (*dfa, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl) // the flags regexp.Compile uses
	if err != nil {
		return nil, false
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, false
	}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth && syntax.EmptyOp(in.Arg)&^(syntax.EmptyBeginText|syntax.EmptyEndText) != 0 {
			return nil, false // word boundaries or multi-line anchors
		}
	}
	d := &dfa{prog: prog, states: map[string]*dstate{}}
	d.start = d.state(d.closure([]uint32{uint32(prog.Start)}, true))
	return d, true
}

// closure follows empty transitions from pcs; begin tells whether the
// position is the begin of text. EmptyWidth($) instructions stay in the set.
func (d *dfa) closure(pcs []uint32, begin bool) []uint32 {
	var out []uint32
	seen := make(map[uint32]bool, 8)
	var visit func(pc uint32)
	visit = func(pc uint32) {
		if seen[pc] {
			return
		}
		seen[pc] = true
		in := &d.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			visit(in.Out)
			visit(in.Arg)
		case syntax.InstNop, syntax.InstCapture:
			visit(in.Out)
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(in.Arg)
			if op&syntax.EmptyBeginText != 0 && !begin {
				return
			}
			if op&syntax.EmptyEndText != 0 {
				out = append(out, pc) // resolved at the end of text
				return
			}
			visit(in.Out)
		case syntax.InstFail:
		default: // Match and rune instructions
			out = append(out, pc)
		}
	}
	for _, pc := range pcs {
		visit(pc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// state interns a set of pcs; nil when the cache is full.
func (d *dfa) state(pcs []uint32) *dstate {
	var b strings.Builder
	for _, pc := range pcs {
		b.WriteString(strconv.FormatUint(uint64(pc), 36))
		b.WriteByte(',')
	}
	key := b.String()
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.states[key]; ok {
		return s
	}
	if len(d.states) >= maxDFAStates {
		return nil
	}
	s := &dstate{pcs: pcs}
	for _, pc := range pcs {
		if d.prog.Inst[pc].Op == syntax.InstMatch {
			s.matched = true
		}
	}
	d.states[key] = s
	return s
}

// step returns the state after byte c (ASCII), building it on first use.
func (d *dfa) step(s *dstate, c byte) *dstate {
	if n := s.next[c].Load(); n != nil {
		return n
	}
	var next []uint32
	for _, pc := range s.pcs {
		in := &d.prog.Inst[pc]
		switch in.Op {
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny:
			if in.MatchRune(rune(c)) {
				next = append(next, in.Out)
			}
		case syntax.InstRuneAnyNotNL:
			if c != '\n' {
				next = append(next, in.Out)
			}
		}
	}
	// An unanchored search may start a match at every position; a pattern
	// anchored with ^ drops this thread again in closure.
	next = append(next, uint32(d.prog.Start))
	n := d.state(d.closure(next, false))
	if n != nil {
		s.next[c].Store(n)
	}
	return n
}

// atEnd reports whether s matches at the end of text.
func (d *dfa) atEnd(s *dstate) bool {
	switch atomic.LoadInt32(&s.endOK) {
	case 1:
		return true
	case 2:
		return false
	}
	ok := false
	for _, pc := range s.pcs {
		in := &d.prog.Inst[pc]
		if in.Op == syntax.InstMatch {
			ok = true
			break
		}
		if in.Op == syntax.InstEmptyWidth {
			// $ satisfied: continue from its successor, still at the end.
			for _, p := range d.closureAtEnd(in.Out) {
				if d.prog.Inst[p].Op == syntax.InstMatch {
					ok = true
				}
			}
		}
	}
	v := int32(2)
	if ok {
		v = 1
	}
	atomic.StoreInt32(&s.endOK, v)
	return ok
}

// closureAtEnd follows empty transitions from pc at the end of text (which
// is not the begin of text: the empty input is handled by match).
func (d *dfa) closureAtEnd(pc uint32) []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	var visit func(pc uint32)
	visit = func(pc uint32) {
		if seen[pc] {
			return
		}
		seen[pc] = true
		in := &d.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			visit(in.Out)
			visit(in.Arg)
		case syntax.InstNop, syntax.InstCapture:
			visit(in.Out)
		case syntax.InstEmptyWidth:
			if syntax.EmptyOp(in.Arg)&syntax.EmptyBeginText == 0 {
				visit(in.Out)
			}
		case syntax.InstMatch:
			out = append(out, pc)
		}
	}
	visit(pc)
	return out
}

// match reports whether s contains a match; ok is false when the automaton
// cannot answer (non-ASCII input, full cache, empty input).
func (d *dfa) match(s string) (matched, ok bool) {
	if len(s) == 0 {
		return false, false // let package regexp decide the corner case
	}
	st := d.start
	if st.matched {
		return true, true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return false, false
		}
		if st = d.step(st, c); st == nil {
			return false, false
		}
		if st.matched {
			return true, true
		}
	}
	return d.atEnd(st), true
}
