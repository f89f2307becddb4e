package features

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/agentshape/agentshape/host/plugin"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/schemas"
)

// world is the state of one scenario. Steps only arrange real parts (an
// emulator on 127.0.0.1, real plugins, the real CLI) and read their results.
type world struct {
	ctx context.Context

	// the org the emulator serves
	org    *emulator.Org
	srv    *http.Server
	url    string
	handle *emulator.Handler
	rec    *recorder

	// Flow
	flowBody    []byte
	mappedBody  []byte
	tenantKeyID string // the action's Tenant Key ID input

	// the caller's request body (client steps)
	body []byte

	// shaping
	context   json.RawMessage
	entries   []entry
	seed      int64
	det       bool
	shaped    []*pipeline.Result
	fuel      []int64 // the fuel of each run counted, in order
	shapeErr  error
	loadErr   error
	violation []schemas.Violation

	// a refusal before anything was sent
	refused error

	// results
	outcome   *agentapi.Outcome
	callErr   error
	sessionID string
	stream    []agentapi.StreamEvent

	clients  map[clientKey]*agentapi.Client
	outcomes []*agentapi.Outcome
	// retryUnsafe opts the scenario's clients in to repeating Start Session
	// and Send Message after 423, 429 and 503 (RetryPolicy.RetryUnsafe).
	retryUnsafe bool

	// tmp is the scenario's scratch directory (removed after the scenario)
	tmp string

	// restoreEnv undoes the scenario's environment changes.
	restoreEnv []func()

	// CLI
	exitCode       int
	stdout, stderr string
	file           string
	orgFile        string            // an emulator-org file written by the scenario (conformance --org)
	pipelines      map[string]string // the baseline and new pipeline manifests (conformance --baseline-manifest)
	fuelSeed       string            // a --seed under which a seed of the fuel sweep finds more fuel
	fuelSeedMax    string            // the plugin's fuel max under fuelSeed alone (--fuel-seeds 0)
}

// entry is one plugin of the scenario's pipeline.
type entry struct {
	name, rel string
	config    map[string]any
	sha256    string
	grants    plugin.Grants // written to the manifest's grants
	limits    string        // the manifest's limits, a YAML flow mapping ("" for none)
}

func initScenario(sc *godog.ScenarioContext) {
	w := &world{ctx: context.Background()}
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		w.close()
		return ctx, nil
	})
	w.orgSteps(sc)
	w.flowSteps(sc)
	w.pluginSteps(sc)
	w.clientSteps(sc)
	w.cliSteps(sc)
}

// ---- the emulator ----

// recorder keeps what the emulator received on Start Session.
type recorder struct {
	mu     sync.Mutex
	starts [][]byte
	next   http.Handler
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/sessions") && strings.Contains(req.URL.Path, "/agents/") {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.starts = append(r.starts, b)
		r.mu.Unlock()
	}
	r.next.ServeHTTP(w, req)
}

func (r *recorder) startBodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.starts...)
}

// myDomainOf is the My Domain URL of an org named name.
func myDomainOf(name string) string { return "https://" + name + ".my.salesforce.com" }

const (
	clientID     = "flow-runner"
	clientSecret = "flow-runner-secret"
)

// ensureOrg creates the scenario's org on first use.
func (w *world) ensureOrg() *emulator.Org {
	if w.org == nil {
		w.org = &emulator.Org{Name: "acme", MyDomain: myDomainOf("acme"),
			ClientApps: []emulator.ClientApp{{ClientID: clientID, ClientSecret: clientSecret,
				RunAs: emulator.RunAsUser{Username: "flow-runner@acme.example", ManageAIAgents: true}}}}
	}
	return w.org
}

// agent returns the org's agent id, adding it when missing.
func (w *world) agent(id string) *emulator.Agent {
	org := w.ensureOrg()
	for i := range org.Agents {
		if org.Agents[i].ID == id {
			return &org.Agents[i]
		}
	}
	org.Agents = append(org.Agents, emulator.Agent{ID: id, Type: emulator.ServiceAgent})
	return &org.Agents[len(org.Agents)-1]
}

// emulatorURL starts the emulator for the scenario's org on 127.0.0.1.
func (w *world) emulatorURL() (string, error) {
	if w.url != "" {
		return w.url, nil
	}
	h, err := emulator.New(emulator.Options{Org: w.ensureOrg()})
	if err != nil {
		return "", fmt.Errorf("the scenario's org is not a valid emulator org: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	w.handle = h
	w.rec = &recorder{next: h}
	w.srv = &http.Server{Handler: w.rec, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = w.srv.Serve(ln) }()
	w.url = "http://" + ln.Addr().String()
	return w.url, nil
}

// tempDir returns the scenario's scratch directory, creating it on first use.
func (w *world) tempDir() (string, error) {
	if w.tmp == "" {
		d, err := os.MkdirTemp("", "agentshape-scenario-")
		if err != nil {
			return "", err
		}
		w.tmp = d
	}
	return w.tmp, nil
}

func (w *world) close() {
	for _, undo := range w.restoreEnv {
		undo()
	}
	w.restoreEnv = nil
	if w.tmp != "" {
		_ = os.RemoveAll(w.tmp)
	}
	for _, c := range w.clients {
		c.Close()
	}
	if w.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = w.srv.Shutdown(ctx)
		cancel()
	}
}

// clientKey names one retry policy of the scenario's clients.
type clientKey struct {
	attempts    int
	retryUnsafe bool
}

// client returns the scenario's Agent API client for the emulator (one per
// retry policy, kept for the scenario so its token is reused).
func (w *world) client(attempts int) (*agentapi.Client, error) {
	key := clientKey{attempts, w.retryUnsafe}
	if c, ok := w.clients[key]; ok {
		return c, nil
	}
	u, err := w.emulatorURL()
	if err != nil {
		return nil, err
	}
	c, err := agentapi.New(agentapi.Config{
		MyDomain: w.org.MyDomain, TokenURL: u + emulator.TokenPath,
		ClientID: clientID, ClientSecret: clientSecret, APIBaseURL: u,
		Timeout: 10 * time.Second,
		Retry: agentapi.RetryPolicy{MaxAttempts: attempts, BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxElapsed: 5 * time.Second,
			RetryUnsafe: w.retryUnsafe},
	})
	if err != nil {
		return nil, err
	}
	if w.clients == nil {
		w.clients = map[clientKey]*agentapi.Client{}
	}
	w.clients[key] = c
	return c, nil
}

// startSession sends body to Start Session and keeps the outcome.
func (w *world) startSession(agentID string, body []byte, attempts int) error {
	c, err := w.client(attempts)
	if err != nil {
		return err
	}
	out, err := c.StartSession(w.ctx, agentID, body)
	if out == nil {
		out = agentapi.OutcomeOf(err)
	}
	w.outcome, w.callErr = out, err
	if out == nil {
		var ae *agentapi.APIError
		if errors.As(err, &ae) {
			return fmt.Errorf("start session: %w", err)
		}
		// refused before any request (e.g. a malformed agent ID)
		w.refused = err
	}
	if out != nil && out.Session != nil {
		w.sessionID = out.Session.SessionID
	}
	return nil
}

// context returns the scenario's context, or a typical one.
func (w *world) abiContext() (abi.Context, error) {
	var c abi.Context
	if len(w.context) == 0 {
		return abi.Context{AgentID: "0XxAA0000000001AAA", Org: abi.Org{MyDomain: "acme"}, User: abi.User{Locale: "en_US"}}, nil
	}
	if err := json.Unmarshal(w.context, &c); err != nil {
		return c, fmt.Errorf("the scenario's context is not a valid context: %w", err)
	}
	return c, nil
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(a, b []byte) (bool, error) {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false, fmt.Errorf("not JSON: %s: %w", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return false, fmt.Errorf("not JSON: %s: %w", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya), nil
}

// unquote turns the \" a step text may hold back into ".
func unquote(s string) string { return strings.ReplaceAll(s, `\"`, `"`) }
