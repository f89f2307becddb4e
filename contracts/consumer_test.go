package contracts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pact-foundation/pact-go/v2/command"
	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/oauth"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/schemas"
)

// m is shorthand for a JSON object with matchers.
type m = map[string]any

// Example values shown in the pact where a matcher accepts any value of the form.
const (
	exampleRequestID = "5f0e8d7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b"
	exampleMillis    = 1764324000000
	exampleKey       = "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71"
)

// TestConsumer records the contract: every interaction is driven by the real agentshape client
// (host/agentapi) against the Pact mock server and asserts the Flow-style outcome it returns
// (agent-api.md §6). The pact is written to an empty directory, so runs never merge, and replaces
// contracts/pacts/ only when every interaction passed: a failing run leaves the committed pact as it was.
func TestConsumer(t *testing.T) {
	pactOut = t.TempDir()
	// pact-go records its own version in the pact's metadata, but a test binary carries no
	// dependency versions, so it would write "dev"; the version is the one go.mod requires.
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", pactGoModule).Output()
	if v := strings.TrimSpace(string(out)); err != nil || !strings.HasPrefix(v, "v") {
		t.Fatalf("go list -m %s: %q, %v (the pact's metadata names pact-go's version)", pactGoModule, out, err)
	} else {
		command.Version = v
	}
	t.Run("token request", testTokenRequest)
	t.Run("token request with a wrong secret", testTokenRejected)
	t.Run("start session 200 with the example pipeline", testStartSessionPipeline)
	for _, c := range startSessionErrorCases() {
		t.Run("start session "+c.name, func(t *testing.T) { testStartSessionError(t, c) })
	}
	t.Run("send message", testSendMessage)
	t.Run("send message 404 ended session", testSendMessageNoSession)
	t.Run("send message streamed", testSendMessageStream)
	t.Run("end session", testEndSession)
	t.Run("submit feedback", testSubmitFeedback)
	t.Run("stream events", testStreamEvents)
	if t.Failed() {
		t.Fatalf("contracts/%s left unchanged because an interaction failed", pactDir)
	}

	// The pact holds exactly the interactions above, as V4.
	raw, err := os.ReadFile(filepath.Join(pactOut, pactFile))
	if err != nil {
		t.Fatalf("pact file not written: %v", err)
	}
	var pact struct {
		Interactions []struct {
			Description string `json:"description"`
			Type        string `json:"type"`
		} `json:"interactions"`
		Metadata struct {
			PactSpecification struct {
				Version string `json:"version"`
			} `json:"pactSpecification"`
			PactGo struct {
				Version string `json:"version"`
			} `json:"pact-go"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &pact); err != nil {
		t.Fatalf("pact file is not JSON: %v", err)
	}
	if want := strings.TrimPrefix(command.Version, "v"); pact.Metadata.PactGo.Version != want {
		t.Fatalf("the pact's metadata names pact-go %q, want %s from go.mod", pact.Metadata.PactGo.Version, want)
	}
	types := map[string]int{}
	for _, in := range pact.Interactions {
		types[in.Type]++
	}
	if want := 8 + len(startSessionErrorCases()); types["Synchronous/HTTP"] != want {
		t.Fatalf("pact has %d HTTP interactions, want %d (token 200 and 400, start 200, %d start errors, send 200, 404 and streamed, end, feedback)",
			types["Synchronous/HTTP"], want, len(startSessionErrorCases()))
	}
	if want := len(streamEventKinds()); types["Asynchronous/Messages"] != want || len(pact.Interactions) != want+types["Synchronous/HTTP"] {
		t.Fatalf("pact has interactions of types %v, want %d asynchronous messages, one per streamed event name", types, want)
	}
	if v := pact.Metadata.PactSpecification.Version; !strings.HasPrefix(v, "4.") {
		t.Fatalf("pact specification %q, want V4", v)
	}
	if err := addRules(filepath.Join(pactOut, pactFile), statusRules(), bodyRules()); err != nil {
		t.Fatal(err)
	}
	if err := replacePacts(pactOut, pactDir); err != nil {
		t.Fatal(err)
	}
}

// addRules adds the response matching rules pact-go 2.7 cannot declare, found by interaction
// description: V4 statusCode rules accepting each listed status (status), and body rules (body,
// by JSON path). The Pact core and every standard verifier honour them. The file is rewritten in
// the core's own layout (sorted keys, two-space indent, trailing newline).
func addRules(file string, status map[string][]int, body map[string]map[string]any) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var pact map[string]any
	if err := dec.Decode(&pact); err != nil {
		return fmt.Errorf("pact %s: %w", file, err)
	}
	found := map[string]bool{}
	interactions, _ := pact["interactions"].([]any)
	for _, in := range interactions {
		in, _ := in.(map[string]any)
		desc, _ := in["description"].(string)
		statuses, hasStatus := status[desc]
		bodyRule, hasBody := body[desc]
		if !hasStatus && !hasBody {
			continue
		}
		resp, _ := in["response"].(map[string]any)
		if resp == nil {
			return fmt.Errorf("interaction %q has no response", desc)
		}
		mr, _ := resp["matchingRules"].(map[string]any)
		if mr == nil {
			mr = map[string]any{}
			resp["matchingRules"] = mr
		}
		if hasStatus {
			mr["status"] = map[string]any{"combine": "AND", "matchers": []any{map[string]any{"match": "statusCode", "status": statuses}}}
		}
		if hasBody {
			rules, _ := mr["body"].(map[string]any)
			if rules == nil {
				rules = map[string]any{}
				mr["body"] = rules
			}
			for path, rule := range bodyRule {
				rules[path] = rule
			}
		}
		found[desc] = true
	}
	for _, rules := range []map[string]bool{keys(status), keys(body)} {
		for desc := range rules {
			if !found[desc] {
				return fmt.Errorf("no interaction %q in %s for its matching rules", desc, file)
			}
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // keep "&" in form bodies as the core writes it
	enc.SetIndent("", "  ")
	if err := enc.Encode(pact); err != nil {
		return err
	}
	return os.WriteFile(file, out.Bytes(), 0o644)
}

// keys returns the set of m's keys.
func keys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// pactGoModule is pact-go's module path, whose version go.mod pins.
const pactGoModule = "github.com/pact-foundation/pact-go/v2"

// pactOut is the directory the running TestConsumer writes its pact to.
var pactOut string

// replacePacts makes dst hold exactly the pact files of src: stale pacts of removed consumers or
// providers disappear, and each file is replaced atomically (write to a temporary name, rename).
func replacePacts(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	fresh, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, f := range fresh {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		name := filepath.Base(f)
		keep[name] = true
		tmp := filepath.Join(dst, "."+name+".tmp")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", tmp, err)
		}
		if err := os.Rename(tmp, filepath.Join(dst, name)); err != nil {
			return fmt.Errorf("replace %s: %w", name, err)
		}
	}
	old, err := filepath.Glob(filepath.Join(dst, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if !keep[filepath.Base(f)] {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("remove stale pact %s: %w", f, err)
			}
		}
	}
	return nil
}

// addTokenInteraction declares the client-credentials token request (agent-api.md §7) that
// precedes every Agent API call of a fresh client.
func addTokenInteraction(p *consumer.V4HTTPMockProvider) {
	p.AddInteraction().
		GivenWithParameter(given(emulator.StateClientApp)).
		UponReceiving("a client credentials token request").
		WithRequest("POST", tokenPath, func(b *consumer.V4RequestBuilder) {
			b.Header("Content-Type", matchers.S("application/x-www-form-urlencoded"))
			b.Body("application/x-www-form-urlencoded",
				[]byte("grant_type=client_credentials&client_id="+clientID+"&client_secret="+clientSecret))
		}).
		WillRespondWith(200, func(b *consumer.V4ResponseBuilder) {
			b.Header("Content-Type", matchers.Regex("application/json", jsonRe))
			b.JSONBody(m{
				"access_token":     matchers.Like(exampleToken),
				"token_type":       "Bearer",
				"instance_url":     matchers.Regex(myDomain, myDomainRe),
				"api_instance_url": matchers.Like("https://api.salesforce.com"),
				"scope":            matchers.Regex("api chatbot_api sfap_api", agentScopesRe),
				"issued_at":        matchers.Regex("1764324000000", epochMillisRe),
			})
		})
}

// newClient returns the real agentshape client pointed at the mock server, with retries off so
// that each interaction is hit exactly as declared.
func newClient(t *testing.T, cfg consumer.MockServerConfig) *agentapi.Client {
	t.Helper()
	return newClientWith(t, cfg, nil)
}

// newClientWith is newClient sending through hc (nil: the client's own transport), with mods
// applied to the configuration.
func newClientWith(t *testing.T, cfg consumer.MockServerConfig, hc *http.Client, mods ...func(*agentapi.Config)) *agentapi.Client {
	t.Helper()
	base := fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port)
	conf := agentapi.Config{
		MyDomain:     myDomain,
		TokenURL:     base + tokenPath,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		APIBaseURL:   base,
		HTTPClient:   hc,
		Timeout:      10 * time.Second,
		Retry:        agentapi.RetryPolicy{MaxAttempts: 1},
	}
	for _, mod := range mods {
		mod(&conf)
	}
	c, err := agentapi.New(conf)
	if err != nil {
		t.Fatalf("agentapi.New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func testTokenRequest(t *testing.T) {
	p := newMockProvider(t)
	addTokenInteraction(p)
	err := p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		src, err := oauth.NewSource(oauth.Config{
			TokenURL:     fmt.Sprintf("http://%s:%d%s", cfg.Host, cfg.Port, tokenPath),
			ClientID:     clientID,
			ClientSecret: clientSecret,
		})
		if err != nil {
			return err
		}
		tok, err := src.Token(context.Background())
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		if tok.AccessToken != exampleToken || tok.InstanceURL != myDomain || !strings.Contains(tok.Scope, "chatbot_api") {
			return fmt.Errorf("token = {instance %q, scope %q}, want the answer's values", tok.InstanceURL, tok.Scope)
		}
		if want := time.UnixMilli(exampleMillis); !tok.IssuedAt.Equal(want) {
			return fmt.Errorf("issued at %v, want %v from issued_at", tok.IssuedAt, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testTokenRejected: a wrong client secret is refused by the token endpoint with the OAuth error
// body, and the client reports it as the 401 Exception output before any Agent API call.
func testTokenRejected(t *testing.T) {
	const wrongSecret = "not-the-secret"
	p := newMockProvider(t)
	p.AddInteraction().
		GivenWithParameter(given(emulator.StateClientApp)).
		UponReceiving("a client credentials token request with a wrong client secret").
		WithRequest("POST", tokenPath, func(b *consumer.V4RequestBuilder) {
			b.Header("Content-Type", matchers.S("application/x-www-form-urlencoded"))
			b.Body("application/x-www-form-urlencoded",
				[]byte("grant_type=client_credentials&client_id="+clientID+"&client_secret="+wrongSecret))
		}).
		WillRespondWith(400, func(b *consumer.V4ResponseBuilder) {
			b.Header("Content-Type", matchers.Regex("application/json", jsonRe))
			b.JSONBody(m{
				"error":             "invalid_client",
				"error_description": matchers.Like("invalid client credentials"),
			})
		})
	err := p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		base := fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port)
		c, err := agentapi.New(agentapi.Config{MyDomain: myDomain, TokenURL: base + tokenPath, ClientID: clientID,
			ClientSecret: wrongSecret, APIBaseURL: base, Retry: agentapi.RetryPolicy{MaxAttempts: 1}})
		if err != nil {
			return err
		}
		defer c.Close()
		out, err := c.StartSession(context.Background(), agentID, json.RawMessage(`{"externalSessionKey":"`+exampleKey+`","instanceConfig":{"endpoint":"`+myDomain+`"}}`))
		var apiErr *agentapi.APIError
		if !errors.As(err, &apiErr) || apiErr.Class != "invalid_client" || apiErr.Status != 400 {
			return fmt.Errorf("StartSession error %v, want an *agentapi.APIError for the token request, class invalid_client", err)
		}
		// One HTTP request, the token request: the mock server fails the test
		// on any Agent API request, which this interaction does not expect.
		if out == nil || out.Output != agentapi.Output401 || out.Attempts != 1 {
			return fmt.Errorf("outcome %+v, want the 401 Exception output after the one token request", out)
		}
		if strings.Contains(err.Error(), wrongSecret) || strings.Contains(out.Message, wrongSecret) {
			return fmt.Errorf("the client secret leaked into the error or outcome: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// shapeExampleRequest runs the real example pipeline (plugins/examples/pipeline.yaml, built by
// `make plugins`) over plugins/examples/context.json and returns the shaped body and agent ID.
func shapeExampleRequest(t *testing.T) (json.RawMessage, string) {
	t.Helper()
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// Fail with the fix when the plugins are missing, before loading the manifest.
	for _, name := range []string{"endpoint", "session-key", "context-vars", "timezone"} {
		if _, err := catalog.Path(name); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	man, err := pipeline.LoadManifest(filepath.Join(root, "plugins", "examples", "pipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(ctx) })
	pl, err := pipeline.New(ctx, rt, man)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pl.Close(ctx) })
	raw, err := os.ReadFile(filepath.Join(root, "plugins", "examples", "context.json"))
	if err != nil {
		t.Fatal(err)
	}
	var actx abi.Context
	if err := json.Unmarshal(raw, &actx); err != nil {
		t.Fatalf("context.json: %v", err)
	}
	res, err := pl.Run(ctx, actx, nil)
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	vs, err := schemas.Validate(schemas.StartSessionRequest, res.Request)
	if err != nil || len(vs) > 0 {
		t.Fatalf("shaped request does not validate (err %v): %+v\n%s", err, vs, res.Request)
	}
	return res.Request, actx.AgentID
}

// pipelineBody is what the example pipeline must send (agent-api.md §2, §3): the names and types
// of the variables and the fixed members exactly, the values that depend on the user by type.
func pipelineBody() m {
	variable := func(name, typ string, value string) m {
		return m{"name": name, "type": typ, "value": matchers.Like(value)}
	}
	return m{
		"externalSessionKey": matchers.Regex(exampleKey, uuidRe),
		"instanceConfig":     m{"endpoint": matchers.Regex(myDomain, myDomainRe)},
		"tz":                 matchers.Like("Europe/Berlin"),
		"variables": []any{
			variable("$Context.EndUserLanguage", "Text", "de_DE"),
			variable("orderTier", "Text", "gold"),
			variable("isVip", "Boolean", "true"),
			variable("openOrders", "Number", "2"),
			variable("$Context.EndUserContactId", "Ref", "003AA000004Tb7mYAC"),
		},
		"streamingCapabilities": m{"chunkTypes": []any{"Text"}},
		"bypassUser":            true,
	}
}

// startRequest declares a Start Session request (agent-api.md §1) for agent id with body.
func startRequest(id string, body any) (consumer.Method, string, consumer.V4RequestBuilderFunc) {
	return "POST", apiPath + "/agents/" + id + "/sessions", func(b *consumer.V4RequestBuilder) {
		b.Header("Authorization", bearerHeader())
		b.Header("Content-Type", matchers.S("application/json"))
		b.JSONBody(body)
	}
}

func testStartSessionPipeline(t *testing.T) {
	body, id := shapeExampleRequest(t)
	p := newMockProvider(t)
	addTokenInteraction(p)
	method, path, req := startRequest(agentID, pipelineBody())
	p.AddInteraction().
		GivenWithParameter(given(emulator.StateAgentActive)).
		UponReceiving("a Start Session request shaped by the example pipeline").
		WithRequest(method, path, req).
		WillRespondWith(200, func(b *consumer.V4ResponseBuilder) {
			b.Header("Content-Type", matchers.Regex("application/json", jsonRe))
			b.JSONBody(m{
				"sessionId": matchers.Regex(exampleSessionID, uuidRe),
				"_links": m{
					"self":     nil,
					"messages": m{"href": matchers.Regex("https://api.salesforce.com"+apiPath+"/sessions/"+exampleSessionID+"/messages", `^.*/sessions/[^/]+/messages$`)},
					"end":      m{"href": matchers.Regex("https://api.salesforce.com"+apiPath+"/sessions/"+exampleSessionID, `^.*/sessions/[^/]+$`)},
				},
				"messages": matchers.EachLike(m{
					"type":          matchers.Regex("Inform", `^Inform$`),
					"id":            matchers.Like("9d8e7f60-1a2b-4c3d-8e4f-5a6b7c8d9e0f"),
					"message":       matchers.Like("Hi, I'm an AI assistant. How can I help you?"),
					"isContentSafe": matchers.Like(true),
					"feedbackId":    matchers.Like(""),
				}, 1),
			})
		})
	err := p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		out, err := newClient(t, cfg).StartSession(context.Background(), id, body)
		if err != nil {
			return fmt.Errorf("StartSession: %w", err)
		}
		if out.Output != agentapi.OutputOK || out.ResponseCode != 200 || out.Session == nil {
			return fmt.Errorf("outcome %q (%d), session %v; want the 200 output with a session", out.Output, out.ResponseCode, out.Session)
		}
		if out.Session.SessionID != exampleSessionID || len(out.Session.Messages) != 1 || out.Session.Messages[0].Type != "Inform" || out.Session.Messages[0].Message == "" {
			return fmt.Errorf("session = %+v, want the session ID and the greeting", out.Session)
		}
		if out.Attempts != 1 {
			return fmt.Errorf("%d attempts, want 1", out.Attempts)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startErrorCase is one documented non-200 outcome of Start Session (agent-api.md §5, §6), as
// the pact accepts it from a real org (agent-api.md §5, "What the contract accepts").
type startErrorCase struct {
	name        string // subtest name
	description string // the interaction's description
	state       string
	agentID     string
	body        m // the request as the client sends it (matchers allowed)
	status      int
	// statuses, when set, are every status the provider may answer (a statusCode rule); status is
	// the one the consumer test's mock answers.
	statuses []int
	class    string // error class the consumer test's mock answers
	// classRe is every class the provider may answer: the documented one and its other
	// spelling (…Error, …Exception) seen from real orgs.
	classRe string
	message any // message matcher
	// requestIDHeader: the reference declares X-Request-ID on this answer, so the pact requires it.
	requestIDHeader bool
	source          string // where the rules of this answer come from, written into the pact
	wantOutput      string // Flow output (agent-api.md §6)
	wantAttempt     int    // HTTP requests the call takes
}

// validBody is a Start Session body that passes every check before the one a case is about.
func validBody(endpoint any) m {
	return m{
		"externalSessionKey":    matchers.Regex(exampleKey, uuidRe),
		"instanceConfig":        m{"endpoint": endpoint},
		"streamingCapabilities": m{"chunkTypes": []any{"Text"}},
		"bypassUser":            true,
	}
}

// errorClass is the regular expression of an error class with either ending: the reference's
// classes end in Error (or, for 422, Exception), the classes Salesforce's client recorded from
// real orgs in Exception (agent-api.md §5). optional allows the bare stem (503 ServiceUnavailable).
func errorClass(stem string, optional bool) string {
	q := ""
	if optional {
		q = "?"
	}
	return "^" + stem + "(Error|Exception)" + q + "$"
}

// documented is the source of an answer the reference documents with its class, message and
// X-Request-ID header.
const documented = "docs/agent-api.md §5: the reference's answer (class with either ending, message as documented, X-Request-ID declared)"

func startSessionErrorCases() []startErrorCase {
	withUserID := validBody(myDomain)
	withUserID["userId"] = "005AA0000000001AAA" // absent from the v1 schema (agent-api.md §2 Strictness)
	return []startErrorCase{
		{name: "400 or 500 bad agent ID", description: "a Start Session request for a malformed agent ID",
			state: emulator.StateAgentActive, agentID: malformedAgentID, body: validBody(myDomain), status: 400, statuses: []int{400, 500},
			class: "BadRequestError", classRe: "^(BadRequest|HttpServerError)(Error|Exception)$",
			message:    matchers.Like(malformedAgentID + " is not a valid agent ID"),
			source:     "docs/agent-api.md §5, §8: documented 400 '… is not a valid agent ID' or 500 HttpServerErrorException, observed 500 HttpServerErrorException; no X-Request-ID required",
			wantOutput: agentapi.Output400, wantAttempt: 1},
		{name: "400 unknown field", description: "a Start Session request with the unknown field userId",
			state: emulator.StateAgentActive, agentID: agentID, body: withUserID, status: 400, class: "BadRequestError", classRe: errorClass("BadRequest", false),
			message:         matchers.Regex(`Unrecognized field "userId"`, `^.*Unrecognized field "userId".*$`),
			requestIDHeader: true, source: documented + "; the message observed (§2 Strictness)",
			wantOutput: agentapi.Output400, wantAttempt: 1},
		{name: "401 expired token", description: "a Start Session request with an expired access token",
			state: emulator.StateTokenExpired, agentID: agentID, body: validBody(myDomain), status: 401, class: "UnauthorizedError", classRe: errorClass("Unauthorized", false),
			message:         matchers.Regex("Access bearer token is missing or invalid", `^Access bearer token is missing or invalid.*$`),
			requestIDHeader: true, source: documented, wantOutput: agentapi.Output401, wantAttempt: 2},
		{name: "403 forbidden", description: "a Start Session request by a user without Manage AI Agents",
			state: emulator.StateForbidden, agentID: agentID, body: validBody(myDomain), status: 403, class: "ForbiddenError", classRe: errorClass("Forbidden", false),
			message:         matchers.Regex("User forbidden from accessing the resource", `^User forbidden from accessing the resource.*$`),
			requestIDHeader: true, source: documented, wantOutput: agentapi.Output403, wantAttempt: 1},
		{name: "404 unknown agent", description: "a Start Session request for an agent that does not exist",
			state: emulator.StateNoAgent, agentID: unknownAgentID, body: validBody(myDomain), status: 404, class: "NotFoundError", classRe: errorClass("NotFound", false),
			message:         matchers.Regex("Resource not found", `^Resource not found.*$`),
			requestIDHeader: true, source: documented, wantOutput: agentapi.Output404, wantAttempt: 1},
		{name: "422 no active version", description: "a Start Session request for an agent without an active version",
			state: emulator.StateAgentInactive, agentID: agentID, body: validBody(myDomain), status: 422, class: "RequestProcessingException", classRe: errorClass("RequestProcessing", false),
			message:         matchers.Regex("Cannot determine the active version for the agent", `^Cannot determine the active version for the agent.*$`),
			requestIDHeader: true, source: documented, wantOutput: agentapi.Output422, wantAttempt: 1},
		{name: "423 busy", description: "a Start Session request while the API is busy",
			state: emulator.StateBusy, agentID: agentID, body: validBody(myDomain), status: 423, class: "ServerBusyError", classRe: errorClass("ServerBusy", false),
			message:         matchers.Regex("Server is busy and cannot process the request at this time", `^Server is busy and cannot process the request at this time.*$`),
			requestIDHeader: true, source: documented, wantOutput: agentapi.Output423, wantAttempt: 1},
		{name: "429 rate limited", description: "a Start Session request over the rate limit",
			state: emulator.StateRateLimited, agentID: agentID, body: validBody(myDomain), status: 429, class: "TooManyRequestsError", classRe: errorClass("TooManyRequests", false),
			message:         matchers.Regex("Too many requests for the server to handle", `^Too many requests for the server to handle.*$`),
			requestIDHeader: true, source: documented, wantOutput: agentapi.Output429, wantAttempt: 1},
		{name: "503 unavailable", description: "a Start Session request while the API is unavailable",
			state: emulator.StateUnavailable, agentID: agentID, body: validBody(myDomain), status: 503, class: "ServiceUnavailable", classRe: errorClass("ServiceUnavailable", true),
			message:         matchers.Like("Service is unavailable possibly because Apex/Flow calls timed out"),
			requestIDHeader: true, source: documented + " (the reference's class is the bare ServiceUnavailable)", wantOutput: agentapi.Output503, wantAttempt: 1},
		{name: "500 endpoint not My Domain", description: "a Start Session request whose endpoint is not the org's My Domain",
			state: emulator.StateAgentActive, agentID: agentID, body: validBody(otherDomain), status: 500, class: "EngineConfigLookupException", classRe: errorClass("EngineConfigLookup", false),
			message:    matchers.Like("EngineConfigLookupException"),
			source:     "docs/agent-api.md §8: documented by the troubleshooting guide with its class only; no X-Request-ID required",
			wantOutput: agentapi.OutputDefault, wantAttempt: 1},
	}
}

// statusRules are the statusCode rules pact-go cannot declare, by interaction description; the
// consumer test adds them to the pact it wrote (addStatusRules).
func statusRules() map[string][]int {
	rules := map[string][]int{}
	for _, c := range startSessionErrorCases() {
		if c.statuses != nil {
			rules[c.description] = c.statuses
		}
	}
	return rules
}

// errorBody is the documented Error body (agent-api.md §5) as the pact accepts it: status as
// answered, path any string (real orgs send an internal one), requestId a UUID, class by regex,
// timestamp an integer (milliseconds; schemas/error-response narrows the reference's number).
func errorBody(status any, path string, class, classRe string, message any) m {
	return m{
		"status":    status,
		"path":      matchers.Like(path),
		"requestId": matchers.Regex(exampleRequestID, uuidRe),
		"error":     matchers.Regex(class, classRe),
		"message":   message,
		"timestamp": matchers.Integer(exampleMillis),
	}
}

// exampleValue replaces every matcher in v by its example value: the body the client sends.
func exampleValue(v any) any {
	switch x := v.(type) {
	case matchers.StructMatcher: // fromState: a raw matcher, its example in "value"
		return exampleValue(x["value"])
	case matchers.Matcher:
		return exampleValue(x.GetValue())
	case m:
		out := m{}
		for k, e := range x {
			out[k] = exampleValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = exampleValue(e)
		}
		return out
	default:
		return v
	}
}

func testStartSessionError(t *testing.T, c startErrorCase) {
	p := newMockProvider(t)
	addTokenInteraction(p)
	method, path, req := startRequest(c.agentID, c.body)
	var status any = c.status
	if c.statuses != nil {
		status = matchers.Like(c.status) // any number: the statusCode rule says which
	}
	p.AddInteraction().
		GivenWithParameter(given(c.state)).
		UponReceiving(c.description).
		AddExternalReference("agentshape", "source", c.source).
		WithRequest(method, path, req).
		WillRespondWith(c.status, func(b *consumer.V4ResponseBuilder) {
			b.Header("Content-Type", matchers.Regex("application/json", jsonRe))
			if c.requestIDHeader {
				b.Header("X-Request-ID", matchers.Regex(exampleRequestID, uuidRe))
			}
			b.JSONBody(errorBody(status, path, c.class, c.classRe, c.message))
		})
	body, err := json.Marshal(exampleValue(c.body))
	if err != nil {
		t.Fatal(err)
	}
	err = p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		client := newClient(t, cfg)
		if agentapi.ValidateAgentID(c.agentID) != nil {
			// The client refuses a malformed ID itself, before any request (agent-api.md §1) ...
			out, err := client.StartSession(context.Background(), c.agentID, body)
			if out != nil || !errors.Is(err, agentapi.ErrInvalidAgentID) {
				return fmt.Errorf("StartSession(%q) = %+v, %v; want the client's own ErrInvalidAgentID and no request", c.agentID, out, err)
			}
			// ... so the API's verdict on one is recorded with the client's documented escape hatch,
			// Config.SkipAgentIDCheck, which sends the ID as given (still refusing path-unsafe ones).
			client = newClientWith(t, cfg, nil, func(c *agentapi.Config) { c.SkipAgentIDCheck = true })
		}
		out, err := client.StartSession(context.Background(), c.agentID, body)
		var apiErr *agentapi.APIError
		if !errors.As(err, &apiErr) {
			return fmt.Errorf("StartSession error %v, want an *agentapi.APIError", err)
		}
		if out == nil || out.Output != c.wantOutput || out.ResponseCode != c.status {
			return fmt.Errorf("outcome %+v, want output %q with response code %d", out, c.wantOutput, c.status)
		}
		if apiErr.Status != c.status || apiErr.Class != c.class || apiErr.RequestID != exampleRequestID {
			return fmt.Errorf("APIError{Status %d, Class %q, RequestID %q}, want %d %q %q", apiErr.Status, apiErr.Class, apiErr.RequestID, c.status, c.class, exampleRequestID)
		}
		wantMsg, _ := exampleValue(c.message).(string)
		if out.Message != wantMsg || out.ErrorBody == nil || out.ErrorBody.Status != c.status || len(out.RawBody) == 0 {
			return fmt.Errorf("outcome message %q, error body %+v; want %q and the decoded body", out.Message, out.ErrorBody, wantMsg)
		}
		if out.Attempts != c.wantAttempt {
			return fmt.Errorf("%d attempts, want %d", out.Attempts, c.wantAttempt)
		}
		if retry := agentapi.IsRetryable(err); retry != (c.status == 423 || c.status == 429 || c.status == 503) {
			return fmt.Errorf("IsRetryable = %v for %d (agent-api.md §5: only 423/429/503 are transient; which calls repeat them: §10)", retry, c.status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sessionPath is a path below /sessions/{sessionId} (agent-api.md §1): exampleSessionID in the
// consumer test, the provider state's sessionId at verification.
func sessionPath(suffix string) matchers.Matcher {
	return fromState(apiPath+"/sessions/${"+emulator.ValueSessionID+"}"+suffix, apiPath+"/sessions/"+exampleSessionID+suffix,
		"^"+regexp.QuoteMeta(apiPath)+"/sessions/[^/]+"+regexp.QuoteMeta(suffix)+"$")
}

// sequenceID is message.sequenceId: example in the consumer test, the provider state's next
// sequenceId at verification (agent-api.md §1: it increases with every message of a session).
func sequenceID(example int) matchers.Matcher {
	return fromStateInt("${"+emulator.ValueSequenceID+"}", example)
}

// sessionRequest declares, on a new mock provider with the token interaction, a request below
// /sessions/{sessionId} (agent-api.md §1) in the provider state: the bearer token, the headers
// given (name, value pairs), and body as JSON when it is not nil. source is where the
// interaction's rules come from, written into the pact.
func sessionRequest(t *testing.T, state, description, source, method, suffix string, body any, headers ...string) (*consumer.V4HTTPMockProvider, *consumer.V4InteractionWithRequest) {
	t.Helper()
	p := newMockProvider(t)
	addTokenInteraction(p)
	in := p.AddInteraction().
		GivenWithParameter(given(state)).
		UponReceiving(description).
		AddExternalReference("agentshape", "source", source).
		WithRequestPathMatcher(consumer.Method(method), sessionPath(suffix), func(b *consumer.V4RequestBuilder) {
			b.Header("Authorization", bearerHeader())
			for i := 0; i+1 < len(headers); i += 2 {
				b.Header(headers[i], matchers.S(headers[i+1]))
			}
			if body != nil {
				b.JSONBody(body)
			}
		})
	return p, in
}

// textBody is a Send Message body with one Text message (agent-api.md §1).
func textBody(sequence int, text string) m {
	return m{"message": m{"type": "Text", "sequenceId": sequenceID(sequence), "text": matchers.Like(text)}}
}

func testSendMessage(t *testing.T) {
	p, in := sessionRequest(t, emulator.StateSession, "a synchronous Send Message request",
		"docs/agent-api.md §1, §11: SendMessageRequest; the answer's messages, each with its type's documented members",
		"POST", "/messages", textBody(1, "Where is my order?"), "Content-Type", "application/json")
	in.WillRespondWith(200, func(b *consumer.V4ResponseBuilder) {
		b.Header("Content-Type", matchers.Regex("application/json", jsonRe))
		b.JSONBody(m{
			"messages": matchers.EachLike(m{
				"type":          matchers.Like("Inform"),
				"id":            matchers.Like("9d8e7f60-1a2b-4c3d-8e4f-5a6b7c8d9e0f"),
				"message":       matchers.Like("Your order ships tomorrow."),
				"isContentSafe": matchers.Like(true),                                   // required in an Inform (agent-api.md §4)
				"feedbackId":    matchers.Like("5d9e0a1b-3c4f-4a72-8e6d-b0c1a2f3e4d5"), // likewise
			}, 1),
		})
	})
	err := p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		out, err := newClient(t, cfg).SendMessage(context.Background(), exampleSessionID, agentapi.TextMessage(1, "Where is my order?"))
		if err != nil {
			return fmt.Errorf("SendMessage: %w", err)
		}
		if out.Output != agentapi.OutputOK || out.Messages == nil || len(out.Messages.Messages) != 1 || out.Messages.Messages[0].Message != "Your order ships tomorrow." {
			return fmt.Errorf("outcome %+v, want 200 with the agent's reply", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testSendMessageNoSession(t *testing.T) {
	p, in := sessionRequest(t, emulator.StateSessionEnded, "a Send Message request for a session that has ended",
		"docs/agent-api.md §5, §8: documented 404 NotFoundError 'Resource not found', recorded 404 NotFoundException 'V6Session not found for sessionId: <id>' with no headers; no X-Request-ID required",
		"POST", "/messages", textBody(2, "Are you still there?"), "Content-Type", "application/json")
	in.WillRespondWith(404, func(b *consumer.V4ResponseBuilder) {
		b.Header("Content-Type", matchers.Regex("application/json", jsonRe))
		b.JSONBody(errorBody(404, apiPath+"/sessions/"+exampleSessionID+"/messages", "NotFoundException", errorClass("NotFound", false),
			matchers.Regex("V6Session not found for sessionId: "+exampleSessionID, `^(V6Session not found for sessionId: .*|Resource not found.*)$`)))
	})
	err := p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		out, err := newClient(t, cfg).SendMessage(context.Background(), exampleSessionID, agentapi.TextMessage(2, "Are you still there?"))
		var apiErr *agentapi.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Class != "NotFoundException" {
			return fmt.Errorf("SendMessage error %v, want an *agentapi.APIError 404 NotFoundException", err)
		}
		if out == nil || out.Output != agentapi.Output404 || !strings.HasPrefix(out.Message, "V6Session not found") || out.Attempts != 1 {
			return fmt.Errorf("outcome %+v, want the 404 Exception output after one attempt", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testEndSession(t *testing.T) {
	p, in := sessionRequest(t, emulator.StateSession, "an End Session request by the user",
		"docs/agent-api.md §1: x-session-end-reason UserRequest; a SessionEnded message, reason ClientRequest as recorded",
		"DELETE", "", nil, "x-session-end-reason", "UserRequest")
	in.WillRespondWith(200, func(b *consumer.V4ResponseBuilder) {
		b.Header("Content-Type", matchers.Regex("application/json", jsonRe))
		b.JSONBody(m{
			"messages": []any{m{
				"type":   "SessionEnded",
				"id":     matchers.Like("9d8e7f60-1a2b-4c3d-8e4f-5a6b7c8d9e0f"),
				"reason": "ClientRequest",
			}},
		})
	})
	err := p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		out, err := newClient(t, cfg).EndSession(context.Background(), exampleSessionID, agentapi.EndUserRequest)
		if err != nil {
			return fmt.Errorf("EndSession: %w", err)
		}
		if out.Output != agentapi.OutputOK || out.Messages == nil || len(out.Messages.Messages) != 1 ||
			out.Messages.Messages[0].Type != "SessionEnded" || out.Messages.Messages[0].Reason != "ClientRequest" {
			return fmt.Errorf("outcome %+v, want 200 with a SessionEnded message, reason ClientRequest", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
