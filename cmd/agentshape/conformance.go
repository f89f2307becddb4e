package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/host/conformance"
)

func (c *cli) newConformanceCmd() *cobra.Command {
	var (
		opts                   conformance.Options
		configs                []string
		junit, cucumber, htmlF string
		quiet                  bool
		gf                     grantFlags
		reg                    registryFlags
	)
	cmd := &cobra.Command{
		Use:   "conformance (--plugin PLUGIN.wasm [--config k=v ...] [--grant-env NAME] [--grant-dir HOST:GUEST] [--baseline OLD.wasm] | --manifest pipeline.yaml [--baseline-manifest OLD.yaml]) [--fail-on-diff] [--fuel N] [--fuel-seeds K] [--org ORG.yaml [--agent-id ID]]",
		Short: "Check a plugin or pipeline against the plugin contract (the CI gate for plugin teams)",
		Long: `conformance checks a plugin, or every plugin of a pipeline, in deterministic mode:

  1. the plugin-contract features embedded in agentshape (features/plugincontract);
  2. ABI checks: exports, imports, the ABI v1 marker, memory within limits;
  3. --cases generated contexts (locales, time zones, missing members, unicode, empty and
     huge values): every answer must be a valid start-session-request (or a deliberate
     refusal with a code of the plugin's own and a message), identical when re-run with the
     same --seed, within the limits, and must never set a reserved field such as the Tenant
     Key ID. A panic (the Go kit's plugin_panic), a trap, an ABI error or any fault code
     plugins/ABI.md §6.1 reserves fails the scenario it happened in;
  4. end-to-end Start Sessions against the embedded Agent API emulator: the typical context's
     request, and every generated case's valid request.

Every check that involves an org runs against the org under test: the My Domain of the
generated contexts and base requests, the end-to-end Start Session (the org's My Domain is the
only instanceConfig.endpoint it answers to) and the agent's variable declarations. Describe your
org with --org ORG.yaml, in the emulator-org format (start from "agentshape emulator --print-org");
its injected faults and rate limit are ignored here. --agent-id picks one of its agents (default:
the first). Without --org the built-in demo org is used, and every report says so.

A manifest's plugins run with the grants the manifest gives them; a plugin checked on its own
gets --grant-env/--grant-dir, as with "plugin call". A manifest's plugins in OCI registries
(path: oci://…@sha256:…) are pulled into the plugin cache and verified first, as by "shape";
--offline uses only the cache.

Every report records what was checked: the agentshape version and commit, the org (or that it
was the demo org) and the sha256 of every plugin's module (the run pins each module to it).
JUnit (--junit) puts them in each test suite's properties and gives each failed scenario its
failure text and reproducer; the HTML page (--html) embeds each reproducer envelope.

Each failure names the plugin and prints a reproducer: the envelope that broke it (a file)
and the command that replays it. In a pipeline, a failure about a field (schema, reserved,
end to end) names the plugin that last wrote that field (field provenance, as shape --explain
prints it). An end-to-end failure's command replays the pipeline up to that plugin (a plugin checked
on its own is a pipeline of one) with "agentshape start --org ORG.yaml" on a manifest, context and
base request written beside it: it starts a session on the embedded emulator serving the org the
gate used and exits 4 with the answer the gate got; the manifest's notes give the shape --explain
command that shows which plugin wrote each field. A plugin is not called again after its first ABI-level
failure (a trap in alloc, pointers outside memory, a failed _initialize; a Go module built
without -buildmode=c-shared is refused at load) or broken limit, and failures that differ only in numbers are
listed at most 3 times, the rest counted.

Behaviour diff, the review before re-pinning a plugin's sha256: --baseline OLD.wasm (with
--plugin NEW.wasm; the baseline runs under NEW's name, with the same --config and grants) or
--baseline-manifest OLD.yaml (with --manifest NEW.yaml) runs both versions, each on a fresh
deterministic runtime with the same --seed, on the same cases — the contract's typical, empty and
org-under-test contexts and the --cases generated ones — and lists every case whose answer differs:
each changed field of the shaped request (JSON pointer, old value -> new value), a request that
became a refusal or a fault (or the reverse), and a refusal whose code or refusing plugin changed
(a reworded refusal message is not a difference). A plugin's fuel on a case that changed is
listed too (fuel P: OLD -> NEW), never as a failure: limits.fuel is the budget. Each listed case's inputs are written
beside the reproducers with the two commands that shape it with each version. Every report carries it: the text summary,
a JUnit test suite and a Cucumber feature with one case per compared case, and an HTML section.
Differences alone do not change the exit code; --fail-on-diff makes any difference exit 1 (and
fail its JUnit/Cucumber case).

Fuel (plugins/ABI.md §8): every report gives each plugin's fuel, the most and the median its
calls used — a count of loop iterations and recursive calls that is the same on every machine for
a given seed, unlike time on a busy CI runner. A plugin that reads randomness costs slightly
different fuel under each seed (a Go plugin's runtime seeds its maps from the randomness it reads
at start-up, real in production), so the gate replays every call it made under --fuel-seeds more
seeds (--seed+1 … --seed+K, default 3; each replay on fresh runtimes, measuring fuel only) and
reports, per plugin, the max over every seed (and the seed it came from), the median, the spread
(the largest relative difference between two seeds on the same call) and a recommended budget:
max × (1 + max(2 × spread, 2%)), rounded up to two significant figures. --fuel N is the fuel
budget of every plugin checked (in place of a manifest's limits.fuel): a call past it under any
seed fails the limits rule, naming the seed, and the plugin's fuel line says OVER; a budget that
leaves less headroom over the max than that margin is a warning in every report, not a failure.
The timeout stays as the backstop.

Exit code 0 when every check passes, 1 when one fails (or, with --fail-on-diff, when the
behaviour differs from the baseline), 2 on bad flags or an unreadable plugin/manifest/baseline.`,
		Example: `  agentshape conformance --plugin plugins/build/endpoint.wasm --config myDomain=acme
  agentshape emulator --print-org > org.yaml   # then edit myDomain, agents, variables
  agentshape conformance --plugin build/my-plugin.wasm --org org.yaml --junit conformance.xml
  agentshape conformance --manifest plugins/examples/pipeline.yaml --junit conformance.xml --html conformance.html
  agentshape conformance --plugin build/my-plugin.wasm --baseline pinned/my-plugin.wasm --fail-on-diff`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Fuel < 0 {
				return withCode(exitUsage, fmt.Errorf("--fuel %d: write a positive fuel budget, or 0 (the default) to keep each plugin's own limits.fuel", opts.Fuel))
			}
			if opts.FuelSeeds < 0 || opts.FuelSeeds > conformance.MaxFuelSeeds {
				return withCode(exitUsage, fmt.Errorf("--fuel-seeds %d: write how many seeds besides --seed to measure fuel under, 0 (--seed alone) to %d; the default is %d", opts.FuelSeeds, conformance.MaxFuelSeeds, conformance.DefaultFuelSeeds))
			}
			if opts.FuelSeeds == 0 {
				opts.FuelSeeds = -1 // the library's 0 is the default
			}
			if err := positive("--cases", opts.Cases, fmt.Sprintf("the number of generated contexts; the default is %d", conformance.DefaultCases)); err != nil {
				return err
			}
			if len(configs) > 0 && opts.Plugin == "" {
				return withCode(exitUsage, fmt.Errorf("--config goes with --plugin; a manifest carries each plugin's config"))
			}
			if opts.Baseline != "" && opts.Plugin == "" {
				return withCode(exitUsage, fmt.Errorf("--baseline goes with --plugin; compare pipelines with --manifest NEW.yaml --baseline-manifest OLD.yaml"))
			}
			if opts.BaselineManifest != "" && opts.Manifest == "" {
				return withCode(exitUsage, fmt.Errorf("--baseline-manifest goes with --manifest; compare plugins with --plugin NEW.wasm --baseline OLD.wasm"))
			}
			if opts.FailOnDiff && opts.Baseline == "" && opts.BaselineManifest == "" {
				return withCode(exitUsage, fmt.Errorf("--fail-on-diff needs a baseline to compare with: --baseline OLD.wasm or --baseline-manifest OLD.yaml"))
			}
			if len(gf.env)+len(gf.dirs) > 0 && opts.Plugin == "" {
				return withCode(exitUsage, fmt.Errorf("--grant-env and --grant-dir go with --plugin; a manifest carries each plugin's grants"))
			}
			grants, err := gf.grants()
			if err != nil {
				return withCode(exitUsage, err)
			}
			opts.Grants = grants
			if len(configs) > 0 {
				opts.Config = map[string]any{}
				for _, kv := range configs {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return withCode(exitUsage, fmt.Errorf("--config %q: write key=value (the value may be JSON, e.g. stable=true or vars='{\"tier\":\"orderTier\"}')", kv))
					}
					jv, err := configValue(k, v)
					if err != nil {
						return withCode(exitUsage, err)
					}
					opts.Config[k] = jv
				}
			}
			reports := []struct {
				flag, path string
				write      func(*conformance.Report, io.Writer) error
			}{
				{"--junit", junit, (*conformance.Report).WriteJUnit},
				{"--cucumber", cucumber, (*conformance.Report).WriteCucumber},
				{"--html", htmlF, (*conformance.Report).WriteHTML},
			}
			// A report that cannot be written is a bad flag: say so before
			// the gate runs, not after.
			for _, r := range reports {
				if err := checkReportPath(r.flag, r.path); err != nil {
					return withCode(exitUsage, err)
				}
			}
			if !quiet {
				opts.Progress = cmd.ErrOrStderr()
			}
			opts.Resolver = reg.resolver(c.logger)
			opts.Logger = c.logger
			rep, err := conformance.Run(cmd.Context(), opts)
			if err != nil {
				return withCode(gateSetupCode(err), err)
			}
			for _, r := range reports {
				if r.path == "" {
					continue
				}
				if err := writeFile(r.path, func(w io.Writer) error { return r.write(rep, w) }); err != nil {
					return withCode(exitFailure, fmt.Errorf("%s: %w", r.flag, err))
				}
			}
			fmt.Fprintln(cmd.ErrOrStderr())
			if err := rep.WriteText(cmd.OutOrStdout()); err != nil {
				return withCode(exitFailure, err)
			}
			if rep.Failed() {
				return withCode(exitFailure, fmt.Errorf("conformance failed: %s; reproducers are in %s", rep.Summary(), rep.ReproDir))
			}
			if opts.FailOnDiff && rep.Diff.Differs() {
				return withCode(exitFailure, fmt.Errorf("the behaviour differs from the baseline %s in %d case(s) (--fail-on-diff)", rep.Diff.Baseline, len(rep.Diff.Changed())))
			}
			return nil
		},
	}
	f := cmd.Flags()
	gf.register(f)
	reg.register(f, true)
	f.StringVar(&opts.Plugin, "plugin", "", "the plugin (.wasm) to check on its own")
	f.StringArrayVar(&configs, "config", nil, "plugin configuration key=value (repeatable; JSON values allowed)")
	f.StringVar(&opts.Manifest, "manifest", "", "a pipeline manifest to check as a whole")
	f.StringVar(&opts.Baseline, "baseline", "", "an earlier version of --plugin (.wasm) to compare with: list every case whose answer differs")
	f.StringVar(&opts.BaselineManifest, "baseline-manifest", "", "an earlier version of --manifest to compare with: list every case whose answer differs")
	f.BoolVar(&opts.FailOnDiff, "fail-on-diff", false, "exit 1 when the behaviour differs from the baseline")
	f.StringVar(&opts.Org, "org", "", "emulator-org file (YAML or JSON) describing the org the plugin is for (template: agentshape emulator --print-org); default: the built-in demo org")
	f.StringVar(&opts.AgentID, "agent-id", "", "the org's agent to start sessions with (default: the org's first agent)")
	f.StringVar(&junit, "junit", "", "write a JUnit XML report to this file")
	f.StringVar(&cucumber, "cucumber", "", "write a Cucumber JSON report to this file")
	f.StringVar(&htmlF, "html", "", "write a self-contained HTML report to this file")
	f.IntVar(&opts.Cases, "cases", conformance.DefaultCases, "number of generated cases")
	f.Int64Var(&opts.Fuel, "fuel", 0, "fuel budget of every plugin checked, in place of limits.fuel (0: keep each plugin's own; plugins/ABI.md §8)")
	f.IntVar(&opts.FuelSeeds, "fuel-seeds", conformance.DefaultFuelSeeds, fmt.Sprintf("how many seeds besides --seed to measure fuel under (--seed+1 …; 0: --seed alone; at most %d)", conformance.MaxFuelSeeds))
	f.Int64Var(&opts.Seed, "seed", conformance.DefaultSeed, "seed for the generated cases and the plugins' randomness")
	f.StringVar(&opts.ReproDir, "repro-dir", "", "where to write reproducer envelopes (default: a new temp directory)")
	f.StringVar(&opts.CacheDir, "cache-dir", "", `wazero compilation cache ("" = default, "-" = none)`)
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output on stderr")
	return cmd
}

// checkReportPath refuses a report path that cannot become a file: a
// directory, or one whose directory does not exist.
func checkReportPath(flag, path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s: is a directory; name a file in it, e.g. %s", flag, path, filepath.Join(path, "conformance-report"))
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s %s: %w; create the directory first", flag, path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s %s: %s is not a directory", flag, path, dir)
	}
	return nil
}

// writeFile writes a report through a temporary file beside it, so a failed
// write leaves no half-written report behind. The file gets the mode any new
// file of this user gets (0666 less the umask), not a temporary file's 0600:
// CI jobs that upload or publish reports must be able to read them.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := createSibling(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// createSibling creates a new, uniquely named hidden file in path's
// directory with mode 0666 (less the umask).
func createSibling(path string) (*os.File, error) {
	dir := filepath.Dir(path)
	for {
		name := filepath.Join(dir, ".agentshape-report-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
}
