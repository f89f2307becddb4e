package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/host/emulator"
)

func (c *cli) newEmulatorCmd() *cobra.Command {
	var (
		addr, orgPath        string
		allowRemote, noAdmin bool
		printOrg             bool
	)
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run the Agent API emulator (token endpoint + Agent API + admin API) on a loopback port",
		Long: `emulator serves, on one loopback HTTP server:
  POST /services/oauth2/token                                  OAuth client credentials
  /einstein/ai-agent/v1/agents/{id}/sessions, /sessions/{sid}…  the Agent API (start, send, stream, end, feedback)
  /__admin/…                                                    state, reset, org, faults, sessions, tokens
  POST /__admin/provider-states                                 Pact provider states (a verifier's --state-change-url)

Without --org it emulates the built-in demo org: My Domain https://example-co.my.salesforce.com,
agent 0XxAA0000000001AAA (active service agent), client app agentshape-demo / demo-secret.
--print-org writes that org as YAML, a starting point for your own org file.
The admin API is on unless --no-admin; with it the emulator sets up every provider state of
agentshape's pact, so the standard Pact verifier runs against it with --state-change-url.
It refuses non-loopback addresses unless --allow-remote is given. Stop it with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			org := emulator.DefaultOrg()
			if orgPath != "" {
				var err error
				if org, err = emulator.LoadOrg(orgPath); err != nil {
					return withCode(exitUsage, err)
				}
			}
			if printOrg {
				b, err := org.YAML()
				if err != nil {
					return withCode(exitUsage, fmt.Errorf("print org: %w", err))
				}
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := emulator.Start(ctx, emulator.Options{Addr: addr, Org: org, Logger: c.logger,
				AllowRemote: allowRemote, DisableAdmin: noAdmin})
			if err != nil {
				return withCode(exitUsage, err)
			}
			o := srv.Org()
			fmt.Fprintf(cmd.OutOrStdout(), "agentshape emulator listening on %s\n", srv.URL)
			fmt.Fprintf(cmd.OutOrStdout(), "  token endpoint: %s%s\n", srv.URL, emulator.TokenPath)
			fmt.Fprintf(cmd.OutOrStdout(), "  Agent API:      %s%s\n", srv.URL, emulator.APIPrefix)
			if !noAdmin {
				fmt.Fprintf(cmd.OutOrStdout(), "  admin API:      %s/__admin/state\n", srv.URL)
				fmt.Fprintf(cmd.OutOrStdout(), "  Pact provider states (--state-change-url): %s%s\n", srv.URL, emulator.ProviderStatesPath)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "  org My Domain (instanceConfig.endpoint): %s\n", o.MyDomain)
			<-srv.Done()
			if err := srv.Close(); err != nil && !errors.Is(err, context.Canceled) {
				return withCode(exitFailure, fmt.Errorf("emulator: %w", err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8089", "listen address (loopback only unless --allow-remote)")
	cmd.Flags().StringVar(&orgPath, "org", "", "org file (YAML or JSON, schema emulator-org); default: the built-in demo org")
	cmd.Flags().BoolVar(&allowRemote, "allow-remote", false, "allow a non-loopback listen address")
	cmd.Flags().BoolVar(&noAdmin, "no-admin", false, "disable the /__admin endpoints (admin API and Pact provider states)")
	cmd.Flags().BoolVar(&printOrg, "print-org", false, "print the org (built-in or --org) as YAML and exit")
	return cmd
}
