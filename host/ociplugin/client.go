// Package ociplugin publishes agentshape plugins to OCI registries and
// fetches them back, so that teams share plugins through the registries
// they already run (GHCR, ECR, Harbor, Artifactory, CNCF distribution)
// instead of file paths.
//
// A plugin is an OCI image manifest in the WebAssembly artifact layout: one
// layer holding the module (media type LayerMediaType), a config of media
// type ConfigMediaType ({"architecture": "wasm", "os": "wasip1",
// "layerDigests": [...]}), and annotations with the plugin's ABI version,
// kind and sha256 (AnnotationABIVersion, AnnotationKind, AnnotationSHA256).
// Pushing the same module again gives the same manifest digest.
//
// Pulled modules are kept in a content-addressed cache (internal/cas) under
// the user cache directory, so a reference with a digest is served from disk
// without any network once it was pulled, and Offline serves only from it.
// Manifests and modules have size limits, checked against what the registry
// announces before anything is read, and every byte is verified against its
// digest before it is cached; a refused artifact leaves nothing in the cache.
//
// Credentials come from Docker's config.json (or Options.RegistryConfig),
// including its credential helpers; they never reach a plugin, a log or an
// error. Plain HTTP is used only for loopback registries and those listed in
// Options.InsecureRegistries.
package ociplugin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/agentshape/agentshape/internal/cas"
	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/internal/version"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds one plugin's pull or push.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxManifestBytes bounds a manifest. A plugin's manifest is
	// under 2 KiB; registries accept up to 4 MiB.
	DefaultMaxManifestBytes = 64 << 10
	// DefaultMaxModuleBytes bounds a module (the wasm layer): 64 MiB, the
	// cap the host puts on every module it reads.
	DefaultMaxModuleBytes = inputlimit.MaxModuleBytes
	// DefaultRetries is how often a request that failed with a 5xx, a 429
	// or a timeout is repeated (reads and blob uploads are idempotent).
	DefaultRetries = 2
)

// Options configure a Client. The zero value is usable.
type Options struct {
	// CacheDir is the plugin cache; "" means DefaultCacheDir().
	CacheDir string
	// Offline serves every pull from the cache and never opens a
	// connection; a module that is not cached is ErrNotCached.
	Offline bool
	// RegistryConfig is a Docker config.json with credentials (auths,
	// credsStore, credHelpers); "" means Docker's own:
	// $DOCKER_CONFIG/config.json, else ~/.docker/config.json (absent is
	// fine: anonymous access).
	RegistryConfig string
	// InsecureRegistries are registries (host or host:port) reached over
	// plain HTTP. Loopback registries (localhost, 127.0.0.0/8, ::1) always
	// are.
	InsecureRegistries []string
	// Timeout bounds one plugin's pull or push; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxManifestBytes and MaxModuleBytes bound what is fetched; 0 means
	// the defaults.
	MaxManifestBytes, MaxModuleBytes int64
	// Retries is how often a failed request is repeated (5xx, 429,
	// timeouts); 0 means DefaultRetries, negative means never.
	Retries int
	// RetryWait is the first wait before a repeat (doubling after each);
	// 0 means 200ms.
	RetryWait time.Duration
	// Logger gets debug lines about fetches (never credentials); nil
	// discards them.
	Logger *slog.Logger
}

// DefaultCacheDir is <user cache dir>/agentshape/oci.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory (%w): set XDG_CACHE_HOME or HOME, or name a cache directory", err)
	}
	return filepath.Join(d, "agentshape", "oci"), nil
}

// Client pushes and pulls plugins. It is safe for concurrent use.
type Client struct {
	opts  Options
	store *cas.Store
	log   *slog.Logger

	once    sync.Once
	http    *auth.Client
	initErr error
	secrets secretSet
}

// New returns a client. It opens no connection and reads no credentials
// until a registry is needed.
func New(opts Options) (*Client, error) {
	if opts.CacheDir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = d
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxManifestBytes <= 0 {
		opts.MaxManifestBytes = DefaultMaxManifestBytes
	}
	if opts.MaxModuleBytes <= 0 {
		opts.MaxModuleBytes = DefaultMaxModuleBytes
	}
	if opts.Retries == 0 {
		opts.Retries = DefaultRetries
	}
	if opts.RetryWait <= 0 {
		opts.RetryWait = 200 * time.Millisecond
	}
	if opts.RegistryConfig != "" {
		if _, err := os.Stat(opts.RegistryConfig); err != nil {
			return nil, fmt.Errorf("registry config %s: %w (give a Docker config.json, or leave it out for Docker's own)", opts.RegistryConfig, err)
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{opts: opts, store: cas.New(opts.CacheDir), log: log}, nil
}

// CacheDir returns the plugin cache directory.
func (c *Client) CacheDir() string { return c.opts.CacheDir }

// httpClient builds, once, the authenticating, retrying HTTP client.
func (c *Client) httpClient() (*auth.Client, error) {
	c.once.Do(func() {
		store, err := c.credentialStore()
		if err != nil {
			c.initErr = err
			return
		}
		base := &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			IdleConnTimeout:       30 * time.Second,
			MaxIdleConnsPerHost:   4,
			ForceAttemptHTTP2:     true,
		}
		rt := http.RoundTripper(base)
		if c.opts.Retries > 0 {
			policy := &retry.GenericPolicy{
				Retryable: retry.DefaultPredicate,
				Backoff:   retry.ExponentialBackoff(c.opts.RetryWait, 2, 0.1),
				MinWait:   c.opts.RetryWait,
				MaxWait:   5 * time.Second,
				MaxRetry:  c.opts.Retries,
			}
			rt = &retry.Transport{Base: base, Policy: func() retry.Policy { return policy }}
		}
		header := http.Header{}
		header.Set("User-Agent", "agentshape/"+version.Current().Version)
		c.http = &auth.Client{
			Client:     &http.Client{Transport: rt},
			Header:     header,
			Cache:      auth.NewCache(),
			Credential: c.credential(store),
		}
	})
	return c.http, c.initErr
}

func (c *Client) credentialStore() (credentials.Store, error) {
	var (
		store *credentials.DynamicStore
		err   error
	)
	if c.opts.RegistryConfig != "" {
		store, err = credentials.NewStore(c.opts.RegistryConfig, credentials.StoreOptions{})
	} else {
		store, err = credentials.NewStoreFromDocker(credentials.StoreOptions{})
	}
	if err != nil {
		// The error names the file, never its contents.
		where := c.opts.RegistryConfig
		if where == "" {
			where = "Docker's config.json"
		}
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("registry credentials: %s cannot be read: %w", where, err)
		}
		return nil, fmt.Errorf("registry credentials: %s is not a valid Docker config.json (%w); fix it or give --registry-config", where, c.redact(err))
	}
	return store, nil
}

// credential looks a registry's credentials up when the registry asks for
// them, and remembers every secret so that no error can print it.
func (c *Client) credential(store credentials.Store) auth.CredentialFunc {
	lookup := credentials.Credential(store)
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		cred, err := lookup(ctx, hostport)
		if err != nil {
			// A credential helper's failure: say which registry, not what
			// the helper printed (it may echo what it was given).
			c.log.Debug("registry credentials lookup failed", "registry", hostport)
			return auth.EmptyCredential, fmt.Errorf("the credential helper for %s failed; check `docker login %s` or the helper named in the registry config", hostport, hostport)
		}
		c.secrets.add(cred.Password, cred.RefreshToken, cred.AccessToken)
		if cred.Username != "" && cred.Password != "" {
			c.secrets.add(base64.StdEncoding.EncodeToString([]byte(cred.Username + ":" + cred.Password)))
		}
		return cred, nil
	}
}

// repository returns a client for ref's repository.
func (c *Client) repository(ref Ref) (*remote.Repository, error) {
	hc, err := c.httpClient()
	if err != nil {
		return nil, err
	}
	repo, err := remote.NewRepository(ref.Registry + "/" + ref.Repository)
	if err != nil {
		return nil, err
	}
	repo.Client = hc
	repo.PlainHTTP = c.plainHTTP(ref.Registry)
	repo.MaxMetadataBytes = c.opts.MaxManifestBytes
	repo.ManifestMediaTypes = acceptedManifestTypes
	return repo, nil
}

// plainHTTP reports whether a registry is reached over plain HTTP.
func (c *Client) plainHTTP(host string) bool {
	return IsLoopback(host) || slices.ContainsFunc(c.opts.InsecureRegistries, func(h string) bool { return strings.EqualFold(h, host) })
}

// secretSet holds the secrets a client has used, to scrub them from errors.
type secretSet struct {
	mu   sync.Mutex
	list []string
}

func (s *secretSet) add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range secrets {
		if len(v) >= 4 && !slices.Contains(s.list, v) {
			s.list = append(s.list, v)
		}
	}
}

func (s *secretSet) scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.list {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}
