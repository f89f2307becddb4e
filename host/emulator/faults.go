package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Operation names an emulated endpoint, used to aim faults and count requests.
type Operation string

// Operations of the emulator.
const (
	OpToken    Operation = "token"    // POST /services/oauth2/token
	OpStart    Operation = "start"    // POST /agents/{id}/sessions
	OpSend     Operation = "send"     // POST /sessions/{sid}/messages
	OpStream   Operation = "stream"   // POST /sessions/{sid}/messages/stream
	OpEnd      Operation = "end"      // DELETE /sessions/{sid}
	OpFeedback Operation = "feedback" // POST /sessions/{sid}/feedback
)

var allOps = [...]Operation{OpToken, OpStart, OpSend, OpStream, OpEnd, OpFeedback}

func validOp(o Operation) bool {
	for _, x := range allOps {
		if x == o {
			return true
		}
	}
	return false
}

// Fault is an injected misbehaviour. A fault matches requests of its
// Operations (empty: every session API operation, not the token endpoint),
// lets the first Skip of them through, then affects the next Count (0: all).
// Faults are checked in order; latency of every matching fault adds up, and
// the first matching fault with Status or Drop decides the answer.
type Fault struct {
	// Name labels the fault in the admin state; optional.
	Name string `json:"name,omitempty"`
	// Operations the fault applies to: token, start, send, stream, end, feedback.
	Operations []Operation `json:"operations,omitempty"`
	// Latency delays the answer. At or over the org's requestTimeout the
	// answer is 500 after requestTimeout (agent-api.md §8).
	Latency Duration `json:"latency,omitempty"`
	// Status answers with this HTTP status and the documented error body for
	// it (agent-api.md §5), e.g. 503 ServiceUnavailable.
	Status int `json:"status,omitempty"`
	// Message overrides the error message.
	Message string `json:"message,omitempty"`
	// RetryAfter, if set, is sent as the Retry-After header (seconds or an HTTP date).
	RetryAfter string `json:"retryAfter,omitempty"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty"`
	// Count is how many matching requests are affected; 0 means all.
	Count int `json:"count,omitempty"`
	// Skip lets this many matching requests through before the fault starts.
	Skip int `json:"skip,omitempty"`
	// AfterProcessing applies Status or Drop after the request took effect
	// (e.g. the session was created but the answer is lost). Not with
	// Status 401, which says the request was not applied.
	AfterProcessing bool `json:"afterProcessing,omitempty"`
}

func (f *Fault) check() error {
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("status %d: use a 4xx or 5xx status", f.Status)
	}
	if f.Status != 0 && f.Drop {
		return errors.New("status and drop are exclusive: a dropped connection has no status")
	}
	if f.Status == 0 && !f.Drop && f.Latency == 0 {
		return errors.New("does nothing: set latency, status or drop")
	}
	if f.Latency < 0 {
		return fmt.Errorf("latency %s is negative", f.Latency)
	}
	if f.Count < 0 || f.Skip < 0 {
		return errors.New("count and skip must be >= 0")
	}
	if f.RetryAfter != "" {
		if f.Status == 0 {
			return errors.New("retryAfter needs a status")
		}
		if n, err := strconv.Atoi(f.RetryAfter); err != nil || n < 0 {
			if _, err := http.ParseTime(f.RetryAfter); err != nil {
				return fmt.Errorf("retryAfter %q: use whole seconds (\"2\") or an HTTP date", f.RetryAfter)
			}
		}
	}
	if f.AfterProcessing && f.Status == 0 && !f.Drop {
		return errors.New("afterProcessing needs a status or drop")
	}
	if f.AfterProcessing && f.Status == http.StatusUnauthorized {
		// Clients rely on that meaning: they repeat a request after a 401
		// with a new token (agent-api.md §10).
		return errors.New("afterProcessing with status 401: a 401 says the request was not applied (RFC 9110, section 15.5.2), so no server sends it after the request took effect; use a 5xx status or drop")
	}
	for _, o := range f.Operations {
		if !validOp(o) {
			return fmt.Errorf("operation %q: use token, start, send, stream, end or feedback", o)
		}
	}
	return nil
}

func (f *Fault) matches(op Operation) bool {
	if len(f.Operations) == 0 {
		return op != OpToken
	}
	for _, o := range f.Operations {
		if o == op {
			return true
		}
	}
	return false
}

// activeFault is a fault with its counters.
type activeFault struct {
	Fault
	id    int
	seen  atomic.Int64
	fired atomic.Int64
}

// FaultState is the admin view of an active fault.
type FaultState struct {
	// ID identifies the fault in this emulator.
	ID int `json:"id"`
	Fault
	// Seen counts matching requests.
	Seen int64 `json:"seen"`
	// Fired counts the requests the fault affected.
	Fired int64 `json:"fired"`
	// Exhausted reports that Count requests were affected already.
	Exhausted bool `json:"exhausted"`
}

// faultSet holds the active faults; readers never lock.
type faultSet struct {
	mu     sync.Mutex
	list   atomic.Pointer[[]*activeFault]
	nextID int
}

// faultDecision is what the faults say about one request.
type faultDecision struct {
	latency time.Duration
	fire    *activeFault
}

// pick counts the request against matching faults and decides.
func (fs *faultSet) pick(op Operation) faultDecision {
	var d faultDecision
	lp := fs.list.Load()
	if lp == nil || len(*lp) == 0 {
		return d
	}
	for _, f := range *lp {
		if !f.matches(op) {
			continue
		}
		n := f.seen.Add(1)
		if n <= int64(f.Skip) || (f.Count > 0 && n > int64(f.Skip+f.Count)) {
			continue
		}
		f.fired.Add(1)
		d.latency += time.Duration(f.Latency)
		if f.Status != 0 || f.Drop {
			d.fire = f
			return d
		}
	}
	return d
}

// set replaces the faults (already checked).
func (fs *faultSet) set(faults []Fault) []FaultState {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	list := make([]*activeFault, 0, len(faults))
	for _, f := range faults {
		fs.nextID++
		list = append(list, &activeFault{Fault: f, id: fs.nextID})
	}
	fs.list.Store(&list)
	return snapshotFaults(list)
}

// add appends one fault (already checked) and returns its ID.
func (fs *faultSet) add(f Fault) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var list []*activeFault
	if lp := fs.list.Load(); lp != nil {
		list = append(list, *lp...)
	}
	fs.nextID++
	list = append(list, &activeFault{Fault: f, id: fs.nextID})
	fs.list.Store(&list)
	return fs.nextID
}

func (fs *faultSet) snapshot() []FaultState {
	lp := fs.list.Load()
	if lp == nil {
		return []FaultState{}
	}
	return snapshotFaults(*lp)
}

func snapshotFaults(list []*activeFault) []FaultState {
	out := make([]FaultState, 0, len(list))
	for _, f := range list {
		seen, fired := f.seen.Load(), f.fired.Load()
		out = append(out, FaultState{ID: f.id, Fault: f.Fault, Seen: seen, Fired: fired,
			Exhausted: f.Count > 0 && fired >= int64(f.Count)})
	}
	return out
}
