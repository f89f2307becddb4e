// Package configurl checks the URLs an Agent API client is configured with
// (My Domain, token endpoint, API base): absolute http(s), with no user
// info, query or fragment. Its errors never repeat a password or a query,
// either of which may carry a secret.
package configurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Parse parses raw, the URL named what (e.g. "token URL"), and refuses what
// the client must not send or show. Credentials belong in the client id and
// secret, never in a URL.
func Parse(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password and query included: keep
		// only the cause, and not even that where it repeats part of the URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if strings.HasPrefix(err.Error(), "invalid port") {
			err = errors.New("invalid port after the host name")
		}
		return nil, fmt.Errorf("%s is not a URL: %w (write e.g. https://acme.my.salesforce.com)", what, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s %q must not carry a user or password; credentials go in the client id and secret", what, Shown(u))
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q must be an absolute http(s) URL without query or fragment", what, Shown(u))
	}
	return u, nil
}

// Shown is u as an error may print it: without user info, query and
// fragment.
func Shown(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	return v.String()
}
