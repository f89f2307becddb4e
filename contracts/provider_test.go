package contracts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pact-foundation/pact-go/v2/models"
	"github.com/pact-foundation/pact-go/v2/provider"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

// contractOrg is the emulator org the contract's literals describe: My Domain, agent, client app.
func contractOrg() *emulator.Org {
	org := emulator.DefaultOrg()
	org.MyDomain = myDomain
	org.Agents = org.Agents[:1]
	org.Agents[0].ID = agentID
	org.Agents[0].ActiveVersion = nil
	org.ClientApps = org.ClientApps[:1]
	org.ClientApps[0].ClientID = clientID
	org.ClientApps[0].ClientSecret = clientSecret
	org.ClientApps[0].RunAs.ManageAIAgents = true
	org.RateLimit = nil
	org.Faults = nil
	return org
}

// providerStates sets the emulator up for each provider state and tells the request filter which
// access token and session ID to put into the replayed requests.
type providerStates struct {
	srv *emulator.Server

	mu        sync.Mutex
	token     string // replaces the pact's example bearer token
	sessionID string // replaces exampleSessionID in request paths
	forwarded int    // requests replayed to the emulator
}

// reset restores the contract org, changed by mutate, with a fresh valid token and no session.
func (ps *providerStates) reset(mutate func(*emulator.Org)) error {
	ps.srv.Reset()
	if mutate != nil {
		if err := ps.srv.UpdateOrg(func(o *emulator.Org) error { mutate(o); return nil }); err != nil {
			return fmt.Errorf("update org: %w", err)
		}
	}
	return ps.mint(time.Hour)
}

// mint issues the token the filter sends; a negative lifetime gives an expired one.
func (ps *providerStates) mint(lifetime time.Duration) error {
	tok, err := ps.srv.MintToken(clientID, lifetime, ps.srv.URL)
	if err != nil {
		return fmt.Errorf("mint token: %w", err)
	}
	ps.mu.Lock()
	ps.token, ps.sessionID = tok.AccessToken, ""
	ps.mu.Unlock()
	return nil
}

// startSession starts a real session on the emulator with the agentshape client.
func (ps *providerStates) startSession() (string, error) {
	c, err := ps.client()
	if err != nil {
		return "", err
	}
	defer c.Close()
	body := fmt.Sprintf(`{"externalSessionKey":%q,"instanceConfig":{"endpoint":%q}}`, exampleKey, myDomain)
	out, err := c.StartSession(context.Background(), agentID, json.RawMessage(body))
	if err != nil {
		return "", fmt.Errorf("start a session for the provider state: %w", err)
	}
	return out.Session.SessionID, nil
}

// endSession ends a session on the emulator with the agentshape client.
func (ps *providerStates) endSession(id string) error {
	c, err := ps.client()
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.EndSession(context.Background(), id, agentapi.EndUserRequest); err != nil {
		return fmt.Errorf("end the session for the provider state: %w", err)
	}
	return nil
}

// client returns an agentshape client for the emulator, retries off.
func (ps *providerStates) client() (*agentapi.Client, error) {
	return agentapi.New(agentapi.Config{
		MyDomain: myDomain, TokenURL: ps.srv.URL + tokenPath, ClientID: clientID, ClientSecret: clientSecret,
		APIBaseURL: ps.srv.URL, Timeout: 10 * time.Second, Retry: agentapi.RetryPolicy{MaxAttempts: 1},
	})
}

// handlers maps every provider state of the contract to its setup.
func (ps *providerStates) handlers() models.StateHandlers {
	setup := func(f func() error) models.StateHandler {
		return func(isSetup bool, _ models.ProviderState) (models.ProviderStateResponse, error) {
			if !isSetup {
				return nil, nil
			}
			return nil, f()
		}
	}
	fault := func(status int) func() error {
		return func() error {
			if err := ps.reset(nil); err != nil {
				return err
			}
			_, err := ps.srv.InjectFault(emulator.Fault{Name: "contract", Operations: []emulator.Operation{emulator.OpStart}, Status: status, Count: 1})
			return err
		}
	}
	return models.StateHandlers{
		stateClientApp: setup(func() error { return ps.reset(nil) }),
		stateActive:    setup(func() error { return ps.reset(nil) }),
		stateNoActive: setup(func() error {
			off := false
			return ps.reset(func(o *emulator.Org) { o.Agents[0].ActiveVersion = &off })
		}),
		stateNoAgent: setup(func() error {
			if err := ps.reset(nil); err != nil {
				return err
			}
			for _, a := range ps.srv.Org().Agents {
				if a.ID == unknownAgentID {
					return fmt.Errorf("the org has agent %s, the state says it does not", unknownAgentID)
				}
			}
			return nil
		}),
		stateExpired: setup(func() error {
			if err := ps.reset(nil); err != nil {
				return err
			}
			return ps.mint(-time.Minute)
		}),
		stateForbidden: setup(func() error {
			return ps.reset(func(o *emulator.Org) { o.ClientApps[0].RunAs.ManageAIAgents = false })
		}),
		stateBusy: setup(fault(http.StatusLocked)),
		stateDown: setup(fault(http.StatusServiceUnavailable)),
		stateRateLimit: setup(func() error {
			// One request per ~17 minutes, burst 1: the session started here uses the only slot.
			err := ps.reset(func(o *emulator.Org) {
				o.RateLimit = &emulator.RateLimit{RequestsPerSecond: 0.001, Burst: 1}
			})
			if err != nil {
				return err
			}
			_, err = ps.startSession()
			return err
		}),
		stateNoSession: setup(func() error {
			// Start a session and end it: its ID is then unknown to the API (agent-api.md §8).
			if err := ps.reset(nil); err != nil {
				return err
			}
			id, err := ps.startSession()
			if err != nil {
				return err
			}
			if err := ps.endSession(id); err != nil {
				return err
			}
			ps.mu.Lock()
			ps.sessionID = id
			ps.mu.Unlock()
			return nil
		}),
		stateSession: setup(func() error {
			if err := ps.reset(nil); err != nil {
				return err
			}
			id, err := ps.startSession()
			if err != nil {
				return err
			}
			ps.mu.Lock()
			ps.sessionID = id
			ps.mu.Unlock()
			return nil
		}),
	}
}

// filter puts the state's real token and session ID into each replayed request: the pact holds
// example values, the emulator only honours what it issued.
func (ps *providerStates) filter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		token, sid := ps.token, ps.sessionID
		ps.forwarded++
		ps.mu.Unlock()
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		if sid != "" && strings.Contains(r.URL.Path, "/sessions/"+exampleSessionID) {
			r.URL.Path = strings.Replace(r.URL.Path, "/sessions/"+exampleSessionID, "/sessions/"+sid, 1)
			r.URL.RawPath = ""
		}
		next.ServeHTTP(w, r)
	})
}

// pactStates returns the provider state names used in the pact file and its interaction count.
func pactStates(t *testing.T, path string) ([]string, int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run the consumer tests first (`make contracts`)", err)
	}
	var pact struct {
		Interactions []struct {
			ProviderStates []struct {
				Name string `json:"name"`
			} `json:"providerStates"`
		} `json:"interactions"`
	}
	if err := json.Unmarshal(raw, &pact); err != nil {
		t.Fatalf("pact %s: %v", path, err)
	}
	seen := map[string]bool{}
	for _, in := range pact.Interactions {
		for _, s := range in.ProviderStates {
			seen[s.Name] = true
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, len(pact.Interactions)
}

// TestProvider verifies the committed pact against the agentshape emulator (host/emulator) on a
// loopback port: the emulator honours every interaction the client relies on.
func TestProvider(t *testing.T) {
	path, err := filepath.Abs(filepath.Join(pactDir, pactFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{Addr: "127.0.0.1:0", Org: contractOrg()})
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ps := &providerStates{srv: srv}
	handlers := ps.handlers()

	// pact-go only warns about a state without a handler; here it is an error.
	states, interactions := pactStates(t, path)
	for _, s := range states {
		if _, ok := handlers[s]; !ok {
			t.Errorf("provider state %q has no handler in provider_test.go", s)
		}
	}

	err = provider.NewVerifier().VerifyProvider(t, provider.VerifyRequest{
		Provider:             providerName,
		ProviderBaseURL:      srv.URL,
		PactFiles:            []string{path},
		StateHandlers:        handlers,
		RequestFilter:        ps.filter,
		DisableColoredOutput: true,
		RequestTimeout:       30 * time.Second,
	})
	if err != nil {
		t.Fatalf("provider verification against the emulator: %v", err)
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.forwarded != interactions {
		t.Errorf("%d requests reached the emulator, want one per interaction (%d)", ps.forwarded, interactions)
	}
}
