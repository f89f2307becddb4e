// Package contracts holds agentshape's Pact contract with the Salesforce Agent API.
//
// The consumer tests (consumer "agentshape", provider "salesforce-agent-api", Pact V4) drive the real
// agentshape client against the Pact mock server and write contracts/pacts/; the provider tests
// verify that pact against the Agent API emulator twice — with pact-go's verifier, and with the
// standard npm Pact CLI (`pact verifier … --state-change-url …/__admin/provider-states`) against a
// fresh `agentshape emulator` — using only the emulator's own provider-state endpoint and the
// values it injects; the cross-check validates every body in the pact against the JSON Schemas in
// schemas/. Every pact-go import lives in _test.go files, so
// building the rest of the module never needs cgo or libpact_ffi.
//
// Run them with `make contracts` (which installs libpact_ffi first via `make setup-pact`).
package contracts
