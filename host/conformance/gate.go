// Package conformance is agentshape's CI gate for plugin teams. Given one
// plugin or a pipeline manifest it runs, in deterministic mode:
//
//  1. the plugin-contract features (features/plugincontract, embedded), which
//     include
//  2. the ABI checks (exports, imports, marker, memory within limits),
//  3. N generated cases (locales, time zones, missing members, unicode, empty
//     and huge values), each of which must give a valid request, the same
//     answer when re-run with the same seed, stay within limits and leave
//     reserved fields alone, and
//  4. an end-to-end Start Session against the embedded Agent API emulator.
//
// Every failure comes with a reproducer: the envelope that broke the plugin,
// written to a file, and the command that replays it.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cucumber/godog"

	"github.com/agentshape/agentshape/features/plugincontract"
)

// DefaultCases is how many generated cases a run checks when Options.Cases is 0.
const DefaultCases = 50

// DefaultSeed is the seed used when Options.Seed is 0.
const DefaultSeed = 1

// Options say what to check and where to write what.
type Options struct {
	// Plugin is a .wasm file to check on its own. Exactly one of Plugin and
	// Manifest is set.
	Plugin string
	// Config is the plugin's configuration (with Plugin only).
	Config map[string]any
	// Manifest is a pipeline manifest to check as a whole.
	Manifest string
	// Cases is the number of generated cases (default DefaultCases).
	Cases int
	// Seed drives the generated cases and the plugins' randomness (default DefaultSeed).
	Seed int64
	// CacheDir is the wazero compilation cache ("" = the default cache dir,
	// "-" = none).
	CacheDir string
	// ReproDir is where reproducer envelopes are written; "" means a new
	// directory under the system temp dir.
	ReproDir string
	// Progress receives godog's progress output; nil discards it.
	Progress io.Writer
	// Command is how the reproducer commands call agentshape (default "agentshape").
	Command string
}

// Run checks the plugin or pipeline described by opts and returns the
// report. An error means the gate itself could not run (bad options, no
// temp dir); a failing plugin is a report with Failed() true.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if (opts.Plugin == "") == (opts.Manifest == "") {
		return nil, errors.New("conformance: give exactly one of a plugin (--plugin FILE.wasm) or a pipeline manifest (--manifest FILE.yaml)")
	}
	if opts.Cases <= 0 {
		opts.Cases = DefaultCases
	}
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	if opts.Command == "" {
		opts.Command = "agentshape"
	}
	var members []Member
	var err error
	target := opts.Plugin
	if opts.Plugin != "" {
		members, err = membersFromPlugin(opts.Plugin, opts.Config)
	} else {
		target = opts.Manifest
		members, err = membersFromManifest(opts.Manifest)
	}
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "agentshape-conformance-")
	if err != nil {
		return nil, fmt.Errorf("conformance: temp dir for reports: %w", err)
	}
	defer os.RemoveAll(tmp)
	if opts.ReproDir == "" {
		opts.ReproDir = filepath.Join(os.TempDir(), fmt.Sprintf("agentshape-conformance-repro-%d-%d", opts.Seed, time.Now().UnixNano()))
	}

	g := newGate(ctx, opts, members)
	defer g.close()
	started := time.Now()
	cucumberPath, junitPath := filepath.Join(tmp, "cucumber.json"), filepath.Join(tmp, "junit.xml")
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	suite := godog.TestSuite{
		Name:                "plugin contract",
		ScenarioInitializer: g.initScenario,
		Options: &godog.Options{
			FS:       plugincontract.Features,
			Paths:    []string{"."},
			Format:   "progress,cucumber:" + cucumberPath + ",junit:" + junitPath,
			Output:   progress,
			Strict:   true,
			NoColors: true,
		},
	}
	status := suite.Run()
	rep := &Report{Target: target, Members: members, Seed: opts.Seed, Cases: opts.Cases, Started: started,
		Duration: time.Since(started), Failures: g.failures, ReproDir: opts.ReproDir, suiteStatus: status}
	if rep.cucumber, err = os.ReadFile(cucumberPath); err != nil {
		return nil, fmt.Errorf("conformance: godog wrote no cucumber report (status %d): %w", status, err)
	}
	if rep.junit, err = os.ReadFile(junitPath); err != nil {
		return nil, fmt.Errorf("conformance: godog wrote no junit report (status %d): %w", status, err)
	}
	if err := rep.parseCucumber(); err != nil {
		return nil, err
	}
	return rep, nil
}
