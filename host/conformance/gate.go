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
// Every check that involves an org — the My Domain of the generated contexts
// and base requests, the end-to-end Start Session, the agent's variable
// declarations — runs against the org under test: an emulator-org file
// (Options.Org, the format of `agentshape emulator --print-org`), or the
// built-in demo org, which the report then names as such.
//
// Every failure names the plugin at fault and comes with a minimal
// reproducer: the failing context is shrunk (members dropped while the
// failure persists), the envelope is written to a file, and the command that
// replays it (`agentshape plugin call ... --deterministic`) is printed.
//
// The features run on a small strict runner built on Cucumber's Gherkin
// parser (runner.go), so the CLI does not link godog; the same step
// definitions run under godog through Suite.
package conformance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/agentshape/agentshape/features/plugincontract"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/internal/version"
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
	// Grants open the plugin's sandbox (with Plugin only; a manifest's
	// entries carry their own), as in a pipeline.
	Grants plugin.Grants
	// Manifest is a pipeline manifest to check as a whole.
	Manifest string
	// Resolver fetches the manifest's plugins that live in OCI registries
	// (path: oci://…); nil when it names none.
	Resolver pipeline.Resolver
	// Cases is the number of generated cases (default DefaultCases).
	Cases int
	// Seed drives the generated cases and the plugins' randomness (default DefaultSeed).
	Seed int64
	// CacheDir is the wazero compilation cache ("" = the default cache dir,
	// "-" = none kept: Run compiles each module once, into a temporary
	// directory it removes at the end).
	CacheDir string
	// ReproDir is where reproducer envelopes are written; "" means a new
	// directory under the system temp dir.
	ReproDir string
	// Progress receives the run's progress (a dot per step); nil discards it.
	Progress io.Writer
	// Logger receives the plugins' logs (capped per run, MaxPluginLogBytes)
	// and the line saying what was dropped; nil discards them.
	Logger *slog.Logger
	// Command is how the reproducer commands call agentshape (default "agentshape").
	Command string
	// Org is an emulator-org file (YAML or JSON, the format of `agentshape
	// emulator --print-org`) describing the org the plugin is for; "" means
	// the built-in demo org.
	Org string
	// AgentID picks the org's agent for the end-to-end Start Session
	// (default: the org's first agent).
	AgentID string
	// Baseline is an earlier version of Plugin (a .wasm file) to compare it
	// with: it runs with Plugin's name, config and grants, and the report's
	// Diff lists every case whose answer differs (with Plugin only).
	Baseline string
	// BaselineManifest is an earlier version of Manifest to compare it with
	// (with Manifest only).
	BaselineManifest string
	// FailOnDiff makes a difference from the baseline a failure in the
	// reports; the caller decides the exit code (Report.Diff.Differs).
	FailOnDiff bool
	// Fuel, when positive, is the fuel budget of every plugin checked
	// (plugins/ABI.md §8), in place of their manifest's limits.fuel: a call
	// past it fails the plugin's limits rule.
	Fuel int64
	// FuelSeeds is how many seeds besides Seed the fuel is measured under
	// (Seed+1 … Seed+FuelSeeds): every call is replayed under each on a
	// fresh runtime, and a call over its budget under any of them fails
	// the plugin (fuelsweep.go). 0 means DefaultFuelSeeds; negative, none.
	FuelSeeds int
}

// subject is what prepare resolved: the plugins to check, what to call
// them in reports, and the org to check them against.
type subject struct {
	members []Member
	target  string
	org     OrgUnderTest
	// baseline and baselineTarget are the version to compare with, if any.
	baseline       []Member
	baselineTarget string
}

// prepare fills opts' defaults and resolves the plugins and the org to check.
func prepare(ctx context.Context, opts Options) (Options, subject, error) {
	if (opts.Plugin == "") == (opts.Manifest == "") {
		return opts, subject{}, errors.New("conformance: give exactly one of a plugin (--plugin FILE.wasm) or a pipeline manifest (--manifest FILE.yaml)")
	}
	if opts.Baseline != "" && opts.Plugin == "" {
		return opts, subject{}, errors.New("conformance: a baseline plugin (--baseline OLD.wasm) goes with --plugin; compare pipelines with --manifest NEW.yaml --baseline-manifest OLD.yaml")
	}
	if opts.BaselineManifest != "" && opts.Manifest == "" {
		return opts, subject{}, errors.New("conformance: a baseline manifest (--baseline-manifest OLD.yaml) goes with --manifest; compare plugins with --plugin NEW.wasm --baseline OLD.wasm")
	}
	if opts.FuelSeeds > MaxFuelSeeds {
		return opts, subject{}, fmt.Errorf("conformance: %d fuel seeds is over the most, %d: each replays every call the gate made; %d (the default) samples the spread", opts.FuelSeeds, MaxFuelSeeds, DefaultFuelSeeds)
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
	if opts.ReproDir == "" {
		opts.ReproDir = filepath.Join(os.TempDir(), fmt.Sprintf("agentshape-conformance-repro-%d-%d", opts.Seed, time.Now().UnixNano()))
	}
	sub := subject{target: opts.Manifest}
	var err error
	if sub.org, err = LoadOrg(opts.Org, opts.AgentID); err != nil {
		return opts, sub, err
	}
	if opts.Plugin != "" {
		sub.target = opts.Plugin
		sub.members, err = membersFromPlugin(opts.Plugin, opts.Config, opts.Grants)
	} else {
		sub.members, err = membersFromManifest(ctx, opts.Manifest, opts.Resolver)
	}
	if err == nil {
		err = pinMembers(sub.members)
	}
	if opts.Fuel > 0 {
		for i := range sub.members {
			sub.members[i].Limits.Fuel = opts.Fuel
			if e := sub.members[i].entry; e != nil {
				e.Limits.Fuel = opts.Fuel // the reproducer's manifest says it too
			}
		}
	}
	if err == nil {
		err = prepareBaseline(ctx, opts, &sub)
	}
	return opts, sub, err
}

// prepareBaseline resolves the baseline opts names, if any: a plugin runs
// under the name, config and grants of the plugin under test, so both get
// the same envelopes.
func prepareBaseline(ctx context.Context, opts Options, sub *subject) error {
	var err error
	switch {
	case opts.Baseline != "":
		sub.baselineTarget = opts.Baseline
		if sub.baseline, err = membersFromPlugin(opts.Baseline, opts.Config, opts.Grants); err == nil {
			sub.baseline[0].Name = sub.members[0].Name
		}
	case opts.BaselineManifest != "":
		sub.baselineTarget = opts.BaselineManifest
		sub.baseline, err = membersFromManifest(ctx, opts.BaselineManifest, opts.Resolver)
	default:
		return nil
	}
	if err == nil {
		err = pinMembers(sub.baseline)
	}
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}

// pinMembers records each member's sha256 and pins its module to it for
// the run (a manifest's own pin stays, and the load checks the file against
// it), so the sha256 a report records is the module every check ran.
func pinMembers(members []Member) error {
	for i := range members {
		m := &members[i]
		bin, err := inputlimit.ReadFile(m.Path, inputlimit.MaxModuleBytes, inputlimit.Module)
		if err != nil {
			return fmt.Errorf("conformance: plugin %s: %w (build it first, e.g. `make plugins`)", m.Name, err)
		}
		sum := sha256.Sum256(bin)
		m.sum = hex.EncodeToString(sum[:])
		if m.SHA256 == "" {
			m.SHA256 = m.sum
		}
	}
	return nil
}

// Suite is the gate's step definitions bound to one plugin or pipeline, for
// running the plugin-contract features under another runner: features_test
// runs them under godog with it.
type Suite struct{ g *gate }

// NewSuite prepares the step definitions for the subject opts names.
func NewSuite(ctx context.Context, opts Options) (*Suite, error) {
	opts, sub, err := prepare(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &Suite{g: newGate(ctx, opts, sub)}, nil
}

// InitScenario registers the steps for one scenario (godog's
// ScenarioInitializer can call it with its *godog.ScenarioContext).
func (s *Suite) InitScenario(sc StepRegistrar) { s.g.InitScenario(sc) }

// Failures returns the broken rules found so far, with their reproducers.
func (s *Suite) Failures() []Failure { return s.g.failures }

// Close releases the plugins and the emulator.
func (s *Suite) Close() { s.g.close() }

// Run checks the plugin or pipeline described by opts and returns the
// report. An error means the gate itself could not run (bad options, a
// missing plugin file); a failing plugin is a report with Failed() true.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts, sub, err := prepare(ctx, opts)
	if err != nil {
		return nil, err
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	if opts.CacheDir == "-" {
		// Nothing is kept, but the run's runtimes — the run's, the fresh
		// one's, each seed's of the fuel sweep, the baseline's — share a
		// compilation cache in a directory removed at the end: each module
		// is compiled once per run, not once per runtime.
		if dir, err := os.MkdirTemp("", "agentshape-conformance-cache-"); err == nil {
			defer os.RemoveAll(dir)
			opts.CacheDir = dir
		}
	}
	ctx, logs := withLogCap(ctx, opts.Logger)
	defer logs.report()
	g := newGate(ctx, opts, sub)
	defer g.close()
	started := time.Now()
	features, err := runFeatures(plugincontract.Features, g.InitScenario, progress)
	if err != nil {
		return nil, fmt.Errorf("conformance: run the plugin-contract features: %w", err)
	}
	seeds := []int64{opts.Seed}
	var ledgers []*fuelLedger
	if g.runner != nil {
		swept := sweepSeeds(opts.Seed, opts.FuelSeeds)
		if len(swept) > 0 {
			fmt.Fprintf(progress, "measuring fuel under %d more seed(s)\n", len(swept))
		}
		more, err := g.sweepFuel(swept)
		if err != nil {
			return nil, err
		}
		seeds, ledgers = append(seeds, swept...), append([]*fuelLedger{g.runner.fuel}, more...)
	}
	rep := &Report{Target: sub.target, Members: sub.members, Plugins: pluginReports(sub.members), Version: version.String(), Org: sub.org.report(), Seed: opts.Seed, Cases: opts.Cases, Started: started,
		Duration: time.Since(started), Features: features, Failures: g.failures, ReproDir: opts.ReproDir}
	fuelReports(rep.Plugins, sub.members, seeds, ledgers, g.callLabel, g.failures)
	if sub.baseline != nil {
		fmt.Fprintf(progress, "comparing with the baseline %s\n", sub.baselineTarget)
		rep.Diff, err = runDiff(ctx, opts, sub)
		if err != nil && !errors.Is(err, errPluginNotLoaded) {
			return nil, err
		}
	}
	p, f, sk := rep.Counts()
	fmt.Fprintf(progress, "%d scenarios (%d passed, %d failed, %d skipped) in %s\n", p+f+sk, p, f, sk, rep.Duration.Round(time.Millisecond))
	return rep, nil
}
