package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

func (w *world) clientSteps(sc *godog.ScenarioContext) {
	sc.Step(`^a valid Start Session request body$`, func() {
		w.body = []byte(fmt.Sprintf(`{"externalSessionKey":"5b0e6f1c-8d2a-4c3b-9e7f-1a2b3c4d5e6f","instanceConfig":{"endpoint":%q}}`, w.ensureOrg().MyDomain))
	})
	sc.Step(`^the Agent API answers "(\d+)" to the next (\d+) requests$`, func(status, count int) error { return w.fault(status, count) })
	sc.Step(`^the Agent API answers "(\d+)" with Retry-After "([^"]*)" to the next (\d+) requests$`, func(status int, after string, count int) error {
		return w.addFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: status, RetryAfter: after, Count: count})
	})
	sc.Step(`^the Agent API creates the session, then answers "(\d+)" to the next (\d+) requests$`, func(status, count int) error {
		return w.addFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: status, Count: count, AfterProcessing: true})
	})
	sc.Step(`^the Agent API answers "(\d+)" to the next (\d+) End Session requests$`, func(status, count int) error {
		return w.addFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpEnd}, Status: status, Count: count})
	})
	sc.Step(`^the caller accepts that a repeated Start Session may start a second session$`, func() { w.retryUnsafe = true })
	sc.Step(`^the client starts a session for agent "([^"]*)" with up to (\d+) attempts$`, func(agent string, attempts int) error {
		return w.startSession(agent, w.body, attempts)
	})
	sc.Step(`^the client starts a session for agent "([^"]*)"$`, func(agent string) error {
		if w.body == nil {
			w.body = []byte(fmt.Sprintf(`{"externalSessionKey":"5b0e6f1c-8d2a-4c3b-9e7f-1a2b3c4d5e6f","instanceConfig":{"endpoint":%q}}`, w.ensureOrg().MyDomain))
		}
		return w.startSession(agent, w.body, 1)
	})
	sc.Step(`^the client sends the Start Session body:$`, func(doc *godog.DocString) error {
		return w.startSession("0XxAA0000000001AAA", []byte(doc.Content), 1)
	})
	sc.Step(`^the Agent API received (\d+) Start Session requests$`, func(n int) error {
		if w.rec == nil {
			return errors.New("the emulator never ran")
		}
		if got := len(w.rec.startBodies()); got != n {
			return fmt.Errorf("the Agent API received %d Start Session requests, want %d", got, n)
		}
		return nil
	})
	sc.Step(`^exactly one session was started$`, func() error { return w.sessionsStarted(1) })
	sc.Step(`^(\d+) sessions were started$`, w.sessionsStarted)
	sc.Step(`^the Agent API received (\d+) End Session requests$`, func(n int64) error {
		if got := w.handle.State().Requests["end"]; got != n {
			return fmt.Errorf("the Agent API received %d End Session requests, want %d", got, n)
		}
		return nil
	})
	sc.Step(`^the error body has the fields "([^"]*)"$`, func(list string) error {
		if w.outcome == nil || len(w.outcome.RawBody) == 0 {
			return fmt.Errorf("no JSON error body in %+v", w.outcome)
		}
		var m map[string]any
		if err := json.Unmarshal(w.outcome.RawBody, &m); err != nil {
			return err
		}
		for _, f := range strings.Split(list, ",") {
			if _, ok := m[strings.TrimSpace(f)]; !ok {
				return fmt.Errorf("the error body %s has no %q", w.outcome.RawBody, strings.TrimSpace(f))
			}
		}
		return nil
	})
	sc.Step(`^the error body's requestId matches the X-Request-ID header$`, func() error {
		var m struct{ RequestID string }
		_ = json.Unmarshal(w.outcome.RawBody, &m)
		if m.RequestID == "" || m.RequestID != w.outcome.RequestID {
			return fmt.Errorf("body requestId %q, X-Request-ID %q", m.RequestID, w.outcome.RequestID)
		}
		return nil
	})
	// session life cycle
	sc.Step(`^a started session with agent "([^"]*)"$`, func(agent string) error {
		body := []byte(fmt.Sprintf(`{"externalSessionKey":"7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f","instanceConfig":{"endpoint":%q}}`, w.ensureOrg().MyDomain))
		if err := w.startSession(agent, body, 1); err != nil {
			return err
		}
		if w.sessionID == "" {
			return fmt.Errorf("no session started: %+v", w.outcome)
		}
		return nil
	})
	sc.Step(`^the user sends the message "([^"]*)"$`, func(text string) error {
		c, err := w.client(1)
		if err != nil {
			return err
		}
		out, err := c.SendMessage(w.ctx, w.sessionID, agentapi.TextMessage(1, text))
		return w.keep(out, err)
	})
	sc.Step(`^the agent answers with at least one message$`, func() error {
		if w.outcome == nil || w.outcome.Messages == nil || len(w.outcome.Messages.Messages) == 0 {
			return fmt.Errorf("no messages in %+v", w.outcome)
		}
		return nil
	})
	sc.Step(`^the user sends the message "([^"]*)" as a stream$`, func(text string) error {
		c, err := w.client(1)
		if err != nil {
			return err
		}
		out, err := c.SendMessageStream(w.ctx, w.sessionID, agentapi.TextMessage(1, text), func(e agentapi.StreamEvent) error {
			w.stream = append(w.stream, e)
			return nil
		})
		return w.keep(out, err)
	})
	sc.Step(`^the agent streams:$`, func(table *godog.Table) error {
		rows, err := tableRows(table, "message", "text")
		if err != nil {
			return err
		}
		script := make([]emulator.StreamStep, 0, len(rows))
		for _, r := range rows {
			script = append(script, emulator.StreamStep{Type: r[0], Text: r[1]})
		}
		if w.handle == nil {
			return errors.New("no emulator is running: start a session first")
		}
		return w.handle.UpdateOrg(func(o *emulator.Org) error {
			for i := range o.Agents {
				o.Agents[i].StreamScript = script
			}
			return nil
		})
	})
	sc.Step(`^the events arrive in this order:$`, func(table *godog.Table) error {
		rows, err := tableRows(table, "event")
		if err != nil {
			return err
		}
		var got, want []string
		for _, e := range w.stream {
			got = append(got, e.Type)
		}
		for _, r := range rows {
			want = append(want, r[0])
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("the events arrived as %v, want %v", got, want)
		}
		return nil
	})
	sc.Step(`^the chat window shows "([^"]*)"$`, func(want string) error {
		var shown []string
		for _, e := range w.stream {
			switch {
			case e.Withdraws > 0:
				shown = shown[:len(shown)-e.Withdraws]
			case e.Message != nil && e.Message.Type == "TextChunk":
				shown = append(shown, e.Message.Message)
			}
		}
		if got := strings.Join(shown, ""); got != want {
			return fmt.Errorf("the chat window shows %q, want %q", got, want)
		}
		return nil
	})
	sc.Step(`^the user sends a "([^"]*)" message$`, func(typ string) error {
		c, err := w.client(1)
		if err != nil {
			return err
		}
		m := agentapi.RequestMessage{Type: typ, SequenceID: 1, InReplyToMessageID: "a1b2c3d4-0000-4000-8000-000000000001"}
		switch typ {
		case agentapi.MessageText:
			m.Text = "Where is my order?"
		case agentapi.MessageReply:
			m.Reply = []agentapi.ReplyValue{{Type: "Order", Property: "orderNumber", Value: "00001234"}}
		case agentapi.MessageTransferFailed:
			m.Reason, m.Description = "NoAgentAvailable", "Nobody is online."
		case agentapi.MessagePlanTemplate:
			m.Details = json.RawMessage(`{"planId":"p1","intent":"track an order","userUtterance":"track it","variables":{}}`)
		}
		body, err := agentapi.MessageBody(m)
		if err != nil {
			return err
		}
		out, err := c.SendMessage(w.ctx, w.sessionID, body)
		return w.keep(out, err)
	})
	sc.Step(`^the user sends the message "([^"]*)" with the variable "([^"]*)" of type "([^"]*)" written as (text|its JSON value): (.+)$`, func(text, name, typ, form, value string) error {
		c, err := w.client(1)
		if err != nil {
			return err
		}
		var v any = value
		if form == "its JSON value" {
			if err := json.Unmarshal([]byte(value), &v); err != nil {
				return fmt.Errorf("%q is not a JSON value: %w", value, err)
			}
		}
		body, err := json.Marshal(map[string]any{
			"message":   map[string]any{"type": "Text", "sequenceId": 1, "text": text},
			"variables": []map[string]any{{"name": name, "type": typ, "value": v}},
		})
		if err != nil {
			return err
		}
		out, err := c.SendMessage(w.ctx, w.sessionID, body)
		return w.keep(out, err)
	})
	sc.Step(`^the stream delivers at least one "([^"]*)" message$`, func(typ string) error {
		for _, e := range w.stream {
			if e.Message != nil && e.Message.Type == typ {
				return nil
			}
		}
		return fmt.Errorf("no %s message among %d events", typ, len(w.stream))
	})
	sc.Step(`^the stream ends with an "([^"]*)" message$`, func(typ string) error {
		if len(w.stream) == 0 {
			return errors.New("the stream delivered nothing")
		}
		last := w.stream[len(w.stream)-1]
		if last.Message == nil || last.Message.Type != typ {
			return fmt.Errorf("the last event is %s %s, want a %s message", last.Type, last.Data, typ)
		}
		return nil
	})
	sc.Step(`^the session is ended because "([^"]*)"$`, func(reason string) error { return w.endSession(reason, 1) })
	sc.Step(`^the session is ended because "([^"]*)" with up to (\d+) attempts$`, w.endSession)
	sc.Step(`^the end is acknowledged$`, func() error {
		if w.outcome == nil || !w.outcome.OK() || w.outcome.Messages == nil {
			return fmt.Errorf("end session: %+v", w.outcome)
		}
		for _, m := range w.outcome.Messages.Messages {
			if m.Type == "SessionEnded" {
				return nil
			}
		}
		return fmt.Errorf("no SessionEnded message in %+v", w.outcome.Messages.Messages)
	})
	sc.Step(`^the org revokes every access token$`, func() error {
		if w.handle == nil {
			return errors.New("the emulator is not running")
		}
		w.handle.RevokeTokens()
		return nil
	})
	sc.Step(`^the emulator issued (\d+) access tokens$`, func(n int64) error {
		if got := w.handle.State().TokensIssued; got != n {
			return fmt.Errorf("the emulator issued %d access tokens, want %d", got, n)
		}
		return nil
	})
	sc.Step(`^the agent takes a while to answer$`, func() error {
		return w.handle.UpdateOrg(func(o *emulator.Org) error {
			for i := range o.Agents {
				o.Agents[i].ReplyDelay = emulator.Duration(time.Second)
			}
			return nil
		})
	})
	sc.Step(`^the user sends two messages at once$`, func() error {
		c, err := w.client(1)
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		outs := make([]*agentapi.Outcome, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == 1 {
					time.Sleep(50 * time.Millisecond) // the first is in flight
				}
				outs[i], errs[i] = c.SendMessage(w.ctx, w.sessionID, agentapi.TextMessage(int64(i+1), "message"))
				if outs[i] == nil {
					outs[i] = agentapi.OutcomeOf(errs[i])
				}
			}()
		}
		wg.Wait()
		for i, o := range outs {
			if o == nil {
				return fmt.Errorf("message %d: %v", i+1, errs[i])
			}
		}
		w.outcomes = outs
		return nil
	})
	sc.Step(`^one message is answered$`, func() error { return w.countOutputs("200", 1) })
	sc.Step(`^the other takes the "([^"]*)" output$`, func(out string) error { return w.countOutputs(out, 1) })
}

func (w *world) countOutputs(output string, want int) error {
	n := 0
	var got []string
	for _, o := range w.outcomes {
		got = append(got, o.Output)
		if o.Output == output {
			n++
		}
	}
	if n != want {
		return fmt.Errorf("outputs %v: %d are %q, want %d", got, n, output, want)
	}
	return nil
}

// keep stores a call's outcome; an error without an outcome fails the step.
func (w *world) keep(out *agentapi.Outcome, err error) error {
	if out == nil {
		out = agentapi.OutcomeOf(err)
	}
	if out == nil {
		return err
	}
	w.outcome, w.callErr = out, err
	return nil
}

// sessionsStarted checks how many sessions the emulator created.
func (w *world) sessionsStarted(n int64) error {
	if got := w.handle.SessionsCreated(); got != n {
		return fmt.Errorf("%d sessions were started, want %d", got, n)
	}
	return nil
}

// endSession ends the scenario's session and keeps the outcome.
func (w *world) endSession(reason string, attempts int) error {
	c, err := w.client(attempts)
	if err != nil {
		return err
	}
	out, err := c.EndSession(w.ctx, w.sessionID, agentapi.EndReason(reason))
	return w.keep(out, err)
}
