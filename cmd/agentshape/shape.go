package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/host/shaper"
)

func init() { register(newShapeCmd) }

func newShapeCmd() *cobra.Command {
	var (
		manifestPath, contextPath, requestPath string
		explain                                bool
		rf                                     runtimeFlags
	)
	cmd := &cobra.Command{
		Use:   "shape --manifest PIPELINE.yaml --context CONTEXT.json [--request BASE.json]",
		Short: "Run the plugin pipeline and print the shaped Start Session request",
		Long: `shape runs every plugin of the manifest in order over the Start Session request (starting from
--request, or {}), each plugin seeing the request the previous one returned, and prints the final
request as JSON on stdout.

--context is the caller's facts passed to every plugin (agentId, org.myDomain, org.kind,
org.sandbox, channel, conversationId, user.locale, user.timezone, user.attributes); see
plugins/ABI.md. With --explain the output is {"request": ..., "provenance": {JSON pointer: plugin}},
naming for every field the plugin that last set or changed it ("base" for untouched fields of
--request).

Exit codes: 0 shaped; 1 a plugin failed (the error names the plugin, phase and cause);
2 bad flags, unreadable or malformed input or manifest; 3 the shaped request failed validation.`,
		Example: `  agentshape shape --manifest plugins/examples/pipeline.yaml --context plugins/examples/context.json
  agentshape shape --manifest pipeline.yaml --context ctx.json --request base.json --explain --deterministic`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			m, err := pipeline.LoadManifest(manifestPath)
			if err != nil {
				return withCode(exitUsage, err)
			}
			var c abi.Context
			if err := readJSONFile(contextPath, "--context", &c, true); err != nil {
				return withCode(exitUsage, err)
			}
			var base json.RawMessage
			if requestPath != "" {
				if base, err = readObjectFile(requestPath, "--request"); err != nil {
					return withCode(exitUsage, err)
				}
			}
			pl, closePipeline, err := rf.openPipeline(ctx, m)
			if err != nil {
				return err
			}
			defer closePipeline()
			res, err := pl.Run(ctx, c, base)
			if err != nil {
				return withCode(exitFailure, err)
			}
			out := cmd.OutOrStdout()
			if explain {
				err = writeJSON(out, struct {
					Request    json.RawMessage     `json:"request"`
					Provenance pipeline.Provenance `json:"provenance"`
				}{res.Request, res.Provenance})
			} else {
				err = writeJSON(out, res.Request)
			}
			if err != nil {
				return withCode(exitFailure, err)
			}
			// The request is printed either way; violations name the plugin
			// that last wrote each field, and make the command exit 3.
			req, _, err := shaper.Check(res.Request, res.Provenance)
			for _, a := range req.Advice() {
				slog.WarnContext(ctx, "advice on the shaped request", "advice", shaper.Describe(a), "rule", a.Rule)
			}
			return withCode(exitInvalid, err)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&manifestPath, "manifest", "m", "", "pipeline manifest (YAML; plugin paths relative to it)")
	f.StringVarP(&contextPath, "context", "c", "", "context JSON file passed to every plugin (\"-\" reads stdin)")
	f.StringVarP(&requestPath, "request", "r", "", "base request JSON to start from (default {})")
	f.BoolVar(&explain, "explain", false, "print {\"request\", \"provenance\"}: which plugin set each field")
	rf.register(f)
	_ = cmd.MarkFlagRequired("manifest")
	_ = cmd.MarkFlagRequired("context")
	return cmd
}

// runtimeFlags are the plugin-runtime flags shared by shape and plugin call.
type runtimeFlags struct {
	cacheDir      string
	deterministic bool
	seed          int64
}

func (f *runtimeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.cacheDir, "cache-dir", "", "compiled-plugin cache directory (default <user cache dir>/agentshape/wazero; \"-\" disables the cache)")
	fs.BoolVar(&f.deterministic, "deterministic", false, "fixed clock and seeded randomness for plugins (reproducible output)")
	fs.Int64Var(&f.seed, "seed", 1, "seed for --deterministic randomness")
}

func (f *runtimeFlags) newRuntime(ctx context.Context) (*plugin.Runtime, error) {
	return plugin.NewRuntime(ctx, plugin.RuntimeOptions{
		CacheDir:      f.cacheDir,
		Deterministic: f.deterministic,
		Seed:          f.seed,
		Logger:        slog.Default(),
	})
}

// openPipeline starts a runtime from the flags and loads m's plugins into it.
// Errors already carry their exit code (runtime: usage; plugin load:
// failure). The returned func closes the pipeline, then the runtime.
func (f *runtimeFlags) openPipeline(ctx context.Context, m *pipeline.Manifest) (*pipeline.Pipeline, func(), error) {
	rt, err := f.newRuntime(ctx)
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	pl, err := pipeline.New(ctx, rt, m)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, nil, withCode(exitFailure, err)
	}
	return pl, func() {
		_ = pl.Close(ctx)
		_ = rt.Close(ctx)
	}, nil
}

// readInput reads a file, or stdin for "-".
func readInput(path, flag string) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return nil, fmt.Errorf("%s -: read stdin: %w", flag, err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return b, nil
}

// readJSONFile decodes a JSON file into v, refusing unknown fields when strict.
func readJSONFile(path, flag string, v any, strict bool) error {
	b, err := readInput(path, flag)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return nil
}

// readObjectFile reads a file that must hold one JSON object.
func readObjectFile(path, flag string) (json.RawMessage, error) {
	b, err := readInput(path, flag)
	if err != nil {
		return nil, err
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, fmt.Errorf("%s %s: not a JSON object", flag, path)
	}
	return json.RawMessage(t), nil
}

// writeJSON writes v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
