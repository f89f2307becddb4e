package main

import "github.com/spf13/cobra"

// newPluginCmd groups the commands on one plugin module.
func (c *cli) newPluginCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Work with a single WebAssembly plugin (call it, and more)",
		Long: `plugin groups commands that work on one plugin module at a time, outside a pipeline.
The plugin ABI (exports, imports, envelope, output, limits) is documented in plugins/ABI.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(c.newPluginCallCmd(), c.newPluginInspectCmd(), newPluginNewCmd(), c.newPluginPullCmd(), c.newPluginPushCmd())
	return cmd
}
