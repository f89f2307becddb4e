package emulator

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// The session store is built so that the garbage collector never has to
// look inside it: the index maps a binary session ID to a slot number, the
// slots live in fixed-size chunks of pointer-free records, and each
// session's variable-length data (client ID, external session key,
// variables) is packed into one byte arena per shard. A CI emulator holding
// hundreds of thousands of sessions therefore costs the GC a few large
// no-scan objects, not millions of small ones, and Start Session latency does
// not grow with the number of live sessions.

// Variable is a variable as sent on the wire (agent-api.md §3).
type Variable struct {
	// Name is the variable's API name.
	Name string `json:"name"`
	// Type is the documented variable type.
	Type string `json:"type"`
	// Value is the value as sent (a string per the schema).
	Value any `json:"value"`
}

// SessionInfo is the admin view of a session.
type SessionInfo struct {
	// SessionID is the session's UUID.
	SessionID string `json:"sessionId"`
	// AgentID is the agent the session runs.
	AgentID string `json:"agentId"`
	// ClientID is the client app whose token started it.
	ClientID string `json:"clientId"`
	// ExternalSessionKey is the caller's key from the Start Session body.
	ExternalSessionKey string `json:"externalSessionKey"`
	// BypassUser is the Start Session body's bypassUser.
	BypassUser bool `json:"bypassUser"`
	// Created is when Start Session created it (emulator clock).
	Created time.Time `json:"created"`
	// Messages counts accepted Send Message requests.
	Messages int `json:"messages"`
	// Busy reports a request in flight on the session (another one gets 423).
	Busy bool `json:"busy"`
	// Variables are the variables applied to the session.
	Variables []Variable `json:"variables"`
	// IgnoredVariables names variables sent but not applied (undeclared or not settable by API).
	IgnoredVariables []string `json:"ignoredVariables"`
}

// sessionShards is the number of independently locked shards.
const sessionShards = 64

// chunkSlots is the number of records per chunk. Chunks never move, so a
// claimed record stays valid while its handler works on it.
const chunkSlots = 512

// record is one session's fixed-size state. It holds no pointers.
type record struct {
	busy     atomic.Bool  // a request is in flight (a second one gets 423)
	lastUsed atomic.Int64 // unix nanoseconds, emulator clock
	bypass   bool
	agentLen uint8
	messages int32
	created  int64 // unix nanoseconds, emulator clock
	lastSeq  int64
	id       sessionID
	agent    [18]byte
	detail   uint32 // offset of the packed detail in the shard's arena
	size     uint32 // its length
}

// agentID returns the ID of the agent the session runs.
func (r *record) agentID() string { return string(r.agent[:r.agentLen]) }

// idleOut reports whether the session, not busy, has been idle for longer
// than idle at now: it is to be ended.
func (r *record) idleOut(now time.Time, idle time.Duration) bool {
	return now.Sub(time.Unix(0, r.lastUsed.Load())) > idle && !r.busy.Load()
}

// detail is a session's variable-length data, packed into the arena by
// pack and read back by unpack.
type detail struct {
	clientID    string
	externalKey string
	variables   []Variable
	ignored     []string
}

type shard struct {
	mu          sync.Mutex
	gen         uint64 // bumped by clear: refs from before it are stale
	index       map[sessionID]uint32
	chunks      []*[chunkSlots]record
	free        []uint32
	arena       []byte
	garbage     int       // arena bytes no live record uses
	compactions int       // how often the arena was compacted
	swept       time.Time // last idle sweep
}

func (sh *shard) reset() {
	sh.gen++
	sh.index = make(map[sessionID]uint32)
	sh.chunks, sh.free, sh.arena, sh.garbage = nil, nil, nil, 0
}

func (sh *shard) rec(slot uint32) *record { return &sh.chunks[slot/chunkSlots][slot%chunkSlots] }

// alloc returns a free slot, growing by one chunk when none is left.
func (sh *shard) alloc() uint32 {
	if n := len(sh.free); n > 0 {
		slot := sh.free[n-1]
		sh.free = sh.free[:n-1]
		return slot
	}
	base := uint32(len(sh.chunks) * chunkSlots)
	sh.chunks = append(sh.chunks, new([chunkSlots]record))
	for i := uint32(chunkSlots) - 1; i > 0; i-- {
		sh.free = append(sh.free, base+i)
	}
	return base
}

// setDetail stores packed bytes for r, retiring its old detail.
func (sh *shard) setDetail(r *record, packed []byte) {
	sh.garbage += int(r.size)
	r.detail, r.size = uint32(len(sh.arena)), uint32(len(packed))
	sh.arena = append(sh.arena, packed...)
	if sh.garbage > 4<<10 && sh.garbage > len(sh.arena)/2 {
		sh.compact()
	}
}

// compact copies the live details into a fresh arena.
func (sh *shard) compact() {
	arena := make([]byte, 0, len(sh.arena)-sh.garbage)
	for _, slot := range sh.index {
		r := sh.rec(slot)
		off := uint32(len(arena))
		arena = append(arena, sh.arena[r.detail:r.detail+r.size]...)
		r.detail = off
	}
	sh.arena, sh.garbage = arena, 0
	sh.compactions++
}

// drop removes the session in slot; the caller holds sh.mu.
func (sh *shard) drop(id sessionID, slot uint32) {
	r := sh.rec(slot)
	sh.garbage += int(r.size)
	delete(sh.index, id)
	*r = record{}
	sh.free = append(sh.free, slot)
	if len(sh.index) == 0 {
		sh.arena, sh.garbage = sh.arena[:0], 0
	}
}

// sessionStore is a sharded store of live sessions: no global lock on the
// hot path, and nothing in it for the GC to scan.
type sessionStore struct {
	live   atomic.Int64 // sessions in the store
	shards [sessionShards]struct {
		shard
		_ [40]byte // keep shards on separate cache lines
	}
}

func newSessionStore() *sessionStore {
	s := &sessionStore{}
	for i := range s.shards {
		s.shards[i].reset()
	}
	return s
}

func (s *sessionStore) shardOf(id sessionID) *shard {
	return &s.shards[binary.LittleEndian.Uint32(id[:4])%sessionShards].shard
}

// newSession is what Start Session stores.
type newSession struct {
	agentID string // 15 or 18 characters (ValidAgentID)
	bypass  bool
	now     time.Time
	detail  detail
}

// tryPut stores a new session under a fresh random ID and returns the ID,
// unless max sessions are live already (ok false). The count is reserved
// before the session is stored, so concurrent Start Sessions never take the
// store past max. With idle > 0 it first ends the shard's sessions idle for
// longer than that, at most once per idle/4, so idle sessions free their
// memory even when nobody asks for them again; swept is how many it ended.
func (s *sessionStore) tryPut(ns newSession, idle time.Duration, max int64) (id string, swept int, ok bool) {
	for {
		n := s.live.Load()
		if n >= max {
			return "", 0, false
		}
		if s.live.CompareAndSwap(n, n+1) {
			break
		}
	}
	id, swept = s.insert(ns, idle)
	return id, swept, true
}

// insert stores a session already counted in live (see tryPut).
func (s *sessionStore) insert(ns newSession, idle time.Duration) (id string, swept int) {
	buf := packPool.Get().(*bytes.Buffer)
	buf.Reset()
	ns.detail.pack(buf)
	for {
		sid := newSessionID()
		sh := s.shardOf(sid)
		sh.mu.Lock()
		if _, taken := sh.index[sid]; taken { // 2^-122: but never overwrite a session
			sh.mu.Unlock()
			continue
		}
		if idle > 0 && ns.now.Sub(sh.swept) > idle/4 {
			swept = s.sweepLocked(sh, ns.now, idle)
		}
		slot := sh.alloc()
		r := sh.rec(slot)
		r.bypass, r.id = ns.bypass, sid
		r.agentLen = uint8(copy(r.agent[:], ns.agentID))
		r.created = ns.now.UnixNano()
		r.lastUsed.Store(r.created)
		sh.index[sid] = slot // before setDetail: a compaction it triggers copies the live details it finds in the index
		sh.setDetail(r, buf.Bytes())
		sh.mu.Unlock()
		packPool.Put(buf)
		return sid.String(), swept
	}
}

// sweep ends every session idle for longer than idle; it returns how many.
func (s *sessionStore) sweep(now time.Time, idle time.Duration) int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i].shard
		sh.mu.Lock()
		n += s.sweepLocked(sh, now, idle)
		sh.mu.Unlock()
	}
	return n
}

func (s *sessionStore) sweepLocked(sh *shard, now time.Time, idle time.Duration) int {
	sh.swept = now
	n := 0
	for id, slot := range sh.index {
		if sh.rec(slot).idleOut(now, idle) {
			sh.drop(id, slot)
			n++
		}
	}
	s.live.Add(-int64(n))
	return n
}

// claimResult says what claim found.
type claimResult int

const (
	claimed claimResult = iota
	claimNotFound
	claimExpired // found idle too long, and ended
	claimBusy
)

// sessionRef is a claimed session: its record stays put until release.
type sessionRef struct {
	store *sessionStore
	sh    *shard
	gen   uint64
	slot  uint32
	rec   *record
	id    sessionID
}

// claim finds the session named id and marks it busy. A session idle for
// longer than idle (> 0) is ended instead. Finding and marking happen under
// the shard lock, so a claimed session cannot be removed or its slot reused
// until release.
func (s *sessionStore) claim(id string, now time.Time, idle time.Duration) (*sessionRef, claimResult) {
	sid, ok := parseSessionID(id)
	if !ok {
		return nil, claimNotFound
	}
	sh := s.shardOf(sid)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	slot, ok := sh.index[sid]
	if !ok {
		return nil, claimNotFound
	}
	r := sh.rec(slot)
	if idle > 0 && r.idleOut(now, idle) {
		sh.drop(sid, slot)
		s.live.Add(-1)
		return nil, claimExpired
	}
	if !r.busy.CompareAndSwap(false, true) {
		return nil, claimBusy
	}
	r.lastUsed.Store(now.UnixNano())
	return &sessionRef{store: s, sh: sh, gen: sh.gen, slot: slot, rec: r, id: sid}, claimed
}

// agentID returns the ID of the agent the session runs.
func (ref *sessionRef) agentID() string { return ref.rec.agentID() }

// release clears the busy mark; ref must not be used afterwards.
func (ref *sessionRef) release() { ref.rec.busy.Store(false) }

// end removes the claimed session; it reports false when a Reset removed it first.
func (ref *sessionRef) end() bool {
	ref.sh.mu.Lock()
	defer ref.sh.mu.Unlock()
	if ref.sh.gen != ref.gen {
		return false
	}
	ref.sh.drop(ref.id, ref.slot)
	ref.store.live.Add(-1)
	return true
}

// lastSeq returns the last accepted message sequenceId.
func (ref *sessionRef) lastSeq() int64 {
	ref.sh.mu.Lock()
	defer ref.sh.mu.Unlock()
	return ref.rec.lastSeq
}

// accept records an accepted message: its sequenceId, and variables set
// over the session's by name plus names that were ignored.
func (ref *sessionRef) accept(seq int64, applied []Variable, ignored []string) {
	sh := ref.sh
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen != ref.gen {
		return
	}
	r := ref.rec
	r.lastSeq = seq
	r.messages++
	if len(applied) == 0 && len(ignored) == 0 {
		return
	}
	d := unpack(sh.arena[r.detail : r.detail+r.size])
	d.variables = mergeVariables(d.variables, applied)
	d.ignored = append(d.ignored, ignored...)
	var buf bytes.Buffer
	d.pack(&buf)
	sh.setDetail(r, buf.Bytes())
}

// clear ends every session.
func (s *sessionStore) clear() {
	for i := range s.shards {
		sh := &s.shards[i].shard
		sh.mu.Lock()
		s.live.Add(-int64(len(sh.index)))
		sh.reset()
		sh.mu.Unlock()
	}
}

// all returns the admin view of every live session.
func (s *sessionStore) all() []SessionInfo {
	var out []SessionInfo
	for i := range s.shards {
		sh := &s.shards[i].shard
		sh.mu.Lock()
		for _, slot := range sh.index {
			r := sh.rec(slot)
			d := unpack(sh.arena[r.detail : r.detail+r.size])
			out = append(out, SessionInfo{
				SessionID: r.id.String(), AgentID: r.agentID(), ClientID: d.clientID,
				ExternalSessionKey: d.externalKey, BypassUser: r.bypass,
				Created: time.Unix(0, r.created).UTC(), Messages: int(r.messages), Busy: r.busy.Load(),
				Variables: append([]Variable{}, d.variables...), IgnoredVariables: append([]string{}, d.ignored...),
			})
		}
		sh.mu.Unlock()
	}
	return out
}

var packPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// pack appends d as length-prefixed fields; variable values as JSON.
func (d *detail) pack(buf *bytes.Buffer) {
	putString(buf, d.clientID)
	putString(buf, d.externalKey)
	putUvarint(buf, uint64(len(d.variables)))
	for _, v := range d.variables {
		putString(buf, v.Name)
		putString(buf, v.Type)
		if s, ok := v.Value.(string); ok && plainJSONString(s) {
			putUvarint(buf, uint64(len(s)+2))
			buf.WriteByte('"')
			buf.WriteString(s)
			buf.WriteByte('"')
			continue
		}
		b, err := json.Marshal(v.Value)
		if err != nil { // values come from decoded JSON, so this cannot happen
			b = []byte("null")
		}
		putUvarint(buf, uint64(len(b)))
		buf.Write(b)
	}
	putUvarint(buf, uint64(len(d.ignored)))
	for _, s := range d.ignored {
		putString(buf, s)
	}
}

// plainJSONString reports whether s needs no escaping in JSON (nor the
// HTML escaping encoding/json applies), so it can be quoted as is.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func putUvarint(buf *bytes.Buffer, n uint64) {
	var tmp [binary.MaxVarintLen64]byte
	buf.Write(tmp[:binary.PutUvarint(tmp[:], n)])
}

func putString(buf *bytes.Buffer, s string) {
	putUvarint(buf, uint64(len(s)))
	buf.WriteString(s)
}

// unpack reads what pack wrote; the result shares nothing with b.
func unpack(b []byte) detail {
	r := unpacker{b: b}
	d := detail{clientID: r.str(), externalKey: r.str()}
	if n := r.uvarint(); n > 0 {
		d.variables = make([]Variable, 0, n)
		for range n {
			v := Variable{Name: r.str(), Type: r.str()}
			_ = json.Unmarshal([]byte(r.str()), &v.Value)
			d.variables = append(d.variables, v)
		}
	}
	for n := r.uvarint(); n > 0; n-- {
		d.ignored = append(d.ignored, r.str())
	}
	return d
}

type unpacker struct{ b []byte }

func (u *unpacker) uvarint() uint64 {
	n, k := binary.Uvarint(u.b)
	u.b = u.b[k:]
	return n
}

func (u *unpacker) str() string {
	n := u.uvarint()
	s := string(u.b[:n])
	u.b = u.b[n:]
	return s
}
