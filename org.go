package agentshape

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/agentshape/agentshape/host/agentapi"
)

// The environment variables OrgFromEnv reads: the ones the agentshape
// command reads to call a real org.
const (
	// EnvMyDomain is the org's My Domain URL.
	EnvMyDomain = "SF_MY_DOMAIN"
	// EnvClientID is the External Client App's consumer key.
	EnvClientID = "SF_CLIENT_ID"
	// EnvClientSecret is the External Client App's consumer secret.
	EnvClientSecret = "SF_CLIENT_SECRET"
	// EnvAPIBaseURL overrides the Agent API gateway (default
	// https://api.salesforce.com; Government Cloud:
	// https://api.gov.salesforce.com).
	EnvAPIBaseURL = "SF_API_BASE_URL"
	// EnvTokenURL overrides <my-domain>/services/oauth2/token (e.g. for a
	// stand-alone "agentshape emulator").
	EnvTokenURL = "SF_TOKEN_URL"
)

// Org names a Salesforce org and the External Client App that gets tokens
// for it (OAuth client credentials).
type Org struct {
	// MyDomain is the org's My Domain URL, e.g. https://acme.my.salesforce.com
	// (a bare host gets https://).
	MyDomain string
	// ClientID is the External Client App's consumer key.
	ClientID string
	// ClientSecret is its consumer secret; it is only ever sent to the token
	// endpoint, and never logged.
	ClientSecret string
	// APIBaseURL is the Agent API gateway; "" means
	// https://api.salesforce.com.
	APIBaseURL string
	// TokenURL overrides MyDomain + /services/oauth2/token; "" keeps it.
	TokenURL string
}

// LogValue logs the org without its client secret.
func (o Org) LogValue() slog.Value {
	return slog.GroupValue(slog.String("myDomain", o.MyDomain), slog.String("clientId", o.ClientID),
		slog.String("apiBaseURL", o.APIBaseURL), slog.String("tokenURL", o.TokenURL))
}

// String describes the org without its client secret.
func (o Org) String() string {
	return fmt.Sprintf("org %s (client app %s)", o.MyDomain, o.ClientID)
}

// GoString is String, so that %#v prints no secret either.
func (o Org) GoString() string { return o.String() }

// config checks the org's URLs and returns the client configuration, its My
// Domain in the client's normalised form (scheme added, no trailing slash).
func (o Org) config() (agentapi.Config, error) {
	cfg := agentapi.Config{MyDomain: o.MyDomain, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		APIBaseURL: o.APIBaseURL, TokenURL: o.TokenURL}
	c, err := agentapi.New(cfg)
	if err != nil {
		return cfg, err
	}
	cfg.MyDomain = c.MyDomain()
	c.Close()
	return cfg, nil
}

// OrgFromEnv reads the org the agentshape command calls: SF_MY_DOMAIN,
// SF_CLIENT_ID and SF_CLIENT_SECRET (all three, or none), and optionally
// SF_API_BASE_URL and SF_TOKEN_URL. It returns nil and no error when none of
// the three is set (New then uses the embedded emulator), and an error naming
// the variables when only some are set or a URL is malformed. The My Domain
// is returned in normalised form (https:// added, no trailing slash).
func OrgFromEnv() (*Org, error) { return OrgFromGetenv(os.Getenv) }

// OrgFromGetenv is OrgFromEnv over the environment getenv reads (os.Getenv
// reads the process's; a command that takes its environment as a value
// passes its own).
func OrgFromGetenv(getenv func(string) string) (*Org, error) {
	vars := map[string]string{}
	var set, missing []string
	for _, k := range []string{EnvMyDomain, EnvClientID, EnvClientSecret} {
		vars[k] = strings.TrimSpace(getenv(k))
		if vars[k] == "" {
			missing = append(missing, k)
		} else {
			set = append(set, k)
		}
	}
	switch {
	case len(set) == 0:
		return nil, nil
	case len(missing) > 0:
		return nil, fmt.Errorf("%s set but %s not: set all of %s, %s and %s to call an org, or none to use the embedded emulator",
			strings.Join(set, ", "), strings.Join(missing, ", "), EnvMyDomain, EnvClientID, EnvClientSecret)
	}
	o := &Org{MyDomain: vars[EnvMyDomain], ClientID: vars[EnvClientID], ClientSecret: vars[EnvClientSecret],
		APIBaseURL: strings.TrimSpace(getenv(EnvAPIBaseURL)), TokenURL: strings.TrimSpace(getenv(EnvTokenURL))}
	cfg, err := o.config()
	if err != nil {
		return nil, fmt.Errorf("%s/%s/%s: %w", EnvMyDomain, EnvAPIBaseURL, EnvTokenURL, err)
	}
	o.MyDomain = cfg.MyDomain
	return o, nil
}

// OrgEnvSet lists which of SF_MY_DOMAIN, SF_CLIENT_ID and
// SF_CLIENT_SECRET are set (not blank) in the environment getenv reads, for
// callers that refuse them beside an emulator org.
func OrgEnvSet(getenv func(string) string) []string {
	var set []string
	for _, k := range []string{EnvMyDomain, EnvClientID, EnvClientSecret} {
		if strings.TrimSpace(getenv(k)) != "" {
			set = append(set, k)
		}
	}
	return set
}
