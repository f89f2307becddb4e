// Package agentapi is a client for the Salesforce Agentforce Agent API v1
// (agent-api.md): OAuth 2.0 client credentials, Start Session, Send Message
// (sync and streaming), End Session.
//
// Every call returns a Flow-style *Outcome (agent-api.md §6): on 200 the
// decoded response, otherwise the Flow output name ("400 Exception" …
// "503 Exception", "Default Exception"), the message, the raw error body
// and the response code. A non-200 answer also returns an *APIError carrying
// the same Outcome; a call that could not reach the API returns a
// *TransportError (errors.Is(err, ErrUnreachable)); an unusable answer a
// *ResponseError.
//
// Retries use capped exponential backoff with full jitter, honour
// Retry-After and are bounded by RetryPolicy. A call is repeated only where
// the repeat cannot do twice what the first attempt did (agent-api.md §10):
// after a connection failure that provably happened before the request was
// written, after a failed token request, and once with a new token after a
// 401; End Session (idempotent) also after 423, 429 and 503. Start Session
// and Send Message are repeated after 423, 429 and 503 only with
// RetryPolicy.RetryUnsafe, because such an answer does not prove that no
// session was created or no message processed. The token request is
// repeated on 423, 429, 503 and connection failures. The access token and
// the client secret never appear in an error, a log record or an Outcome.
package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agentshape/agentshape/internal/configurl"
	"github.com/agentshape/agentshape/internal/oauth"
	"github.com/agentshape/agentshape/internal/secrets"
)

// API base URLs (agent-api.md §1).
const (
	// DefaultAPIBaseURL is the commercial Agent API gateway.
	DefaultAPIBaseURL = "https://api.salesforce.com"
	// GovCloudAPIBaseURL is the Government Cloud gateway.
	GovCloudAPIBaseURL = "https://api.gov.salesforce.com"
	// APIPath is the path of Agent API v1 below the base URL.
	APIPath = "/einstein/ai-agent/v1"
)

// Defaults for Config.
const (
	// DefaultTimeout bounds each HTTP request: the API's own limit (agent-api.md §8).
	DefaultTimeout = 120 * time.Second
	// DefaultMaxResponseBytes bounds a response body (and one streamed event).
	DefaultMaxResponseBytes = 1 << 20
)

// maxRawText bounds the non-JSON error text kept in an Outcome.
const maxRawText = 4 << 10

// opToken names the token request in errors.
const opToken = "token"

// Config configures a Client.
type Config struct {
	// MyDomain is the org's My Domain URL, e.g. https://acme.my.salesforce.com
	// (a bare host gets https://). The token endpoint lives below it, and it
	// is the identity the org expects in instanceConfig.endpoint.
	MyDomain string
	// TokenURL overrides MyDomain + /services/oauth2/token (for the emulator
	// and tests).
	TokenURL string
	// ClientID is the External Client App's consumer key.
	ClientID string
	// ClientSecret is the consumer secret. It is only ever sent to TokenURL.
	ClientSecret string
	// APIBaseURL is the Agent API gateway: DefaultAPIBaseURL when empty,
	// GovCloudAPIBaseURL for Government Cloud, any URL for tests. A trailing
	// /einstein/ai-agent/v1 is accepted.
	APIBaseURL string
	// HTTPClient sends every request. Nil means a client with a transport
	// tuned for many concurrent sessions (see NewTransport), closed by Close.
	HTTPClient *http.Client
	// Timeout bounds each HTTP request, reading the answer included; zero
	// means DefaultTimeout.
	Timeout time.Duration
	// Retry bounds retries; the zero value means DefaultRetryPolicy().
	Retry RetryPolicy
	// TokenLifetime is assumed for tokens whose expiry is unknown; zero
	// means 30 minutes.
	TokenLifetime time.Duration
	// MaxResponseBytes bounds a response body; zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Logger receives debug records of each request (never a token or secret).
	Logger *slog.Logger
	// UserAgent is sent as User-Agent; empty means "agentshape".
	UserAgent string
	// SkipAgentIDCheck sends agent IDs that the client's form check
	// (ValidateAgentID: 0Xx prefix, 15 or 18 characters) would refuse, e.g.
	// if Salesforce changes the ID form; the API then judges them and answers
	// 400 "<id> is not a valid agent ID" (agent-api.md §5). The ID must still
	// be non-empty and alphanumeric, because it becomes part of the URL path.
	SkipAgentIDCheck bool
}

// Client calls the Agent API. It is safe for concurrent use.
type Client struct {
	cfg      Config
	base     string // API base + APIPath, no trailing slash
	myDomain string
	tokenURL string
	tokens   *oauth.Source
	hc       *http.Client
	own      *http.Transport // non-nil when the client built its own transport
	retry    RetryPolicy
	log      *slog.Logger
	auth     atomic.Pointer[[2]string] // {token, "Bearer " + token}: saves a concatenation per call
}

// bearer returns the Authorization header value for token.
func (c *Client) bearer(token string) string {
	if p := c.auth.Load(); p != nil && p[0] == token {
		return p[1]
	}
	v := "Bearer " + token
	c.auth.Store(&[2]string{token, v})
	return v
}

// NewTransport returns an http.Transport tuned for many concurrent calls to
// one API host: keep-alive connections for up to 256 concurrent callers.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 0, // the per-call timeout covers it
	}
}

// New validates cfg and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	myDomain, err := normalizeURL("My Domain", cfg.MyDomain)
	if err != nil {
		return nil, err
	}
	tokenURL := myDomain + oauth.TokenPath
	if strings.TrimSpace(cfg.TokenURL) != "" {
		if tokenURL, err = normalizeURL("token URL", cfg.TokenURL); err != nil {
			return nil, err
		}
	}
	apiBase := cfg.APIBaseURL
	if apiBase == "" {
		apiBase = DefaultAPIBaseURL
	}
	apiBase, err = normalizeURL("API base URL", apiBase)
	if err != nil {
		return nil, err
	}
	apiBase = strings.TrimSuffix(apiBase, APIPath)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "agentshape"
	}
	c := &Client{cfg: cfg, base: apiBase + APIPath, myDomain: myDomain, tokenURL: tokenURL, retry: cfg.Retry.withDefaults()}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.hc = cfg.HTTPClient
	if c.hc == nil {
		c.own = NewTransport()
		c.hc = &http.Client{Transport: c.own}
	}
	c.tokens, err = oauth.NewSource(oauth.Config{
		TokenURL: tokenURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		HTTPClient: c.hc, Lifetime: cfg.TokenLifetime, Logger: c.log,
	})
	if err != nil {
		return nil, fmt.Errorf("agentapi: %w", err)
	}
	return c, nil
}

// MyDomain returns the normalised My Domain URL (no trailing slash): the
// value instanceConfig.endpoint must carry (agent-api.md §2).
func (c *Client) MyDomain() string { return c.myDomain }

// APIBaseURL returns the Agent API v1 base the client calls, ending in APIPath.
func (c *Client) APIBaseURL() string { return c.base }

// Close releases idle connections of the client's own transport.
func (c *Client) Close() {
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
}

// normalizeURL checks a configured URL (see configurl.Parse) and returns it
// with https:// added to a bare host and without a trailing slash.
func normalizeURL(what, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("agentapi: %s is empty: set it (e.g. https://acme.my.salesforce.com for My Domain)", what)
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := configurl.Parse(what, raw)
	if err != nil {
		return "", fmt.Errorf("agentapi: %w", err)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// request describes one API call.
type request struct {
	op     string
	method string
	path   string // below c.base, already escaped
	body   []byte
	accept string
	header map[string]string
	// success is the status of the operation's success, 200 when zero (Submit Feedback: 202).
	success int
	// decode turns a success body into the Outcome's payload (nil: any body).
	decode func(body []byte, out *Outcome) error
	// stream consumes a live 200 answer instead of decode (streaming only).
	stream func(resp *http.Response, out *Outcome) error
	// sent is the access token the current attempt sent: redacted from
	// what the answer says even if another caller has replaced it meanwhile.
	sent string
}

// do runs r with the token, one 401 refresh and the retry policy.
func (c *Client) do(ctx context.Context, r request) (*Outcome, error) {
	start := time.Now()
	out := &Outcome{}
	refreshed := false
	tries := 0      // counts toward RetryPolicy.MaxAttempts; the 401 repeat does not
	tokenTries := 0 // token requests that failed (they count as attempts when nothing else was sent)
	for {
		tries++
		tok, err := c.token(ctx)
		if err != nil {
			tokenTries++
			var rej *oauth.RejectedError
			if errors.As(err, &rej) {
				// A busy token endpoint (429, 503, 423) has not judged the
				// credentials; like a connection failure below, asking again
				// is always safe.
				if retryableStatus(rej.Status) {
					d, ok := retryAfter(http.Header{"Retry-After": {rej.RetryAfter}}, time.Now())
					if c.wait(ctx, start, tries, d, ok) {
						c.log.Debug("agentapi token endpoint busy; retrying", "op", r.op, "status", rej.Status)
						continue
					}
				}
				if ctx.Err() != nil {
					return c.canceled(ctx, r.op, out)
				}
				out.Attempts += tokenTries
				return c.tokenRejected(r.op, rej, out)
			}
			if ctx.Err() != nil {
				return c.canceled(ctx, r.op, out)
			}
			// A token request creates nothing, so repeating it is always safe.
			if c.wait(ctx, start, tries, 0, false) {
				continue
			}
			out.Attempts += tokenTries
			return c.unreachable(r.op, c.tokenURL, false, isTimeout(err), err, out)
		}
		out.Attempts++
		r.sent = tok.AccessToken
		status, header, body, mayHaveReached, err := c.attempt(ctx, r, out)
		if err != nil {
			var re *ResponseError
			var he *handlerError
			switch {
			case errors.As(err, &he):
				out.Output, out.ResponseCode = OutputOK, status
				return out, fmt.Errorf("agentapi: %s: the stream handler stopped: %w", r.op, he.err)
			case errors.As(err, &re):
				return c.unusable(status, out, re, r.sent)
			case ctx.Err() != nil:
				return c.canceled(ctx, r.op, out)
			case !mayHaveReached && c.wait(ctx, start, tries, 0, false):
				c.log.Debug("agentapi retry after connection failure", "op", r.op, "attempt", out.Attempts, "cause", err)
				continue
			}
			if ctx.Err() != nil {
				return c.canceled(ctx, r.op, out)
			}
			return c.unreachable(r.op, c.base+r.path, mayHaveReached, isTimeout(err), err, out)
		}
		if status == http.StatusUnauthorized && !refreshed {
			refreshed = true
			tries--
			c.tokens.Invalidate(tok.AccessToken)
			c.log.Debug("agentapi token refused; fetching a new one", "op", r.op)
			continue
		}
		if c.retry.retries(r.op, status) {
			d, ok := retryAfter(header, time.Now())
			if c.wait(ctx, start, tries, d, ok) {
				c.log.Debug("agentapi retry", "op", r.op, "status", status, "attempt", out.Attempts, "retryAfter", header.Get("Retry-After"))
				continue
			}
			if ctx.Err() != nil {
				return c.canceled(ctx, r.op, out)
			}
		}
		return c.finish(r, status, header, body, out)
	}
}

// token gets a token within the per-call timeout.
func (c *Client) token(ctx context.Context) (oauth.Token, error) {
	tctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	return c.tokens.Token(tctx)
}

// wait sleeps before another try when the policy allows one and reports
// whether to try again. fixed is a Retry-After delay (hasFixed) that replaces
// the backoff.
func (c *Client) wait(ctx context.Context, start time.Time, tries int, fixed time.Duration, hasFixed bool) bool {
	if tries >= c.retry.MaxAttempts {
		return false
	}
	d := fixed
	if !hasFixed {
		d = c.retry.backoff(tries)
	}
	if time.Since(start)+d > c.retry.MaxElapsed {
		return false
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// attempt sends one HTTP request. mayHaveReached reports whether any of the
// request was written before a transport failure.
func (c *Client) attempt(ctx context.Context, r request, out *Outcome) (status int, header http.Header, body []byte, mayHaveReached bool, err error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var wrote atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, c.base+r.path, rd)
	if err != nil {
		return 0, nil, nil, false, fmt.Errorf("building the request: %w", err)
	}
	req.Header["Authorization"] = []string{c.bearer(r.sent)}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", r.accept)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	t0 := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, wrote.Load(), c.scrub(err, r.sent)
	}
	defer resp.Body.Close()
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.Debug("agentapi response", "op", r.op, "status", resp.StatusCode, "requestId", resp.Header.Get("X-Request-ID"), "elapsed", time.Since(t0))
	}
	if resp.StatusCode == http.StatusOK && r.stream != nil {
		out.ResponseCode = resp.StatusCode
		out.RequestID = resp.Header.Get("X-Request-ID")
		if err := r.stream(resp, out); err != nil {
			var re *ResponseError
			var he *handlerError
			if errors.As(err, &re) || errors.As(err, &he) {
				return resp.StatusCode, resp.Header, nil, true, err
			}
			return resp.StatusCode, resp.Header, nil, true, fmt.Errorf("reading the event stream: %w", c.scrub(err, r.sent))
		}
		return resp.StatusCode, resp.Header, nil, true, nil
	}
	body, err = readBody(resp, c.cfg.MaxResponseBytes)
	if err != nil {
		return resp.StatusCode, resp.Header, nil, true, fmt.Errorf("reading the HTTP %d answer: %w", resp.StatusCode, c.scrub(err, r.sent))
	}
	if int64(len(body)) > c.cfg.MaxResponseBytes {
		return resp.StatusCode, resp.Header, nil, true, &ResponseError{Op: r.op, Status: resp.StatusCode,
			Reason: fmt.Sprintf("body larger than %d bytes", c.cfg.MaxResponseBytes), Err: ErrResponseTooLarge}
	}
	return resp.StatusCode, resp.Header, body, true, nil
}

// readBody reads at most limit+1 bytes of resp's body, in one allocation
// when the server announced the length.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit+1))
}

// handlerError carries an error returned by the caller's stream handler, to
// tell it apart from a failure reading the stream.
type handlerError struct{ err error }

func (h *handlerError) Error() string { return h.err.Error() }
func (h *handlerError) Unwrap() error { return h.err }

// finish turns the final answer into the Outcome and error.
func (c *Client) finish(r request, status int, header http.Header, body []byte, out *Outcome) (*Outcome, error) {
	out.ResponseCode = status
	out.Output = OutputFor(status)
	if id := header.Get("X-Request-ID"); id != "" {
		out.RequestID = id
	}
	if status == http.StatusOK || (r.success != 0 && status == r.success) {
		out.Output = OutputOK // the Flow action's one success output (agent-api.md §6)
		if r.stream != nil {
			return out, nil
		}
		if r.decode != nil {
			if err := r.decode(body, out); err != nil {
				return c.unusable(status, out, &ResponseError{Op: r.op, Status: status, Reason: err.Error(), Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}, r.sent)
			}
		}
		return out, nil
	}
	ae := &APIError{Op: r.op, Status: status, RequestID: out.RequestID, Outcome: out}
	text := c.redact(string(body), r.sent)
	var eb ErrorBody
	if len(bytes.TrimSpace(body)) > 0 && json.Valid([]byte(text)) {
		out.RawBody = json.RawMessage(text)
		// A member of another type than the schema's (e.g. "status" as a
		// string) leaves the others decoded: keep what they say.
		uerr := json.Unmarshal([]byte(text), &eb)
		if uerr == nil || errors.As(uerr, new(*json.UnmarshalTypeError)) {
			if uerr == nil {
				out.ErrorBody = &eb
			}
			out.Message = eb.Message
			ae.Class = eb.Error
			if out.RequestID == "" {
				out.RequestID = eb.RequestID
				ae.RequestID = eb.RequestID
			}
		}
		if out.Message == "" {
			out.Message = fmt.Sprintf("%s (the JSON error body has no \"message\")", http.StatusText(status))
		}
	} else if len(bytes.TrimSpace(body)) > 0 {
		ct := header.Get("Content-Type")
		if ct == "" {
			ct = "no Content-Type"
		}
		out.RawText = truncate(text, maxRawText)
		out.Message = fmt.Sprintf("%s (the error body is not JSON: %s, %d bytes)", http.StatusText(status), ct, len(body))
	} else {
		out.Message = fmt.Sprintf("%s (empty error body)", http.StatusText(status))
	}
	ae.Message = out.Message
	return out, ae
}

func (c *Client) unusable(status int, out *Outcome, re *ResponseError, sent string) (*Outcome, error) {
	re.Reason = c.redact(re.Reason, sent)
	out.ResponseCode = status
	out.Output = OutputDefault
	if status != http.StatusOK {
		out.Output = OutputFor(status)
	}
	out.Message = re.Error()
	out.Session, out.Messages = nil, nil
	return out, re
}

func (c *Client) unreachable(op, u string, mayHaveReached, timeout bool, cause error, out *Outcome) (*Outcome, error) {
	te := &TransportError{Op: op, URL: u, Attempts: max(out.Attempts, 1), MayHaveReached: mayHaveReached, Timeout: timeout, Err: c.scrub(cause, "")}
	out.Output = OutputDefault
	out.ResponseCode = 0
	out.Message = te.Error()
	return out, te
}

func (c *Client) canceled(ctx context.Context, op string, out *Outcome) (*Outcome, error) {
	err := fmt.Errorf("agentapi: %s: stopped by the caller: %w", op, context.Cause(ctx))
	out.Output = OutputDefault
	out.Message = err.Error()
	return out, err
}

func (c *Client) tokenRejected(op string, rej *oauth.RejectedError, out *Outcome) (*Outcome, error) {
	out.Output = Output401 // the credentials were refused: no token, as on a 401
	if rej.Transient() {
		out.Output = OutputFor(rej.Status)
	}
	out.ResponseCode = rej.Status
	out.Message = "could not obtain an access token: " + rej.Summary() + "; " + hint(opToken, rej.Status)
	if json.Valid(rej.Body) {
		out.RawBody = json.RawMessage(rej.Body)
	} else if len(rej.Body) > 0 {
		out.RawText = truncate(string(rej.Body), maxRawText)
	}
	return out, &APIError{Op: opToken, Status: rej.Status, Class: rej.Code, Message: out.Message, Outcome: out}
}

// redact removes the client secret, the cached access token and sent (the
// token a request carried, which another caller may have replaced since)
// from text.
func (c *Client) redact(text, sent string) string {
	return secrets.Redact(c.tokens.Redact(text), sent)
}

// scrub removes secrets (see redact) from an error's text while keeping it
// matchable with errors.Is/As when nothing needed removing.
func (c *Client) scrub(err error, sent string) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if r := c.redact(s, sent); r != s {
		return errors.New(r)
	}
	return err
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// mediaType returns the media type of a Content-Type header, lower-cased.
func mediaType(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}
