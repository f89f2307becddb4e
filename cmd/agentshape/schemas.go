package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/schemas"
)

func newSchemasCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schemas",
		Short: "List or print the JSON Schemas embedded in agentshape",
		Long: `schemas prints the JSON Schemas (draft 2020-12) agentshape validates with, so that you can feed
them to your own tools. Schemas refer to each other by relative $ref under their $id base
(` + schemas.BaseURL + `); save them side by side to keep the references working.`,
		// A mistyped sub-command is an error (exit 2), not this help.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the embedded schemas: name, $id and title",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, n := range schemas.List() {
				src, err := schemas.Source(n)
				if err != nil {
					return withCode(exitFailure, err)
				}
				var head struct {
					Title string `json:"title"`
				}
				_ = json.Unmarshal(src, &head)
				fmt.Fprintf(tw, "%s\t%s\t%s\n", n, schemas.URL(n), head.Title)
			}
			return tw.Flush()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "show NAME",
		Short:   "Print one embedded schema, exactly as embedded",
		Example: "  agentshape schemas show start-session-request > start-session-request.schema.json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := schemas.Source(schemas.Name(args[0]))
			if err != nil {
				return withCode(exitUsage, err)
			}
			_, err = cmd.OutOrStdout().Write(src)
			return err
		},
	})
	return cmd
}
