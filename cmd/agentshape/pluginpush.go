package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/inspect"
)

func (c *cli) newPluginPushCmd() *cobra.Command {
	var (
		rf       registryFlags
		cacheDir string
	)
	cmd := &cobra.Command{
		Use:   "push PLUGIN.wasm REGISTRY/REPOSITORY:TAG",
		Short: "Publish a plugin to an OCI registry; print its manifest digest",
		Long: `push publishes a plugin module as an OCI artifact in the WebAssembly layout (one layer of media
type ` + ociplugin.LayerMediaType + `, a config of media type ` + ociplugin.ConfigMediaType + `),
annotated with the module's ABI version, kind and sha256, and prints the manifest digest on stdout.
A pipeline names the plugin by that digest:

  path: oci://REGISTRY/REPOSITORY:TAG@sha256:DIGEST

The module is inspected first (as "plugin inspect" does, loading it into a sandboxed host); a
module the host would refuse is not pushed. Pushing the same module again gives the same digest.
The pushed plugin also goes into this machine's plugin cache.

Credentials come from Docker's config.json (docker login, credential helpers) or
--registry-config. Plain HTTP is used only for loopback registries and --insecure-registry.

Exit codes: 0 pushed; 1 the host would refuse the module, or the registry failed; 2 bad flags,
an unreadable file or a malformed reference.`,
		Example: `  agentshape plugin push plugins/build/endpoint.wasm ghcr.io/acme/agentshape/endpoint:1.4.0
  DIGEST=$(agentshape plugin push build/plugin.wasm registry.example.com/team/plugin:$GIT_SHA)`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, ref := args[0], args[1]
			client, err := rf.client(c.logger)
			if err != nil {
				return err
			}
			bin, err := readModule(path, ociplugin.DefaultMaxModuleBytes)
			if err != nil {
				return withCode(exitUsage, err)
			}
			rep, err := inspect.Inspect(cmd.Context(), bin, inspect.Options{Load: true, CacheDir: cacheDir})
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
			}
			if !rep.Accepted {
				return withCode(exitFailure, fmt.Errorf("%s: not pushed: the host will refuse this plugin (%d refused finding(s)); `agentshape plugin inspect %s` says why", path, countRefused(rep), path))
			}
			pushed, err := client.Push(cmd.Context(), ref, bin, ociplugin.Info{ABIVersion: rep.ABIVersion, Kind: rep.Kind, Title: filepath.Base(path)})
			if err != nil {
				return withCode(registryCode(err), err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), pushed.Ref.Digest)
			fmt.Fprintf(cmd.ErrOrStderr(), "agentshape: pushed %s (module sha256 %s); a manifest names it as\n  path: %s\n", filepath.Base(path), pushed.SHA256, pushed.Ref.URI())
			return nil
		},
	}
	rf.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", `wazero compilation cache for the load check ("" = default, "-" = none)`)
	return cmd
}

// readModule reads a module file of at most max bytes, refusing a larger
// one before reading it.
func readModule(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plugin: %w (check the path; %s)", err, buildhint.For(path))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read plugin: %w", err)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit of a plugin module", path, fi.Size(), max)
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("read plugin %s: %w", path, err)
	}
	return b, nil
}
