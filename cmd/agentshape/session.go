package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape"
	"github.com/agentshape/agentshape/host/agentapi"
)

// newSessionCmd groups the calls on a started session: send and end.
func (c *cli) newSessionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "Send a message to, or end, a session started with start",
		Long: `session sends messages to a running Agent API session and ends it. It needs an org, or a
stand-alone "agentshape emulator", named by SF_MY_DOMAIN, SF_CLIENT_ID and SF_CLIENT_SECRET
(+ SF_API_BASE_URL, SF_TOKEN_URL), as start does; the embedded emulator of start lives only as long
as that command.

Exit codes: 0 the API answered 200; 2 bad flags or no org configured; 4 the API answered with an
exception; 5 the API could not be reached.`,
		// A mistyped sub-command is an error (exit 2), not this help.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(c.newSessionSendCmd(), c.newSessionEndCmd())
	return cmd
}

// sessionClient builds a client for the org named by the SF_* variables.
func (c *cli) sessionClient() (*agentapi.Client, error) {
	org, err := agentshape.OrgFromGetenv(c.getenv)
	if err != nil {
		return nil, err
	}
	if org == nil {
		return nil, fmt.Errorf("set %s, %s and %s (and %s/%s for a stand-alone emulator): session commands need a running org or emulator",
			envMyDomain, envClientID, envClientSecret, envAPIBaseURL, envTokenURL)
	}
	return agentapi.New(agentapi.Config{MyDomain: org.MyDomain, ClientID: org.ClientID, ClientSecret: org.ClientSecret,
		APIBaseURL: org.APIBaseURL, TokenURL: org.TokenURL, Logger: c.logger})
}

func (c *cli) newSessionSendCmd() *cobra.Command {
	var (
		sessionID, text, msgType, inReplyTo, reply, reason, description, details string
		seq                                                                      int64
		stream                                                                   bool
	)
	cmd := &cobra.Command{
		Use:   "send --session-id ID (--text TEXT | --type TYPE ...) [--in-reply-to ID] [--sequence N] [--stream]",
		Short: "Send one message; print the agent's answer (with --stream, each event as it arrives)",
		Long: `send posts one message to the session (agent-api.md §1) and prints the outcome as JSON. The message
is a Text message with --text, or any documented type with --type (agent-api.md §13):
  --type Text --text T [--in-reply-to ID]
  --type Reply --in-reply-to ID --reply '[{"type":"Order","property":"orderNumber","value":"00001234"}]'
  --type Cancel --in-reply-to ID
  --type TransferFailed --in-reply-to ID --reason NoAgentAvailable|Error [--description D]
  --type TransferSucceeded --in-reply-to ID
  --type PlanTemplate --in-reply-to ID --details '{"planId":"…","intent":"…","userUtterance":"…","variables":{}}'
With --stream every event is printed as it arrives; a ValidationFailureChunk withdraws the text chunks
streamed before it (agent-api.md §12), and its line says how many with "withdraws": N.
With --stream it uses the streaming endpoint and prints every server-sent event as one JSON line
({"event": TYPE, "data": {...}}) as soon as it arrives, then the outcome on the last line.
The message's sequenceId must increase within a session (agent-api.md §1). Without --sequence,
send uses one more than the last sequenceId it sent to this session from this machine (1 for the
first), remembered in <user cache dir>/agentshape/sessions (one small file per session holding that
number; "session end" removes it); stderr says which it used. --sequence N sends N and remembers it:
use it when another machine or tool also sends to the session.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.sessionClient()
			if err != nil {
				return withCode(exitUsage, err)
			}
			defer client.Close()
			sequenceID, err := c.nextSequence(sessionID, seq, cmd.Flags().Changed("sequence"))
			if err != nil {
				return withCode(exitUsage, err)
			}
			m := agentapi.RequestMessage{Type: msgType, SequenceID: sequenceID, Text: text, InReplyToMessageID: inReplyTo,
				Reason: reason, Description: description, Details: json.RawMessage(details)}
			if reply != "" {
				if err := json.Unmarshal([]byte(reply), &m.Reply); err != nil {
					return withCode(exitUsage, fmt.Errorf("--reply: %w; give a JSON list such as [{\"type\":\"Order\",\"property\":\"orderNumber\",\"value\":\"00001234\"}]", err))
				}
			}
			if msgType == agentapi.MessageText && !cmd.Flags().Changed("text") {
				return withCode(exitUsage, fmt.Errorf("a Text message needs --text"))
			}
			body, err := agentapi.MessageBody(m)
			if err != nil {
				return withCode(exitUsage, err)
			}
			out := cmd.OutOrStdout()
			var o *agentapi.Outcome
			if stream {
				enc := json.NewEncoder(out)
				o, err = client.SendMessageStream(cmd.Context(), sessionID, body, func(e agentapi.StreamEvent) error {
					return enc.Encode(struct {
						Event     string          `json:"event"`
						Data      json.RawMessage `json:"data"`
						Withdraws int             `json:"withdraws,omitempty"`
					}{e.Type, e.Data, e.Withdraws})
				})
				if o != nil {
					o.Messages = nil // already printed event by event
					if werr := enc.Encode(o); werr != nil {
						return withCode(exitFailure, werr)
					}
				}
			} else {
				o, err = client.SendMessage(cmd.Context(), sessionID, body)
				if o != nil {
					if werr := writeJSON(out, o); werr != nil {
						return withCode(exitFailure, werr)
					}
				}
			}
			if o == nil && err != nil {
				return withCode(exitUsage, err)
			}
			return withCode(outcomeCode(err), err)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sessionID, "session-id", "", "the sessionId printed by start")
	f.StringVar(&text, "text", "", "the message text (a Text message)")
	f.StringVar(&msgType, "type", agentapi.MessageText, "message type: Text, Reply, Cancel, TransferFailed, TransferSucceeded or PlanTemplate")
	f.StringVar(&inReplyTo, "in-reply-to", "", "the id of the agent's message this one answers (inReplyToMessageId)")
	f.StringVar(&reply, "reply", "", "Reply: a JSON list of {type, property, value}")
	f.StringVar(&reason, "reason", "", "TransferFailed: NoAgentAvailable or Error")
	f.StringVar(&description, "description", "", "TransferFailed: what went wrong")
	f.StringVar(&details, "details", "", "PlanTemplate: a JSON object {planId, intent, userUtterance, variables}")
	f.Int64Var(&seq, "sequence", 0, "message sequenceId, increasing within the session (default: one more than the last sent from this machine, 1 for the first)")
	f.BoolVar(&stream, "stream", false, "use the streaming endpoint and print events as they arrive")
	_ = cmd.MarkFlagRequired("session-id")
	return cmd
}

func (c *cli) newSessionEndCmd() *cobra.Command {
	var sessionID, reason string
	cmd := &cobra.Command{
		Use:   "end --session-id ID [--reason UserRequest]",
		Short: "End a session (x-session-end-reason) and print the outcome",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.sessionClient()
			if err != nil {
				return withCode(exitUsage, err)
			}
			defer client.Close()
			o, err := client.EndSession(cmd.Context(), sessionID, agentapi.EndReason(reason))
			if o == nil {
				return withCode(exitUsage, err)
			}
			c.forgetSequence(sessionID)
			if werr := writeJSON(cmd.OutOrStdout(), o); werr != nil {
				return withCode(exitFailure, werr)
			}
			return withCode(outcomeCode(err), err)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sessionID, "session-id", "", "the sessionId printed by start")
	f.StringVar(&reason, "reason", string(agentapi.EndUserRequest), "end reason: UserRequest, Transfer, Expiration, Error or Other")
	_ = cmd.MarkFlagRequired("session-id")
	return cmd
}

// nextSequence returns the sequenceId to send to the session and remembers
// it before it is sent (a message that may have reached the API must not
// have its number reused; gaps are tolerated): the --sequence value when
// given, else one more than the last one remembered.
func (c *cli) nextSequence(sessionID string, flagValue int64, flagSet bool) (int64, error) {
	store, storeErr := userSequenceStore(c.getenv)
	if flagSet {
		if flagValue < 1 {
			return 0, fmt.Errorf("--sequence %d: must be 1 or more, and increase within the session", flagValue)
		}
		if storeErr == nil {
			storeErr = store.record(sessionID, flagValue)
		}
		if storeErr != nil {
			c.logger.Warn("the next send without --sequence will not know this sequenceId", "err", storeErr)
		}
		return flagValue, nil
	}
	if storeErr != nil {
		return 0, storeErr
	}
	last, err := store.last(sessionID)
	if err != nil {
		return 0, err
	}
	next := last + 1
	if err := store.record(sessionID, next); err != nil {
		return 0, fmt.Errorf("%w: pass --sequence %d to send without remembering it", err, next)
	}
	if last == 0 {
		fmt.Fprintf(c.stderr, "agentshape: sequenceId 1: the first message from this machine to session %s (--sequence sets it)\n", sessionID)
	} else {
		fmt.Fprintf(c.stderr, "agentshape: sequenceId %d: one more than the last this machine sent to session %s (--sequence sets it)\n", next, sessionID)
	}
	return next, nil
}

// forgetSequence drops what nextSequence remembered of an ended session.
func (c *cli) forgetSequence(sessionID string) {
	store, err := userSequenceStore(c.getenv)
	if err == nil {
		err = store.forget(sessionID)
	}
	if err != nil {
		c.logger.Debug("could not remove the session's sequenceId state", "err", err)
	}
}
