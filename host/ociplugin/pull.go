package ociplugin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/agentshape/agentshape/internal/cas"
)

// PullOptions qualify one pull.
type PullOptions struct {
	// AllowTag accepts a reference with a tag and no digest (the manifest's
	// allowUnpinnedTags); without it such a reference is ErrUnpinned, with
	// the digest to pin in the message.
	AllowTag bool
	// SHA256 is the module's pin from the manifest entry (hex, optionally
	// "sha256:"-prefixed); "" for none.
	SHA256 string
}

// Module is a pulled plugin, in the cache.
type Module struct {
	// Ref is the reference pulled, its Digest filled in.
	Ref Ref
	// SHA256 is the module's sha256 (hex): the layer's digest.
	SHA256 string
	// Size is the module's size in bytes.
	Size int64
	// Path is the module's file in the cache. It is verified when cached;
	// whoever reads it later verifies it against SHA256 again (the plugin
	// host does, as a pin).
	Path string
	// Annotations are the manifest's annotations.
	Annotations map[string]string
	// Cached reports that no registry was contacted.
	Cached bool
}

// Pull returns the module ref names, from the cache when the reference has
// a digest that was pulled before (no network), else from the registry into
// the cache. The manifest and module are verified against their digests,
// the manifest is checked to be a plugin artifact within the size limits
// before the module is fetched, and the module against opts.SHA256, before
// anything is cached or returned.
func (c *Client) Pull(ctx context.Context, ref string, opts PullOptions) (*Module, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	pin := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(opts.SHA256), "sha256:"))
	if pin != "" && cas.CheckDigest(pin) != nil {
		return nil, &Error{Ref: ref, Kind: ErrPinMismatch, Msg: fmt.Sprintf("the sha256 pin %q is not 64 hex digits", opts.SHA256)}
	}
	if r.Digest == "" && r.Tag == "" {
		return nil, &Error{Ref: ref, Kind: ErrBadReference, Msg: "names neither a tag nor a digest; add :TAG@sha256:DIGEST"}
	}
	if r.Digest == "" {
		d, err := c.tagDigest(ctx, r)
		if err != nil {
			return nil, err
		}
		if !opts.AllowTag {
			pinned := r
			pinned.Digest = d
			return nil, &Error{Ref: ref, Kind: ErrUnpinned, Msg: fmt.Sprintf(
				"a tag can be moved to other code, so a manifest names a plugin by digest: write `path: %s` (or set allowUnpinnedTags: true in the manifest to follow the tag)", pinned.URI())}
		}
		r.Digest = d
	}
	m, err := c.fromCache(r)
	if err == nil {
		return c.checkPin(ref, m, pin)
	}
	if c.opts.Offline {
		return nil, &Error{Ref: ref, Kind: ErrNotCached, Msg: fmt.Sprintf("offline, and it is not in the plugin cache %s; run once without --offline (or `agentshape plugin pull %s`) to fill it", c.opts.CacheDir, r.URI())}
	}
	m, err = c.fetch(ctx, ref, r)
	if err != nil {
		return nil, err
	}
	return c.checkPin(ref, m, pin)
}

// ResolveModule pulls ref (see Pull) and returns the module's file and its
// sha256; it makes a Client a pipeline.Resolver.
func (c *Client) ResolveModule(ctx context.Context, ref, pin string, allowTag bool) (path, sha256Hex string, err error) {
	m, err := c.Pull(ctx, ref, PullOptions{AllowTag: allowTag, SHA256: pin})
	if err != nil {
		return "", "", err
	}
	return m.Path, m.SHA256, nil
}

func (c *Client) checkPin(ref string, m *Module, pin string) (*Module, error) {
	if pin != "" && pin != m.SHA256 {
		return nil, &Error{Ref: ref, Kind: ErrPinMismatch, Msg: fmt.Sprintf(
			"the module's sha256 is %s but the manifest pins %s; the digest and the pin name different modules: fix the one that is wrong", m.SHA256, pin)}
	}
	return m, nil
}

// tagDigest returns the digest a tag points at: from the registry, or
// offline from the cache's record of the last pull.
func (c *Client) tagDigest(ctx context.Context, r Ref) (string, error) {
	if c.opts.Offline {
		d, err := c.store.Resolve(r.tagName())
		if err != nil {
			return "", &Error{Ref: r.URI(), Kind: ErrNotCached, Msg: "offline, and this tag was never pulled on this machine; pin the digest (`agentshape plugin pull` prints it) or run without --offline"}
		}
		return "sha256:" + d, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	repo, err := c.repository(r)
	if err != nil {
		return "", c.classify(r.URI(), "resolve the tag", err)
	}
	c.log.Debug("resolving plugin tag", "ref", r.String(), "plainHTTP", repo.PlainHTTP)
	desc, err := repo.Resolve(ctx, r.Tag)
	if err != nil {
		return "", c.classify(r.URI(), "resolve the tag", err)
	}
	if desc.Digest.Algorithm() != digest.SHA256 {
		return "", &Error{Ref: r.URI(), Kind: ErrNotPlugin, Msg: fmt.Sprintf("the tag points at %s, not a sha256 digest", desc.Digest)}
	}
	return desc.Digest.String(), nil
}

// fromCache serves r (with a digest) from the cache: the manifest is read
// and verified, the module found with its announced size. No network.
func (c *Client) fromCache(r Ref) (*Module, error) {
	mhex := strings.TrimPrefix(r.Digest, "sha256:")
	b, err := c.store.ReadBlob(mhex, c.opts.MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	pm, err := parseManifest(ocispec.MediaTypeImageManifest, b, c.opts.MaxModuleBytes)
	if err != nil {
		return nil, err
	}
	lhex := pm.layer.Digest.Encoded()
	size, ok := c.store.Stat(lhex)
	if !ok || size != pm.layer.Size {
		return nil, cas.ErrNotFound
	}
	return &Module{Ref: r, SHA256: lhex, Size: size, Path: c.store.BlobPath(lhex), Annotations: pm.annotations, Cached: true}, nil
}

// fetch pulls r (with a digest) from the registry into the cache: the
// manifest first (size checked, digest verified, shape checked), then the
// module (size checked against the limit before the request, bytes checked
// to be wasm and verified while streamed to a temporary file), and the
// manifest is cached last, so a cached manifest always has its module.
func (c *Client) fetch(ctx context.Context, ref string, r Ref) (*Module, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	repo, err := c.repository(r)
	if err != nil {
		return nil, c.classify(ref, "connect", err)
	}
	c.log.Debug("fetching plugin manifest", "ref", r.String(), "plainHTTP", repo.PlainHTTP)
	desc, rc, err := repo.FetchReference(ctx, r.Digest)
	if err != nil {
		return nil, c.classify(ref, "fetch the manifest", err)
	}
	defer rc.Close()
	if desc.Size > c.opts.MaxManifestBytes {
		return nil, &Error{Ref: ref, Kind: ErrTooLarge, Msg: fmt.Sprintf("the manifest is %d bytes, over the limit of %d (a plugin's is under 2 KiB); refused before download", desc.Size, c.opts.MaxManifestBytes)}
	}
	mb, err := io.ReadAll(io.LimitReader(rc, c.opts.MaxManifestBytes+1))
	if err != nil {
		return nil, c.classify(ref, "fetch the manifest", err)
	}
	if int64(len(mb)) > c.opts.MaxManifestBytes {
		return nil, &Error{Ref: ref, Kind: ErrTooLarge, Msg: fmt.Sprintf("the manifest is over the limit of %d bytes", c.opts.MaxManifestBytes)}
	}
	if sum := sha256.Sum256(mb); "sha256:"+hex.EncodeToString(sum[:]) != r.Digest {
		return nil, &Error{Ref: ref, Kind: ErrDigestMismatch, Msg: fmt.Sprintf("the registry served a manifest whose digest is sha256:%x, not %s (tampered, or the wrong digest); nothing was cached", sum, r.Digest)}
	}
	pm, err := parseManifest(desc.MediaType, mb, c.opts.MaxModuleBytes)
	if err != nil {
		return nil, c.classify(ref, "check the manifest", err)
	}
	lhex := pm.layer.Digest.Encoded()
	if size, ok := c.store.Stat(lhex); !ok || size != pm.layer.Size {
		c.log.Debug("fetching plugin module", "ref", r.String(), "bytes", pm.layer.Size)
		body, err := repo.Fetch(ctx, pm.layer)
		if err != nil {
			return nil, c.classify(ref, "fetch the module", err)
		}
		_, err = c.store.Put(lhex, pm.layer.Size, &wasmReader{r: body})
		body.Close()
		if err != nil {
			return nil, c.classify(ref, "fetch the module", err)
		}
	}
	if _, err := c.store.Put(strings.TrimPrefix(r.Digest, "sha256:"), int64(len(mb)), bytes.NewReader(mb)); err != nil {
		return nil, &Error{Ref: ref, Kind: ErrCache, Msg: "write the plugin cache " + c.opts.CacheDir, Err: err}
	}
	if r.Tag != "" {
		if err := c.store.Link(r.tagName(), strings.TrimPrefix(r.Digest, "sha256:")); err != nil {
			c.log.Warn("could not record the tag's digest in the plugin cache; offline runs will not follow it", "ref", r.String(), "err", err)
		}
	}
	return &Module{Ref: r, SHA256: lhex, Size: pm.layer.Size, Path: c.store.BlobPath(lhex), Annotations: pm.annotations}, nil
}

// wasmReader fails a stream that does not start with the WebAssembly
// binary magic and version, so a non-wasm blob is never cached.
type wasmReader struct {
	r    io.Reader
	head []byte
}

// errNotWasm is a blob that is not a WebAssembly module.
var errNotWasm = fmt.Errorf("%w: the module does not start with the WebAssembly magic and version (\\0asm 1)", ErrNotPlugin)

func (w *wasmReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if need := len(wasmMagic) - len(w.head); need > 0 {
		w.head = append(w.head, p[:min(n, need)]...)
		if !bytes.HasPrefix(wasmMagic, w.head) {
			return 0, errNotWasm
		}
		if errors.Is(err, io.EOF) && len(w.head) < len(wasmMagic) {
			return 0, errNotWasm
		}
	}
	return n, err
}

// Read reads the module from the cache and verifies it against its sha256
// (a cached file may have been damaged since it was pulled).
func (m *Module) Read() ([]byte, error) {
	f, err := os.Open(m.Path)
	if err != nil {
		return nil, &Error{Ref: m.Ref.URI(), Kind: ErrCache, Msg: "read the cached module", Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, m.Size+1))
	if err != nil {
		return nil, &Error{Ref: m.Ref.URI(), Kind: ErrCache, Msg: "read the cached module", Err: err}
	}
	if sum := sha256.Sum256(b); int64(len(b)) != m.Size || hex.EncodeToString(sum[:]) != m.SHA256 {
		return nil, &Error{Ref: m.Ref.URI(), Kind: ErrDigestMismatch, Msg: fmt.Sprintf("the cached module %s no longer matches its sha256 %s; delete it and pull again", m.Path, m.SHA256)}
	}
	return b, nil
}
