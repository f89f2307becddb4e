package ociplugin

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// Scheme starts a manifest path that names a plugin in a registry.
const Scheme = "oci://"

// Ref names a plugin artifact: REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST].
type Ref struct {
	// Registry is the registry's host, with its port if any.
	Registry string
	// Repository is the repository path inside the registry.
	Repository string
	// Tag is the tag, "" when none was given.
	Tag string
	// Digest is the manifest's digest, "sha256:" and 64 hex digits; "" when
	// none was given.
	Digest string
}

// IsRemote reports whether a manifest path names a plugin in a registry.
func IsRemote(path string) bool { return strings.HasPrefix(path, Scheme) }

// ParseRef parses a reference, with or without the oci:// scheme. Only
// sha256 digests are accepted, and the registry part may carry no user
// name or password (credentials come from the registry configuration, never
// from a reference that ends up in logs and reports).
func ParseRef(s string) (Ref, error) {
	raw := strings.TrimPrefix(s, Scheme)
	shown := s
	if host, rest, _ := strings.Cut(raw, "/"); strings.Contains(host, "@") {
		// Never repeat what may be a password.
		shown = Scheme + "[redacted]@" + host[strings.LastIndex(host, "@")+1:] + "/" + rest
	}
	fail := func(format string, args ...any) (Ref, error) {
		return Ref{}, &Error{Ref: shown, Kind: ErrBadReference, Msg: fmt.Sprintf(format, args...) +
			"; write REGISTRY/REPOSITORY:TAG@sha256:DIGEST, e.g. ghcr.io/acme/endpoint:1.2.0@sha256:…"}
	}
	host, rest, ok := strings.Cut(raw, "/")
	if !ok || host == "" || rest == "" {
		return fail("names no registry and repository")
	}
	if strings.Contains(host, "@") {
		return fail("the registry part carries a user name or password; put credentials in the registry configuration (docker login, --registry-config), never in a reference")
	}
	var r Ref
	repoTag := rest
	if i := strings.Index(rest, "@"); i >= 0 {
		repoTag, r.Digest = rest[:i], rest[i+1:]
		algo, hexPart, _ := strings.Cut(r.Digest, ":")
		if algo != "sha256" {
			return fail("digest %q is not a sha256 digest", r.Digest)
		}
		if len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
			return fail("digest %q is not sha256: and 64 lowercase hex digits", r.Digest)
		}
	}
	if i := strings.LastIndex(repoTag, ":"); i >= 0 {
		repoTag, r.Tag = repoTag[:i], repoTag[i+1:]
		if r.Tag == "" {
			return fail("the tag after ':' is empty")
		}
	}
	ref := host + "/" + repoTag
	if r.Tag != "" {
		ref += ":" + r.Tag
	}
	parsed, err := registry.ParseReference(ref)
	if err != nil {
		return fail("%v", err)
	}
	r.Registry, r.Repository = parsed.Registry, parsed.Repository
	return r, nil
}

// String returns the reference without the scheme.
func (r Ref) String() string {
	s := r.Registry + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// URI returns the reference with the oci:// scheme, as a manifest path.
func (r Ref) URI() string { return Scheme + r.String() }

// Name is the last element of the repository, a plugin's default name.
func (r Ref) Name() string { return r.Repository[strings.LastIndex(r.Repository, "/")+1:] }

// reference is what to ask the registry for: the digest when there is one.
func (r Ref) reference() string {
	if r.Digest != "" {
		return r.Digest
	}
	return r.Tag
}

// tagName names the tag in the cache's links.
func (r Ref) tagName() string { return Scheme + r.Registry + "/" + r.Repository + ":" + r.Tag }

// IsLoopback reports whether a registry host (host or host:port) is this
// machine: localhost or a loopback address. Names are not resolved.
func IsLoopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
