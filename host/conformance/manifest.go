package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/internal/buildhint"
)

// membersFromManifest reads a pipeline manifest into the members to check;
// plugins in OCI registries are fetched (or found in the cache) through r.
func membersFromManifest(ctx context.Context, path string, r pipeline.Resolver) ([]Member, error) {
	m, err := pipeline.LoadManifest(path)
	if err == nil {
		err = m.ResolveRemote(ctx, r)
	}
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	var out []Member
	for i := range m.Plugins {
		spec, err := m.Plugins[i].Spec(m.Dir)
		if err != nil {
			return nil, fmt.Errorf("conformance: manifest %s, plugin %d: %w", path, i+1, err)
		}
		if spec.Name == "" {
			spec.Name = strings.TrimSuffix(filepath.Base(spec.Path), ".wasm")
		}
		if _, err := os.Stat(spec.Path); err != nil {
			return nil, fmt.Errorf("conformance: manifest %s, plugin %q: %w (%s)", path, spec.Name, err, buildhint.For(spec.Path))
		}
		entry := m.Plugins[i]
		entry.Name, entry.Path = spec.Name, spec.Path
		entry.Grants.Dirs = nil
		for _, d := range spec.Grants.Dirs {
			entry.Grants.Dirs = append(entry.Grants.Dirs, pipeline.EntryDir{Host: d.Host, Guest: d.Guest})
		}
		out = append(out, Member{Name: spec.Name, Path: spec.Path, SHA256: spec.SHA256, Config: spec.Config, Limits: spec.Limits, Grants: spec.Grants, entry: &entry})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("conformance: manifest %s lists no plugins", path)
	}
	return out, nil
}
