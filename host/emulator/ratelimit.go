package emulator

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// limiter is a token bucket; one per org state, used only when the org sets rateLimit.
type limiter struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newLimiter(rl *RateLimit) *limiter {
	if rl == nil {
		return nil
	}
	return &limiter{rate: rl.RequestsPerSecond, burst: float64(rl.Burst), tokens: float64(rl.Burst)}
}

// allow takes one token; when none is left it returns false and the
// Retry-After value (whole seconds, at least 1) for the next token.
func (l *limiter) allow(now time.Time) (bool, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.last.IsZero():
		l.last = now
	case now.After(l.last):
		l.tokens = math.Min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
		l.last = now
	}
	// A request whose clock was read before the last one's (concurrent
	// requests reach here out of order) leaves last alone: moving it back
	// would credit the same interval twice.
	if l.tokens >= 1 {
		l.tokens--
		return true, ""
	}
	wait := (1 - l.tokens) / l.rate
	return false, strconv.Itoa(max(1, int(math.Ceil(wait))))
}
