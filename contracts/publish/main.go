// Command publish sends the committed Pact files in contracts/pacts/ to a Pact Broker, tagged with the
// git commit as the consumer version and the git branch, using the broker's "publish contracts" HTTP
// endpoint (POST /contracts/publish, Pact Broker v2.86+ and PactFlow). Run it with
// `make publish-pacts`.
//
// It is off by default: without PACT_BROKER_BASE_URL it prints how to enable it and exits 0.
// Authentication is PACT_BROKER_TOKEN (bearer) or PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD (basic).
// The version and branch come from PACT_CONSUMER_VERSION / PACT_CONSUMER_BRANCH when set, else from
// git. Credentials never appear in output or errors.
//
// Each pact is published with metadata naming what made it: the pact-go version the consumer tests
// recorded (a pact that says "dev" is refused: re-run `make contracts`) and, added here, the
// agentshape version and commit of this build (internal/version; `make publish-pacts` stamps them).
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/agentshape/agentshape/internal/version"
)

// options is everything one publication needs.
type options struct {
	BrokerURL string
	Token     string
	Username  string
	Password  string
	Version   string
	Branch    string
	BuildURL  string
	Files     []string
	Client    *http.Client
	// Agentshape is the build that publishes, named in each pact's metadata.
	Agentshape version.Info
}

// currentVersion is the running build's version; tests replace it.
var currentVersion = version.Current

// publishRequest is the body of POST /contracts/publish.
type publishRequest struct {
	PacticipantName          string     `json:"pacticipantName"`
	PacticipantVersionNumber string     `json:"pacticipantVersionNumber"`
	Branch                   string     `json:"branch,omitempty"`
	BuildURL                 string     `json:"buildUrl,omitempty"`
	Contracts                []contract `json:"contracts"`
}

// contract is one pact inside a publishRequest.
type contract struct {
	ConsumerName  string `json:"consumerName"`
	ProviderName  string `json:"providerName"`
	Specification string `json:"specification"`
	ContentType   string `json:"contentType"`
	Content       string `json:"content"`
}

// pactHeader is the part of a pact file that names its parties.
type pactHeader struct {
	Consumer struct {
		Name string `json:"name"`
	} `json:"consumer"`
	Provider struct {
		Name string `json:"name"`
	} `json:"provider"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main with its inputs and outputs passed in; it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "contracts/pacts", "directory holding the pact files to publish")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	base := strings.TrimSpace(getenv("PACT_BROKER_BASE_URL"))
	if base == "" {
		fmt.Fprintln(stdout, "publish-pacts: PACT_BROKER_BASE_URL is not set, so nothing was published (publishing is off by default).")
		fmt.Fprintln(stdout, "  To publish contracts/pacts/*.json with the git commit as version and the git branch:")
		fmt.Fprintln(stdout, "    PACT_BROKER_BASE_URL=https://your-broker.example PACT_BROKER_TOKEN=... make publish-pacts")
		fmt.Fprintln(stdout, "  or PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD for basic auth; override the version/branch with")
		fmt.Fprintln(stdout, "  PACT_CONSUMER_VERSION/PACT_CONSUMER_BRANCH, add PACT_BUILD_URL to link the CI build.")
		return 0
	}
	files, err := filepath.Glob(filepath.Join(*dir, "*.json"))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(stderr, "publish-pacts: no pact files in %s: run `make contracts` first\n", *dir)
		return 1
	}
	sort.Strings(files)
	envOr := func(name string, fallback func() string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return fallback()
	}
	opts := options{
		BrokerURL:  base,
		Token:      getenv("PACT_BROKER_TOKEN"),
		Username:   getenv("PACT_BROKER_USERNAME"),
		Password:   getenv("PACT_BROKER_PASSWORD"),
		Version:    envOr("PACT_CONSUMER_VERSION", func() string { return git("rev-parse", "HEAD") }),
		Branch:     envOr("PACT_CONSUMER_BRANCH", func() string { return git("rev-parse", "--abbrev-ref", "HEAD") }),
		BuildURL:   getenv("PACT_BUILD_URL"),
		Files:      files,
		Client:     &http.Client{Timeout: 60 * time.Second},
		Agentshape: currentVersion(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := publish(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "publish-pacts:", err)
		return 1
	}
	log.Info("published pacts", "files", n, "broker", redactURL(base), "version", opts.Version, "branch", opts.Branch)
	return 0
}

// git runs git with args and returns its trimmed output, or "" when git fails.
func git(args ...string) string {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// publish sends every pact file in opts.Files, grouped by consumer, and returns how many it sent.
func publish(ctx context.Context, opts options) (int, error) {
	if opts.Version == "" {
		return 0, errors.New("no consumer version: run inside a git checkout or set PACT_CONSUMER_VERSION")
	}
	if opts.Branch == "HEAD" {
		opts.Branch = "" // detached HEAD: no branch rather than a fake one
	}
	if v := opts.Agentshape; v.Version == "" || v.Version == version.Unknown || v.Commit == "" || v.Commit == version.Unknown {
		return 0, fmt.Errorf("this build does not know its agentshape version and commit (%s): run `make publish-pacts`, which stamps them", v)
	}
	if (opts.Username == "") != (opts.Password == "") {
		return 0, errors.New("set both PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD, or neither")
	}
	endpoint, err := url.JoinPath(opts.BrokerURL, "contracts", "publish")
	if err != nil {
		return 0, fmt.Errorf("PACT_BROKER_BASE_URL %q is not a URL: %w", redactURL(opts.BrokerURL), err)
	}
	byConsumer := map[string][]contract{}
	var order []string
	for _, f := range opts.Files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return 0, fmt.Errorf("read pact %s: %w", f, err)
		}
		var h pactHeader
		if err := json.Unmarshal(raw, &h); err != nil {
			return 0, fmt.Errorf("pact %s is not valid JSON: %w (re-run `make contracts`)", f, err)
		}
		if h.Consumer.Name == "" || h.Provider.Name == "" {
			return 0, fmt.Errorf("pact %s names no consumer or provider: it is not a pact file", f)
		}
		if raw, err = stampMetadata(raw, opts.Agentshape); err != nil {
			return 0, fmt.Errorf("pact %s: %w", f, err)
		}
		if _, ok := byConsumer[h.Consumer.Name]; !ok {
			order = append(order, h.Consumer.Name)
		}
		byConsumer[h.Consumer.Name] = append(byConsumer[h.Consumer.Name], contract{
			ConsumerName:  h.Consumer.Name,
			ProviderName:  h.Provider.Name,
			Specification: "pact",
			ContentType:   "application/json",
			Content:       base64.StdEncoding.EncodeToString(raw),
		})
	}
	sent := 0
	for _, consumer := range order {
		body, err := json.Marshal(publishRequest{
			PacticipantName:          consumer,
			PacticipantVersionNumber: opts.Version,
			Branch:                   opts.Branch,
			BuildURL:                 opts.BuildURL,
			Contracts:                byConsumer[consumer],
		})
		if err != nil {
			return sent, fmt.Errorf("encode publish request: %w", err)
		}
		if err := post(ctx, opts, endpoint, body); err != nil {
			return sent, fmt.Errorf("publish pacts of %s: %w", consumer, err)
		}
		sent += len(byConsumer[consumer])
	}
	return sent, nil
}

// stampMetadata returns the pact raw with metadata.agentshape naming the build v, after checking
// that metadata["pact-go"].version names a pact-go release (pact-go writes "dev" when it cannot
// tell its own version).
func stampMetadata(raw []byte, v version.Info) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var pact map[string]any
	if err := dec.Decode(&pact); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w (re-run `make contracts`)", err)
	}
	meta, _ := pact["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		pact["metadata"] = meta
	}
	pactGo, _ := meta["pact-go"].(map[string]any)
	if pv, _ := pactGo["version"].(string); pv == "" || pv == "dev" {
		return nil, fmt.Errorf("its metadata names pact-go version %q, not a release: re-run `make contracts`, whose consumer tests record the version in go.mod", pv)
	}
	meta["agentshape"] = map[string]any{"version": v.Version, "commit": v.Commit}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(pact); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// post sends one publish request and turns a non-2xx answer into an error quoting the broker.
func post(ctx context.Context, opts options, endpoint string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/hal+json, application/json")
	switch {
	case opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+opts.Token)
	case opts.Username != "":
		req.SetBasicAuth(opts.Username, opts.Password)
	}
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL may carry userinfo; say where without it
		}
		return fmt.Errorf("POST %s: %w (check PACT_BROKER_BASE_URL and the network)", redactURL(endpoint), err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("broker refused the credentials (HTTP %d): check PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PASSWORD", resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("broker has no %s (HTTP 404): it needs Pact Broker v2.86+ or PactFlow", redactURL(endpoint))
	default:
		return fmt.Errorf("broker answered HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
}

// redactURL drops any user:password from u so it can be printed.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "<unparseable URL>"
	}
	return p.Redacted()
}
