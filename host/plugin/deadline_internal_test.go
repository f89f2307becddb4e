package plugin

import (
	"context"
	"errors"
	"testing"
	"time"
)

// callCtx makes its Done channel only when asked, and still closes it on
// expiry, whether it was asked for before or after; each call starts open.
func TestCallCtxDoneIsLazyAndCloses(t *testing.T) {
	c := newCallCtx()
	defer c.timer.Stop()
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	c.begin(context.Background(), nil, 20*time.Millisecond)
	if c.done.Load() != nil {
		t.Fatal("begin made a Done channel nobody asked for")
	}
	early := c.Done()
	if closed(early) || c.Err() != nil {
		t.Fatal("Done closed before the deadline")
	}
	select {
	case <-early:
	case <-time.After(5 * time.Second):
		t.Fatal("the Done channel asked for before expiry was never closed")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err = %v after expiry", c.Err())
	}
	c.end()

	c.begin(context.Background(), nil, 10*time.Millisecond)
	for c.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	if !closed(c.Done()) {
		t.Fatal("Done asked for after expiry is not closed")
	}
	c.end()

	c.begin(context.Background(), nil, time.Hour)
	if closed(c.Done()) || c.Err() != nil {
		t.Fatal("a new call starts expired")
	}
	c.end()
}
