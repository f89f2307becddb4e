package contracts

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pact-foundation/pact-go/v2/provider"

	"github.com/agentshape/agentshape/host/emulator"
)

// pactPath is the committed pact's absolute path.
func pactPath(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(pactDir, pactFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v: run the consumer tests first (`make contracts`)", err)
	}
	return path
}

// pactSummary is what the provider tests read from a pact: its provider states and interactions.
type pactSummary struct {
	states       []string
	interactions int
}

func readPactSummary(t *testing.T, path string) pactSummary {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
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
	var s pactSummary
	for _, in := range pact.Interactions {
		for _, st := range in.ProviderStates {
			if !slices.Contains(s.states, st.Name) {
				s.states = append(s.states, st.Name)
			}
		}
	}
	slices.Sort(s.states)
	s.interactions = len(pact.Interactions)
	return s
}

// The emulator sets up every provider state the pact names (a verifier only warns about an
// unknown one; here it is an error).
func TestProviderStatesKnown(t *testing.T) {
	for _, s := range readPactSummary(t, pactPath(t)).states {
		if !slices.Contains(emulator.ProviderStates(), s) {
			t.Errorf("provider state %q of the pact is not one the emulator sets up (host/emulator/providerstates.go)", s)
		}
	}
}

// countRequests counts the requests next serves outside the admin API: those a verifier replays.
func countRequests(n *atomic.Int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/__admin/") {
			n.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// TestProvider verifies the committed pact with pact-go's verifier against the emulator of an org
// other than the built-in demo org (host/emulator/testdata/org.yaml: another My Domain, no
// agentshape-demo client app, other agents), once with the reference's error answers and once
// with errors as live orgs were recorded answering (errorStyle live: …Exception classes, internal
// paths, a 500 for a malformed agent ID; agent-api.md §5). Nothing stands between the verifier and
// the emulator: the provider states are set up, and the values the provider supplies are handed
// out, by the emulator's own POST /__admin/provider-states.
func TestProvider(t *testing.T) {
	path := pactPath(t)
	for _, style := range []emulator.ErrorStyle{emulator.DocumentedErrors, emulator.LiveErrors} {
		t.Run(string(style)+" errors", func(t *testing.T) {
			org, err := emulator.LoadOrg(filepath.Join("..", "host", "emulator", "testdata", "org.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if org.MyDomain == myDomain {
				t.Fatalf("the test org has the contract's My Domain %s; pick one that differs", myDomain)
			}
			org.ErrorStyle = style
			h, err := emulator.New(emulator.Options{Org: org})
			if err != nil {
				t.Fatal(err)
			}
			var replayed atomic.Int64
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: countRequests(&replayed, h), ReadHeaderTimeout: 10 * time.Second}
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(func() { _ = srv.Close() })
			base := "http://" + ln.Addr().String()

			err = provider.NewVerifier().VerifyProvider(t, provider.VerifyRequest{
				Provider:               providerName,
				ProviderBaseURL:        base,
				PactFiles:              []string{path},
				ProviderStatesSetupURL: base + emulator.ProviderStatesPath,
				DisableColoredOutput:   true,
				RequestTimeout:         30 * time.Second,
			})
			if err != nil {
				t.Fatalf("provider verification against the emulator: %v", err)
			}
			if want := int64(readPactSummary(t, path).interactions); replayed.Load() != want {
				t.Errorf("%d requests reached the emulator, want one per interaction (%d)", replayed.Load(), want)
			}
		})
	}
}

// TestProviderPactCLI verifies the committed pact the way a team without Go does: a fresh
// `agentshape emulator` (the built binary, $AGENTSHAPE) and the standard Pact CLI from npm
// ($PACT_CLI, @pact-foundation/pact-cli, installed by `make setup-pact-cli`), run as
//
//	pact verifier --file … --hostname 127.0.0.1 --port P --state-change-url http://127.0.0.1:P/__admin/provider-states
//
// with no proxy and no request filter. The verifier's JSON report (PACT_VERIFIER_JSON_REPORT, the
// environment form of --json) shows that every interaction was verified.
func TestProviderPactCLI(t *testing.T) {
	pactCLI, agentshape := os.Getenv("PACT_CLI"), os.Getenv("AGENTSHAPE")
	if pactCLI == "" || agentshape == "" {
		t.Fatal("PACT_CLI (the npm pact launcher) and AGENTSHAPE (bin/agentshape) are unset: run `make contracts`, which installs and builds both")
	}
	path := pactPath(t)
	base := startEmulatorBinary(t, agentshape)
	port := base[strings.LastIndexByte(base, ':')+1:]

	report := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pactCLI, "verifier", "--file", path, "--hostname", "127.0.0.1", "--port", port,
		"--state-change-url", "http://127.0.0.1:"+port+emulator.ProviderStatesPath)
	cmd.Env = append(os.Environ(), "PACT_VERIFIER_JSON_REPORT="+report)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	var rep struct {
		Result             bool `json:"result"`
		InteractionResults []struct {
			Description string `json:"description"`
			Result      string `json:"result"`
		} `json:"interactionResults"`
		Errors []json.RawMessage `json:"errors"`
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the verifier wrote no JSON report: %v\n%s", err, out)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("verifier report: %v\n%s", err, raw)
	}
	ok := 0
	for _, r := range rep.InteractionResults {
		if r.Result == "OK" {
			ok++
		}
	}
	if want := readPactSummary(t, path).interactions; !rep.Result || ok != want || len(rep.Errors) != 0 {
		t.Errorf("verifier report: result %v, %d of %d interactions OK (want %d), %d errors\n%s", rep.Result, ok, len(rep.InteractionResults), want, len(rep.Errors), out)
	}
}

// startEmulatorBinary runs `bin emulator --addr 127.0.0.1:0` until the test ends and returns the
// URL its banner names.
func startEmulatorBinary(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "emulator", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s emulator: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("%s emulator printed no banner: %v", bin, lines.Err())
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "agentshape emulator listening on ")
	if !ok {
		t.Fatalf("banner %q does not name the URL", lines.Text())
	}
	go func() {
		for lines.Scan() { // drain the rest of the banner
		}
	}()
	if _, err := fmt.Sscanf(base[strings.LastIndexByte(base, ':')+1:], "%d", new(int)); err != nil {
		t.Fatalf("banner URL %q has no port", base)
	}
	return base
}
