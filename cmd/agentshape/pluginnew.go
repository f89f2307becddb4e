package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/plugins/scaffold"
)

func init() { registerPlugin(newPluginNewCmd) }

// agentshapeDirEnv names the agentshape checkout Go plugin projects take the Go kit from.
const agentshapeDirEnv = "AGENTSHAPE_DIR"

func newPluginNewCmd() *cobra.Command {
	var opts scaffold.Options
	cmd := &cobra.Command{
		Use:   "new NAME --lang go|c|assemblyscript [--dir DIR]",
		Short: "Create a ready-to-build plugin project (Go, C or AssemblyScript)",
		Long: `new writes a plugin project that builds and passes agentshape conformance as generated:
the plugin source with a working shape function (it sets a custom variable from context.channel),
the kit, a Makefile (build, test, inspect, conformance, pin, shape), golden tests run through the
real host with agentshape plugin call, a unit test (Go), a pipeline.yaml entry and a README.

NAME is lower-case letters, digits and hyphens; the project goes to --dir (default ./NAME), which
must not exist or be empty. Nothing is written when anything fails.

Go projects take the Go kit from an agentshape checkout through a go.mod replace directive:
--agentshape-dir (or $AGENTSHAPE_DIR) names it; inside a checkout it is found automatically.
C projects get a copy of agentshape.h; AssemblyScript projects a copy of the kit and a package.json
pinning the compiler from npm.`,
		Example: `  agentshape plugin new order-tier --lang go
  agentshape plugin new order-tier --lang c --dir plugins/order-tier
  agentshape plugin new order-tier --lang assemblyscript && make -C order-tier check`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			lang, err := scaffold.NormalizeLang(opts.Lang)
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("--lang: %w", err))
			}
			opts.Lang = lang
			if lang == scaffold.Go && opts.AgentshapeDir == "" {
				opts.AgentshapeDir = os.Getenv(agentshapeDirEnv)
				if opts.AgentshapeDir == "" {
					if root, err := catalog.RepoRoot(); err == nil {
						opts.AgentshapeDir = root
					}
				}
			}
			res, err := scaffold.New(opts)
			if err != nil {
				return withCode(exitUsage, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "created %s plugin %q in %s:\n", res.Lang, opts.Name, res.Dir)
			for _, f := range res.Files {
				fmt.Fprintf(out, "  %s\n", f)
			}
			fmt.Fprintf(out, "\nnext:\n  cd %s\n  make build test inspect conformance\n", shellQuote(res.Dir))
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Lang, "lang", "", "language: go, c or assemblyscript (required)")
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "project directory to create (default ./NAME)")
	cmd.Flags().StringVar(&opts.AgentshapeDir, "agentshape-dir", "", "Go only: the agentshape checkout providing the Go kit (default $AGENTSHAPE_DIR, or the checkout around the working directory)")
	_ = cmd.MarkFlagRequired("lang")
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
