package sse_test

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/internal/sse"
)

func collect(t *testing.T, stream string, max int) ([]sse.Event, error) {
	t.Helper()
	var evs []sse.Event
	err := sse.Read(strings.NewReader(stream), max, func(e sse.Event) error {
		evs = append(evs, e)
		return nil
	})
	return evs, err
}

func TestFraming(t *testing.T) {
	stream := "\xEF\xBB\xBF: comment\r\n" +
		"event: TEXT_CHUNK\r\nid: 1\r\ndata: {\"a\":1}\r\n\r\n" + // CRLF
		"event: INFORM\rdata: line1\rdata: line2\r\r" + // CR only
		"data:no-space\nretry: 1500\n\n" + // default type, no space after colon
		"event: EMPTY\n\n" + // no data: not dispatched
		"event: END_OF_TURN\ndata: {}\n\n" +
		"event: CUT\ndata: {\"never\":true}\n" // stream ends mid-event: discarded
	evs, err := collect(t, stream, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []sse.Event{
		{Type: "TEXT_CHUNK", ID: "1", Data: []byte(`{"a":1}`)},
		{Type: "INFORM", ID: "1", Data: []byte("line1\nline2")},
		{Type: "message", ID: "1", Data: []byte("no-space"), Retry: 1500},
		{Type: "END_OF_TURN", ID: "1", Data: []byte("{}")},
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d events %+v, want %d", len(evs), evs, len(want))
	}
	for i := range want {
		if evs[i].Type != want[i].Type || evs[i].ID != want[i].ID || string(evs[i].Data) != string(want[i].Data) || evs[i].Retry != want[i].Retry {
			t.Errorf("event %d = %+v (data %q), want %+v (data %q)", i, evs[i], evs[i].Data, want[i], want[i].Data)
		}
	}
}

func TestEventTooLarge(t *testing.T) {
	big := "event: X\ndata: " + strings.Repeat("x", 100) + "\n\n"
	_, err := collect(t, big, 64)
	if !errors.Is(err, sse.ErrEventTooLarge) || !strings.Contains(err.Error(), "event 1") {
		t.Fatalf("error = %v, want ErrEventTooLarge naming the event", err)
	}
	// Many small lines add up to the limit too.
	many := "event: X\n" + strings.Repeat("data: 0123456789\n", 10) + "\n"
	if _, err := collect(t, many, 64); !errors.Is(err, sse.ErrEventTooLarge) {
		t.Fatalf("error = %v, want ErrEventTooLarge for one event of many lines", err)
	}
	// The limit is per event: many small events pass.
	if evs, err := collect(t, strings.Repeat("data: 0123456789\n\n", 100), 64); err != nil || len(evs) != 100 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
}

func TestHandlerStopsReading(t *testing.T) {
	n := 0
	err := sse.Read(strings.NewReader("data: 1\n\ndata: 2\n\n"), 0, func(sse.Event) error { n++; return sse.ErrStop })
	if err != nil || n != 1 {
		t.Fatalf("ErrStop: err %v after %d events", err, n)
	}
	boom := errors.New("boom")
	err = sse.Read(strings.NewReader("data: 1\n\ndata: 2\n\n"), 0, func(sse.Event) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("handler error not returned: %v", err)
	}
}

// Events are delivered as soon as their blank line arrives, before the
// stream ends.
func TestDeliveredAsTheyArrive(t *testing.T) {
	pr, pw := io.Pipe()
	got := make(chan string)
	done := make(chan error)
	go func() {
		done <- sse.Read(pr, 0, func(e sse.Event) error { got <- string(e.Data); return nil })
	}()
	for _, d := range []string{"one", "two", "three"} {
		if _, err := io.WriteString(pw, "data: "+d+"\n\n"); err != nil {
			t.Fatal(err)
		}
		select {
		case g := <-got:
			if g != d {
				t.Fatalf("got %q, want %q", g, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %q not delivered while the stream is still open", d)
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestReadError(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, "data: x\n")
		pw.CloseWithError(errors.New("connection reset"))
	}()
	err := sse.Read(pr, 0, func(sse.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("error = %v, want the read error", err)
	}
}

// reference is a slow, obviously-correct parser to compare Read against.
func reference(in string) []sse.Event {
	in = strings.TrimPrefix(in, "\xEF\xBB\xBF")
	in = strings.ReplaceAll(in, "\r\n", "\n")
	in = strings.ReplaceAll(in, "\r", "\n")
	lines := strings.Split(in, "\n")
	lines = lines[:len(lines)-1] // the last piece has no terminator
	var out []sse.Event
	var typ, id, data string
	has, retry := false, 0
	for _, l := range lines {
		if l == "" {
			if has {
				if typ == "" {
					typ = "message"
				}
				out = append(out, sse.Event{Type: typ, ID: id, Data: []byte(data), Retry: retry})
			}
			typ, data, has, retry = "", "", false, 0
			continue
		}
		if l[0] == ':' {
			continue
		}
		f, v, _ := strings.Cut(l, ":")
		v = strings.TrimPrefix(v, " ")
		switch f {
		case "event":
			typ = v
		case "data":
			if has {
				data += "\n"
			}
			data += v
			has = true
		case "id":
			if !strings.Contains(v, "\x00") {
				id = v
			}
		case "retry":
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				retry = n
			}
		}
	}
	return out
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("event: A\ndata: {}\n\n"), 64)
	f.Add([]byte("\r\r\n\n:x\ndata\ndata:\n\n"), 8)
	f.Add([]byte("data: a\r\ndata: b\r\rretry: 7\nid: 9\n\n"), 1<<10)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max < 1 || max > 1<<16 {
			max = 1 << 10
		}
		var got []sse.Event
		err := sse.Read(strings.NewReader(string(b)), max, func(e sse.Event) error {
			if len(e.Data) > max {
				t.Fatalf("event data %d bytes over the %d limit", len(e.Data), max)
			}
			got = append(got, e)
			return nil
		})
		if err != nil {
			return // over the limit: the reference has no limit
		}
		want := reference(string(b))
		if len(got) != len(want) {
			t.Fatalf("%d events, reference %d\ngot  %+v\nwant %+v", len(got), len(want), got, want)
		}
		for i := range want {
			if got[i].Type != want[i].Type || got[i].ID != want[i].ID || string(got[i].Data) != string(want[i].Data) || got[i].Retry != want[i].Retry {
				t.Fatalf("event %d = %+v, reference %+v", i, got[i], want[i])
			}
		}
	})
}
