package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/internal/inspect"
)

func (c *cli) newPluginInspectCmd() *cobra.Command {
	var (
		format         string
		memoryMaxPages uint32
		static         bool
		cacheDir       string
		rf             registryFlags
	)
	cmd := &cobra.Command{
		Use:   "inspect (PLUGIN.wasm | REGISTRY/REPOSITORY:TAG[@sha256:DIGEST])",
		Short: "Describe a plugin module and warn about anything the host will refuse",
		Long: `inspect prints what a plugin module is and whether the host will load it:
kind (reactor or command), the ABI version it declares (the agentshape_abi_v1 export),
its exports and imports with their types, the memory it declares (initial and maximum pages)
against the host's page limit, its size and its sha256 (the value to pin in a manifest).
A reference to a plugin in an OCI registry (oci://… or REGISTRY/REPOSITORY:TAG[@sha256:…]) is
pulled into the plugin cache first, as "plugin pull" does, and the report names it by digest.

Every problem is a finding: "refused" findings are reasons the host will not load the module
(a forbidden or mistyped import, a missing or mistyped export, no ABI marker, no exported memory,
initial memory over the limit, a module wazero cannot compile, a Go module built without
-buildmode=c-shared, whose runtime would never start: the finding gives the build line, ...);
"warning" findings load but
will likely surprise you. Unless --static is given, a module that passes the static checks is
also loaded into a real host (deterministic mode, sandboxed, default limits), which runs its
initialisation code, so a trapping _initialize is reported too.

Exit codes: 0 the host accepts the module; 1 the host will refuse it (or it cannot work); 2 bad flags, an unreadable
file, or a file that is not a WebAssembly module.`,
		Example: `  agentshape plugin inspect plugins/build/endpoint.wasm
  agentshape plugin inspect myplugin.wasm --format json | jq .sha256
  agentshape plugin inspect big.wasm --memory-max-pages 1024
  agentshape plugin inspect oci://ghcr.io/acme/agentshape/endpoint:1.4.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return withCode(exitUsage, fmt.Errorf("--format %q: use text or json", format))
			}
			if err := maxPagesInRange(memoryMaxPages); err != nil {
				return err
			}
			path := args[0]
			var bin []byte
			var err error
			if isReference(path) {
				if bin, path, err = pullForInspect(cmd.Context(), &rf, path, c.logger); err != nil {
					return err
				}
			} else if bin, err = inputlimit.ReadFile(path, inputlimit.MaxModuleBytes, inputlimit.Module); err != nil {
				return withCode(exitUsage, fmt.Errorf("read plugin: %w (check the path; %s)", err, buildhint.For(path)))
			}
			rep, err := inspect.Inspect(cmd.Context(), bin, inspect.Options{MemoryMaxPages: memoryMaxPages, Load: !static, CacheDir: cacheDir})
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
			}
			rep.File = path
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				err = enc.Encode(rep)
			} else {
				err = rep.WriteText(out)
			}
			if err != nil {
				return withCode(exitFailure, err)
			}
			if !rep.Accepted {
				return withCode(exitFailure, fmt.Errorf("%s: the host will refuse this plugin (%d refused finding(s))", path, countRefused(rep)))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().Uint32Var(&memoryMaxPages, "memory-max-pages", 0, "the host page limit to check against (the manifest's limits.memoryMaxPages; default 512)")
	cmd.Flags().BoolVar(&static, "static", false, "only the static checks: do not load the module into a host (runs no plugin code)")
	rf.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", `wazero compilation cache for the load check ("" = default, "-" = none)`)
	return cmd
}

// pullForInspect pulls a reference (a tag is fine: the report names the
// digest) and returns the module and the pinned reference.
func pullForInspect(ctx context.Context, rf *registryFlags, ref string, logger *slog.Logger) ([]byte, string, error) {
	c, err := rf.client(logger)
	if err != nil {
		return nil, "", err
	}
	m, err := c.Pull(ctx, ref, ociplugin.PullOptions{AllowTag: true})
	if err != nil {
		return nil, "", withCode(registryCode(err), err)
	}
	bin, err := m.Read()
	if err != nil {
		return nil, "", withCode(exitFailure, err)
	}
	return bin, m.Ref.URI(), nil
}

func countRefused(rep *inspect.Report) int {
	n := 0
	for _, f := range rep.Findings {
		if f.Severity == inspect.Refused {
			n++
		}
	}
	return n
}
