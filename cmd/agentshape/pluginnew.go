package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/internal/version"
	"github.com/agentshape/agentshape/plugins/scaffold"
)

func newPluginNewCmd() *cobra.Command {
	var opts scaffold.Options
	cmd := &cobra.Command{
		Use:   "new NAME --lang go|c|assemblyscript|rust [--dir DIR]",
		Short: "Create a ready-to-build plugin project (Go, C, AssemblyScript or Rust)",
		Long: `new writes a plugin project that builds and passes agentshape conformance as generated:
the plugin source with a working shape function (it sets a custom variable from context.channel),
a copy of the kit, a Makefile (build, test, inspect, conformance, pin, shape), golden tests run
through the real host with agentshape plugin call, unit tests (Go, Rust), a pipeline.yaml entry, the
org the gate checks against (org.yaml: the demo org "agentshape emulator --print-org" prints, with
comments saying what to set — your My Domain, agent and variable declarations; make conformance
passes --org org.yaml), CI for GitHub Actions and GitLab (install agentshape, build, test, gate
against org.yaml with a JUnit report) and a README.

NAME is lower-case letters, digits and hyphens; the project goes to --dir (default ./NAME), which
must not exist or be empty. Nothing is written when anything fails.

The project needs no agentshape checkout: Go projects get the Go kit module (standard library only)
in ./shapekit, which go.mod points at with a relative replace, so they build offline; C projects get
a copy of agentshape.h; AssemblyScript projects a copy of the kit and a package.json pinning the
compiler from npm; Rust projects a copy of the kit crate (standard library only), built with rustc
alone (no Cargo, no crates) by a find-rustc.sh that picks a rustc with the wasm32-wasi(p1) target.
The CI installs this agentshape's version (the latest release for a development build).`,
		Example: `  agentshape plugin new order-tier --lang go
  agentshape plugin new order-tier --lang c --dir plugins/order-tier
  agentshape plugin new order-tier --lang assemblyscript && make -C order-tier check
  agentshape plugin new order-tier --lang rust`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			lang, err := scaffold.NormalizeLang(opts.Lang)
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("--lang: %w", err))
			}
			opts.Lang = lang
			opts.AgentshapeVersion = version.Current().Version
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
	cmd.Flags().StringVar(&opts.Lang, "lang", "", "language: go, c, assemblyscript or rust (required)")
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "project directory to create (default ./NAME)")
	cmd.Flags().String("agentshape-dir", "", "ignored: the Go kit comes with agentshape")
	_ = cmd.Flags().MarkDeprecated("agentshape-dir", "the Go kit now comes with agentshape (./shapekit in the project), so no checkout is needed; the flag is ignored")
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
