package main

import "github.com/spf13/cobra"

func init() { register(newPluginCmd) }

// pluginSubcommands are the `agentshape plugin …` sub-commands registered by
// the files of this package (call, and others such as new or inspect).
var pluginSubcommands []func() *cobra.Command

// registerPlugin adds a sub-command under `agentshape plugin`; call it from an
// init function, as register is called for top-level commands.
func registerPlugin(f func() *cobra.Command) { pluginSubcommands = append(pluginSubcommands, f) }

func newPluginCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Work with a single WebAssembly plugin (call it, and more)",
		Long: `plugin groups commands that work on one plugin module at a time, outside a pipeline.
The plugin ABI (exports, imports, envelope, output, limits) is documented in plugins/ABI.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, f := range pluginSubcommands {
		cmd.AddCommand(f())
	}
	return cmd
}
