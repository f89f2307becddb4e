package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/schemas"
)

// validateReport is the --format json output of validate.
type validateReport struct {
	File       string              `json:"file"`
	Schema     schemas.Name        `json:"schema"`
	Valid      bool                `json:"valid"`
	Error      string              `json:"error,omitempty"`
	Violations []schemas.Violation `json:"violations"`
	Advice     []schemas.Violation `json:"advice,omitempty"`
}

func newValidateCmd() *cobra.Command {
	var schema, format string
	cmd := &cobra.Command{
		Use:   "validate [--schema NAME] [--format text|json] FILE|-",
		Short: "Validate a JSON document against one of agentshape's schemas",
		Long: `validate checks a document (a file, or stdin for "-") against an embedded JSON Schema
(default start-session-request, the Agent API Start Session body) and prints every violation: the
field, what is wrong and what to do, the rule that failed and the JSON pointer. Advice that does not
make the document invalid (a non-UUID externalSessionKey, the deprecated featureSupport) is printed
too. pipeline-manifest and emulator-org documents may be YAML. "agentshape schemas list" names
the schemas.

Exit codes: 0 valid; 1 invalid; 2 unreadable input, malformed JSON, unknown schema or bad flags.`,
		Example: `  agentshape validate request.json
  agentshape shape -m pipeline.yaml -c ctx.json | agentshape validate -
  agentshape validate --schema flow-start-session-request --format json flow-body.json
  agentshape validate --schema pipeline-manifest plugins/examples/pipeline.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return withCode(exitUsage, fmt.Errorf("--format %q: use text or json", format))
			}
			name := schemas.Name(schema)
			if _, err := schemas.Source(name); err != nil {
				return withCode(exitUsage, fmt.Errorf("--schema: %w", err))
			}
			file := args[0]
			out := cmd.OutOrStdout()
			rep := validateReport{File: file, Schema: name, Violations: []schemas.Violation{}}
			fail := func(code int, err error) error {
				if format == "json" {
					rep.Error = err.Error()
					if werr := writeJSON(out, rep); werr != nil {
						return withCode(exitFailure, werr)
					}
				}
				return withCode(code, err)
			}
			src, err := readValidateInput(cmd.InOrStdin(), file)
			if err != nil {
				return fail(exitUsage, err)
			}
			doc, err := decodeDocument(name, file, src)
			if err != nil {
				return fail(exitUsage, err)
			}
			vs, err := schemas.ValidateValue(name, doc)
			if err != nil {
				return fail(exitUsage, fmt.Errorf("%s: %w", file, err))
			}
			rep.Advice = schemas.AdviseValue(name, doc)
			rep.Valid = len(vs) == 0
			if vs != nil {
				rep.Violations = vs
			}
			if format == "json" {
				if err := writeJSON(out, rep); err != nil {
					return withCode(exitFailure, err)
				}
			} else {
				writeValidateText(out, rep)
			}
			if !rep.Valid {
				if format == "json" {
					return withCode(exitFailure, errors.New(""))
				}
				return withCode(exitFailure, fmt.Errorf("%s: %d violation(s) of %s", file, len(vs), name))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&schema, "schema", "s", string(schemas.StartSessionRequest), "schema to validate against (see `agentshape schemas list`)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// readValidateInput reads FILE, or stdin for "-", refusing more than
// inputlimit.MaxJSONBytes before reading it whole.
func readValidateInput(stdin io.Reader, file string) ([]byte, error) {
	if file == "-" {
		return inputlimit.Read(stdin, "stdin", inputlimit.MaxJSONBytes, inputlimit.JSON)
	}
	b, err := inputlimit.ReadFile(file, inputlimit.MaxJSONBytes, inputlimit.JSON)
	if err != nil && !errors.Is(err, inputlimit.ErrTooLarge) {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return b, err
}

// decodeDocument decodes JSON; for the YAML-authored schemas it also accepts
// YAML, converted to JSON first once inputlimit.CheckYAML let it through
// (size, depth, aliases). source names the document in errors.
func decodeDocument(name schemas.Name, source string, src []byte) (any, error) {
	doc, err := schemas.Decode(src)
	if err == nil || (name != schemas.PipelineManifest && name != schemas.EmulatorOrg) {
		if err != nil && looksLikeYAML(source, src, err) {
			return nil, fmt.Errorf("%s: the %s schema takes JSON and this looks like YAML (%w); "+
				"for a pipeline manifest give --schema %s, for an org file --schema %s", source, name, err, schemas.PipelineManifest, schemas.EmulatorOrg)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", source, err)
		}
		return doc, err
	}
	if errors.Is(err, schemas.ErrDuplicateKey) || errors.Is(err, inputlimit.ErrTooDeep) {
		return nil, fmt.Errorf("%s: %w", source, err) // JSON, refused
	}
	if lerr := inputlimit.CheckYAML(src, source); lerr != nil {
		return nil, lerr
	}
	js, yerr := yaml.YAMLToJSON(src)
	if yerr != nil {
		return nil, fmt.Errorf("%s: neither JSON (%v) nor YAML: %w", source, err, inputlimit.YAMLError(yerr))
	}
	doc, err = schemas.Decode(js)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return doc, nil
}

// looksLikeYAML reports whether src, refused as JSON with err, is rather a
// YAML document: its name ends in .yaml or .yml, or it is not JSON but
// parses as a YAML mapping or sequence (within inputlimit's YAML limits).
func looksLikeYAML(source string, src []byte, err error) bool {
	if errors.Is(err, schemas.ErrDuplicateKey) || errors.Is(err, inputlimit.ErrTooDeep) {
		return false
	}
	if ext := strings.ToLower(filepath.Ext(source)); ext == ".yaml" || ext == ".yml" {
		return true
	}
	if inputlimit.CheckYAML(src, source) != nil {
		return false
	}
	js, yerr := yaml.YAMLToJSON(src)
	t := bytes.TrimSpace(js)
	return yerr == nil && len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

func writeValidateText(w io.Writer, rep validateReport) {
	var b bytes.Buffer
	if rep.Valid {
		fmt.Fprintf(&b, "%s: valid %s\n", rep.File, rep.Schema)
	}
	for _, v := range rep.Violations {
		fmt.Fprintf(&b, "%s: %s [rule %s at %q]\n", rep.File, v.Message, v.Rule, v.Pointer)
	}
	for _, v := range rep.Advice {
		fmt.Fprintf(&b, "%s: advice: %s [rule %s]\n", rep.File, v.Message, v.Rule)
	}
	if !rep.Valid {
		n := len(rep.Violations)
		fmt.Fprintf(&b, "%s: invalid %s: %d violation%s\n", rep.File, rep.Schema, n, strings.Repeat("s", min(1, n-1)))
	}
	_, _ = w.Write(b.Bytes())
}
