package inputlimit

import (
	"unicode/utf8"

	"github.com/agentshape/agentshape/internal/yamlalias"
)

// CheckYAML refuses a document that must not reach the YAML parser: more
// than MaxYAMLBytes, nested deeper than MaxDepth (found by a scan that
// builds nothing: one 1.5 KiB buffer), or with aliases that expand past
// yamlalias.DefaultLimit nodes. source names the document in errors.
// Syntax errors are left to the parser (CheckYAML returns nil for them
// unless a limit is crossed first).
func CheckYAML(data []byte, source string) error {
	if len(data) > MaxYAMLBytes {
		return TooLarge(source, MaxYAMLBytes, YAML)
	}
	if line := yamlDepthOver(data, MaxDepth); line > 0 {
		return &Error{Source: source, Line: line, Limit: MaxDepth, Format: YAML, Kind: ErrTooDeep}
	}
	if err := yamlalias.Check(data, yamlalias.DefaultLimit); err != nil {
		if source != "" {
			source += ": "
		}
		return &aliasError{source: source, err: err}
	}
	return nil
}

// aliasError is yamlalias's refusal with the document's name.
type aliasError struct {
	source string
	err    error
}

func (e *aliasError) Error() string { return e.source + e.err.Error() }
func (e *aliasError) Unwrap() error { return e.err }

// yamlDepthOver returns the 1-based line at which the nesting of YAML
// collections first exceeds limit, or 0.
func yamlDepthOver(data []byte, limit int) int {
	s := yamlScanner{data: data, limit: limit}
	s.run()
	return s.overLine
}

// yamlDepth returns the deepest nesting of collections the scan saw.
func yamlDepth(data []byte) int {
	s := yamlScanner{data: data, limit: len(data) + 1}
	s.run()
	return s.max
}

// blockLevel is an open block collection: the column of its entries and
// whether it is a sequence (entries "- ") or a mapping (keys).
type blockLevel struct {
	col int
	seq bool
}

// flowLevel is an open flow collection and the levels go-yaml opens inside
// its current entry: block sequences ("[- - a]") and single-pair mappings
// ("[a: b]").
type flowLevel struct {
	seq    bool
	extra  int // levels opened inside the current entry
	colons int // ':' indicators in the current entry
}

// lastToken is the kind of the last token that can be a mapping key.
type lastToken uint8

const (
	tokNone lastToken = iota
	tokQuoted
	tokFlow
	tokAlias
	tokMapValue
)

// yamlScanner measures how deep a YAML stream nests without building
// anything. It follows the decisions of go-yaml's scanner (which characters
// are indicators, where plain text, quoted scalars, comments and block
// scalars start and end, how indentation ends them) and models the nesting
// go-yaml's parser builds from them: block collections by the columns of
// their entries ("- ", "? ", "key:"), flow collections by their brackets,
// plus go-yaml's own leniencies (block sequences and single-pair mappings
// inside flow collections, a line-ending tag taking the next line's node).
// Its depth is never below what go-yaml builds for a document it accepts;
// FuzzYAMLDepth checks that against go-yaml itself.
type yamlScanner struct {
	data      []byte
	pos       int
	line      int // 1-based line of pos
	lineStart int
	limit     int

	max, overLine int

	levels    []blockLevel // open block collections, innermost last
	levelBuf  [32]blockLevel
	flows     []flowLevel // open flow collections, innermost last
	flowBuf   [32]flowLevel
	flowDepth int // levels the open flow collections add
	// go-yaml's counts of open '[' and '{', which decide whether it reads
	// ']', '}' and ',' as indicators.
	flowSeqs, flowMaps int

	text      bool // plain text is buffered (go-yaml: existsBuffer)
	textCol   int  // the column the buffered text started at
	lastDelim int  // column of the last "- ", "? " or key; -1 when none
	multiLine bool // in a block scalar (| >) or go-yaml's "raw folded" text

	last    lastToken
	lastCol int // column of the last quoted scalar, flow collection or alias
	// keyCol is the column of the node before a ':' as go-yaml's parser
	// places it: at its first tag or anchor, if any (propCol).
	keyCol, propCol int
	lastFlow        int  // the depth the last flow collection reached
	props           bool // the tokens since the last node are a tag or an anchor
	nest            bool // a line ended with a tag or an anchor

	colLine, colPos, colN int // the last column computed (see col)
}

func (s *yamlScanner) depth() int { return len(s.levels) + s.flowDepth }

func (s *yamlScanner) note() {
	if d := s.depth(); d > s.max {
		s.max = d
		if d > s.limit && s.overLine == 0 {
			s.overLine = s.line
		}
	}
}

func (s *yamlScanner) noteDepth(d int) {
	if d > s.max {
		s.max = d
		if d > s.limit && s.overLine == 0 {
			s.overLine = s.line
		}
	}
}

func (s *yamlScanner) top() (blockLevel, bool) {
	if len(s.levels) == 0 {
		return blockLevel{}, false
	}
	return s.levels[len(s.levels)-1], true
}

// popTo closes the block levels whose entries sit right of col.
func (s *yamlScanner) popTo(col int) {
	for len(s.levels) > 0 && s.levels[len(s.levels)-1].col > col {
		s.levels = s.levels[:len(s.levels)-1]
	}
}

// enter records an entry of a block collection at col: a sibling of the
// entries of an open collection at that column, or the first entry of a new
// one (a sequence may sit at its parent key's column, and go-yaml lets a
// mapping sit at its parent entry's). After a line that ended with a tag or
// an anchor, the entry always opens a level.
func (s *yamlScanner) enter(col int, seq bool) {
	if s.nest {
		s.nest = false
	} else {
		s.popTo(col)
		if t, ok := s.top(); ok && t.col == col {
			if t.seq == seq {
				return
			}
			// A key at a sequence's column ends the sequence when it was
			// the value of a key at that column; otherwise go-yaml takes
			// the mapping as the value of the sequence's last entry.
			if n := len(s.levels); t.seq && n >= 2 && s.levels[n-2].col == col && !s.levels[n-2].seq {
				s.levels = s.levels[:n-1]
				return
			}
		}
	}
	s.levels = append(s.levels, blockLevel{col: col, seq: seq})
	s.note()
}

// isNL reports whether a line break (\n, \r\n or a lone \r, as go-yaml
// reads them) starts at i.
func (s *yamlScanner) isNL(i int) bool {
	return i < len(s.data) && (s.data[i] == '\n' || s.data[i] == '\r')
}

// sepAt reports whether i is a space, a tab, a line break or the end.
func (s *yamlScanner) sepAt(i int) bool {
	return i >= len(s.data) || s.data[i] == ' ' || s.data[i] == '\t' || s.isNL(i)
}

// entryAt reports whether a '-' at pos is a sequence entry: followed by a
// space, a line break, the end, or (for go-yaml) a NUL.
func (s *yamlScanner) entryAt() bool {
	return s.sepAt(s.pos+1) || s.data[s.pos+1] == 0
}

// col is the column of pos in characters, as go-yaml counts them (an
// invalid UTF-8 byte is one character). It is computed from the last
// column asked for on the same line, so a line costs its length once.
func (s *yamlScanner) col() int {
	if s.colLine != s.lineStart || s.colPos > s.pos {
		s.colLine, s.colPos, s.colN = s.lineStart, s.lineStart, 0
	}
	for s.colPos < s.pos {
		_, n := utf8.DecodeRune(s.data[s.colPos:s.pos])
		s.colPos += n
		s.colN++
	}
	return s.colN
}

// newline consumes the line break at pos.
func (s *yamlScanner) newline() {
	if s.data[s.pos] == '\r' && s.pos+1 < len(s.data) && s.data[s.pos+1] == '\n' {
		s.pos++
	}
	s.pos++
	s.line++
	s.lineStart = s.pos
}

// toLineEnd moves pos to the next line break (or the end).
func (s *yamlScanner) toLineEnd() {
	for s.pos < len(s.data) && !s.isNL(s.pos) {
		s.pos++
	}
}

func (s *yamlScanner) run() {
	s.line = 1
	s.lastDelim = -1
	s.levels = s.levelBuf[:0]
	s.flows = s.flowBuf[:0]
	s.lineStart = s.pos
	for s.pos < len(s.data) && s.overLine == 0 {
		if s.startLine() {
			continue
		}
		for s.pos < len(s.data) && !s.isNL(s.pos) && s.overLine == 0 {
			switch c := s.data[s.pos]; {
			case c == ' ' || c == '\t':
				s.pos++
			case c == '#' && s.commentAt():
				s.text = false
				s.toLineEnd()
			case len(s.flows) > 0 || s.flowSeqs > 0 || s.flowMaps > 0:
				s.flowChar()
			default:
				s.blockChar()
			}
		}
		if s.pos < len(s.data) && s.isNL(s.pos) {
			if len(s.flows) == 0 {
				s.nest = s.nest || s.props
			}
			s.props = false
			s.newline()
		}
	}
}

// marker reports whether a document marker (--- or ...) starts the line at
// p (column 0); strict asks for a space or line break after it, as go-yaml
// does inside block scalars.
func (s *yamlScanner) marker(p int, strict bool) bool {
	if p+3 > len(s.data) {
		return false
	}
	m := string(s.data[p : p+3])
	if m == "---" || strict && m == "..." {
		return s.sepAt(p + 3)
	}
	return m == "..."
}

// startLine handles the start of a line as go-yaml's scanner does: blank
// lines, the text lines of a block scalar, the end of buffered plain text
// when the line is not indented past the last entry, document markers and
// directives. It returns true when it consumed the whole line.
func (s *yamlScanner) startLine() bool {
	s.lineStart = s.pos
	p := s.pos
	for p < len(s.data) && (s.data[p] == ' ' || s.data[p] == '\t') {
		p++
	}
	if p >= len(s.data) || s.isNL(p) {
		s.pos = p
		if p < len(s.data) {
			s.newline()
		}
		return true
	}
	s.pos = p
	col := s.col()
	up := s.lastDelim >= 0 && col > s.lastDelim
	down := s.lastDelim >= 0 && col <= s.lastDelim
	if s.multiLine {
		if col == 0 && s.marker(p, true) || down {
			s.multiLine = false
		} else {
			s.pos = p
			s.toLineEnd()
			return false
		}
	}
	if s.text {
		if down {
			s.text = false
		} else if up && s.data[p] == '-' {
			s.text, s.multiLine = false, true // go-yaml's raw folded text
			s.pos = p
			s.toLineEnd()
			return false
		}
	}
	s.pos = p
	if col == 0 && s.marker(p, false) {
		if s.data[p] == '-' {
			s.lastDelim = -1
		}
		s.levels, s.text, s.nest, s.props = s.levels[:0], false, false, false
		s.pos += 3
		return false
	}
	if col == 0 && s.data[p] == '%' && !s.text {
		s.toLineEnd() // a directive
		return false
	}
	if !s.text && len(s.flows) == 0 && !s.nest {
		s.popTo(col)
	}
	return false
}

// commentAt reports whether a '#' at pos starts a comment.
func (s *yamlScanner) commentAt() bool {
	if !s.text {
		return true
	}
	prev := s.data[s.pos-1]
	return prev == ' ' || prev == '\t' || prev == '\n' || prev == '\r'
}

// mapDelimAt reports whether a ':' at pos is a mapping value indicator.
func (s *yamlScanner) mapDelimAt() bool {
	next := byte(0)
	if s.pos+1 < len(s.data) {
		next = s.data[s.pos+1]
	}
	if s.flowMaps <= 0 {
		return s.sepAt(s.pos + 1)
	}
	return next != '/' && s.last != tokMapValue
}

// skipName skips an anchor, alias or tag name after its indicator: it ends
// at a space or line break; a tag also at a tab; in a flow collection at a
// flow indicator (a tag only at ',').
func (s *yamlScanner) skipName(tag bool) {
	s.pos++
	flow := s.flowSeqs > 0 || s.flowMaps > 0
	for s.pos < len(s.data) && !s.isNL(s.pos) {
		c := s.data[s.pos]
		if c == ' ' || flow && c == ',' || !tag && flow && (c == '[' || c == ']' || c == '{' || c == '}') {
			return
		}
		s.pos++
	}
}

// quoted skips a single- or double-quoted scalar, which may span lines.
func (s *yamlScanner) quoted(q byte) {
	s.pos++
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case s.isNL(s.pos):
			s.newline()
			continue
		case q == '"' && c == '\\':
			s.pos++
			if s.isNL(s.pos) {
				s.newline()
				continue
			}
		case c == q:
			if q == '\'' && s.pos+1 < len(s.data) && s.data[s.pos+1] == '\'' {
				s.pos++ // '' is a quote inside the scalar
				break
			}
			s.pos++
			return
		}
		s.pos++
	}
}

// mapValue records a ':' indicator in block context at col: the key before
// it (buffered text, a quoted scalar, a flow collection or an alias; none
// for an explicit ": ") makes or continues a mapping at its column.
func (s *yamlScanner) mapValue(col int) {
	key, flowKey := col, false
	switch {
	case s.text:
		key = s.keyCol
		s.lastDelim = s.textCol
		s.text = false
	case s.last == tokQuoted:
		key = s.keyCol
		s.lastDelim = s.lastCol
	case s.last == tokFlow:
		key, flowKey = s.keyCol, true
	case s.last == tokAlias:
		key = s.keyCol
	}
	s.enter(key, false)
	if flowKey {
		s.noteDepth(s.lastFlow + 1) // the flow collection sits in the mapping
	}
	s.last = tokMapValue
	s.pos++
}

// blockChar reads one token (or character of text) outside flow collections.
func (s *yamlScanner) blockChar() {
	c := s.data[s.pos]
	col := s.col()
	switch {
	case c == ':' && s.mapDelimAt():
		s.props = false
		s.mapValue(col)
		return
	case s.text:
		s.pos++
		return
	}
	s.keyCol = col
	if s.props {
		s.keyCol = s.propCol
	}
	switch {
	case c == '"' || c == '\'':
		s.quoted(c)
		s.last, s.lastCol = tokQuoted, col
	case c == '[' || c == '{':
		s.openFlow(c)
		s.last, s.lastCol = tokFlow, col
		return // closeFlow sets last
	case c == ']':
		s.flowSeqs-- // a stray ']': go-yaml reads it as one
		s.pos++
	case c == '-' && s.entryAt():
		s.enter(col, true)
		s.lastDelim = col
		s.pos++
	case c == '?' && s.pos+1 < len(s.data) && (s.data[s.pos+1] == ' ' || s.data[s.pos+1] == '\t'):
		s.enter(col, false)
		s.lastDelim = col
		s.pos++
	case c == '|' || c == '>':
		s.blockScalar(col)
	case c == '!' || c == '&':
		if !s.props {
			s.propCol = col
		}
		s.skipName(c == '!')
		s.props = true
		return
	case c == '*':
		s.skipName(false)
		s.last, s.lastCol = tokAlias, col
	default:
		s.text, s.textCol = true, col
		s.pos++
	}
	s.props = false
}

// blockScalar starts a block scalar (| or >) at col: its text starts on the
// next line. go-yaml ends it at a line not indented past the last entry,
// taking a header in the first column as that entry.
func (s *yamlScanner) blockScalar(col int) {
	s.multiLine = true
	if col == 0 {
		s.lastDelim = 0
	}
	s.toLineEnd()
}

// openFlow opens a flow collection at pos.
func (s *yamlScanner) openFlow(c byte) {
	if c == '[' {
		s.flowSeqs++
	} else {
		s.flowMaps++
	}
	s.flows = append(s.flows, flowLevel{seq: c == '['})
	s.flowDepth++
	s.text, s.props = false, false
	s.pos++
	s.noteFlow(len(s.flows) == 1)
}

// noteFlow records the depth inside a flow collection; lastFlow keeps the
// deepest the outermost one reached (first: it has just opened), for when
// it turns out to be a mapping key.
func (s *yamlScanner) noteFlow(first bool) {
	s.note()
	if first || s.depth() > s.lastFlow {
		s.lastFlow = s.depth()
	}
}

// closeFlow closes the innermost flow collection.
func (s *yamlScanner) closeFlow() {
	if n := len(s.flows); n > 0 {
		s.flowDepth -= 1 + s.flows[n-1].extra
		s.flows = s.flows[:n-1]
	}
	s.text = false
	s.pos++
	if len(s.flows) == 0 {
		s.last = tokFlow
	}
}

// entryLevel records a level go-yaml opens inside the current entry of the
// innermost flow collection.
func (s *yamlScanner) entryLevel() {
	if n := len(s.flows); n > 0 {
		s.flows[n-1].extra++
		s.flowDepth++
		s.noteFlow(false)
	}
}

// flowChar reads one token (or character of text) inside flow collections.
func (s *yamlScanner) flowChar() {
	c := s.data[s.pos]
	col := s.col()
	switch {
	case c == '[' || c == '{':
		s.openFlow(c)
		return
	case c == ']' && !(s.text && s.flowSeqs <= 0):
		s.flowSeqs--
		s.closeFlow()
		return
	case c == '}' && s.flowMaps > 0:
		s.flowMaps--
		s.closeFlow()
		return
	case c == ',':
		if n := len(s.flows); n > 0 {
			s.flowDepth -= s.flows[n-1].extra
			s.flows[n-1].extra, s.flows[n-1].colons = 0, 0
		}
		s.text = false
		s.last = tokNone
		s.pos++
		return
	case c == ':' && s.mapDelimAt():
		if s.text {
			s.lastDelim = s.textCol
		}
		s.text = false
		if n := len(s.flows); n > 0 {
			f := &s.flows[n-1]
			f.colons++
			if f.seq || f.colons > 1 {
				s.entryLevel()
			}
		}
		s.last = tokMapValue
		s.pos++
		return
	case s.text:
		s.pos++
		return
	case c == '"' || c == '\'':
		s.quoted(c)
		s.last = tokQuoted
		return
	case c == '-' && s.entryAt():
		s.entryLevel()
		s.lastDelim = col
	case c == '?' && s.pos+1 < len(s.data) && (s.data[s.pos+1] == ' ' || s.data[s.pos+1] == '\t'):
		s.entryLevel()
		s.lastDelim = col
	case c == '|' || c == '>':
		s.blockScalar(col)
		return
	case c == '!' || c == '&' || c == '*':
		s.skipName(c == '!')
		return
	default:
		s.text, s.textCol = true, col
	}
	s.pos++
}
