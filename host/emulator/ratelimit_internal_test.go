package emulator

import (
	"testing"
	"time"
)

// Concurrent requests reach the limiter in a different order than their
// clocks were read. A request stamped earlier than the last one seen must
// not move the bucket's clock back: the interval between would be credited
// twice and the org's rateLimit exceeded.
func TestLimiterIgnoresTimeGoingBack(t *testing.T) {
	l := newLimiter(&RateLimit{RequestsPerSecond: 1, Burst: 1})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	allowed := 0
	for _, at := range []time.Duration{0, time.Second, 500 * time.Millisecond, 1500 * time.Millisecond} {
		if ok, _ := l.allow(t0.Add(at)); ok {
			allowed++
		}
	}
	// 1 req/s, burst 1, over 1.5 s: the request at 0 and the one at 1 s.
	if allowed != 2 {
		t.Fatalf("%d requests allowed within 1.5 s at 1 request/s with burst 1; want 2", allowed)
	}
}
