package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/schemas"
)

func (c *cli) newPluginCallCmd() *cobra.Command {
	var (
		inputPath, name string
		configs         []string
		gf              grantFlags
		timeout         time.Duration
		memoryMaxPages  uint32
		maxOutputBytes  int
		fuel            int64
		stats           bool
		rf              runtimeFlags
	)
	cmd := &cobra.Command{
		Use:   "call PLUGIN.wasm --input ENVELOPE.json",
		Short: "Run one plugin on an envelope and print its raw output JSON",
		Long: `call loads one plugin (reactor or command), passes it the input envelope
({"abi":1,"plugin":{"name","config"},"context":{...},"request":{...}}, see plugins/ABI.md) and prints
the plugin's raw output JSON on stdout.

--config k=v sets plugin.config.k in the envelope (v is parsed as JSON when it is valid JSON,
else taken as a string); the plugin name defaults to the file name.

The plugin runs in the same sandbox as in a pipeline. --grant-env NAME and --grant-dir HOST:GUEST
open it the way a manifest's grants do (plugins/ABI.md §9): the named environment variable, or the
host directory mounted read-only at GUEST.

--fuel N caps the call's fuel, a count of the loop iterations and recursive calls it makes that
is the same on every machine and run (plugins/ABI.md §8): past it the call fails with
"fuel exhausted" (exit 1) within milliseconds, whatever --timeout says. --stats prints, on stderr
after the call (also a failed one), one JSON line
{"fuel":N,"memoryPages":N,"durationNs":N,"deterministic":true,"seed":S}: the fuel used, the peak
memory in 64 KiB pages, the wall-clock time (instantiation included) and the conditions it was
measured under. --stats measures as the conformance gate does — fixed clock and randomness seeded
by --seed (default 1), as with --deterministic — so the fuel repeats on every run and equals the
gate's for the same envelope on a fresh instance and seed: a Go plugin's runtime seeds its maps
from the randomness it reads at start-up, so under real randomness its fuel varies a little from
run to run. --deterministic=false measures with the real clock and randomness instead (the JSON
then says "deterministic":false and has no seed).

Exit codes: 0 the plugin answered {"request": ...}; 1 the plugin failed (trap, timeout, memory or
output limit, ABI fault, malformed output) or refused ({"error": ...}; the output is still printed)
and the error is printed on stderr; 2 bad flags or unreadable input.`,
		Example: `  agentshape plugin call plugins/build/endpoint.wasm --input envelope.json --config myDomain=acme
  agentshape plugin call plugin.wasm --input - --timeout 500ms --memory-max-pages 64 --deterministic < envelope.json
  agentshape plugin call plugin.wasm --input envelope.json --fuel 100000 --stats --seed 2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			for _, err := range []error{
				positive("--timeout", timeout, "limits cannot be switched off; the default is "+plugin.DefaultTimeout.String()),
				positive("--memory-max-pages", memoryMaxPages, fmt.Sprintf("64 KiB pages; the default is %d", plugin.DefaultMemoryMaxPages)),
				positive("--max-output-bytes", maxOutputBytes, fmt.Sprintf("the default is %d", plugin.DefaultMaxOutputBytes)),
			} {
				if err != nil {
					return err
				}
			}
			if err := maxPagesInRange(memoryMaxPages); err != nil {
				return err
			}
			if fuel < 0 {
				return withCode(exitUsage, fmt.Errorf("--fuel %d: write a positive fuel limit, or 0 (the default) for none", fuel))
			}
			path := args[0]
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(path), ".wasm")
			}
			// An unreadable plugin file is bad input (exit 2), like an
			// unreadable envelope; a module the host refuses is a failure.
			if fi, err := os.Stat(path); err != nil {
				return withCode(exitUsage, fmt.Errorf("cannot read the plugin: %w (check the path; %s)", err, buildhint.For(path)))
			} else if fi.IsDir() {
				return withCode(exitUsage, fmt.Errorf("plugin %s is a directory: pass the plugin's .wasm file", path))
			} else if !fi.Mode().IsRegular() {
				return withCode(exitUsage, fmt.Errorf("plugin %s: %w (a FIFO or device cannot be loaded): pass the plugin's .wasm file", path, inputlimit.ErrNotRegular))
			}
			raw, err := c.readObjectFile(inputPath, "--input")
			if err != nil {
				return withCode(exitUsage, err)
			}
			env, err := applyEnvelopeFlags(raw, name, configs)
			if err != nil {
				return withCode(exitUsage, err)
			}
			// The plugin copies the envelope into its memory: one that cannot
			// fit is the input's fault, not the plugin's.
			if room := uint64(memoryMaxPages) * 64 << 10; uint64(len(env)) > room {
				return withCode(exitUsage, fmt.Errorf("--input %s: the envelope exceeds %d bytes, all the memory --memory-max-pages %d gives the plugin; shrink the input or raise --memory-max-pages", inputPath, room, memoryMaxPages))
			}
			grants, err := gf.grants()
			if err != nil {
				return withCode(exitUsage, err)
			}
			// --stats measures under the gate's conditions unless
			// --deterministic=false says otherwise (plugins/ABI.md §8).
			if stats && !cmd.Flags().Changed("deterministic") {
				rf.deterministic = true
			}
			rt, err := rf.newRuntime(ctx, c.logger)
			if err != nil {
				return withCode(exitUsage, err)
			}
			defer rt.Close(ctx)
			p, err := rt.Load(ctx, plugin.Spec{Name: name, Path: path, Grants: grants, Limits: plugin.Limits{
				Timeout: timeout, MemoryMaxPages: memoryMaxPages, MaxOutputBytes: maxOutputBytes, PoolSize: 1, Fuel: fuel,
			}})
			if err != nil {
				return withCode(loadCode(err), err)
			}
			var st plugin.CallStats
			out, err := p.Call(plugin.WithCallStats(ctx, &st), env)
			if stats {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s\n", statsLine(st, rf))
			}
			if err != nil {
				return withCode(exitFailure, err)
			}
			// The output is printed only when the host reads it as an
			// output: a request, or the plugin's refusal (still exit 1). One
			// the host rejects (a duplicate member, too deep, not ABI v1)
			// prints nothing on stdout; the rejection goes to stderr.
			_, derr := p.Decode(out)
			if derr != nil && !errors.Is(derr, plugin.ErrPluginRefused) {
				return withCode(exitFailure, derr)
			}
			if _, err := cmd.OutOrStdout().Write(append(out, '\n')); err != nil {
				return withCode(exitFailure, err)
			}
			if derr != nil {
				return withCode(exitFailure, derr)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&inputPath, "input", "i", "", "input envelope JSON (\"-\" reads stdin)")
	f.StringArrayVar(&configs, "config", nil, "set plugin.config.KEY=VALUE in the envelope (repeatable)")
	f.StringVar(&name, "name", "", "plugin name (default: the file name without .wasm)")
	gf.register(f)
	f.DurationVar(&timeout, "timeout", plugin.DefaultTimeout, "per-call timeout")
	f.Uint32Var(&memoryMaxPages, "memory-max-pages", plugin.DefaultMemoryMaxPages, "memory limit in 64 KiB pages")
	f.IntVar(&maxOutputBytes, "max-output-bytes", plugin.DefaultMaxOutputBytes, "output size limit")
	f.Int64Var(&fuel, "fuel", 0, "fuel limit of the call (0: none; plugins/ABI.md §8)")
	f.BoolVar(&stats, "stats", false, "print the call's fuel, peak memory pages and duration as JSON on stderr, measured under --deterministic unless --deterministic=false is given")
	rf.register(f)
	_ = cmd.MarkFlagRequired("input")
	return cmd
}

// callStatsLine is what --stats prints: the call's figures and the
// conditions they were measured under.
type callStatsLine struct {
	plugin.CallStats
	// Deterministic is set when the clock was fixed and randomness seeded
	// (the gate's conditions: the fuel repeats exactly).
	Deterministic bool `json:"deterministic"`
	// Seed seeded the randomness; absent without Deterministic.
	Seed *int64 `json:"seed,omitempty"`
}

// statsLine renders --stats' JSON line for a call measured under rf.
func statsLine(st plugin.CallStats, rf runtimeFlags) []byte {
	l := callStatsLine{CallStats: st, Deterministic: rf.deterministic}
	if rf.deterministic {
		l.Seed = &rf.seed
	}
	line, _ := json.Marshal(l) // numbers and a bool: cannot fail
	return line
}

// applyEnvelopeFlags sets plugin.name (when absent) and plugin.config keys
// from --config. Without changes the envelope is passed through byte for byte.
func applyEnvelopeFlags(raw json.RawMessage, name string, configs []string) ([]byte, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	var pi struct {
		Name   *string        `json:"name"`
		Config map[string]any `json:"config"`
	}
	if p, ok := env["plugin"]; ok {
		if err := json.Unmarshal(p, &pi); err != nil {
			return nil, errors.New(`--input: "plugin" must be {"name": string, "config": object}`)
		}
	}
	if pi.Name != nil && len(configs) == 0 {
		return raw, nil
	}
	if pi.Name == nil {
		pi.Name = &name
	}
	if pi.Config == nil {
		pi.Config = map[string]any{}
	}
	for _, kv := range configs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, errors.New("--config " + kv + ": write KEY=VALUE")
		}
		jv, err := configValue(k, v)
		if err != nil {
			return nil, err
		}
		pi.Config[k] = jv
	}
	pb, err := json.Marshal(pi)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	env["plugin"] = pb
	return json.Marshal(env)
}

// configValue is the value of --config KEY=VALUE: VALUE as JSON when it is
// JSON — read as every input is, so a member named twice or nesting past
// inputlimit.MaxDepth is an error — and otherwise VALUE as a string.
func configValue(key, v string) (any, error) {
	jv, err := schemas.Decode([]byte(v))
	switch {
	case err == nil:
		return jv, nil
	case errors.Is(err, schemas.ErrDuplicateKey) || errors.Is(err, inputlimit.ErrTooDeep):
		return nil, fmt.Errorf("--config %s: %w", key, err)
	}
	return v, nil
}

// maxPagesInRange refuses a --memory-max-pages over what a 32-bit wasm
// memory can have (the host would refuse the limit at load).
func maxPagesInRange(pages uint32) error {
	if pages > plugin.MaxMemoryPages {
		return withCode(exitUsage, fmt.Errorf("--memory-max-pages %d: over the wasm32 maximum of %d pages (4 GiB); the default is %d", pages, plugin.MaxMemoryPages, plugin.DefaultMemoryMaxPages))
	}
	return nil
}
