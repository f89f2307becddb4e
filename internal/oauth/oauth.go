// Package oauth obtains and caches Salesforce OAuth 2.0 access tokens with the
// client credentials flow (agent-api.md §7).
//
// A Source fetches a token from https://<my-domain>/services/oauth2/token,
// keeps it until shortly before it expires and fetches a new one when asked to
// or when the Agent API rejects the cached one. The client secret and the
// access token never appear in an error message or a log record produced by
// this package.
package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentshape/agentshape/internal/configurl"
	"github.com/agentshape/agentshape/internal/secrets"
)

// TokenPath is the path of the token endpoint below the org's My Domain.
const TokenPath = "/services/oauth2/token"

// DefaultLifetime is the lifetime assumed for a token whose expiry cannot be
// read from the token itself (it is not a JWT with an "exp" claim and the
// response has no expires_in). Salesforce does not return the session
// timeout, so this is deliberately conservative; a 401 from the API makes the
// caller fetch a fresh token anyway.
const DefaultLifetime = 30 * time.Minute

// maxTokenResponse bounds the token endpoint's response body.
const maxTokenResponse = 64 << 10

// ErrTokenRejected is wrapped by errors for a token endpoint that answered
// with a non-200 status (wrong client id or secret, app not enabled for the
// client credentials flow, ...; or busy or failing: RejectedError.Transient).
var ErrTokenRejected = errors.New("token endpoint rejected the client credentials")

// ErrBadTokenResponse is wrapped by errors for a token endpoint answer that
// is not the documented JSON (no access_token, malformed JSON, too large).
var ErrBadTokenResponse = errors.New("token endpoint answered with an unusable response")

// Config configures a Source.
type Config struct {
	// TokenURL is the full token endpoint URL, e.g.
	// https://acme.my.salesforce.com/services/oauth2/token.
	TokenURL string
	// ClientID is the External Client App's consumer key.
	ClientID string
	// ClientSecret is the consumer secret. It is sent only in the form body
	// of the token request and never logged or put in an error.
	ClientSecret string
	// HTTPClient sends the token request; nil means http.DefaultClient. Its
	// CheckRedirect is not used: the token request follows no redirect.
	HTTPClient *http.Client
	// Lifetime is assumed when the token's expiry cannot be determined;
	// zero means DefaultLifetime.
	Lifetime time.Duration
	// Logger receives debug records about token fetches (never the token).
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. For tests.
	Now func() time.Time
}

// Token is an access token and what the token endpoint said about it.
type Token struct {
	// AccessToken is the bearer token. Treat it as a secret.
	AccessToken string
	// InstanceURL is the org's My Domain URL as reported by the token endpoint.
	InstanceURL string
	// APIInstanceURL is the Agent API gateway the org should use, if reported.
	APIInstanceURL string
	// Scope is the space-separated list of granted scopes.
	Scope string
	// IssuedAt is when the token was issued.
	IssuedAt time.Time
	// Expiry is when the token is assumed to stop working.
	Expiry time.Time
}

// String never reveals the access token.
func (t Token) String() string { return "oauth.Token{expiry: " + t.Expiry.Format(time.RFC3339) + "}" }

// LogValue keeps the access token out of slog records.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", t.Expiry), slog.String("scope", t.Scope))
}

// RejectedError describes a non-200 answer of the token endpoint.
type RejectedError struct {
	// Status is the HTTP status code of the token endpoint's answer.
	Status int
	// Code is the OAuth "error" member, e.g. "invalid_client".
	Code string
	// Description is the OAuth "error_description" member, with any secret removed.
	Description string
	// Body is the raw response body with the client secret removed.
	Body []byte
	// RetryAfter is the answer's Retry-After header, if any.
	RetryAfter string
}

// Transient reports whether the endpoint was busy or unavailable (423, 429
// or 5xx) rather than refusing the credentials: asking again later may work.
func (e *RejectedError) Transient() bool {
	return e.Status == http.StatusLocked || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Error implements error.
func (e *RejectedError) Error() string {
	msg := e.Summary()
	if e.Transient() {
		return msg + " (the token endpoint is busy or failing; try again later)"
	}
	if e.Status >= 300 && e.Status < 400 {
		return msg + " (use the org's https://<name>.my.salesforce.com My Domain, or the token URL the redirect names)"
	}
	return msg + " (check the client id and secret and that the app allows the client credentials flow)"
}

// Summary is what the token endpoint said (status, OAuth error code and
// description), without Error's advice.
func (e *RejectedError) Summary() string {
	msg := fmt.Sprintf("token endpoint answered HTTP %d", e.Status)
	if e.Status >= 300 && e.Status < 400 {
		msg += " (a redirect, which the token request does not follow)"
	}
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrTokenRejected) true.
func (e *RejectedError) Unwrap() error { return ErrTokenRejected }

// Source hands out cached access tokens. It is safe for concurrent use; at
// most one token request is in flight at a time.
type Source struct {
	cfg Config

	fetching chan struct{} // a one-slot semaphore held while fetching, so concurrent callers share one fetch
	mu       sync.Mutex    // guards token; never held during a fetch
	token    *Token
	fast     atomic.Pointer[Token]
}

// NewSource returns a Source for cfg. It does not contact the endpoint.
func NewSource(cfg Config) (*Source, error) {
	if cfg.TokenURL == "" {
		return nil, errors.New("oauth: no token URL: set the org's My Domain (https://<name>.my.salesforce.com)")
	}
	if _, err := configurl.Parse("token URL", cfg.TokenURL); err != nil {
		return nil, fmt.Errorf("oauth: %w: use https://<my-domain>%s", err, TokenPath)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("oauth: client id and client secret are both required (the External Client App's consumer key and secret)")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	// A 307 or 308 would make net/http send the form, client secret
	// included, again to wherever Location points, another host too: the
	// token request follows no redirect, and a redirect answer is a
	// rejection like any other non-200.
	hc := *cfg.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.HTTPClient = &hc
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{cfg: cfg, fetching: make(chan struct{}, 1)}, nil
}

// Token returns a valid cached token, fetching a new one when there is none
// or the cached one is about to expire.
func (s *Source) Token(ctx context.Context) (Token, error) {
	// Fast path without the lock: many concurrent callers share one token.
	if t := s.fast.Load(); t != nil && s.cfg.Now().Before(refreshAt(*t)) {
		return *t, nil
	}
	// Wait for a fetch in flight (another caller's) as long as ctx allows.
	select {
	case s.fetching <- struct{}{}:
	case <-ctx.Done():
		return Token{}, fmt.Errorf("oauth: waiting for the token request in flight: %w", context.Cause(ctx))
	}
	defer func() { <-s.fetching }()
	s.mu.Lock()
	cached := s.token
	s.mu.Unlock()
	if cached != nil && s.cfg.Now().Before(refreshAt(*cached)) {
		return *cached, nil
	}
	t, err := s.fetch(ctx)
	if err != nil {
		return Token{}, err
	}
	s.mu.Lock()
	s.token = &t
	s.fast.Store(&t)
	s.mu.Unlock()
	return t, nil
}

// Invalidate drops the cached token if it is still accessToken, so the next
// call to Token fetches a new one. Passing the rejected token (rather than
// dropping whatever is cached) keeps concurrent callers from discarding a
// token another caller has just fetched.
func (s *Source) Invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != nil && s.token.AccessToken == accessToken {
		s.token = nil
		s.fast.Store(nil)
	}
}

// Redact replaces the client secret and any cached access token in text,
// raw or encoded (see package secrets), by "[REDACTED]". Use it on anything derived from a server answer before it is
// shown or logged.
func (s *Source) Redact(text string) string {
	s.mu.Lock()
	tok := ""
	if s.token != nil {
		tok = s.token.AccessToken
	}
	s.mu.Unlock()
	return secrets.Redact(text, s.cfg.ClientSecret, tok)
}

// refreshAt is when a token should be replaced: a little before its expiry.
func refreshAt(t Token) time.Time {
	life := t.Expiry.Sub(t.IssuedAt)
	skew := 30 * time.Second
	if life/10 < skew {
		skew = life / 10
	}
	return t.Expiry.Add(-skew)
}

// tokenResponse is the token endpoint's JSON (agent-api.md §7).
type tokenResponse struct {
	AccessToken    string          `json:"access_token"`
	TokenType      string          `json:"token_type"`
	InstanceURL    string          `json:"instance_url"`
	APIInstanceURL string          `json:"api_instance_url"`
	Scope          string          `json:"scope"`
	IssuedAt       json.RawMessage `json:"issued_at"`
	ExpiresIn      json.RawMessage `json:"expires_in"`
	Error          string          `json:"error"`
	Description    string          `json:"error_description"`
}

func (s *Source) fetch(ctx context.Context) (Token, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {s.cfg.ClientID},
		"client_secret": {s.cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, fmt.Errorf("oauth: building the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	start := s.cfg.Now()
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("oauth: requesting a token from %s: %w", s.cfg.TokenURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return Token{}, fmt.Errorf("oauth: reading the token response from %s: %w", s.cfg.TokenURL, err)
	}
	if len(body) > maxTokenResponse {
		return Token{}, fmt.Errorf("oauth: token response from %s is larger than %d bytes: %w", s.cfg.TokenURL, maxTokenResponse, ErrBadTokenResponse)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		safe := []byte(secrets.Redact(string(body), s.cfg.ClientSecret, tr.AccessToken))
		rej := &RejectedError{Status: resp.StatusCode, Body: safe, RetryAfter: resp.Header.Get("Retry-After")}
		if jsonErr == nil {
			rej.Code = secrets.Redact(tr.Error, s.cfg.ClientSecret)
			rej.Description = secrets.Redact(tr.Description, s.cfg.ClientSecret)
		}
		s.cfg.Logger.Debug("oauth token request rejected", "status", resp.StatusCode, "error", rej.Code)
		return Token{}, rej
	}
	if jsonErr != nil {
		return Token{}, fmt.Errorf("oauth: token response from %s is not JSON (%v): %w", s.cfg.TokenURL, jsonErr, ErrBadTokenResponse)
	}
	if tr.AccessToken == "" {
		return Token{}, fmt.Errorf("oauth: token response from %s has no access_token: %w", s.cfg.TokenURL, ErrBadTokenResponse)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer") {
		return Token{}, fmt.Errorf("oauth: token response from %s has token_type %q, want Bearer: %w", s.cfg.TokenURL, tr.TokenType, ErrBadTokenResponse)
	}
	t := Token{
		AccessToken:    tr.AccessToken,
		InstanceURL:    tr.InstanceURL,
		APIInstanceURL: tr.APIInstanceURL,
		Scope:          tr.Scope,
		IssuedAt:       start,
	}
	if ms, ok := number(tr.IssuedAt); ok && ms > 0 {
		t.IssuedAt = time.UnixMilli(ms)
	}
	switch {
	case jwtExpiry(tr.AccessToken) != (time.Time{}):
		t.Expiry = jwtExpiry(tr.AccessToken)
	default:
		if secs, ok := number(tr.ExpiresIn); ok && secs > 0 {
			t.Expiry = t.IssuedAt.Add(time.Duration(secs) * time.Second)
		} else {
			t.Expiry = t.IssuedAt.Add(s.cfg.Lifetime)
		}
	}
	s.cfg.Logger.Debug("oauth token fetched", "token", t)
	return t, nil
}

// number reads a JSON number or a JSON string holding an integer.
func number(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return int64(f), true
	}
	return 0, false
}

// jwtExpiry returns the "exp" claim of a JWT, or the zero time when token is
// not a JWT or has no usable exp. The signature is not checked: the value
// only decides when to fetch a new token.
func jwtExpiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == "" {
		return time.Time{}
	}
	f, err := claims.Exp.Float64()
	if err != nil || f <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0)
}
