// Package contracts holds agentshape's Pact contract with the Salesforce Agent API.
//
// The consumer tests (consumer "agentshape", provider "salesforce-agent-api", Pact V4) drive the real
// agentshape client against the Pact mock server and write contracts/pacts/: HTTP interactions for
// the token request, Start Session and its documented failures, Send Message (synchronous, on an
// ended session, streamed), End Session and Submit Feedback, and one V4 asynchronous message per
// streamed event name. The provider tests verify that pact against the Agent API emulator — with
// pact-go's verifier in both error styles, with the standard npm Pact CLI (`pact verifier …
// --state-change-url …/__admin/provider-states`) against a fresh `agentshape emulator`, and as
// README's CI example runs it — using only the emulator's own provider-state endpoint, the values it
// injects and its message producer; recorded_test.go replays the error answers real orgs send.
// The cross-check validates every body of the pact against the JSON Schemas in schemas/. Every
// pact-go import lives in _test.go files, so building the rest of the module never needs cgo or
// libpact_ffi.
//
// Run them with `make contracts` (which installs libpact_ffi and the Pact CLI first, `make
// setup-pact` and `make setup-pact-cli`).
package contracts
