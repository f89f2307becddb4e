package emulator_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/emulator"
)

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	event string
	data  map[string]any
}

// readEvent reads one "event:/data:" block terminated by a blank line.
func readEvent(t *testing.T, br *bufio.Reader) (sseEvent, bool) {
	t.Helper()
	var ev sseEvent
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return ev, false
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			return ev, true
		case strings.HasPrefix(line, "event: "):
			ev.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data); err != nil {
				t.Fatalf("data is not JSON: %v: %q", err, line)
			}
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
}

func streamReq(t *testing.T, ctx context.Context, u, tok, body string, accept string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(body))
	for k, v := range authJSON(tok) {
		req.Header.Set(k, v)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// agent-api.md §1: the streaming endpoint sends TEXT_CHUNK events, then
// INFORM, then END_OF_TURN, each data carrying timestamp, originEventId,
// traceId, offset and message.
func TestStreamFraming(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/messages/stream"
	resp := streamReq(t, context.Background(), u, tok, sendBody(1, "track my parcel"), "text/event-stream")
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d content-type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	var events []sseEvent
	for {
		ev, ok := readEvent(t, br)
		if !ok {
			break
		}
		events = append(events, ev)
	}
	var names []string
	text := ""
	for _, ev := range events {
		names = append(names, ev.event)
		for _, k := range []string{"timestamp", "originEventId", "traceId", "offset", "message"} {
			if _, ok := ev.data[k]; !ok {
				t.Errorf("%s data lacks %s: %v", ev.event, k, ev.data)
			}
		}
		if ev.event == "TEXT_CHUNK" {
			m := ev.data["message"].(map[string]any)
			if m["type"] != "TextChunk" {
				t.Errorf("chunk message type %v", m["type"])
			}
			if int(ev.data["offset"].(float64)) != len(text) {
				t.Errorf("offset %v, want %d", ev.data["offset"], len(text))
			}
			text += m["message"].(string)
		}
	}
	want := "TEXT_CHUNK,TEXT_CHUNK,TEXT_CHUNK,TEXT_CHUNK,TEXT_CHUNK,INFORM,END_OF_TURN" // "You said: track my parcel"
	if strings.Join(names, ",") != want {
		t.Fatalf("events %v, want %s", names, want)
	}
	inform := events[len(events)-2].data["message"].(map[string]any)
	if inform["type"] != "Inform" || inform["message"] != text || text != "You said: track my parcel" {
		t.Errorf("inform %v, chunks %q", inform, text)
	}
	if events[len(events)-1].data["message"].(map[string]any)["type"] != "EndOfTurn" {
		t.Error("last event is not EndOfTurn")
	}
}

// agent-api.md §1: Accept: text/event-stream is required.
func TestStreamNeedsAccept(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/messages/stream"
	wantError(t, do(t, "POST", u, sendBody(1, "x"), authJSON(tok)), 400, "BadRequestError", "Accept: text/event-stream")
	h := authJSON(tok)
	h["Accept"] = "application/json, text/event-stream;q=0.9"
	if r := do(t, "POST", u, sendBody(1, "x"), h); r.status != 200 {
		t.Errorf("list with text/event-stream: %d %s", r.status, r.body)
	}
}

// Events are delivered as they are produced: with an hour between chunks,
// the first chunk still arrives (it could not if the answer were buffered),
// and cancelling the stream frees the session.
func TestStreamDeliversIncrementally(t *testing.T) {
	srv := start(t, nil)
	if err := srv.UpdateOrg(func(o *emulator.Org) error { o.Agents[0].StreamChunkDelay = emulator.Duration(time.Hour); return nil }); err != nil {
		t.Fatal(err)
	}
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/messages/stream"
	ctx, cancel := context.WithCancel(context.Background())
	resp := streamReq(t, ctx, u, tok, sendBody(1, "hello there"), "text/event-stream")
	ev, ok := readEvent(t, bufio.NewReader(resp.Body))
	if !ok || ev.event != "TEXT_CHUNK" || ev.data["message"].(map[string]any)["message"] != "You " {
		t.Fatalf("first event %+v ok=%v", ev, ok)
	}
	cancel()
	resp.Body.Close()
	for i := 0; srv.Sessions()[0].Busy; i++ {
		if i > 2000 {
			t.Fatal("the cancelled stream still holds the session")
		}
		time.Sleep(time.Millisecond)
	}
}
