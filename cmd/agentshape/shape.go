package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/agentshape/agentshape"
	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/internal/shaper"
	"github.com/agentshape/agentshape/schemas"
)

func (c *cli) newShapeCmd() *cobra.Command {
	var (
		manifestPath, contextPath, requestPath string
		explain                                bool
		rf                                     runtimeFlags
		reg                                    registryFlags
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

Plugins in OCI registries (path: oci://REGISTRY/REPOSITORY:TAG@sha256:DIGEST, published with
"plugin push") are pulled once into the plugin cache and verified against the digest and the
entry's sha256 before they are compiled; later runs need no network, and --offline uses only
the cache. A registry failure or a refused artifact exits 1; a tag without a digest (unless the
manifest sets allowUnpinnedTags: true) or a pin that contradicts the digest exits 2.

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
			if err := oneStdin(contextPath, requestPath); err != nil {
				return err
			}
			if manifestPath == "" {
				return withCode(exitUsage, errors.New("--manifest is empty: name the pipeline manifest file"))
			}
			var actx abi.Context
			if err := c.readJSONFile(contextPath, "--context", &actx, true); err != nil {
				return withCode(exitUsage, err)
			}
			var base json.RawMessage
			if requestPath != "" {
				var err error
				if base, err = c.readObjectFile(requestPath, "--request"); err != nil {
					return withCode(exitUsage, err)
				}
			}
			h, err := agentshape.New(ctx, rf.options(manifestPath, &reg, c.logger))
			if err != nil {
				return withCode(setupCode(err), err)
			}
			defer h.Close(ctx)
			res, err := h.Explain(ctx, actx, base)
			if res == nil {
				return withCode(exitFailure, err)
			}
			out := cmd.OutOrStdout()
			var werr error
			if explain {
				werr = writeJSON(out, struct {
					Request    json.RawMessage     `json:"request"`
					Provenance pipeline.Provenance `json:"provenance"`
				}{res.Draft, res.Provenance})
			} else {
				werr = writeJSON(out, res.Draft)
			}
			if werr != nil {
				return withCode(exitFailure, werr)
			}
			// The request is printed either way; violations name the plugin
			// that last wrote each field, and make the command exit 3.
			for _, a := range res.Request.Advice() {
				c.logger.WarnContext(ctx, "advice on the shaped request", "advice", shaper.Describe(a), "rule", a.Rule)
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
	reg.register(f, true)
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

func (f *runtimeFlags) newRuntime(ctx context.Context, logger *slog.Logger) (*plugin.Runtime, error) {
	return plugin.NewRuntime(ctx, plugin.RuntimeOptions{
		CacheDir:      f.cacheDir,
		Deterministic: f.deterministic,
		Seed:          f.seed,
		Logger:        logger,
	})
}

// options are the library options of a run over the manifest at manifest
// with these runtime and registry flags, logging to logger.
func (f *runtimeFlags) options(manifest string, reg *registryFlags, logger *slog.Logger) agentshape.Options {
	return agentshape.Options{Manifest: manifest, CacheDir: f.cacheDir, Deterministic: f.deterministic, Seed: f.seed,
		Resolver: reg.resolver(logger), Logger: logger}
}

// setupCode is the exit code of an error of agentshape.New: a malformed
// manifest, cache directory or org is a usage error, a registry error has
// registryCode's, and a plugin that fails to load is a failure.
func setupCode(err error) int {
	var se *agentshape.SetupError
	if !errors.As(err, &se) {
		return exitFailure
	}
	switch se.Step {
	case agentshape.StepRegistry:
		return registryCode(err)
	case agentshape.StepPlugins:
		if errors.Is(err, inputlimit.ErrNotRegular) {
			return exitUsage // a FIFO or device as a plugin path is bad input, like a FIFO manifest
		}
		return exitFailure
	}
	return exitUsage
}

// oneStdin refuses "-" for both --context and --request: stdin holds one
// document, and the second reader would find it empty.
func oneStdin(contextPath, requestPath string) error {
	if contextPath == "-" && requestPath == "-" {
		return withCode(exitUsage, errors.New("--context and --request both read stdin (\"-\"); stdin holds one document: pass a file for one of them"))
	}
	return nil
}

// readInput reads a JSON file, or stdin for "-", refusing more than
// inputlimit.MaxJSONBytes before reading it whole.
func (c *cli) readInput(path, flag string) ([]byte, error) {
	if path == "-" {
		b, err := inputlimit.Read(c.stdin, "stdin", inputlimit.MaxJSONBytes, inputlimit.JSON)
		if err != nil {
			return nil, fmt.Errorf("%s -: %w", flag, err)
		}
		return b, nil
	}
	b, err := inputlimit.ReadFile(path, inputlimit.MaxJSONBytes, inputlimit.JSON)
	if errors.Is(err, inputlimit.ErrTooLarge) {
		return nil, fmt.Errorf("%s %w", flag, err) // the error names the file
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return b, nil
}

// readJSONFile decodes a JSON file into v, refusing unknown fields when
// strict. The file must hold exactly one well-formed JSON document.
func (c *cli) readJSONFile(path, flag string, v any, strict bool) error {
	b, err := c.readDocument(path, flag)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			where := te.Field
			if where == "" {
				where = "the document"
			}
			return fmt.Errorf("%s %s: %s must be a JSON %s, not %s", flag, path, where, jsonKind(te.Type), te.Value)
		}
		return fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return nil
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "number"
	}
}

// readDocument reads a file (or stdin for "-") that must hold exactly one
// well-formed JSON document: empty input, malformed JSON and trailing data
// are refused with the line and column.
func (c *cli) readDocument(path, flag string) ([]byte, error) {
	b, err := c.readInput(path, flag)
	if err != nil {
		return nil, err
	}
	if _, err := schemas.Decode(b); err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return b, nil
}

// readObjectFile reads a file that must hold one JSON object.
func (c *cli) readObjectFile(path, flag string) (json.RawMessage, error) {
	b, err := c.readDocument(path, flag)
	if err != nil {
		return nil, err
	}
	t := bytes.TrimSpace(b)
	if t[0] != '{' {
		kind := map[byte]string{'[': "an array", '"': "a string", 't': "a boolean", 'f': "a boolean", 'n': "null"}[t[0]]
		if kind == "" {
			kind = "a number"
		}
		return nil, fmt.Errorf("%s %s: is %s, not a JSON object", flag, path, kind)
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
