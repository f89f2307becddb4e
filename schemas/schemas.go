// Package schemas embeds agentshape's JSON Schemas (draft 2020-12) and
// validates documents against them.
//
// Every *.schema.json file in this directory is embedded; its base name
// without ".schema.json" is its Name. Each schema is compiled once, on first
// use, with format assertions on. Validate turns a document into a list of
// Violations: the JSON pointer and dotted field of the value at fault, the
// rule that failed and a one-line message a person can act on.
//
// Messages come from the schemas themselves: a schema node may carry
// "x-message" (a string, or an object keyed by the keyword that failed) and
// "x-rule" (a rule name reported instead of the keyword). Rules JSON Schema
// cannot express are enforced in Go and named (see RuleUniqueVariableNames).
// Validators other than agentshape ignore both extensions.
//
// Decode is encoding/json (a Decoder with UseNumber) plus the two checks it
// lacks, a member named twice and nesting past inputlimit.MaxDepth, counted
// in one pass over the bytes before decoding (decode.go).
//
// Speed: a valid document is recognised by an allocation-free evaluator
// compiled from the same schema documents (fast.go, with a lazy DFA for
// patterns, dfa.go); jsonschema/v5 runs only when that evaluator says
// "invalid", to explain. Differential fuzz tests hold the evaluator to
// jsonschema/v5's verdict and Decode's checks to a walk of encoding/json's
// tokens.
package schemas

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.schema.json
var files embed.FS

// Name names an embedded schema: its file name without ".schema.json".
type Name string

// Names of the schemas agentshape ships.
const (
	// StartSessionRequest is the wire body of Start Session (agent-api.md §2).
	StartSessionRequest Name = "start-session-request"
	// FlowStartSessionRequest is the Flow action's New Session Request Body (agent-api.md §6).
	FlowStartSessionRequest Name = "flow-start-session-request"
	// SendMessageRequest is the Send Message body, sync and streaming (agent-api.md §1, §3).
	SendMessageRequest Name = "send-message-request"
	// SubmitFeedbackRequest is the Submit Feedback body (agent-api.md §1).
	SubmitFeedbackRequest Name = "submit-feedback-request"
	// StartSessionResponse is the Start Session 200 body (agent-api.md §4).
	StartSessionResponse Name = "start-session-response"
	// SendMessageResponse is the synchronous Send Message 200 body (agent-api.md §11).
	SendMessageResponse Name = "send-message-response"
	// EndSessionResponse is the End Session 200 body (agent-api.md §11).
	EndSessionResponse Name = "end-session-response"
	// StreamEvent is one server-sent event of the streaming endpoint, as
	// {"event", "data"} (agent-api.md §12).
	StreamEvent Name = "stream-event"
	// TokenResponse is the OAuth client-credentials token answer (agent-api.md §7).
	TokenResponse Name = "token-response"
	// ErrorResponse is the Agent API error body (agent-api.md §5).
	ErrorResponse Name = "error-response"
	// PluginInput is the plugin ABI v1 input envelope.
	PluginInput Name = "plugin-input"
	// PluginOutput is the plugin ABI v1 output.
	PluginOutput Name = "plugin-output"
	// PipelineManifest is the pipeline manifest (YAML, validated as JSON).
	PipelineManifest Name = "pipeline-manifest"
	// EmulatorOrg is the emulator's org file.
	EmulatorOrg Name = "emulator-org"
)

// BaseURL is the base of every embedded schema's $id: a schema's $id is
// BaseURL + name + ".schema.json". Schemas refer to each other relative to it;
// nothing is ever fetched from the network.
const BaseURL = "https://agentshape.dev/schemas/"

const fileSuffix = ".schema.json"

// ErrUnknownSchema is returned (wrapped) for a name that is not embedded.
var ErrUnknownSchema = errors.New("unknown schema")

// List returns the names of the embedded schemas, sorted.
func List() []Name {
	entries, err := fs.ReadDir(files, ".")
	if err != nil { // cannot happen with an embed.FS
		return nil
	}
	var names []Name
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), fileSuffix); ok {
			names = append(names, Name(n))
		}
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}

// Source returns the text of the named schema, as embedded.
func Source(name Name) ([]byte, error) {
	b, err := files.ReadFile(string(name) + fileSuffix)
	if err != nil {
		return nil, unknown(name)
	}
	return b, nil
}

// URL returns the $id of the named schema.
func URL(name Name) string { return BaseURL + string(name) + fileSuffix }

func unknown(name Name) error {
	var known []string
	for _, n := range List() {
		known = append(known, string(n))
	}
	return fmt.Errorf("schema %q: %w; use one of: %s", name, ErrUnknownSchema, strings.Join(known, ", "))
}
