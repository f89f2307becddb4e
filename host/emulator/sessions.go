package emulator

import (
	"sync"
	"sync/atomic"
	"time"
)

// session is one Agent API session.
type session struct {
	id          string
	agentID     string
	clientID    string
	externalKey string
	bypassUser  bool
	created     time.Time
	busy        atomic.Bool  // a request is in flight (second one gets 423)
	lastUsed    atomic.Int64 // unix nanoseconds

	mu        sync.Mutex
	lastSeq   int64
	messages  int
	variables []Variable
	ignored   []string
}

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

func (s *session) info() SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SessionInfo{
		SessionID: s.id, AgentID: s.agentID, ClientID: s.clientID, ExternalSessionKey: s.externalKey,
		BypassUser: s.bypassUser, Created: s.created, Messages: s.messages, Busy: s.busy.Load(),
		Variables:        append([]Variable{}, s.variables...),
		IgnoredVariables: append([]string{}, s.ignored...),
	}
}

const sessionShards = 64

// sessionStore is a sharded map of live sessions: no global lock on the hot path.
type sessionStore struct {
	live   atomic.Int64 // sessions in the store
	shards [sessionShards]struct {
		mu sync.RWMutex
		m  map[string]*session
		_  [40]byte // keep shards on separate cache lines
	}
}

func newSessionStore() *sessionStore {
	s := &sessionStore{}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*session)
	}
	return s
}

func shardOf(id string) int {
	var h uint32 = 2166136261
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % sessionShards)
}

func (s *sessionStore) put(ss *session) {
	sh := &s.shards[shardOf(ss.id)]
	sh.mu.Lock()
	sh.m[ss.id] = ss
	sh.mu.Unlock()
	s.live.Add(1)
}

func (s *sessionStore) get(id string) *session {
	sh := &s.shards[shardOf(id)]
	sh.mu.RLock()
	ss := sh.m[id]
	sh.mu.RUnlock()
	return ss
}

// remove deletes id and reports whether it was present.
func (s *sessionStore) remove(id string) bool {
	sh := &s.shards[shardOf(id)]
	sh.mu.Lock()
	_, ok := sh.m[id]
	delete(sh.m, id)
	sh.mu.Unlock()
	if ok {
		s.live.Add(-1)
	}
	return ok
}

func (s *sessionStore) clear() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		s.live.Add(-int64(len(sh.m)))
		sh.m = make(map[string]*session)
		sh.mu.Unlock()
	}
}

func (s *sessionStore) all() []*session {
	var out []*session
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for _, ss := range sh.m {
			out = append(out, ss)
		}
		sh.mu.RUnlock()
	}
	return out
}
