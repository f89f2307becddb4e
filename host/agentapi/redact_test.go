package agentapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
)

// encodedForms are the ways a server may echo secret back.
func encodedForms(secret string) []string {
	j, _ := json.Marshal(secret)
	return []string{secret, url.QueryEscape(secret), url.PathEscape(secret), string(j[1 : len(j)-1])}
}

// A token endpoint that echoes the posted form (client_secret form-encoded)
// and an API that echoes the access token escaped: no form of either secret
// reaches the outcome, the error or the debug log.
func TestEncodedSecretsNeverLeak(t *testing.T) {
	const clientSecret = `Top+Secret/xyz= ok"<`
	const accessToken = "00Dxx!AQ/tok+en=val"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/services/oauth2/token" {
			form, _ := io.ReadAll(r.Body)
			vals, _ := url.ParseQuery(string(form))
			if vals.Get("client_secret") != clientSecret {
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": "bad form " + string(form)})
				return
			}
			json.NewEncoder(w).Encode(map[string]string{"access_token": accessToken, "token_type": "Bearer", "issued_at": fmt.Sprint(time.Now().UnixMilli())})
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.WriteHeader(http.StatusBadRequest)
		msg := "bad token " + url.QueryEscape(tok) + " at /" + url.PathEscape(tok) + " raw " + tok
		json.NewEncoder(w).Encode(map[string]any{"status": 400, "error": "BadRequestError", "message": msg})
	}))
	t.Cleanup(srv.Close)

	run := func(secret string) string {
		var logs bytes.Buffer
		c, err := agentapi.New(agentapi.Config{
			MyDomain: srv.URL, APIBaseURL: srv.URL, ClientID: testClientID, ClientSecret: secret,
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Retry:  agentapi.RetryPolicy{MaxAttempts: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		out, err := c.StartSession(context.Background(), testAgentID, startBody(srv.URL))
		if err == nil {
			t.Fatal("want an error")
		}
		return fmt.Sprintf("%v\n%+v\n%s\n%s\n%s\n%s", err, out, out.Message, out.RawBody, out.RawText, logs.String())
	}
	// The token request is refused: the endpoint echoes the wrong secret form-encoded.
	wrong := clientSecret + "!"
	everything := run(wrong)
	if !strings.Contains(everything, "bad form") || !strings.Contains(everything, "[REDACTED]") {
		t.Fatalf("expected the echoed form, redacted:\n%s", everything)
	}
	for _, f := range encodedForms(wrong) {
		if strings.Contains(everything, f) {
			t.Fatalf("client secret form %q leaked:\n%s", f, everything)
		}
	}
	// The API echoes the access token query-, path- and JSON-escaped.
	everything = run(clientSecret)
	if !strings.Contains(everything, "bad token") {
		t.Fatalf("expected the API's echo:\n%s", everything)
	}
	for _, f := range append(encodedForms(clientSecret), encodedForms(accessToken)...) {
		if strings.Contains(everything, f) {
			t.Fatalf("secret form %q leaked:\n%s", f, everything)
		}
	}
}
