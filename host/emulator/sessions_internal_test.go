package emulator

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The store's records and index must hold no pointers: that is what keeps
// the garbage collector out of a store with many live sessions (and Start
// Session p99 flat as sessions pile up, see BenchmarkStartSession).
func TestSessionStoreIsPointerFree(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[record](), reflect.TypeFor[sessionID](), reflect.TypeFor[[chunkSlots]record](),
	} {
		if p := pointerPath(typ, typ.Name()); p != "" {
			t.Errorf("%s holds a pointer at %s; the GC would scan every session", typ, p)
		}
	}
}

// pointerPath returns the path of the first pointer-bearing field in typ, or "".
func pointerPath(typ reflect.Type, path string) string {
	switch typ.Kind() {
	case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface,
		reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return path
	case reflect.Array:
		return pointerPath(typ.Elem(), path+"[]")
	case reflect.Struct:
		for i := range typ.NumField() {
			f := typ.Field(i)
			if p := pointerPath(f.Type, path+"."+f.Name); p != "" {
				return p
			}
		}
	}
	return ""
}

func TestSessionIDRoundTrip(t *testing.T) {
	for range 1000 {
		id := newSessionID()
		s := id.String()
		back, ok := parseSessionID(s)
		if !ok || back != id {
			t.Fatalf("parse(%q) = %x, %v; want %x", s, back, ok, id)
		}
		if s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
			t.Fatalf("%s is not a version-4 RFC 4122 UUID", s)
		}
	}
	good := newSessionID().String()
	for _, bad := range []string{
		"", strings.ToUpper(good), strings.ReplaceAll(good, "-", ""), "{" + good + "}", good + " ",
		good[:35], good[:8] + "_" + good[9:], good[:35] + "g", "../" + good[3:],
	} {
		if _, ok := parseSessionID(bad); ok {
			t.Errorf("parseSessionID(%q) accepted a non-canonical ID", bad)
		}
	}
}

func FuzzParseSessionID(f *testing.F) {
	f.Add(newSessionID().String())
	f.Add("00000000-0000-0000-0000-00000000000g")
	f.Fuzz(func(t *testing.T, s string) {
		if id, ok := parseSessionID(s); ok && id.String() != s {
			t.Fatalf("parse(%q) formats back as %q", s, id.String())
		}
	})
}

// Sessions keep their own details through many updates, ends and arena
// compactions.
func TestSessionStoreDetailsSurviveCompaction(t *testing.T) {
	s := newSessionStore()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type want struct {
		key   string
		value string
		msgs  int
	}
	live := map[string]*want{}
	for i := range 3000 {
		id, _ := putAny(s, newSession{agentID: DemoAgentID, now: now, detail: detail{
			clientID: DemoClientID, externalKey: fmt.Sprintf("key-%d", i),
			variables: []Variable{{Name: "n", Type: "Text", Value: fmt.Sprint(i)}},
		}}, 0)
		live[id] = &want{key: fmt.Sprintf("key-%d", i), value: fmt.Sprint(i)}
	}
	round := 0
	for id, w := range live { // every session: 5 messages that rewrite its variables
		for m := range 5 {
			ref, res := s.claim(id, now, 0)
			if res != claimed {
				t.Fatalf("claim %s: %v", id, res)
			}
			w.value = fmt.Sprintf("%s-%d-%s", w.key, m, strings.Repeat("x", round%40))
			ref.accept(int64(m+1), []Variable{{Name: "n", Type: "Text", Value: w.value}, {Name: "j", Type: "Json", Value: map[string]any{"a": 1.0}}}, []string{"skip"})
			w.msgs++
			ref.release()
		}
		round++
		if round%3 == 0 {
			ref, _ := s.claim(id, now, 0)
			if !ref.end() {
				t.Fatal("end of a claimed session failed")
			}
			delete(live, id)
		}
	}
	compacted := 0
	for i := range s.shards {
		sh := &s.shards[i].shard
		compacted += sh.compactions
	}
	if compacted == 0 {
		t.Fatal("no shard was compacted; the test does not exercise compaction")
	}
	all := s.all()
	if len(all) != len(live) || int(s.live.Load()) != len(live) {
		t.Fatalf("store lists %d sessions, counts %d; want %d", len(all), s.live.Load(), len(live))
	}
	for _, info := range all {
		w := live[info.SessionID]
		if w == nil {
			t.Fatalf("ended or unknown session %s listed", info.SessionID)
		}
		if info.ExternalSessionKey != w.key || info.Messages != w.msgs || info.ClientID != DemoClientID || info.AgentID != DemoAgentID {
			t.Fatalf("session %s = %+v, want key %s, %d messages", info.SessionID, info, w.key, w.msgs)
		}
		if len(info.Variables) != 2 || info.Variables[0].Value != w.value || !reflect.DeepEqual(info.Variables[1].Value, map[string]any{"a": 1.0}) {
			t.Fatalf("session %s variables %+v, want n=%s and j={a:1}", info.SessionID, info.Variables, w.value)
		}
		if len(info.IgnoredVariables) != w.msgs {
			t.Fatalf("session %s ignored %v, want %d entries", info.SessionID, info.IgnoredVariables, w.msgs)
		}
	}
}

// Values that need JSON escaping survive the packed form.
func TestSessionDetailPackRoundTrip(t *testing.T) {
	d := detail{clientID: "c", externalKey: "ké\"y", ignored: []string{"a", ""},
		variables: []Variable{
			{Name: "s", Type: "Text", Value: "plain"},
			{Name: "e", Type: "Text", Value: "<\"quoted\"\n\\ ü \u2028>"},
			{Name: "n", Type: "Number", Value: 4.5},
			{Name: "b", Type: "Boolean", Value: true},
			{Name: "z", Type: "Text", Value: nil},
			{Name: "l", Type: "List", Value: []any{"x", 1.0}},
		}}
	var buf bytes.Buffer
	d.pack(&buf)
	out := unpack(buf.Bytes())
	if !reflect.DeepEqual(out, d) {
		t.Fatalf("unpack(pack(d)) = %#v\nwant %#v", out, d)
	}
}

// A claim taken before Reset cannot touch the sessions created after it.
func TestSessionRefStaleAfterClear(t *testing.T) {
	s := newSessionStore()
	now := time.Now()
	id, _ := putAny(s, newSession{agentID: DemoAgentID, now: now}, 0)
	ref, res := s.claim(id, now, 0)
	if res != claimed {
		t.Fatal(res)
	}
	if _, res := s.claim(id, now, 0); res != claimBusy {
		t.Fatalf("second claim = %v, want busy", res)
	}
	s.clear()
	other, _ := putAny(s, newSession{agentID: DemoAgentID, now: now, detail: detail{externalKey: "after"}}, 0)
	ref.accept(1, []Variable{{Name: "v", Type: "Text", Value: "stale"}}, nil)
	if ref.end() {
		t.Fatal("a claim from before clear ended a session")
	}
	all := s.all()
	if len(all) != 1 || all[0].SessionID != other || all[0].ExternalSessionKey != "after" || len(all[0].Variables) != 0 || all[0].Messages != 0 {
		t.Fatalf("store after clear = %+v", all)
	}
}

// A session started while its shard's arena is mostly garbage (many sessions
// ended, a few still live) keeps its details: the compaction that put
// triggers must include the session being stored.
func TestSessionStorePutDuringCompaction(t *testing.T) {
	s := newSessionStore()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	put := func(key string) string {
		id, _ := putAny(s, newSession{agentID: DemoAgentID, now: now, detail: detail{
			clientID: DemoClientID, externalKey: key,
			variables: []Variable{{Name: "k", Type: "Text", Value: strings.Repeat(key, 4)}},
		}}, 0)
		return id
	}
	want := map[string]string{}
	for i := range 6000 {
		key := fmt.Sprintf("old-%d", i)
		id := put(key)
		if i%20 == 0 {
			want[id] = key // kept live, so the shard's arena is not simply reset
			continue
		}
		ref, res := s.claim(id, now, 0)
		if res != claimed || !ref.end() {
			t.Fatalf("end %s: %v", id, res)
		}
	}
	for i := range 2000 {
		key := fmt.Sprintf("new-%d", i)
		want[put(key)] = key
	}
	compacted := 0
	for i := range s.shards {
		compacted += s.shards[i].shard.compactions
	}
	if compacted == 0 {
		t.Fatal("no shard was compacted; the test does not exercise compaction on put")
	}
	all := s.all()
	if len(all) != len(want) {
		t.Fatalf("store lists %d sessions, want %d", len(all), len(want))
	}
	for _, info := range all {
		key := want[info.SessionID]
		if info.ExternalSessionKey != key || info.ClientID != DemoClientID || len(info.Variables) != 1 ||
			info.Variables[0].Value != strings.Repeat(key, 4) {
			t.Fatalf("session %s = %+v; want key %q", info.SessionID, info, key)
		}
	}
}

// Concurrent starts, messages, ends, idle sweeps and clears (Reset) keep the
// store consistent: the live count matches the listing, no session is left
// marked busy, and every session's details are its own. Run with -race.
func TestSessionStoreConcurrentUse(t *testing.T) {
	s := newSessionStore()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const idle = time.Hour
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			var mine []string
			for i := range 1000 {
				now := t0.Add(time.Duration(i) * time.Second)
				key := fmt.Sprintf("w%d-%d", w, i)
				id, _ := putAny(s, newSession{agentID: DemoAgentID, now: now, detail: detail{
					clientID: DemoClientID, externalKey: key,
					variables: []Variable{{Name: "k", Type: "Text", Value: key}},
				}}, idle)
				mine = append(mine, id)
				// A message on one of this worker's earlier sessions, if it still lives.
				old := mine[i/2]
				if ref, res := s.claim(old, now, idle); res == claimed {
					if seq := ref.lastSeq() + 1; seq > 0 {
						ref.accept(seq, []Variable{{Name: "k", Type: "Text", Value: "m" + strings.Repeat("x", i%64)}}, []string{"skip"})
					}
					if i%3 == 0 {
						ref.end()
					} else {
						ref.release()
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 60 {
			s.sweep(t0.Add(time.Duration(i)*50*time.Second), idle)
			if i%20 == 19 {
				s.clear()
			}
			_ = s.all()
		}
	})
	wg.Wait()
	all := s.all()
	if int(s.live.Load()) != len(all) {
		t.Fatalf("live count %d, listing %d", s.live.Load(), len(all))
	}
	for _, info := range all {
		if info.Busy {
			t.Fatalf("session %s left busy", info.SessionID)
		}
		if len(info.Variables) != 1 || !strings.HasPrefix(info.ExternalSessionKey, "w") ||
			(info.Messages == 0 && info.Variables[0].Value != info.ExternalSessionKey) ||
			(info.Messages > 0 && !strings.HasPrefix(info.Variables[0].Value.(string), "m")) {
			t.Fatalf("session %s has details that are not its own: %+v", info.SessionID, info)
		}
	}
}

// tryPut never takes the store past its cap, however many callers race.
func TestTryPutHoldsTheCap(t *testing.T) {
	s := newSessionStore()
	now := time.Now()
	var wg sync.WaitGroup
	var stored atomic.Int64
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if _, _, ok := s.tryPut(newSession{agentID: DemoAgentID, now: now}, 0, 100); ok {
					stored.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if stored.Load() != 100 || s.live.Load() != 100 || len(s.all()) != 100 {
		t.Fatalf("stored %d, live %d, listed %d; want 100 each", stored.Load(), s.live.Load(), len(s.all()))
	}
}

// putAny stores a session with no cap on the number of live sessions.
func putAny(s *sessionStore, ns newSession, idle time.Duration) (id string, swept int) {
	id, swept, _ = s.tryPut(ns, idle, math.MaxInt64)
	return id, swept
}
