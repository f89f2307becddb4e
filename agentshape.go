// Package agentshape is the supported Go API for embedding agentshape: it
// shapes the Salesforce Agentforce Agent API Start Session request with the
// WebAssembly plugins of a pipeline manifest, validates it against the Agent
// API schema, and starts, continues and ends sessions, against a real org or
// against the embedded Agent API emulator.
//
// One Handle holds a loaded pipeline (its plugins compiled once, their
// instances pooled) and, once a call needs it, an Agent API client:
//
//	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "pipeline.yaml"})
//	if err != nil { ... }
//	defer h.Close(ctx)
//	req, err := h.Shape(ctx, c, nil)       // the validated Start Session body
//	out, err := h.Start(ctx, agentID, c)   // out.Output: "200", "401 Exception", …
//
// New and the Handle take no org from the environment: the caller decides
// which org to call (OrgFromEnv reads the SF_* variables the agentshape
// command uses, for callers who want the same). With no Org, the calls that reach
// the Agent API go to an emulator embedded in the process, as the command
// does. The environment reaches it only through defaults an Option
// overrides or a manifest asks for: the compiled-plugin cache defaults to a
// directory under os.UserCacheDir (XDG_CACHE_HOME, HOME), the default
// Resolver reads Docker's credential configuration ($DOCKER_CONFIG) when
// the manifest names a registry plugin, and a manifest's grants.env hands a
// plugin the variables it names.
//
// The public host/* packages and schemas, on which this package is built,
// are supported for lower-level use (README's "Embedding in Go" lists them;
// their API changes are in the CHANGELOG); everything else is under
// internal/. The reasons for this package's shape are in RATIONALE.md.
package agentshape

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/shaper"
)

// Context is the caller's facts every plugin shapes the request from
// (plugins/ABI.md): agentId, org, channel, conversationId and user. It
// decodes from the JSON of plugins/examples/context.json.
type Context = abi.Context

// Provenance maps every JSON pointer of a shaped request to the plugin that
// last set or changed it ("base" for untouched fields of the base request).
type Provenance = pipeline.Provenance

// Outcome is the result of one Agent API call, shaped like the Flow action's
// outputs: Output ("200", "400 Exception" … "503 Exception" or
// "Default Exception"), ResponseCode, Message, RawBody and, on a started
// session, Session.
type Outcome = agentapi.Outcome

// Message is one message sent to a session (Text, Reply, Cancel, …).
type Message = agentapi.RequestMessage

// EndReason is why a session ends (x-session-end-reason).
type EndReason = agentapi.EndReason

// EndUserRequest is the end reason of a user who closed the conversation.
const EndUserRequest = agentapi.EndUserRequest

// EmulatorOrg describes the org an embedded emulator serves (the format of
// "agentshape emulator --print-org"; load one with emulator.LoadOrg).
type EmulatorOrg = emulator.Org

// Engine chooses how plugin code runs: EngineAuto (the default) compiles it
// where wazero's compiler supports the platform and interprets it elsewhere.
type Engine = plugin.Engine

// The engines.
const (
	EngineAuto        = plugin.EngineAuto
	EngineCompiler    = plugin.EngineCompiler
	EngineInterpreter = plugin.EngineInterpreter
)

// StopMechanism chooses how a plugin past its timeout is stopped:
// StopByChecks (the default, the host's instrumentation, with fuel) or
// StopByWazero (wazero's close-on-context-done: a fallback without fuel that
// does not stop a recursion without loops).
type StopMechanism = plugin.StopMechanism

// The stop mechanisms.
const (
	StopByChecks = plugin.StopByChecks
	StopByWazero = plugin.StopByWazero
)

// Options configure a Handle. The zero value is usable: no pipeline (Shape
// validates the base request as given) and the embedded emulator's demo org.
type Options struct {
	// Manifest is the pipeline manifest file (YAML; plugin paths relative
	// to it). "" means no plugins.
	Manifest string

	// Org is the Salesforce org Start, Send and End call. nil means the
	// embedded Agent API emulator (see EmulatorOrg).
	Org *Org
	// EmulatorOrg is the org the embedded emulator serves when Org is nil;
	// nil means the demo org (emulator.DefaultOrg). Its injected faults and
	// rate limit are left out, as the conformance gate leaves them out.
	EmulatorOrg *EmulatorOrg

	// CacheDir is the compiled-plugin cache directory: "" means the
	// default (<user cache dir>/agentshape/wazero), "-" disables the cache.
	CacheDir string
	// Deterministic fixes the clock plugins see and seeds their randomness
	// with Seed, so the same inputs shape the same request.
	Deterministic bool
	// Seed seeds deterministic randomness.
	Seed int64
	// Engine runs plugin code; the zero value is EngineAuto.
	Engine Engine
	// Stop stops plugins at their timeout; the zero value is StopByChecks.
	Stop StopMechanism

	// Resolver fetches plugins the manifest names in OCI registries
	// (oci://…); nil means an *ociplugin.Client with its defaults, made
	// only if the manifest names such a plugin.
	Resolver pipeline.Resolver

	// Timeout bounds each Agent API request; zero means 120s, the API's own
	// limit.
	Timeout time.Duration
	// RetryUnsafe also repeats Start Session after 423, 429 and 503 answers,
	// which do not prove that no session was created: one Start can then
	// create two sessions (docs/agent-api.md §10).
	RetryUnsafe bool
	// HTTPClient sends the Agent API requests; nil means a client of its own,
	// closed by Close.
	HTTPClient *http.Client

	// Logger receives plugin logs and debug records of each Agent API call
	// (never a token or secret); nil discards them.
	Logger *slog.Logger
}

// SetupStep names what New was doing when it failed.
type SetupStep string

// The steps of New, in order.
const (
	StepManifest SetupStep = "manifest" // reading or parsing the manifest
	StepRegistry SetupStep = "registry" // fetching registry plugins
	StepRuntime  SetupStep = "runtime"  // starting the plugin runtime (cache directory)
	StepPlugins  SetupStep = "plugins"  // compiling and instantiating the plugins
	StepOrg      SetupStep = "org"      // checking Options.Org
)

// SetupError is the error of New: the step that failed and its cause, whose
// message it keeps unchanged.
type SetupError struct {
	// Step is what New was doing.
	Step SetupStep
	// Err is the cause.
	Err error
}

// Error returns the cause's message.
func (e *SetupError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *SetupError) Unwrap() error { return e.Err }

// Handle is a loaded pipeline and its way to the Agent API. Its methods are
// safe for concurrent use; Close releases it.
type Handle struct {
	opts     Options
	logger   *slog.Logger
	rt       *plugin.Runtime
	pl       *pipeline.Pipeline
	myDomain string
	apiCfg   agentapi.Config
	embedded *emulator.Org

	mu     sync.Mutex
	client *agentapi.Client
	srv    *emulator.Server
	closed bool
}

// New loads the manifest's plugins (fetching registry plugins through
// Options.Resolver) and checks Options.Org. It starts no emulator and opens
// no connection to the Agent API: that happens on the first Start, Send or
// End. Errors are *SetupError.
func New(ctx context.Context, opts Options) (*Handle, error) {
	h := &Handle{opts: opts, logger: opts.Logger}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if err := h.target(); err != nil {
		return nil, &SetupError{Step: StepOrg, Err: err}
	}
	if opts.Manifest == "" {
		h.pl = pipeline.FromPlugins()
		return h, nil
	}
	m, err := pipeline.LoadManifest(opts.Manifest)
	if err != nil {
		return nil, &SetupError{Step: StepManifest, Err: err}
	}
	res := opts.Resolver
	if res == nil {
		res = &defaultResolver{logger: h.logger}
	}
	if err := m.ResolveRemote(ctx, res); err != nil {
		return nil, &SetupError{Step: StepRegistry, Err: err}
	}
	h.rt, err = plugin.NewRuntime(ctx, plugin.RuntimeOptions{
		CacheDir:      opts.CacheDir,
		Deterministic: opts.Deterministic,
		Seed:          opts.Seed,
		Engine:        opts.Engine,
		Stop:          opts.Stop,
		Logger:        h.logger,
	})
	if err != nil {
		return nil, &SetupError{Step: StepRuntime, Err: err}
	}
	if h.pl, err = pipeline.New(ctx, h.rt, m); err != nil {
		_ = h.rt.Close(ctx)
		return nil, &SetupError{Step: StepPlugins, Err: err}
	}
	return h, nil
}

// target sets the client configuration and My Domain from Options: the org
// when one is given (its URLs checked now), else the embedded emulator's.
func (h *Handle) target() error {
	if h.opts.Org != nil {
		cfg, err := h.opts.Org.config()
		if err != nil {
			return err
		}
		h.apiCfg, h.myDomain = cfg, cfg.MyDomain
		return nil
	}
	h.embedded = h.opts.EmulatorOrg
	if h.embedded == nil {
		h.embedded = emulator.DefaultOrg()
	}
	if len(h.embedded.ClientApps) == 0 {
		return errors.New("the emulator org has no client app: add one under clientApps (see agentshape emulator --print-org)")
	}
	app := h.embedded.ClientApps[0]
	h.apiCfg = agentapi.Config{MyDomain: h.embedded.MyDomain, ClientID: app.ClientID, ClientSecret: app.ClientSecret}
	h.myDomain = h.embedded.MyDomain
	return nil
}

// MyDomain is the My Domain URL of the org Start calls (the embedded
// emulator's when Options.Org is nil): the instanceConfig.endpoint the org
// answers to, and the context's org.myDomain when Start fills it in.
func (h *Handle) MyDomain() string { return h.myDomain }

// Shape runs the pipeline over base (nil means {}) with the caller's context
// c and validates the result. It returns the validated request, or an
// *InvalidError naming each violation and the plugin at fault; a base that
// sets the reserved Tenant Key ID is refused before any plugin runs. Other
// errors (a plugin failure, a base that is not a JSON object) wrap their
// cause.
func (h *Handle) Shape(ctx context.Context, c Context, base json.RawMessage) (Request, error) {
	req, _, err := shaper.Shape(ctx, h.pl, c, base)
	return shaped(req, err)
}

// Shaped is a pipeline run with its validation, as Explain returns it.
type Shaped struct {
	// Draft is the request the last plugin returned, valid or not: for
	// display, never to send.
	Draft json.RawMessage
	// Provenance names, for every field of Draft, the plugin that last set
	// or changed it.
	Provenance Provenance
	// Request is Draft validated; zero when Draft is invalid.
	Request Request
}

// Explain runs the pipeline over base as Shape does and also returns the
// draft and its provenance. A plugin failure returns nil and the error; a
// draft that fails validation returns the Shaped (its Request zero) and an
// *InvalidError.
func (h *Handle) Explain(ctx context.Context, c Context, base json.RawMessage) (*Shaped, error) {
	res, err := h.pl.Run(ctx, c, base)
	if err != nil {
		return nil, err
	}
	req, err := shaped(shaper.CheckResult(res))
	return &Shaped{Draft: res.Request, Provenance: res.Provenance, Request: req}, err
}

// Start shapes the request from {} with c, as Shape does, and starts a
// session with the agent agentID. Plugins see agentID as the context's
// agentId and, when c sets none, MyDomain as its org.myDomain.
//
// With no Options.Org the session starts in the embedded Agent API emulator,
// started on a loopback port on first use and stopped by Close, serving
// Options.EmulatorOrg or the demo org (My Domain
// https://example-co.my.salesforce.com, agent 0XxAA0000000001AAA).
//
// The outcome is returned whenever the API answered, with an error too when
// that answer is an exception; a malformed agentID (checked before any
// plugin runs), an invalid request (*InvalidError) or a plugin failure sends
// nothing and returns a nil Outcome.
func (h *Handle) Start(ctx context.Context, agentID string, c Context) (*Outcome, error) {
	if err := agentapi.ValidateAgentID(agentID); err != nil {
		return nil, fmt.Errorf("agent ID: %w; nothing was sent", err)
	}
	c.AgentID = agentID
	if c.Org.MyDomain == "" {
		c.Org.MyDomain = h.myDomain
	}
	req, err := h.Shape(ctx, c, nil)
	if err != nil {
		return nil, err
	}
	return h.StartRequest(ctx, agentID, req)
}

// StartRequest starts a session with the agent agentID, sending req, a
// request Shape returned. Where it sends is as for Start. A zero req is
// refused without sending.
func (h *Handle) StartRequest(ctx context.Context, agentID string, req Request) (*Outcome, error) {
	if req.IsZero() {
		return nil, errNotShaped
	}
	cl, err := h.apiClient(ctx)
	if err != nil {
		return nil, err
	}
	return cl.StartSession(ctx, agentID, req.Body())
}

// Send sends one message to a session Start started and returns the agent's
// answer; m.SequenceID must increase within the session.
func (h *Handle) Send(ctx context.Context, sessionID string, m Message) (*Outcome, error) {
	cl, body, err := h.messageClient(ctx, m)
	if err != nil {
		return nil, err
	}
	return cl.SendMessage(ctx, sessionID, body)
}

// messageClient is what Send and SendStream need before sending: m's body
// (checked before any connection is made) and the Agent API client.
func (h *Handle) messageClient(ctx context.Context, m Message) (*agentapi.Client, json.RawMessage, error) {
	body, err := agentapi.MessageBody(m)
	if err != nil {
		return nil, nil, err
	}
	cl, err := h.apiClient(ctx)
	if err != nil {
		return nil, nil, err
	}
	return cl, body, nil
}

// StreamEvent is one server-sent event of SendStream: its type (e.g.
// "TEXT_CHUNK", "END_OF_TURN"), its JSON data, and for a
// ValidationFailureChunk how many text chunks it withdraws.
type StreamEvent = agentapi.StreamEvent

// ErrStopStream is for a SendStream handler to return (or wrap) to end the
// stream early without an error.
var ErrStopStream = agentapi.ErrStopStream

// SendStream sends one message to the streaming endpoint and calls handle
// for every event as it arrives, on the caller's goroutine; ErrStopStream
// from handle ends the stream early, any other error stops it and is
// returned. The Outcome collects the messages that stand (withdrawn text
// chunks removed).
func (h *Handle) SendStream(ctx context.Context, sessionID string, m Message, handle func(StreamEvent) error) (*Outcome, error) {
	cl, body, err := h.messageClient(ctx, m)
	if err != nil {
		return nil, err
	}
	return cl.SendMessageStream(ctx, sessionID, body, handle)
}

// End ends a session Start started, giving reason (EndUserRequest when the
// user closed the conversation).
func (h *Handle) End(ctx context.Context, sessionID string, reason EndReason) (*Outcome, error) {
	cl, err := h.apiClient(ctx)
	if err != nil {
		return nil, err
	}
	return cl.EndSession(ctx, sessionID, reason)
}

// EmulatorURL starts the embedded emulator when Options.Org is nil and it is
// not running yet, and returns its URL (http://127.0.0.1:PORT); with an Org
// it returns "".
func (h *Handle) EmulatorURL(ctx context.Context) (string, error) {
	if _, err := h.apiClient(ctx); err != nil {
		return "", err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv == nil {
		return "", nil
	}
	return h.srv.URL, nil
}

// apiClient returns the Agent API client, making it (and starting the
// embedded emulator) on first use.
func (h *Handle) apiClient(ctx context.Context) (*agentapi.Client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errors.New("agentshape: the Handle is closed")
	}
	if h.client != nil {
		return h.client, nil
	}
	cfg := h.apiCfg
	if h.embedded != nil {
		// The emulator lives as long as the Handle, not as the call that
		// started it.
		srv, err := emulator.Start(context.WithoutCancel(ctx), emulator.Options{Addr: "127.0.0.1:0", Org: h.embedded.WithoutFaults(), Logger: h.logger})
		if err != nil {
			return nil, fmt.Errorf("starting the embedded emulator: %w", err)
		}
		h.srv = srv
		cfg.TokenURL = srv.URL + emulator.TokenPath
		cfg.APIBaseURL = srv.URL
	}
	cfg.Timeout = h.opts.Timeout
	cfg.Retry.RetryUnsafe = h.opts.RetryUnsafe
	cfg.HTTPClient = h.opts.HTTPClient
	cfg.Logger = h.logger
	cl, err := agentapi.New(cfg)
	if err != nil {
		if h.srv != nil {
			_ = h.srv.Close()
			h.srv = nil
		}
		return nil, err
	}
	h.client = cl
	return cl, nil
}

// Close releases the plugins, the Agent API client and the embedded
// emulator. Calls after Close fail.
func (h *Handle) Close(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	var errs []error
	if h.client != nil {
		h.client.Close()
	}
	if h.srv != nil {
		errs = append(errs, h.srv.Close())
	}
	if h.rt != nil {
		errs = append(errs, h.pl.Close(ctx), h.rt.Close(ctx))
	}
	return errors.Join(errs...)
}

// defaultResolver makes an *ociplugin.Client with its defaults on first use,
// so a manifest without registry plugins needs no plugin cache.
type defaultResolver struct {
	logger *slog.Logger
	client *ociplugin.Client
}

// ResolveModule implements pipeline.Resolver.
func (r *defaultResolver) ResolveModule(ctx context.Context, ref, pin string, allowTag bool) (string, string, error) {
	if r.client == nil {
		c, err := ociplugin.New(ociplugin.Options{Logger: r.logger})
		if err != nil {
			return "", "", err
		}
		r.client = c
	}
	return r.client.ResolveModule(ctx, ref, pin, allowTag)
}
