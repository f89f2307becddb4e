package agentapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/internal/testnet"
)

// No secret a configured URL carries — a password in its user info, or a
// query — reaches an error, an outcome or a log record, whichever URL
// carries it and however the call ends.

// A URL carrying a password is refused without repeating the password.
func TestConfigURLNeverEchoesAPassword(t *testing.T) {
	for _, u := range []string{"https://admin:s3cr3t-pw@acme.my.salesforce.com", "https://admin:s3cr3t-pw@acme.my.salesforce.com:port/"} {
		_, err := agentapi.New(agentapi.Config{MyDomain: u, ClientID: "id", ClientSecret: "secret"})
		if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("MyDomain %s: err = %v; want a refusal without the password", u, err)
		}
	}
}

// Every configured URL (My Domain, token URL, API base): a password or a
// query in it never shows, whether New refuses the URL or a call later
// fails to reach it (the token URL's password used to be printed in full by
// the "could not reach" message, and twice more in its cause).
func TestConfiguredURLSecretsNeverShow(t *testing.T) {
	const pw, q = "hunter2-pw", "q-s3cr3t"
	dead := testnet.ClosedAddr(t)
	for _, tc := range []struct {
		name string
		cfg  agentapi.Config
	}{
		{"token URL with a password", agentapi.Config{TokenURL: "http://agentshape:" + pw + "@" + dead + "/services/oauth2/token"}},
		{"token URL with a password, bad port", agentapi.Config{TokenURL: "http://agentshape:" + pw + "@" + dead + ":x/services/oauth2/token"}},
		{"token URL with a query", agentapi.Config{TokenURL: "http://" + dead + "/services/oauth2/token?client_secret=" + q}},
		{"API base URL with a query", agentapi.Config{APIBaseURL: "http://" + dead + "/?token=" + q}},
		{"My Domain with a query", agentapi.Config{MyDomain: "https://acme.my.salesforce.com/?sid=" + q}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := tc.cfg
			if cfg.MyDomain == "" {
				cfg.MyDomain = "https://acme.my.salesforce.com"
			}
			if cfg.APIBaseURL == "" {
				cfg.APIBaseURL = "http://" + dead
			}
			cfg.ClientID, cfg.ClientSecret = "id", "secret-value"
			cfg.Timeout = 2 * time.Second
			cfg.Retry = agentapi.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, err := agentapi.New(cfg)
			everything := fmt.Sprint(err)
			if err == nil {
				out, err := c.StartSession(context.Background(), testAgentID, startBody("https://acme.my.salesforce.com"))
				c.Close()
				if err == nil {
					t.Fatal("a call to nowhere succeeded")
				}
				everything = fmt.Sprintf("%v\n%+v\n%s", err, out, logs.String())
			}
			for _, secret := range []string{pw, q} {
				if strings.Contains(everything, secret) {
					t.Fatalf("%q shows:\n%s", secret, everything)
				}
			}
		})
	}
}
