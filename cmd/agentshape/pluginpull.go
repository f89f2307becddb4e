package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/host/ociplugin"
)

func (c *cli) newPluginPullCmd() *cobra.Command {
	var (
		rf     registryFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "pull REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]",
		Short: "Fetch a plugin from an OCI registry into the plugin cache; print how a manifest pins it",
		Long: `pull fetches a plugin published with "plugin push" into the plugin cache (<user cache dir>/agentshape/oci,
or --plugin-cache), so that pipelines naming it by digest run without the network (also with
--offline), and prints the manifest lines that pin it:

  path: oci://REGISTRY/REPOSITORY:TAG@sha256:DIGEST
  sha256: <the module's sha256>

A tag is resolved to the digest it points at now. The manifest is checked to be a WebAssembly
plugin artifact within the size limits before the module is fetched, and both are verified
against their digests before they are cached; nothing is cached from a failed pull.
With -o the module is also written to a file.

Exit codes: 0 pulled; 1 the registry failed or the artifact was refused; 2 bad flags or a
malformed reference.`,
		Example: `  agentshape plugin pull ghcr.io/acme/agentshape/endpoint:1.4.0
  agentshape plugin pull oci://ghcr.io/acme/agentshape/endpoint@sha256:… -o endpoint.wasm`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := rf.client(c.logger)
			if err != nil {
				return err
			}
			m, err := client.Pull(cmd.Context(), args[0], ociplugin.PullOptions{AllowTag: true})
			if err != nil {
				return withCode(registryCode(err), err)
			}
			if output != "" {
				bin, err := m.Read()
				if err != nil {
					return withCode(exitFailure, err)
				}
				if err := writeFile(output, func(w io.Writer) error { _, err := w.Write(bin); return err }); err != nil {
					return withCode(exitFailure, fmt.Errorf("-o: %w", err))
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "path: %s\nsha256: %s\n", m.Ref.URI(), m.SHA256)
			from := "pulled into"
			if m.Cached {
				from = "already in"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "agentshape: %s (%d bytes) %s the plugin cache: %s\n", m.Ref.Name(), m.Size, from, m.Path)
			return nil
		},
	}
	rf.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&output, "output", "o", "", "also write the module to this file")
	return cmd
}
