package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/agentshape/agentshape/host/ociplugin"
)

// Resolver fetches the plugins a manifest names in OCI registries (path:
// oci://REGISTRY/REPOSITORY:TAG@sha256:DIGEST). *ociplugin.Client is one.
type Resolver interface {
	// ResolveModule returns a local file holding the module ref names and
	// the module's sha256 (hex), having verified the artifact against the
	// reference's digest and the module against pin (the entry's sha256,
	// "" for none). A reference with a tag and no digest is refused unless
	// allowTag.
	ResolveModule(ctx context.Context, ref, pin string, allowTag bool) (path, sha256 string, err error)
}

// HasRemote reports whether any plugin of m lives in an OCI registry.
func (m *Manifest) HasRemote() bool {
	for i := range m.Plugins {
		if ociplugin.IsRemote(m.Plugins[i].Path) {
			return true
		}
	}
	return false
}

// ResolveRemote fetches every plugin of m named by an oci:// path (or finds
// it in the resolver's cache), in manifest order, so that Spec, New and the
// conformance gate load the local, verified copy, pinned to its sha256. It
// must be called before New when HasRemote; an error names the entry.
func (m *Manifest) ResolveRemote(ctx context.Context, r Resolver) error {
	for i := range m.Plugins {
		e := &m.Plugins[i]
		if !ociplugin.IsRemote(e.Path) {
			continue
		}
		if r == nil {
			return m.entryError(i, fmt.Errorf("%s lives in an OCI registry, and no registry client was given", e.Path))
		}
		path, sum, err := r.ResolveModule(ctx, e.Path, e.SHA256, m.AllowUnpinnedTags)
		if err != nil {
			return m.entryError(i, err)
		}
		e.local, e.localSHA256 = path, sum
	}
	return nil
}

// entryError locates err at plugins[i] of the manifest, as New does.
func (m *Manifest) entryError(i int, err error) error {
	e := &m.Plugins[i]
	loc := m.Path
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	return fmt.Errorf("manifest %s: plugins[%d] (%s): %w", loc, i, e.Name, err)
}

// checkRemote says what is wrong with an oci:// path, or "".
func checkRemote(path string) string {
	r, err := ociplugin.ParseRef(path)
	if err == nil && r.Tag == "" && r.Digest == "" {
		return fmt.Sprintf("%q names neither a tag nor a digest; write oci://REGISTRY/REPOSITORY:TAG@sha256:DIGEST (`agentshape plugin pull` prints it)", path)
	}
	var oe *ociplugin.Error
	if errors.As(err, &oe) {
		return oe.Msg
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// defaultName is an entry's name when the manifest gives none: the file
// name without .wasm, or the repository's last element for a registry
// plugin.
func defaultName(path string) string {
	if ociplugin.IsRemote(path) {
		if r, err := ociplugin.ParseRef(path); err == nil {
			return r.Name()
		}
	}
	return strings.TrimSuffix(filepath.Base(path), ".wasm")
}

// remotePath is the local copy of a registry plugin: ok is false for a
// file path; an error for a registry plugin not yet resolved.
func (e *Entry) remotePath() (path string, ok bool, err error) {
	if !ociplugin.IsRemote(e.Path) {
		return "", false, nil
	}
	if e.local == "" {
		return "", true, fmt.Errorf("%s lives in an OCI registry: resolve the manifest first (Manifest.ResolveRemote)", e.Path)
	}
	return e.local, true, nil
}
