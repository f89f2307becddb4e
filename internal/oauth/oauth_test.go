package oauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentshape/agentshape/internal/oauth"
	"github.com/agentshape/agentshape/internal/testnet"
)

const secret = "oauth-test-secret-1234"

func server(t *testing.T, answer func(w http.ResponseWriter, n int64)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != oauth.TokenPath ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request shape", 400)
			return
		}
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != "cid" || r.PostForm.Get("client_secret") != secret {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad secret %s"}`, r.PostForm.Get("client_secret"))
			return
		}
		answer(w, n.Add(1))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func source(t *testing.T, srv *httptest.Server, mod func(*oauth.Config)) *oauth.Source {
	t.Helper()
	cfg := oauth.Config{TokenURL: srv.URL + oauth.TokenPath, ClientID: "cid", ClientSecret: secret}
	if mod != nil {
		mod(&cfg)
	}
	s, err := oauth.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenFieldsAndExpiry(t *testing.T) {
	issued := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv, _ := server(t, func(w http.ResponseWriter, n int64) {
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","instance_url":"https://acme.my.salesforce.com","api_instance_url":"https://api.salesforce.com","scope":"api chatbot_api sfap_api","issued_at":"%d"}`, n, issued.UnixMilli())
	})
	s := source(t, srv, func(c *oauth.Config) { c.Lifetime = time.Hour; c.Now = func() time.Time { return issued } })
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-1" || tok.InstanceURL != "https://acme.my.salesforce.com" || tok.APIInstanceURL != "https://api.salesforce.com" ||
		!tok.IssuedAt.Equal(issued) || !tok.Expiry.Equal(issued.Add(time.Hour)) {
		t.Fatalf("token = %+v", tok)
	}
	if strings.Contains(tok.String(), "tok-1") || strings.Contains(fmt.Sprint(tok), "tok-1") {
		t.Fatal("Token's String reveals the access token")
	}
}

func TestExpiresInAndJWT(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	jwt := "h." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1000600}`)) + ".s"
	for name, tc := range map[string]struct {
		body string
		want time.Time
	}{
		"expires_in": {`{"access_token":"a","expires_in":120}`, now.Add(120 * time.Second)},
		"jwt exp":    {`{"access_token":"` + jwt + `","expires_in":5}`, time.Unix(1000600, 0)},
		"assumed":    {`{"access_token":"a"}`, now.Add(oauth.DefaultLifetime)},
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := server(t, func(w http.ResponseWriter, n int64) { fmt.Fprint(w, tc.body) })
			s := source(t, srv, func(c *oauth.Config) { c.Now = func() time.Time { return now } })
			tok, err := s.Token(context.Background())
			if err != nil || !tok.Expiry.Equal(tc.want) {
				t.Fatalf("expiry %v (%v), want %v", tok.Expiry, err, tc.want)
			}
		})
	}
}

func TestCachedUntilExpiryThenRefetched(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	srv, n := server(t, func(w http.ResponseWriter, n int64) {
		fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":100}`, n)
	})
	s := source(t, srv, func(c *oauth.Config) { c.Now = func() time.Time { return now } })
	for i := 0; i < 5; i++ {
		if tok, _ := s.Token(context.Background()); tok.AccessToken != "tok-1" {
			t.Fatalf("call %d got %q", i, tok.AccessToken)
		}
	}
	now = now.Add(95 * time.Second) // within the refresh margin (10% of 100 s)
	if tok, _ := s.Token(context.Background()); tok.AccessToken != "tok-2" || n.Load() != 2 {
		t.Fatalf("near expiry got %q after %d fetches", tok.AccessToken, n.Load())
	}
	s.Invalidate("tok-1") // stale: must not drop tok-2
	if tok, _ := s.Token(context.Background()); tok.AccessToken != "tok-2" {
		t.Fatalf("Invalidate of an older token dropped the current one: %q", tok.AccessToken)
	}
	s.Invalidate("tok-2")
	if tok, _ := s.Token(context.Background()); tok.AccessToken != "tok-3" {
		t.Fatalf("after Invalidate got %q", tok.AccessToken)
	}
}

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	srv, n := server(t, func(w http.ResponseWriter, n int64) {
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintf(w, `{"access_token":"tok-%d"}`, n)
	})
	s := source(t, srv, nil)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Token(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n.Load() != 1 {
		t.Fatalf("%d token requests for 50 concurrent callers, want 1", n.Load())
	}
}

func TestBadAnswers(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
		is     error
		want   string
	}{
		"rejected":      {400, "", oauth.ErrTokenRejected, "invalid_client"},
		"not JSON":      {200, "<html>", oauth.ErrBadTokenResponse, "not JSON"},
		"no token":      {200, `{"token_type":"Bearer"}`, oauth.ErrBadTokenResponse, "no access_token"},
		"wrong type":    {200, `{"access_token":"a","token_type":"MAC"}`, oauth.ErrBadTokenResponse, `"MAC"`},
		"too large":     {200, `{"access_token":"` + strings.Repeat("a", 70<<10) + `"}`, oauth.ErrBadTokenResponse, "larger than"},
		"server error":  {500, "oops", oauth.ErrTokenRejected, "HTTP 500"},
		"non-JSON 401":  {401, "denied", oauth.ErrTokenRejected, "HTTP 401"},
		"error in JSON": {403, `{"error":"unauthorized_client","error_description":"client credentials flow disabled"}`, oauth.ErrTokenRejected, "flow disabled"},
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := server(t, func(w http.ResponseWriter, n int64) {
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			s := source(t, srv, nil)
			if name == "rejected" {
				s = source(t, srv, func(c *oauth.Config) { c.ClientSecret = "wrong-secret-xyz" })
			}
			_, err := s.Token(context.Background())
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %v mentioning %q", err, tc.is, tc.want)
			}
			var rej *oauth.RejectedError
			if errors.As(err, &rej) && (strings.Contains(err.Error(), "wrong-secret-xyz") || strings.Contains(string(rej.Body), "wrong-secret-xyz")) {
				t.Fatalf("the client secret leaked: %v / %s", err, rej.Body)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []oauth.Config{
		{ClientID: "a", ClientSecret: "b"},
		{TokenURL: "not a url", ClientID: "a", ClientSecret: "b"},
		{TokenURL: "ftp://x/y", ClientID: "a", ClientSecret: "b"},
		{TokenURL: "https://acme.my.salesforce.com/services/oauth2/token", ClientID: "a"},
	} {
		if _, err := oauth.NewSource(cfg); err == nil {
			t.Errorf("NewSource(%+v) accepted", cfg)
		} else if strings.Contains(err.Error(), "b\"") {
			t.Errorf("error reveals the secret: %v", err)
		}
	}
}

// While one caller's token request hangs, another caller's context still
// ends its wait, and Redact and Invalidate (used on every error path of the
// API client) do not wait for the hanging request.
func TestWaitBehindHangingFetchHonoursContext(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	srv, _ := server(t, func(w http.ResponseWriter, n int64) {
		if n == 1 {
			close(arrived)
			<-release
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d"}`, n)
	})
	defer close(release)
	s := source(t, srv, nil)
	first := make(chan error, 1)
	go func() {
		_, err := s.Token(context.Background())
		first <- err
	}()
	<-arrived // the first caller's fetch is in flight and hangs

	done := make(chan string, 3)
	go func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Token(ctx); !errors.Is(err, context.Canceled) {
			done <- fmt.Sprintf("Token with a cancelled context: err = %v, want context.Canceled", err)
			return
		}
		done <- ""
	}()
	go func() { done <- strings.TrimPrefix(s.Redact("x "+secret), "x [REDACTED]") }()
	go func() { s.Invalidate("tok-0"); done <- "" }()
	for range 3 {
		select {
		case msg := <-done:
			if msg != "" {
				t.Fatal(msg)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a caller stayed blocked behind another caller's hanging token request")
		}
	}
	release <- struct{}{}
	if err := <-first; err != nil {
		t.Fatalf("first caller: %v", err)
	}
}

// A password or a query in the token URL never shows: NewSource refuses such
// a URL without repeating it (it used to accept it, and every error of a
// failed fetch then printed the URL whole).
func TestTokenURLSecretsNeverShow(t *testing.T) {
	dead := testnet.ClosedAddr(t)
	for _, u := range []string{
		"http://agentshape:hunter2-pw@" + dead + oauth.TokenPath,
		"http://agentshape:hunter2-pw@" + dead + ":x" + oauth.TokenPath,
		"http://" + dead + oauth.TokenPath + "?client_secret=hunter2-pw",
		"http://" + dead + oauth.TokenPath + "#hunter2-pw",
	} {
		s, err := oauth.NewSource(oauth.Config{TokenURL: u, ClientID: "cid", ClientSecret: secret})
		if err == nil {
			_, err = s.Token(context.Background())
		}
		if err == nil || strings.Contains(err.Error(), "hunter2-pw") {
			t.Errorf("token URL %s: error %v; want a refusal without the password or query", u, err)
		}
	}
}

// A token endpoint that redirects (307 keeps the method and the body) never
// gets the client secret sent on to the redirect's target: the token
// request follows no redirect, and the redirect is reported as a rejection.
func TestTokenRequestFollowsNoRedirect(t *testing.T) {
	var leaked atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("client_secret") != "" {
			leaked.Add(1)
		}
		fmt.Fprint(w, `{"access_token":"stolen","token_type":"Bearer"}`)
	}))
	t.Cleanup(elsewhere.Close)
	for _, code := range []int{301, 302, 303, 307, 308} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+oauth.TokenPath, code)
		}))
		s := source(t, redirector, nil)
		_, err := s.Token(context.Background())
		redirector.Close()
		var rej *oauth.RejectedError
		if !errors.As(err, &rej) || rej.Status != code {
			t.Errorf("%d: error %v; want the redirect reported as a rejection", code, err)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the client secret reached the redirect's target %d time(s)", n)
	}
}
