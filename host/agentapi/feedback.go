package agentapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// OpSubmitFeedback names Submit Feedback in errors and logs.
const OpSubmitFeedback = "submit feedback"

// FeedbackRating is the feedback of a FeedbackMessage (FeedbackRating, agent-api.md §1).
type FeedbackRating string

// The documented ratings: thumbs up and thumbs down.
const (
	FeedbackGood FeedbackRating = "GOOD"
	FeedbackBad  FeedbackRating = "BAD"
)

// FeedbackMessage builds a Submit Feedback body (FeedbackMessage, agent-api.md §1): feedbackID is
// the feedbackId of the agent message the feedback is about; text is left out when empty.
func FeedbackMessage(feedbackID string, rating FeedbackRating, text string) json.RawMessage {
	m := map[string]any{"feedbackId": feedbackID, "feedback": rating}
	if text != "" {
		m["text"] = text
	}
	b, _ := json.Marshal(m)
	return b
}

// SubmitFeedback sends feedback on an agent message of a session (POST
// /sessions/{sessionId}/feedback, agent-api.md §1), e.g. FeedbackMessage(id, FeedbackGood, "").
// The documented success is 202 with no body; it takes the "200" output (the Flow action's
// success output, agent-api.md §6; agentshape's mapping). Like Send Message it is repeated after
// 423, 429 and 503 only with RetryPolicy.RetryUnsafe (agent-api.md §10).
func (c *Client) SubmitFeedback(ctx context.Context, sessionID string, body json.RawMessage) (*Outcome, error) {
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	if err := jsonObject("Submit Feedback body", body); err != nil {
		return nil, fmt.Errorf("%w (build it with FeedbackMessage)", err)
	}
	return c.do(ctx, request{
		op: OpSubmitFeedback, method: http.MethodPost,
		path:    "/sessions/" + url.PathEscape(sessionID) + "/feedback",
		body:    body,
		accept:  "application/json",
		success: http.StatusAccepted,
	})
}
