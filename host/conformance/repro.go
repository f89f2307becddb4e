package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/agentshape/agentshape/host/pipeline"
)

// Reproducers: the files a failure writes to ReproDir and the command that
// replays them.

// reproBase is the file name stem of the next failure's reproducer files.
func (g *gate) reproBase(check, plugin string) string {
	return filepath.Join(g.opts.ReproDir, fmt.Sprintf("%s-%s-%d", check, safeName(plugin), len(g.failures)+1))
}

// writeEnvelope writes the envelope f.Plugin got in answer a and sets the
// command that calls that plugin on it.
func (g *gate) writeEnvelope(f *Failure, a answer) {
	for _, st := range a.Steps {
		if st.Plugin != f.Plugin {
			continue
		}
		if err := os.MkdirAll(g.opts.ReproDir, 0o755); err == nil {
			path := g.reproBase(f.Check, f.Plugin) + ".json"
			if err := os.WriteFile(path, st.Envelope, 0o644); err == nil {
				f.Envelope, f.envelope = path, st.Envelope
				f.Command = g.replayCommand(f.Plugin, path)
			}
		}
		return
	}
}

// writePipelineReplay writes what replays case c through the pipeline up to
// and including f.Plugin — a manifest of those plugins (absolute paths, the
// same configs, limits and grants), the context and the base request — and
// sets the command that runs it with `shape --explain`, which prints the
// field the failure is about with the plugin that wrote it. It leaves f
// alone when the subject is a single plugin or the files cannot be written.
func (g *gate) writePipelineReplay(f *Failure, c Case, a answer) {
	var entries []pipeline.Entry
	for _, m := range g.members {
		if m.entry == nil {
			return
		}
		entries = append(entries, *m.entry)
		if m.Name == f.Plugin {
			break
		}
	}
	if len(g.members) < 2 || entries[len(entries)-1].Name != f.Plugin {
		return
	}
	manifest, err := yaml.Marshal(pipeline.Manifest{Version: pipeline.ManifestVersion, Plugins: entries})
	if err != nil {
		return
	}
	ctx, err := json.MarshalIndent(c.Context, "", "  ")
	if err != nil {
		return
	}
	base := g.reproBase(f.Check, f.Plugin)
	files := [][2]string{{base + ".pipeline.yaml", "# agentshape conformance: the pipeline up to " + f.Plugin + ", to replay a failure\n" + string(manifest)},
		{base + ".context.json", string(ctx) + "\n"}, {base + ".request.json", string(inputOf(a, 0)) + "\n"}}
	if os.MkdirAll(g.opts.ReproDir, 0o755) != nil {
		return
	}
	for _, file := range files {
		if os.WriteFile(file[0], []byte(file[1]), 0o644) != nil {
			return
		}
	}
	f.Command = fmt.Sprintf("%s shape --manifest %s --context %s --request %s --deterministic --seed %d --explain",
		g.opts.Command, files[0][0], files[1][0], files[2][0], g.opts.Seed)
}

// replayCommand is the command that calls plugin on the envelope in file
// the way the gate did: same name (it seeds the randomness), seed, limits
// and grants.
func (g *gate) replayCommand(plugin, file string) string {
	for _, m := range g.members {
		if m.Name != plugin {
			continue
		}
		cmd := fmt.Sprintf("%s plugin call %s --input %s --deterministic --seed %d", g.opts.Command, m.Path, file, g.opts.Seed)
		if m.Name != strings.TrimSuffix(filepath.Base(m.Path), ".wasm") {
			cmd += " --name " + m.Name
		}
		if l := m.Limits; l.Timeout > 0 {
			cmd += " --timeout " + l.Timeout.String()
		}
		if l := m.Limits; l.MemoryMaxPages > 0 {
			cmd += fmt.Sprintf(" --memory-max-pages %d", l.MemoryMaxPages)
		}
		if l := m.Limits; l.MaxOutputBytes > 0 {
			cmd += fmt.Sprintf(" --max-output-bytes %d", l.MaxOutputBytes)
		}
		for _, e := range m.Grants.Env {
			cmd += " --grant-env " + e
		}
		for _, d := range m.Grants.Dirs {
			cmd += " --grant-dir " + d.Host + ":" + d.Guest
		}
		return cmd
	}
	return ""
}
