package agentapi

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds the retries of one call and says which answers may be
// repeated (agent-api.md §10). Every call is repeated after a connection
// failure before any of the request was written, after a failed token
// request (no API request was sent), and once with a new token after a 401
// (the request was not applied). End Session, idempotent, is also repeated
// after 423, 429 and 503. Start Session and Send Message are not idempotent:
// they are repeated after 423, 429 and 503 only with RetryUnsafe. Other
// statuses, timeouts and failures after the request was written are never
// repeated.
type RetryPolicy struct {
	// MaxAttempts is the most requests one call makes, the first included.
	// 0 means DefaultRetryPolicy's; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry (before jitter).
	BaseDelay time.Duration
	// MaxDelay caps the backoff before jitter.
	MaxDelay time.Duration
	// MaxElapsed bounds the whole call including waits: no retry starts
	// (after its backoff or Retry-After wait) later than MaxElapsed after
	// the call began, and a wait that would end later is not begun. A call
	// therefore takes at most MaxElapsed plus one Config.Timeout. Zero
	// means DefaultRetryPolicy's.
	MaxElapsed time.Duration
	// RetryUnsafe also repeats Start Session and Send Message (synchronous
	// and streaming) after 423, 429 and 503.
	//
	// Warning: such an answer does not prove that the request had no
	// effect. Salesforce documents its 503 as "possibly because Apex/Flow
	// calls timed out", i.e. after work was done; a server that created the
	// session and then answered 503 gets a second Start Session and creates
	// a second session, and a repeated message may run the agent's actions
	// twice. Leave it off unless a duplicate session or message is
	// acceptable (a load test, an emulator run).
	RetryUnsafe bool
}

// retries reports whether the policy repeats op after an answer with status.
func (p RetryPolicy) retries(op string, status int) bool {
	return retryableStatus(status) && (op == OpEndSession || p.RetryUnsafe)
}

// DefaultRetryPolicy returns the policy used when Config.Retry is zero:
// 4 attempts, 200 ms base, 5 s cap, 30 s total.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, MaxElapsed: 30 * time.Second}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = d.MaxElapsed
	}
	return p
}

// backoff is the "full jitter" delay before retry number n (1-based): a
// uniformly random duration in [0, min(MaxDelay, BaseDelay·2^(n-1))].
func (p RetryPolicy) backoff(n int) time.Duration {
	ceil := p.BaseDelay
	for i := 1; i < n && ceil < p.MaxDelay; i++ {
		ceil *= 2
	}
	if ceil > p.MaxDelay {
		ceil = p.MaxDelay
	}
	return rand.N(ceil + 1)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// ok is false when the header is absent or unreadable.
func retryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
