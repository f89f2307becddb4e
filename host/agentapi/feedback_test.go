package agentapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

// Submit Feedback (agent-api.md §1) against the emulator: 202 is the "200" output; a session that
// is gone is the 404 Exception; a body without feedbackId is the emulator's 400; a body that is
// not a JSON object is refused before anything is sent.
func TestSubmitFeedbackAgainstEmulator(t *testing.T) {
	srv := startEmulator(t, nil)
	c := emuClient(t, srv, nil)
	ctx := context.Background()
	started, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
	if err != nil {
		t.Fatal(err)
	}
	sid := started.Session.SessionID
	feedbackID := started.Session.Messages[0].ID

	out, err := c.SubmitFeedback(ctx, sid, agentapi.FeedbackMessage(feedbackID, agentapi.FeedbackGood, "Helpful."))
	if err != nil || out.Output != agentapi.OutputOK || out.ResponseCode != 202 || out.Attempts != 1 {
		t.Fatalf("SubmitFeedback = %+v, %v; want the 200 output with response code 202", out, err)
	}

	out, err = c.SubmitFeedback(ctx, sid, json.RawMessage(`{"feedback":"BAD"}`))
	var apiErr *agentapi.APIError
	if !errors.As(err, &apiErr) || out.Output != agentapi.Output400 {
		t.Errorf("feedback without feedbackId: %+v, %v; want the 400 Exception", out, err)
	}

	if _, err := c.EndSession(ctx, sid, agentapi.EndUserRequest); err != nil {
		t.Fatal(err)
	}
	out, err = c.SubmitFeedback(ctx, sid, agentapi.FeedbackMessage(feedbackID, agentapi.FeedbackBad, ""))
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || out.Output != agentapi.Output404 {
		t.Errorf("feedback on an ended session: %+v, %v; want the 404 Exception", out, err)
	}

	if out, err := c.SubmitFeedback(ctx, sid, json.RawMessage(`["GOOD"]`)); out != nil || !errors.Is(err, agentapi.ErrInvalidArgument) {
		t.Errorf("non-object body: %+v, %v; want ErrInvalidArgument before any request", out, err)
	}
}

// FeedbackMessage writes the documented FeedbackMessage: feedbackId and feedback, text only when given.
func TestFeedbackMessage(t *testing.T) {
	for _, c := range []struct {
		text, want string
	}{
		{"", `{"feedback":"GOOD","feedbackId":"f1"}`},
		{"Great", `{"feedback":"GOOD","feedbackId":"f1","text":"Great"}`},
	} {
		if got := string(agentapi.FeedbackMessage("f1", agentapi.FeedbackGood, c.text)); got != c.want {
			t.Errorf("FeedbackMessage(text %q) = %s, want %s", c.text, got, c.want)
		}
	}
}
