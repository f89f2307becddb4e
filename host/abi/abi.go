// Package abi defines agentshape's plugin ABI v1 as Go types and constants:
// the names of the exports and imports a plugin module uses, and the JSON
// envelope the host passes to a plugin and the output it expects back.
//
// The normative description for plugin authors is plugins/ABI.md; this package
// is its machine-checked mirror on the host side.
package abi

import "encoding/json"

// Version is the ABI version this host speaks.
const Version = 1

// Export and import names of ABI v1.
const (
	// MarkerExport is the no-argument, no-result function whose presence
	// declares that a module implements ABI v1.
	MarkerExport = "agentshape_abi_v1"
	// AllocExport is alloc(size i32) -> i32: a pointer to size writable bytes.
	AllocExport = "alloc"
	// ShapeExport is shape(ptr i32, len i32) -> i64: (out_ptr << 32) | out_len.
	ShapeExport = "shape"
	// InitializeExport is the optional reactor initialiser run once per instance.
	InitializeExport = "_initialize"
	// StartExport marks a WASI command module (a "command" plugin).
	StartExport = "_start"
	// MemoryExport is the linear memory every plugin exports.
	MemoryExport = "memory"
	// HostModule is the import module of the host's own functions.
	HostModule = "agentshape"
	// LogImport is agentshape.log(level i32, ptr i32, len i32).
	LogImport = "log"
	// WASIModule is the only other import module a plugin may use.
	WASIModule = "wasi_snapshot_preview1"
)

// Log levels accepted by agentshape.log.
const (
	LogDebug = 0
	LogInfo  = 1
	LogWarn  = 2
	LogError = 3
)

// Envelope is the input a plugin receives: UTF-8 JSON at (ptr, len) for a
// reactor, or on stdin for a command.
type Envelope struct {
	// ABI is always Version.
	ABI int `json:"abi"`
	// Plugin names the plugin being called and carries its manifest config.
	Plugin PluginInfo `json:"plugin"`
	// Context holds the caller's facts (see Context).
	Context Context `json:"context"`
	// Request is the Start Session request body as shaped so far.
	Request json.RawMessage `json:"request"`
}

// PluginInfo identifies the called plugin and its configuration.
type PluginInfo struct {
	// Name is the plugin's name from the manifest.
	Name string `json:"name"`
	// Config is the plugin's own configuration from the manifest (an object).
	Config map[string]any `json:"config"`
}

// Context holds the caller's facts a plugin shapes the request from. Every
// member is optional; plugins must cope with any of them being absent.
type Context struct {
	// AgentID is the agent's BotDefinition Id (0Xx…, 15 or 18 characters).
	AgentID string `json:"agentId,omitempty"`
	// Org describes the Salesforce org the session is for.
	Org Org `json:"org,omitempty"`
	// Channel names where the conversation comes from (e.g. "web", "mobile", "slack").
	Channel string `json:"channel,omitempty"`
	// ConversationID is the caller's own id of the conversation; plugins may
	// derive a stable externalSessionKey from it.
	ConversationID string `json:"conversationId,omitempty"`
	// User describes the end user.
	User User `json:"user,omitempty"`
}

// Org describes the Salesforce org.
type Org struct {
	// MyDomain is the org's My Domain: a full URL
	// (https://acme.my.salesforce.com) or just its name ("acme").
	MyDomain string `json:"myDomain,omitempty"`
	// Kind is "production" (default), "sandbox", "developer" or "government";
	// it selects the My Domain URL form when MyDomain is only a name.
	Kind string `json:"kind,omitempty"`
	// Sandbox is the sandbox name when Kind is "sandbox" (acme--uat.sandbox.my.salesforce.com).
	Sandbox string `json:"sandbox,omitempty"`
}

// User describes the end user talking to the agent.
type User struct {
	// Locale is a Salesforce or BCP 47 locale, e.g. "de_DE" or "de-DE".
	Locale string `json:"locale,omitempty"`
	// Timezone is an IANA zone, e.g. "Europe/Berlin".
	Timezone string `json:"timezone,omitempty"`
	// Attributes are free-form facts (tier, contact id, ...) plugins may map
	// to variables.
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Output is what a plugin returns: exactly one of Request or Error.
type Output struct {
	// Request is the whole new Start Session request.
	Request json.RawMessage `json:"request,omitempty"`
	// Error reports that the plugin refused to shape the request.
	Error *PluginError `json:"error,omitempty"`
}

// PluginError is a refusal reported by a plugin in its output.
type PluginError struct {
	// Code is a short machine-readable reason, e.g. "lightning_url".
	Code string `json:"code"`
	// Message tells a person what was wrong and what to do.
	Message string `json:"message"`
}

// Error implements error.
func (e *PluginError) Error() string { return e.Code + ": " + e.Message }
