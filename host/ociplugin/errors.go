package ociplugin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/agentshape/agentshape/internal/cas"
)

// Kinds of Error; test with errors.Is(err, ociplugin.ErrTimeout).
var (
	// ErrBadReference: the reference cannot be parsed.
	ErrBadReference = errors.New("not a plugin reference")
	// ErrUnreachable: no connection to the registry (refused, no route,
	// unknown host, TLS failure).
	ErrUnreachable = errors.New("registry unreachable")
	// ErrTimeout: the registry did not answer in time.
	ErrTimeout = errors.New("registry timed out")
	// ErrRegistry: the registry answered with a server error (5xx, 429) or
	// something that is not the distribution API.
	ErrRegistry = errors.New("registry failed")
	// ErrUnauthorized: the registry refused the credentials (401, 403).
	ErrUnauthorized = errors.New("registry refused access")
	// ErrNotFound: no such tag, manifest or blob in the registry.
	ErrNotFound = errors.New("not found in the registry")
	// ErrInsecure: plain HTTP was needed but not allowed.
	ErrInsecure = errors.New("plain HTTP not allowed")
	// ErrDigestMismatch: content does not match the digest or size it was
	// announced with (tampered, damaged or truncated).
	ErrDigestMismatch = errors.New("content does not match its digest")
	// ErrTooLarge: a manifest or module over its size limit, refused before
	// it was read.
	ErrTooLarge = errors.New("artifact over its size limit")
	// ErrNotPlugin: the artifact is not a WebAssembly plugin (another media
	// type, several layers, bytes that are not wasm, another ABI version).
	ErrNotPlugin = errors.New("not a WebAssembly plugin artifact")
	// ErrNotCached: offline, and the module is not in the cache.
	ErrNotCached = errors.New("not in the plugin cache")
	// ErrUnpinned: a tag without a digest where a digest is required.
	ErrUnpinned = errors.New("tag without a digest")
	// ErrPinMismatch: the module's sha256 is not the one the manifest pins.
	ErrPinMismatch = errors.New("module does not match its sha256 pin")
	// ErrCache: the local cache cannot be written or read.
	ErrCache = errors.New("plugin cache failed")
)

// ownKinds are the kinds a cause from this package's own checks carries.
var ownKinds = []error{ErrNotPlugin, ErrTooLarge, ErrDigestMismatch, ErrPinMismatch, ErrUnpinned, ErrNotCached}

// Error is a failed registry or cache operation on one reference. Its text
// never carries a credential: the causes are scrubbed of every secret the
// client used.
type Error struct {
	// Ref is the reference as given.
	Ref string
	// Kind is one of the Err* values of this package.
	Kind error
	// Msg says what went wrong and what to do.
	Msg string
	// Err is the cause, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Ref + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the error's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// classify turns a cause from the registry client into an *Error of the
// right kind, with advice; what is an operation such as "fetch the manifest".
func (c *Client) classify(ref, what string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	for _, k := range ownKinds {
		if errors.Is(err, k) {
			return &Error{Ref: ref, Kind: k, Msg: what, Err: c.redact(err)}
		}
	}
	kind, advice := ErrRegistry, "check the registry's status and try again"
	var resp *errcode.ErrorResponse
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		kind, advice = ErrTimeout, fmt.Sprintf("the registry did not answer within %s; check it, or raise --registry-timeout", c.opts.Timeout)
	case errors.Is(err, context.Canceled):
		kind, advice = ErrTimeout, "cancelled"
	case errors.Is(err, auth.ErrBasicCredentialNotFound) || strings.Contains(err.Error(), "missing username or password"):
		kind, advice = ErrUnauthorized, fmt.Sprintf("%s asks for credentials and none are configured for it: log in (docker login %s, or a credential helper) or give --registry-config", hostOf(ref), hostOf(ref))
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		kind, advice = ErrInsecure, "the registry speaks plain HTTP; allow it with --insecure-registry HOST only if you trust every network between you and it"
	case errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostErr):
		kind, advice = ErrUnreachable, "the registry's TLS certificate is not trusted for this name; install its CA in the system's trust store"
	case errors.As(err, &dnsErr):
		kind, advice = ErrUnreachable, "the registry's host name does not resolve; check the reference"
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		kind, advice = ErrUnreachable, "nothing answers at the registry's address; check the reference and the network, or use --offline with a filled cache"
	case errors.As(err, &resp):
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			kind, advice = ErrUnauthorized, fmt.Sprintf("log in to %s (docker login, or a credential helper) or give --registry-config with credentials for it", hostOf(ref))
		case resp.StatusCode == http.StatusNotFound:
			kind, advice = ErrNotFound, "check the repository, tag and digest"
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			kind, advice = ErrRegistry, fmt.Sprintf("the registry answered %d (retried); try again later", resp.StatusCode)
		default:
			kind, advice = ErrRegistry, fmt.Sprintf("the registry answered %d", resp.StatusCode)
		}
	case errors.Is(err, errdef.ErrNotFound):
		kind, advice = ErrNotFound, "check the repository, tag and digest"
	case errors.Is(err, errdef.ErrSizeExceedsLimit):
		kind, advice = ErrTooLarge, "the registry's answer is over this client's limit"
	case errors.Is(err, cas.ErrDigestMismatch) || errors.Is(err, cas.ErrSizeMismatch) ||
		strings.Contains(err.Error(), "digest mismatch") || strings.Contains(err.Error(), "mismatch Content-Length"):
		kind, advice = ErrDigestMismatch, "the registry served content that is not what the digest names (tampered or damaged); nothing was cached: report it to the registry's owner"
	case isNetError(err):
		kind, advice = ErrUnreachable, "the connection to the registry failed; check the network"
	}
	return &Error{Ref: ref, Kind: kind, Msg: what + ": " + advice, Err: c.redact(err)}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isNetError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

func hostOf(ref string) string {
	h, _, _ := strings.Cut(strings.TrimPrefix(ref, Scheme), "/")
	return h
}

// redactedError is a cause whose text mentioned a secret: the text with
// every secret replaced, and no further chain (the chain could print it).
type redactedError struct{ text string }

func (e redactedError) Error() string { return e.text }

// redact returns err unchanged unless its text contains a secret the client
// used (a password, a token, their basic-auth encoding).
func (c *Client) redact(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	scrubbed := c.secrets.scrub(text)
	if scrubbed == text {
		return err
	}
	return redactedError{text: scrubbed}
}
