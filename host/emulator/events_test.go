package emulator_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/schemas"
)

// messageRequest asks the emulator for a message the way the standard Pact verifier does.
func messageRequest(t *testing.T, srv *emulator.Server, event string) reply {
	t.Helper()
	body, err := json.Marshal(map[string]any{"description": "a streamed " + event + " event",
		"providerStates": []any{map[string]any{"name": emulator.StateStreamEvent, "params": map[string]any{"event": event}}}})
	if err != nil {
		t.Fatal(err)
	}
	return do(t, "POST", srv.URL+emulator.MessagePath, string(body), map[string]string{"Content-Type": "application/json"})
}

// The message producer answers every event kind with the data the streaming endpoint would send
// (agent-api.md §12): its metadata names the event, and {event, data} is a valid stream-event
// whose message is of the kind the name carries.
func TestMessageProducerAnswersEveryEvent(t *testing.T) {
	srv := start(t, nil)
	for _, event := range append(emulator.StreamEvents(), emulator.EventValidationFailureChunk) {
		t.Run(event, func(t *testing.T) {
			r := messageRequest(t, srv, event)
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %s %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			meta, err := base64.StdEncoding.DecodeString(r.header.Get("Pact-Message-Metadata"))
			if err != nil || string(meta) != `{"event":"`+event+`"}` {
				t.Errorf("Pact-Message-Metadata %q (%v), want the event name", meta, err)
			}
			ev, _ := json.Marshal(map[string]any{"event": event, "data": json.RawMessage(r.body)})
			mustValidate(t, schemas.StreamEvent, "produced event "+event, ev)
			var data struct {
				Timestamp int64 `json:"timestamp"`
				Message   struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"message"`
			}
			if err := json.Unmarshal(r.body, &data); err != nil || data.Timestamp < 1e12 || data.Message.ID == "" || data.Message.Type == "" {
				t.Errorf("data %s: want a millisecond timestamp and a message with id and type", r.body)
			}
		})
	}
}

// A message request must name a known event; without the admin API there is no producer.
func TestMessageProducerRefusals(t *testing.T) {
	srv := start(t, nil)
	if r := messageRequest(t, srv, "SHOUT"); r.status != 400 || !strings.Contains(r.json(t)["error"].(string), "params.event") {
		t.Errorf("unknown event: %d %s", r.status, r.body)
	}
	r := do(t, "POST", srv.URL+emulator.MessagePath, `{"description":"x","providerStates":[]}`, map[string]string{"Content-Type": "application/json"})
	if r.status != 400 {
		t.Errorf("no event named: %d %s", r.status, r.body)
	}
	off := start(t, nil, func(o *emulator.Options) { o.DisableAdmin = true })
	if r := messageRequest(t, off, emulator.EventInform); r.status != 404 {
		t.Errorf("message producer with the admin API off: %d %s, want 404", r.status, r.body)
	}
}
