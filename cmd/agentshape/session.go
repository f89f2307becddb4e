package main

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/host/agentapi"
)

func init() { register(newSessionCmd) }

// newSessionCmd groups the calls on a started session: send and end.
func newSessionCmd() *cobra.Command {
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
	cmd.AddCommand(newSessionSendCmd(), newSessionEndCmd())
	return cmd
}

// sessionClient builds a client for the org named by the SF_* environment.
func sessionClient() (*agentapi.Client, error) {
	cfg, embedded, err := startTarget()
	if err != nil {
		return nil, err
	}
	if embedded {
		return nil, fmt.Errorf("set %s, %s and %s (and %s/%s for a stand-alone emulator): session commands need a running org or emulator",
			envMyDomain, envClientID, envClientSecret, envAPIBaseURL, envTokenURL)
	}
	cfg.Logger = slog.Default()
	return agentapi.New(cfg)
}

func newSessionSendCmd() *cobra.Command {
	var (
		sessionID, text string
		seq             int64
		stream          bool
	)
	cmd := &cobra.Command{
		Use:   "send --session-id ID --text TEXT [--sequence N] [--stream]",
		Short: "Send one text message; print the agent's answer (with --stream, each event as it arrives)",
		Long: `send posts one Text message to the session (agent-api.md §1) and prints the outcome as JSON.
With --stream it uses the streaming endpoint and prints every server-sent event as one JSON line
({"event": TYPE, "data": {...}}) as soon as it arrives, then the outcome on the last line.
--sequence must increase within a session.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := sessionClient()
			if err != nil {
				return withCode(exitUsage, err)
			}
			defer c.Close()
			body := agentapi.TextMessage(seq, text)
			out := cmd.OutOrStdout()
			var o *agentapi.Outcome
			if stream {
				enc := json.NewEncoder(out)
				o, err = c.SendMessageStream(cmd.Context(), sessionID, body, func(e agentapi.StreamEvent) error {
					return enc.Encode(struct {
						Event string          `json:"event"`
						Data  json.RawMessage `json:"data"`
					}{e.Type, e.Data})
				})
				if o != nil {
					o.Messages = nil // already printed event by event
					if werr := enc.Encode(o); werr != nil {
						return withCode(exitFailure, werr)
					}
				}
			} else {
				o, err = c.SendMessage(cmd.Context(), sessionID, body)
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
	f.StringVar(&text, "text", "", "the message text")
	f.Int64Var(&seq, "sequence", 1, "message sequenceId (must increase within the session)")
	f.BoolVar(&stream, "stream", false, "use the streaming endpoint and print events as they arrive")
	_ = cmd.MarkFlagRequired("session-id")
	_ = cmd.MarkFlagRequired("text")
	return cmd
}

func newSessionEndCmd() *cobra.Command {
	var sessionID, reason string
	cmd := &cobra.Command{
		Use:   "end --session-id ID [--reason UserRequest]",
		Short: "End a session (x-session-end-reason) and print the outcome",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := sessionClient()
			if err != nil {
				return withCode(exitUsage, err)
			}
			defer c.Close()
			o, err := c.EndSession(cmd.Context(), sessionID, agentapi.EndReason(reason))
			if o == nil {
				return withCode(exitUsage, err)
			}
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
