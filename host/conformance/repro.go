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
func (g *gate) writeEnvelope(f *Failure, a answer) { g.writeEnvelopeSeed(f, a, g.opts.Seed) }

// writeEnvelopeSeed is writeEnvelope for an answer given under seed.
func (g *gate) writeEnvelopeSeed(f *Failure, a answer, seed int64) {
	for _, st := range a.Steps {
		if st.Plugin != f.Plugin {
			continue
		}
		if err := os.MkdirAll(g.opts.ReproDir, 0o755); err == nil {
			path := g.reproBase(f.Check, f.Plugin) + ".json"
			if err := os.WriteFile(path, st.Envelope, 0o644); err == nil {
				f.Envelope, f.envelope = path, st.Envelope
				f.Command = g.replayCommandSeed(f.Plugin, path, seed)
			}
		}
		return
	}
}

// writeStartReplay writes what replays the end-to-end failure f of case c
// — a manifest of the plugins up to and including f.Plugin (absolute paths,
// the same configs, limits and grants), the context and the base request —
// and sets the command that replays it with `start`: the same seed, the
// embedded emulator serving the org under test (--org, the gate's org file;
// none for the demo org), the same agent. It shapes the request as the gate
// did and sends it, so it exits 4 with the answer the gate got. The
// manifest's header says so and gives the `shape --explain` command that
// shows which plugin wrote each field. It leaves f alone when the files
// cannot be written.
func (g *gate) writeStartReplay(f *Failure, c Case, a answer) {
	var entries []pipeline.Entry
	for _, m := range g.members {
		entries = append(entries, *m.entry)
		if m.Name == f.Plugin {
			break
		}
	}
	if entries[len(entries)-1].Name != f.Plugin {
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
	mPath, cPath, rPath := base+".pipeline.yaml", base+".context.json", base+".request.json"
	inputs := fmt.Sprintf("--manifest %s --context %s --request %s --deterministic --seed %d", mPath, cPath, rPath, g.opts.Seed)
	start := g.opts.Command + " start " + inputs
	notes := []string{
		"agentshape conformance: the pipeline up to " + f.Plugin + ", the plugin the end-to-end failure blames.",
		"Replay the failure (the gate's Start Session, on the embedded emulator; exits 4 with the org's answer):",
	}
	if g.org.File != "" {
		start += " --org " + absPath(g.org.File)
	} else {
		notes = append(notes, "  (no --org was given to the gate: start uses the embedded emulator's demo org when no SF_* variable is set)")
	}
	if c.Context.AgentID == "" || c.Context.AgentID == g.org.Agent.ID {
		start += " --agent-id " + g.org.Agent.ID
	}
	if c.Context.AgentID == "" {
		notes = append(notes, "  (the case's context names no agent: plugins see --agent-id as context.agentId, where the gate's saw none)")
	}
	if c.Context.Org.MyDomain == "" {
		notes = append(notes, "  (the case's context names no org: plugins see the org's My Domain as context.org.myDomain, where the gate's saw none)")
	}
	notes = append(notes, "  "+start,
		"See which plugin wrote each field of the request:",
		"  "+g.opts.Command+" shape "+inputs+" --explain")
	header := "# " + strings.Join(notes, "\n# ") + "\n"
	files := [][2]string{{mPath, header + string(manifest)}, {cPath, string(ctx) + "\n"}, {rPath, string(inputOf(a, 0)) + "\n"}}
	if os.MkdirAll(g.opts.ReproDir, 0o755) != nil {
		return
	}
	for _, file := range files {
		if os.WriteFile(file[0], []byte(file[1]), 0o644) != nil {
			return
		}
	}
	f.Command = start
}

// replayCommand is the command that calls plugin on the envelope in file
// the way the gate did: same name (it seeds the randomness), seed, limits
// and grants.
func (g *gate) replayCommand(plugin, file string) string {
	return g.replayCommandSeed(plugin, file, g.opts.Seed)
}

// replayCommandSeed is replayCommand under seed.
func (g *gate) replayCommandSeed(plugin, file string, seed int64) string {
	for _, m := range g.members {
		if m.Name != plugin {
			continue
		}
		cmd := fmt.Sprintf("%s plugin call %s --input %s --deterministic --seed %d", g.opts.Command, m.Path, file, seed)
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
		if l := m.Limits; l.Fuel > 0 {
			cmd += fmt.Sprintf(" --fuel %d", l.Fuel)
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
