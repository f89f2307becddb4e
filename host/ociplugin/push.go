package ociplugin

import (
	"bytes"
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
)

// Pushed is a published plugin.
type Pushed struct {
	// Ref is the reference pushed, its Digest filled in: the value a
	// manifest's path names.
	Ref Ref
	// SHA256 is the module's sha256 (hex).
	SHA256 string
}

// Push publishes module as a plugin artifact under ref, which must name a
// tag (and no digest: the digest is the result). info are the module's own
// facts (internal/inspect tells them). Blobs the registry already has are not
// sent again. The pushed blobs are also put in the cache, so this machine
// can use the plugin by digest at once.
func (c *Client) Push(ctx context.Context, ref string, module []byte, info Info) (*Pushed, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if r.Tag == "" || r.Digest != "" {
		return nil, &Error{Ref: ref, Kind: ErrBadReference, Msg: "push names a tag and no digest (REGISTRY/REPOSITORY:TAG); the digest is what the push prints"}
	}
	if c.opts.Offline {
		return nil, &Error{Ref: ref, Kind: ErrNotCached, Msg: "a push needs the registry; run it without --offline"}
	}
	if int64(len(module)) > c.opts.MaxModuleBytes {
		return nil, &Error{Ref: ref, Kind: ErrTooLarge, Msg: fmt.Sprintf("the module is %d bytes, over the limit of %d that pulls accept", len(module), c.opts.MaxModuleBytes)}
	}
	if !bytes.HasPrefix(module, wasmMagic) {
		return nil, &Error{Ref: ref, Kind: ErrNotPlugin, Msg: "the file is not a WebAssembly module (no \\0asm 1 header)"}
	}
	a, err := buildArtifact(module, info)
	if err != nil {
		return nil, &Error{Ref: ref, Kind: ErrNotPlugin, Msg: "lay out the artifact", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	repo, err := c.repository(r)
	if err != nil {
		return nil, c.classify(ref, "connect", err)
	}
	c.log.Debug("pushing plugin", "ref", r.String(), "bytes", len(module), "plainHTTP", repo.PlainHTTP)
	for _, b := range []struct {
		what string
		desc ocispec.Descriptor
		data []byte
	}{{"push the module", a.layerDesc, module}, {"push the config", a.configDesc, a.config}} {
		if err := pushBlob(ctx, repo, b.desc, b.data); err != nil {
			return nil, c.classify(ref, b.what, err)
		}
	}
	if err := repo.PushReference(ctx, a.manDesc, bytes.NewReader(a.manifest), r.Tag); err != nil {
		return nil, c.classify(ref, "push the manifest", err)
	}
	r.Digest = a.manDesc.Digest.String()
	if err := c.cachePushed(a, module, r); err != nil {
		c.log.Warn("pushed, but could not cache the plugin; the first use will pull it", "ref", r.String(), "err", err)
	}
	return &Pushed{Ref: r, SHA256: a.layerDesc.Digest.Encoded()}, nil
}

// cachePushed puts a pushed artifact in the cache, module before manifest
// (the cache's order: a cached manifest always has its module).
func (c *Client) cachePushed(a *artifact, module []byte, r Ref) error {
	if _, err := c.store.Put(a.layerDesc.Digest.Encoded(), a.layerDesc.Size, bytes.NewReader(module)); err != nil {
		return err
	}
	if _, err := c.store.Put(a.manDesc.Digest.Encoded(), a.manDesc.Size, bytes.NewReader(a.manifest)); err != nil {
		return err
	}
	return c.store.Link(r.tagName(), a.manDesc.Digest.Encoded())
}

// pushBlob uploads a blob unless the registry has it already.
func pushBlob(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor, data []byte) error {
	if ok, err := repo.Exists(ctx, desc); err == nil && ok {
		return nil
	}
	return repo.Push(ctx, desc, bytes.NewReader(data))
}
