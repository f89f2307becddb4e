package contracts

import (
	"bytes"
	"io"
	stdlog "log"
	"os"
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/log"
	"github.com/pact-foundation/pact-go/v2/matchers"
	"github.com/pact-foundation/pact-go/v2/models"

	"github.com/agentshape/agentshape/host/emulator"
)

// The parties and the pact file they share (agent-api.md is the provider's reference).
const (
	consumerName = "agentshape"
	providerName = "salesforce-agent-api"
	pactDir      = "pacts" // contracts/pacts, relative to this package's directory
	pactFile     = consumerName + "-" + providerName + ".json"
)

// Values the contract fixes. They are the contract's own literals; the provider test sets the
// emulator's org up to match them instead of the other way round.
const (
	// agentID is the agent of the examples (agent-api.md §1, §4).
	agentID = "0XxAA0000000001AAA"
	// unknownAgentID has the documented form but names no agent of the org (404, agent-api.md §5).
	unknownAgentID = "0XxAA0000000009AAA"
	// malformedAgentID is an Account ID, not a BotDefinition ID (400 "... is not a valid agent ID", agent-api.md §5).
	malformedAgentID = "001AA0000000001AAA"
	// myDomain is the org's My Domain URL: the token host and instanceConfig.endpoint (agent-api.md §2, §7).
	myDomain = "https://example-co.my.salesforce.com"
	// otherDomain is a My Domain URL of no org of this API (500 EngineConfigLookupException, agent-api.md §8).
	otherDomain = "https://other-org.my.salesforce.com"
	// clientID and clientSecret are the External Client App's credentials (agent-api.md §7).
	clientID     = "agentshape-demo"
	clientSecret = "demo-secret"
	// exampleToken is the example access token; at verification the provider state's accessToken
	// takes its place (bearerHeader).
	exampleToken = "00DAA0000000001AAA!AQEAQexample.access.token"
	// exampleSessionID is the example session ID of the interactions that need a session; at
	// verification the provider state's sessionId takes its place (sessionPath).
	exampleSessionID = "0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33"

	apiPath   = "/einstein/ai-agent/v1"
	tokenPath = "/services/oauth2/token"
)

// Regular expressions of the matchers.
const (
	// uuidRe accepts any UUID version and either case (agent-api.md §4: v7-like IDs occur).
	uuidRe = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// myDomainRe is an org's My Domain URL (agent-api.md §2), commercial or government.
	myDomainRe = `^https://[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*\.my\.salesforce\.(com|mil)/?$`
	// bearerRe is an Authorization header with a bearer token (agent-api.md §1).
	bearerRe = `^Bearer \S+$`
	// jsonRe is a JSON Content-Type, with or without parameters.
	jsonRe = `^application/json(;.*)?$`
	// epochMillisRe is a Unix time in milliseconds, as a string (agent-api.md §7 issued_at).
	epochMillisRe = `^[0-9]{13}$`
	// agentScopesRe is a scope list holding both chatbot_api and sfap_api (agent-api.md §7).
	agentScopesRe = `^(\S+ )*(chatbot_api( \S+)* sfap_api|sfap_api( \S+)* chatbot_api)( \S+)*$`
)

// given returns the provider state name with the contract's own literals as its params: the
// provider sets its org up to match them (client app, agent, My Domain), so the pact verifies
// against any org. The names and params are those the emulator's standard provider-state endpoint
// sets up (host/emulator, POST /__admin/provider-states).
func given(state string) models.ProviderState {
	agent := agentID
	if state == emulator.StateNoAgent {
		agent = unknownAgentID
	}
	return models.ProviderState{Name: state, Parameters: map[string]any{
		emulator.ParamClientID: clientID, emulator.ParamClientSecret: clientSecret,
		emulator.ParamAgentID: agent, emulator.ParamMyDomain: myDomain,
	}}
}

// fromState is a value the provider supplies at verification (a fromProviderState generator):
// expression names the provider state's values, as in "Bearer ${accessToken}"; the consumer
// test sends example, and both must match re.
func fromState(expression, example, re string) matchers.Matcher {
	return matchers.StructMatcher{
		"pact:matcher:type": "regex", "regex": re, "value": example,
		"pact:generator:type": "ProviderState", "expression": expression,
	}
}

// fromStateInt is an integer the provider supplies at verification, e.g. "${sequenceId}".
func fromStateInt(expression string, example int) matchers.Matcher {
	return matchers.StructMatcher{
		"pact:matcher:type": "integer", "value": example,
		"pact:generator:type": "ProviderState", "expression": expression, "dataType": "INTEGER",
	}
}

// bearerHeader is the Authorization header of every Agent API request: the example token in the
// consumer test, the provider state's accessToken at verification (agent-api.md §1, §7).
func bearerHeader() matchers.Matcher {
	return fromState("Bearer ${"+emulator.ValueAccessToken+"}", "Bearer "+exampleToken, bearerRe)
}

func init() {
	// The Rust core logs every request at INFO; keep test output to what fails.
	if os.Getenv("PACT_LOG_LEVEL") == "" && os.Getenv("LOG_LEVEL") == "" {
		_ = log.SetLogLevel("ERROR")
	}
	// pact-go re-initialises the core's logger for every mock server and reports, each time, that it
	// was already set; that line is noise, everything else pact-go logs is kept.
	stdlog.SetOutput(dropLines{w: stdlog.Writer(), noise: []byte("failed to log to stdout: can't set logger")})
}

// dropLines writes every log line to w except those containing noise.
type dropLines struct {
	w     io.Writer
	noise []byte
}

func (d dropLines) Write(p []byte) (int, error) {
	if bytes.Contains(p, d.noise) {
		return len(p), nil
	}
	return d.w.Write(p)
}

// newMockProvider returns a V4 Pact mock provider that writes to the running TestConsumer's
// output directory.
func newMockProvider(t *testing.T) *consumer.V4HTTPMockProvider {
	t.Helper()
	dir := pactOut
	if dir == "" {
		t.Fatal("newMockProvider outside TestConsumer: run the interactions through TestConsumer")
	}
	p, err := consumer.NewV4Pact(consumer.MockHTTPProviderConfig{
		Consumer: consumerName,
		Provider: providerName,
		PactDir:  dir,
		LogDir:   t.TempDir(),
		Host:     "127.0.0.1",
	})
	if err != nil {
		t.Fatalf("pact mock provider: %v (is libpact_ffi installed? run `make setup-pact`)", err)
	}
	return p
}
