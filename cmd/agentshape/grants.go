package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/agentshape/agentshape/host/plugin"
)

// grantFlags are --grant-env and --grant-dir: the sandbox grants of a plugin
// run on its own, written as a manifest entry's grants would be
// (plugins/ABI.md §9).
type grantFlags struct {
	env, dirs []string
}

func (g *grantFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&g.env, "grant-env", nil, "let the plugin read this environment variable (repeatable)")
	f.StringArrayVar(&g.dirs, "grant-dir", nil, "mount HOST:GUEST read-only for the plugin (repeatable)")
}

// grants checks the flags' form and returns the grants; whether variables
// are set and directories exist is checked when the plugin loads.
func (g *grantFlags) grants() (plugin.Grants, error) {
	out := plugin.Grants{}
	for _, k := range g.env {
		if err := plugin.CheckEnvGrant(k); err != nil {
			return out, fmt.Errorf("--grant-env: %w", err)
		}
		out.Env = append(out.Env, k)
	}
	for _, d := range g.dirs {
		i := strings.LastIndexByte(d, ':')
		if i <= 0 || i == len(d)-1 {
			return out, fmt.Errorf("--grant-dir %q: write HOST:GUEST, e.g. ./data:/data", d)
		}
		if err := plugin.CheckGuestPath(d[i+1:]); err != nil {
			return out, fmt.Errorf("--grant-dir %q: %w", d, err)
		}
		out.Dirs = append(out.Dirs, plugin.DirGrant{Host: d[:i], Guest: d[i+1:]})
	}
	return out, nil
}

// loadCode is the exit code of a plugin that failed to load: a grant the
// flags asked for that cannot be honoured is a usage error, anything else a
// failure.
func loadCode(err error) int {
	if errors.Is(err, plugin.ErrGrant) {
		return exitUsage
	}
	return exitFailure
}
