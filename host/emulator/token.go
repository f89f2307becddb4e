package emulator

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TokenResponse is the client-credentials token answer (agent-api.md §7).
type TokenResponse struct {
	// AccessToken is the JWT-shaped bearer token.
	AccessToken string `json:"access_token"`
	// Signature is base64 HMAC-SHA256 of ID + IssuedAt.
	Signature string `json:"signature"`
	// Scope lists the granted scopes, space-separated.
	Scope string `json:"scope"`
	// InstanceURL is the org's My Domain (the Start Session instanceConfig.endpoint).
	InstanceURL string `json:"instance_url"`
	// ID is the identity URL: <My Domain>/id/<org ID>/<user ID>.
	ID string `json:"id"`
	// TokenType is "Bearer".
	TokenType string `json:"token_type"`
	// IssuedAt is the issue time in Unix milliseconds, as a string.
	IssuedAt string `json:"issued_at"`
	// APIInstanceURL is the API gateway: the emulator's own URL.
	APIInstanceURL string `json:"api_instance_url"`
	// TokenFormat is "jwt".
	TokenFormat string `json:"token_format"`
}

// tokenClaims is the payload of the emulator's JWT-shaped access tokens.
type tokenClaims struct {
	Iss      string   `json:"iss"`
	Sub      string   `json:"sub"`
	Aud      string   `json:"aud"`
	ClientID string   `json:"client_id"`
	Scp      []string `json:"scp"`
	Iat      int64    `json:"iat"`
	Exp      int64    `json:"exp"`
	ExpMs    int64    `json:"exp_ms"`
	Gen      int64    `json:"gen"`
	Jti      string   `json:"jti"`
}

// tokenIssuer mints and verifies HMAC-signed JWT-shaped tokens.
type tokenIssuer struct {
	key    []byte
	gen    atomic.Int64 // tokens of an older generation are revoked
	issued atomic.Int64
	cache  sync.Map // token string -> *tokenClaims, verified
	cached atomic.Int64
}

const maxCachedTokens = 100_000

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"agentshape-emulator"}`))

func newTokenIssuer() *tokenIssuer {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand, Go ≥ 1.24)
	return &tokenIssuer{key: key}
}

func (t *tokenIssuer) sign(s string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// mint issues a token for app valid for lifetime from now.
func (t *tokenIssuer) mint(org *Org, app *ClientApp, apiBase string, now time.Time, lifetime time.Duration) TokenResponse {
	exp := now.Add(lifetime)
	c := tokenClaims{
		Iss: org.MyDomain, Sub: app.RunAs.Username, Aud: "https://api.salesforce.com",
		ClientID: app.ClientID, Scp: app.Scopes, Iat: now.Unix(), Exp: exp.Unix(), ExpMs: exp.UnixMilli(),
		Gen: t.gen.Load(), Jti: newUUID(),
	}
	payload, _ := json.Marshal(c)
	unsigned := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	tok := unsigned + "." + t.sign(unsigned)
	t.issued.Add(1)
	id := org.MyDomain + "/id/" + org.OrgID + "/" + app.RunAs.UserID
	issuedAt := strconv.FormatInt(now.UnixMilli(), 10)
	return TokenResponse{
		AccessToken:    tok,
		Signature:      base64.StdEncoding.EncodeToString(hmacRaw(t.key, id+issuedAt)),
		Scope:          strings.Join(app.Scopes, " "),
		InstanceURL:    org.MyDomain,
		ID:             id,
		TokenType:      "Bearer",
		IssuedAt:       issuedAt,
		APIInstanceURL: apiBase,
		TokenFormat:    "jwt",
	}
}

func hmacRaw(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

var (
	errTokenMissing = errors.New("no bearer token in the Authorization header; send Authorization: Bearer <access_token>")
	errTokenInvalid = errors.New("the token was not issued by this emulator or is malformed; request a new one from /services/oauth2/token")
	errTokenExpired = errors.New("the token has expired; request a new one from /services/oauth2/token")
	errTokenRevoked = errors.New("the token was revoked; request a new one from /services/oauth2/token")
)

// verify checks a token's signature, generation and expiry.
func (t *tokenIssuer) verify(tok string, now time.Time) (*tokenClaims, error) {
	if tok == "" {
		return nil, errTokenMissing
	}
	var c *tokenClaims
	if v, ok := t.cache.Load(tok); ok {
		c = v.(*tokenClaims)
	} else {
		i := strings.LastIndexByte(tok, '.')
		if i < 0 || strings.Count(tok[:i], ".") != 1 {
			return nil, errTokenInvalid
		}
		if !hmac.Equal([]byte(t.sign(tok[:i])), []byte(tok[i+1:])) {
			return nil, errTokenInvalid
		}
		j := strings.IndexByte(tok, '.')
		payload, err := base64.RawURLEncoding.DecodeString(tok[j+1 : i])
		if err != nil {
			return nil, errTokenInvalid
		}
		c = new(tokenClaims)
		if err := json.Unmarshal(payload, c); err != nil {
			return nil, errTokenInvalid
		}
		if t.cached.Add(1) <= maxCachedTokens {
			t.cache.Store(tok, c)
		}
	}
	if c.Gen < t.gen.Load() {
		return nil, errTokenRevoked
	}
	if now.UnixMilli() >= c.ExpMs {
		return nil, errTokenExpired
	}
	return c, nil
}

// revokeAll invalidates every token issued so far.
func (t *tokenIssuer) revokeAll() {
	t.gen.Add(1)
	t.cache.Clear()
	t.cached.Store(0)
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) < 7 || !strings.EqualFold(v[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(v[7:])
}

// oauthError is the OAuth 2.0 error body of the token endpoint.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) int {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	b, _ := json.Marshal(oauthError{Error: code, Description: desc})
	_, _ = w.Write(b)
	return status
}

// serveToken handles POST /services/oauth2/token (client credentials, agent-api.md §7).
func (c *call) serveToken() {
	w, r := c.w, c.r
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		c.status = writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "must use HTTP POST")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		c.status = writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.status = writeOAuthError(w, http.StatusBadRequest, "invalid_request", "unreadable form body (limit 64 KiB)")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		c.status = writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported; this emulator supports grant_type=client_credentials")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if bid, bsecret, ok := r.BasicAuth(); ok && id == "" {
		id, secret = bid, bsecret
	}
	if id == "" {
		c.status = writeOAuthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid: client_id is missing")
		return
	}
	app := c.st.apps[id]
	if app == nil {
		c.status = writeOAuthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(app.ClientSecret)) != 1 {
		c.status = writeOAuthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return
	}
	resp := c.h.tokens.mint(c.st.org, app, baseURL(r), c.now, time.Duration(c.st.org.TokenLifetime))
	b, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	c.status = http.StatusOK
	_, _ = w.Write(b)
}

// baseURL is scheme://host of the request, the emulator's own address.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
