// Package endpoint is the logic of the endpoint example plugin: it sets the
// Start Session request's instanceConfig.endpoint (agent-api.md §2) to the
// org's My Domain URL and refuses URLs that are not one (agent-api.md §8:
// a non-My-Domain endpoint fails with 500 EngineConfigLookupException).
//
// Where the My Domain comes from, first match wins:
//  1. config.myDomain when config.override is true;
//  2. context.org.myDomain (with context.org.kind and context.org.sandbox);
//  3. config.myDomain (with config.kind and config.sandbox);
//  4. an instanceConfig.endpoint already in the request (checked and normalised).
//
// A My Domain is either a full URL / host name or just the My Domain name. A
// name is turned into a URL by kind:
//
//	production (default)  https://<name>.my.salesforce.com
//	sandbox               https://<name>--<sandbox>.sandbox.my.salesforce.com
//	developer             https://<name>.develop.my.salesforce.com
//	government            https://<name>.my.salesforce.com
//
// Government Cloud orgs keep the commercial My Domain form; what differs is
// the API gateway (api.gov.salesforce.com, agent-api.md §1), which is the
// client's business, not the request's. Full URLs on *.my.salesforce.com (any
// partition: sandbox, develop, scratch, demo, patch, trailblaze) and on
// *.my.salesforce.mil (Government Cloud Plus – Defense; an assumption, not in
// agent-api.md) are accepted as given.
//
// Refused, each with a message naming the URL to use instead:
//   - Lightning URLs (*.lightning.force.com, *.lightning.crmforce.mil) → lightning_url
//   - Setup URLs (*.my.salesforce-setup.com, or any URL with a /lightning/setup
//     or /setup path) → setup_url
//   - login.salesforce.com / test.salesforce.com → login_url
//   - the Agent API gateway (api.salesforce.com, api.gov.salesforce.com) → gateway_url
//   - other hosts (Experience Cloud sites, Visualforce, instance URLs, custom
//     domains) → not_my_domain, unless config.allowOtherHosts is true
//   - http:// URLs, URLs with a path, query, user or port → bad_url
package endpoint

import (
	"strings"

	"github.com/agentshape/agentshape/plugins/kits/go/shapekit"
)

// Shape sets instanceConfig.endpoint; see the package documentation.
func Shape(env shapekit.Envelope) (shapekit.Request, error) {
	cfg := env.Plugin.Config
	cfgDomain, err := cfg.String("myDomain", "")
	if err != nil {
		return nil, err
	}
	cfgKind, err := cfg.String("kind", "")
	if err != nil {
		return nil, err
	}
	cfgSandbox, err := cfg.String("sandbox", "")
	if err != nil {
		return nil, err
	}
	override, err := cfg.Bool("override", false)
	if err != nil {
		return nil, err
	}
	allowOther, err := cfg.Bool("allowOtherHosts", false)
	if err != nil {
		return nil, err
	}

	org := env.Context.Org
	var domain, kind, sandbox, source string
	switch {
	case override && cfgDomain != "":
		domain, kind, sandbox, source = cfgDomain, cfgKind, cfgSandbox, "config.myDomain"
	case strings.TrimSpace(org.MyDomain) != "":
		domain, kind, sandbox, source = org.MyDomain, org.Kind, org.Sandbox, "context.org.myDomain"
	case cfgDomain != "":
		domain, kind, sandbox, source = cfgDomain, cfgKind, cfgSandbox, "config.myDomain"
	default:
		existing, ok := env.Request.String("instanceConfig.endpoint")
		if !ok || strings.TrimSpace(existing) == "" {
			return nil, shapekit.Refuse("no_my_domain",
				"no My Domain: context.org.myDomain is empty, config.myDomain is not set and the request has no instanceConfig.endpoint; "+
					"pass the org's My Domain name (e.g. \"acme\") or URL (e.g. \"https://acme.my.salesforce.com\")")
		}
		domain, source = existing, "request.instanceConfig.endpoint"
	}

	endpoint, err := Resolve(domain, kind, sandbox, allowOther)
	if err != nil {
		if e, ok := err.(*shapekit.Error); ok {
			e.Message = source + ": " + e.Message
		}
		return nil, err
	}
	if err := env.Request.Set("instanceConfig.endpoint", endpoint); err != nil {
		return nil, err
	}
	shapekit.Log(shapekit.LevelDebug, "instanceConfig.endpoint = "+endpoint+" (from "+source+")")
	return env.Request, nil
}

// Kinds accepted in context.org.kind / config.kind.
const (
	KindProduction = "production"
	KindSandbox    = "sandbox"
	KindDeveloper  = "developer"
	KindGovernment = "government"
)

// Resolve turns a My Domain name, host or URL into the endpoint URL
// ("https://<host>", no trailing slash), or explains why it cannot. kind and
// sandbox are used only when myDomain is a bare name.
func Resolve(myDomain, kind, sandbox string, allowOtherHosts bool) (string, error) {
	d := strings.TrimSpace(myDomain)
	if d == "" {
		return "", shapekit.Refuse("no_my_domain", "the My Domain is empty; pass a name like \"acme\" or a URL like \"https://acme.my.salesforce.com\"")
	}
	if !strings.Contains(d, ".") && !strings.Contains(d, "/") && !strings.Contains(d, ":") {
		return fromName(strings.ToLower(d), strings.ToLower(strings.TrimSpace(kind)), strings.ToLower(strings.TrimSpace(sandbox)))
	}
	return fromURL(d, allowOtherHosts)
}

func fromName(name, kind, sandbox string) (string, error) {
	if err := checkLabel("My Domain name", name); err != nil {
		return "", err
	}
	if kind == "" && sandbox != "" {
		kind = KindSandbox
	}
	switch kind {
	case "", KindProduction, KindGovernment:
		return "https://" + name + ".my.salesforce.com", nil
	case KindDeveloper:
		return "https://" + name + ".develop.my.salesforce.com", nil
	case KindSandbox:
		if sandbox == "" {
			return "", shapekit.Refuse("no_sandbox_name",
				"org kind is sandbox but no sandbox name is given: set org.sandbox (e.g. \"uat\" for https://%s--uat.sandbox.my.salesforce.com)", name)
		}
		if err := checkLabel("sandbox name", sandbox); err != nil {
			return "", err
		}
		return "https://" + name + "--" + sandbox + ".sandbox.my.salesforce.com", nil
	default:
		return "", shapekit.Refuse("bad_kind", "org kind %q is not one of production, sandbox, developer, government", kind)
	}
}

// checkLabel accepts a DNS label of letters, digits and single hyphens; "--"
// is reserved as the My Domain/sandbox separator.
func checkLabel(what, s string) error {
	bad := len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--")
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			bad = true
		}
	}
	if bad {
		return shapekit.Refuse("bad_my_domain",
			"%s %q is not valid: use letters, digits and single hyphens (e.g. \"acme\" or \"acme-dev-ed\")", what, s)
	}
	return nil
}

// Suffixes of Salesforce hosts the plugin recognises.
const (
	myDomainSuffix    = ".my.salesforce.com"
	myDomainMilSuffix = ".my.salesforce.mil"
	lightningSuffix   = ".lightning.force.com"
	lightningMil      = ".lightning.crmforce.mil"
	setupSuffix       = ".my.salesforce-setup.com"
	setupMilSuffix    = ".my.salesforce-setup.mil"
)

// parsedURL is the part of a URL the plugin looks at. The plugin parses URLs
// itself (net/url would add half a megabyte to the module).
type parsedURL struct {
	scheme, user, host, port, path string
	query, fragment                bool
}

// parseURL splits "scheme://[user@]host[:port][/path][?query][#fragment]";
// a missing scheme means https.
func parseURL(raw string) (parsedURL, bool) {
	var u parsedURL
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		u.scheme, rest = strings.ToLower(raw[:i]), raw[i+3:]
	} else {
		u.scheme = "https"
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		u.fragment, rest = true, rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		u.query, rest = true, rest[:i]
	}
	authority := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, u.path = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		u.user, authority = authority[:i], authority[i+1:]
	}
	if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		authority, u.port = authority[:i], authority[i+1:]
		if u.port == "" || strings.Trim(u.port, "0123456789") != "" {
			return u, false
		}
	}
	u.host = strings.ToLower(authority)
	if u.host == "" || strings.Trim(u.host, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" ||
		strings.HasPrefix(u.host, ".") || strings.HasSuffix(u.host, ".") || strings.Contains(u.host, "..") {
		return u, false
	}
	return u, true
}

func fromURL(raw string, allowOtherHosts bool) (string, error) {
	u, ok := parseURL(raw)
	if !ok {
		return "", shapekit.Refuse("bad_url", "%q is not a URL or host name; pass e.g. \"https://acme.my.salesforce.com\"", raw)
	}
	host := u.host
	path := strings.ToLower(u.path)

	// Wrong kinds of Salesforce URL first: these messages name the right URL.
	switch {
	case strings.HasSuffix(host, lightningSuffix):
		return "", refuseWith("lightning_url", raw, "a Lightning Experience URL", strings.TrimSuffix(host, lightningSuffix)+myDomainSuffix)
	case strings.HasSuffix(host, lightningMil):
		return "", refuseWith("lightning_url", raw, "a Lightning Experience URL", strings.TrimSuffix(host, lightningMil)+myDomainMilSuffix)
	case strings.HasSuffix(host, setupSuffix):
		return "", refuseWith("setup_url", raw, "a Setup URL", strings.TrimSuffix(host, setupSuffix)+myDomainSuffix)
	case strings.HasSuffix(host, setupMilSuffix):
		return "", refuseWith("setup_url", raw, "a Setup URL", strings.TrimSuffix(host, setupMilSuffix)+myDomainMilSuffix)
	case strings.HasPrefix(path, "/lightning/setup") || strings.HasPrefix(path, "/setup/") || path == "/setup":
		return "", refuseWith("setup_url", raw, "a Setup page URL", host)
	case host == "login.salesforce.com" || host == "test.salesforce.com":
		return "", shapekit.Refuse("login_url",
			"%q is the generic login host, not the org's My Domain: use the org's My Domain URL, e.g. https://<mydomain>.my.salesforce.com (Setup → My Domain shows it)", raw)
	case host == "api.salesforce.com" || host == "api.gov.salesforce.com":
		return "", shapekit.Refuse("gateway_url",
			"%q is the Agent API gateway, not the org's My Domain (agent-api.md §1): instanceConfig.endpoint must be the org's My Domain URL, e.g. https://<mydomain>.my.salesforce.com", raw)
	}

	known := strings.HasSuffix(host, myDomainSuffix) || strings.HasSuffix(host, myDomainMilSuffix)
	if !known && !allowOtherHosts {
		return "", shapekit.Refuse("not_my_domain",
			"%q is not a Salesforce My Domain URL (*.my.salesforce.com): use the org's My Domain URL from Setup → My Domain, e.g. https://<mydomain>.my.salesforce.com (set config.allowOtherHosts to accept other hosts)", raw)
	}
	if known {
		prefix := strings.TrimSuffix(strings.TrimSuffix(host, myDomainSuffix), myDomainMilSuffix)
		for _, label := range strings.Split(prefix, ".") {
			name, _, _ := strings.Cut(label, "--")
			if checkLabel("My Domain label", name) != nil {
				return "", shapekit.Refuse("bad_my_domain", "%q does not hold a valid My Domain name: use e.g. https://acme.my.salesforce.com", raw)
			}
		}
	}
	clean := "https://" + host
	switch {
	case u.scheme != "https":
		return "", shapekit.Refuse("bad_url", "%q does not use https: use %s", raw, clean)
	case u.user != "" || u.query || u.fragment || (path != "" && path != "/"):
		return "", shapekit.Refuse("bad_url", "%q has a path, query, fragment or user part; instanceConfig.endpoint is the bare My Domain URL: use %s", raw, clean)
	case u.port != "" && !allowOtherHosts:
		return "", shapekit.Refuse("bad_url", "%q names a port; use %s", raw, clean)
	}
	if u.port != "" {
		clean += ":" + u.port
	}
	return clean, nil
}

func refuseWith(code, raw, what, host string) error {
	return shapekit.Refuse(code, "%q is %s, not the org's My Domain URL: use https://%s", raw, what, host)
}
