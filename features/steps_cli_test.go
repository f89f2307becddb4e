package features

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/plugins/catalog"
)

func (w *world) cliSteps(sc *godog.ScenarioContext) {
	sc.Step(`^a file with the content:$`, func(doc *godog.DocString) error {
		dir, err := w.tempDir()
		if err != nil {
			return err
		}
		f, err := os.CreateTemp(dir, "doc-*.json")
		if err != nil {
			return err
		}
		defer f.Close()
		w.file = f.Name()
		_, err = f.WriteString(doc.Content)
		return err
	})
	sc.Step(`^agentshape validates the file against "([^"]*)"$`, func(schema string) error {
		return w.cli(nil, "validate", "--schema", schema, w.file)
	})
	sc.Step(`^the command exits with code (\d+)$`, func(code int) error {
		if w.exitCode != code {
			return fmt.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", w.exitCode, code, w.stdout, w.stderr)
		}
		return nil
	})
	sc.Step(`^the command's error output mentions "([^"]*)"$`, func(s string) error {
		if !strings.Contains(strings.ToLower(w.stderr), strings.ToLower(s)) {
			return fmt.Errorf("stderr does not mention %q:\n%s", s, w.stderr)
		}
		return nil
	})
	sc.Step(`^agentshape conformance checks the plugin "([^"]*)"$`, func(rel string) error {
		return w.conformance(rel, "--cases", "20")
	})
	sc.Step(`^an org file for the org at "([^"]*)"$`, func(myDomain string) error {
		dir, err := w.tempDir()
		if err != nil {
			return err
		}
		w.orgFile = filepath.Join(dir, "org.yaml")
		body := "myDomain: " + myDomain + "\nagents: [{id: 0XxAA0000000002AAA}]\n" +
			"clientApps: [{clientId: ci, clientSecret: ci-secret, runAs: {username: ci@example.com, manageAIAgents: true}}]\n"
		return os.WriteFile(w.orgFile, []byte(body), 0o644)
	})
	sc.Step(`^agentshape conformance checks the plugin "([^"]*)" set to "([^"]*)" against (the demo org|the org file)$`, func(rel, myDomain, against string) error {
		args := []string{"--config", "myDomain=" + myDomain, "--config", "override=true", "--cases", "10"}
		if against == "the org file" {
			args = append(args, "--org", w.orgFile)
		}
		return w.conformance(rel, args...)
	})
	sc.Step(`^agentshape conformance checks the demo pipeline$`, func() error {
		root, err := catalog.RepoRoot()
		if err != nil {
			return err
		}
		dir, err := w.tempDir()
		if err != nil {
			return err
		}
		return w.cli(nil, "conformance", "-q", "--manifest", filepath.Join(root, "plugins", "examples", "pipeline.yaml"), "--cases", "20", "--cache-dir", pluginCache, "--repro-dir", dir)
	})
	sc.Step(`^a (baseline|new) pipeline whose session-key runs in mode "([^"]*)"$`, func(which, mode string) error {
		dir, err := w.tempDir()
		if err != nil {
			return err
		}
		plugin, err := catalog.Path("session-key")
		if err != nil {
			return err
		}
		if w.pipelines == nil {
			w.pipelines = map[string]string{}
		}
		w.pipelines[which] = filepath.Join(dir, which+".yaml")
		body := "version: 1\nplugins:\n  - name: session-key\n    path: " + plugin + "\n    config: {replace: true, mode: " + mode + "}\n"
		return os.WriteFile(w.pipelines[which], []byte(body), 0o644)
	})
	sc.Step(`^agentshape conformance compares the new pipeline with the baseline pipeline( and fails on a difference)?$`, func(fail string) error {
		dir, err := w.tempDir()
		if err != nil {
			return err
		}
		args := []string{"conformance", "-q", "--manifest", w.pipelines["new"], "--baseline-manifest", w.pipelines["baseline"], "--cases", "10", "--cache-dir", pluginCache, "--repro-dir", dir}
		if fail != "" {
			args = append(args, "--fail-on-diff")
		}
		return w.cli(nil, args...)
	})
	sc.Step(`^agentshape conformance compares the plugin "([^"]*)" with the baseline "([^"]*)", both set to "([^"]*)", and fails on a difference$`, func(rel, baseline, config string) error {
		old, err := catalog.Path(baseline)
		if err != nil {
			return err
		}
		return w.conformance(rel, "--baseline", old, "--config", config, "--cases", "10", "--fail-on-diff")
	})
	sc.Step(`^a seed under which "([^"]*)" uses less fuel than under a seed of the fuel sweep$`, func(rel string) error {
		// Fuel is deterministic per seed: the first such seed is the same on every run.
		maxUnder := func(seed string, args ...string) (int64, error) {
			if err := w.conformance(rel, append([]string{"--cases", "20", "--seed", seed}, args...)...); err != nil {
				return 0, err
			}
			m := regexp.MustCompile(`fuel max (\d+), `).FindStringSubmatch(w.stdout)
			if w.exitCode != 0 || m == nil {
				return 0, fmt.Errorf("seed %s: exit %d, no fuel line:\n%s\n%s", seed, w.exitCode, w.stdout, w.stderr)
			}
			return strconv.ParseInt(m[1], 10, 64)
		}
		for seed := 1; seed <= 8; seed++ {
			alone, err := maxUnder(strconv.Itoa(seed), "--fuel-seeds", "0")
			if err != nil {
				return err
			}
			swept, err := maxUnder(strconv.Itoa(seed))
			if err != nil {
				return err
			}
			if alone < swept {
				w.fuelSeed, w.fuelSeedMax = strconv.Itoa(seed), strconv.FormatInt(alone, 10)
				return nil
			}
		}
		return fmt.Errorf("under seeds 1-8, the fuel sweep never found more fuel for %s than --seed alone", rel)
	})
	sc.Step(`^agentshape conformance checks the plugin "([^"]*)" under that seed with a fuel budget of its max under that seed alone$`, func(rel string) error {
		return w.conformance(rel, "--cases", "20", "--seed", w.fuelSeed, "--fuel", w.fuelSeedMax)
	})
	sc.Step(`^the fuel spread of "([^"]*)" is (0|more than 0)%$`, func(name, want string) error {
		m := regexp.MustCompile(`plugin ` + regexp.QuoteMeta(name) + `: fuel max .*; spread ([0-9.]+)% between seeds`).FindStringSubmatch(w.stdout)
		if m == nil {
			return fmt.Errorf("no fuel spread for %s:\n%s", name, w.stdout)
		}
		if spread, _ := strconv.ParseFloat(m[1], 64); (spread == 0) != (want == "0") {
			return fmt.Errorf("fuel spread of %s: %s%%, want %s%%", name, m[1], want)
		}
		return nil
	})
	sc.Step(`^the command's output says "(.*)"$`, func(s string) error {
		if !strings.Contains(w.stdout, unquote(s)) {
			return fmt.Errorf("stdout does not say %q:\n%s\nstderr:\n%s", unquote(s), w.stdout, w.stderr)
		}
		return nil
	})
	sc.Step(`^no Salesforce credentials in the environment$`, func() {})
	sc.Step(`^agentshape starts a session for agent "([^"]*)" with the embedded emulator$`, func(agent string) error {
		return w.cliStart(agent, false)
	})
	sc.Step(`^agentshape starts a session for agent "([^"]*)"$`, func(agent string) error {
		return w.cliStart(agent, true)
	})
}

// conformance runs `agentshape conformance` on the built plugin rel (as
// catalog names it) with args, quietly, with the suite's cache and a
// scratch reproducer directory.
func (w *world) conformance(rel string, args ...string) error {
	p, err := catalog.Path(rel)
	if err != nil {
		return err
	}
	dir, err := w.tempDir()
	if err != nil {
		return err
	}
	return w.cli(nil, append([]string{"conformance", "-q", "--plugin", p, "--cache-dir", pluginCache, "--repro-dir", dir}, args...)...)
}

// cli runs the agentshape binary with a clean environment plus env.
func (w *world) cli(env []string, args ...string) error {
	bin, err := agentshapeCLI()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(w.ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	base := []string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"), "TMPDIR=" + os.TempDir()}
	cmd.Env = append(base, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	w.stdout, w.stderr = out.String(), errb.String()
	w.exitCode = 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		w.exitCode = ee.ExitCode()
	case err != nil:
		return fmt.Errorf("run agentshape %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// cliStart runs `agentshape start` with the scenario's pipeline and context,
// against the scenario's emulator (org credentials in the environment) or,
// without them, the CLI's embedded emulator.
func (w *world) cliStart(agent string, useOrg bool) error {
	manifest, err := w.manifest()
	if err != nil {
		return err
	}
	defer os.Remove(manifest)
	dir, err := w.tempDir()
	if err != nil {
		return err
	}
	ctxFile := filepath.Join(dir, "context.json")
	c := w.context
	if len(c) == 0 {
		c = []byte(`{"agentId":"` + agent + `","org":{"myDomain":"acme"},"user":{"locale":"en_US"}}`)
	}
	if err := os.WriteFile(ctxFile, c, 0o644); err != nil {
		return err
	}
	var env []string
	if useOrg {
		u, err := w.emulatorURL()
		if err != nil {
			return err
		}
		env = []string{"SF_MY_DOMAIN=" + w.org.MyDomain, "SF_CLIENT_ID=" + clientID, "SF_CLIENT_SECRET=" + clientSecret,
			"SF_API_BASE_URL=" + u, "SF_TOKEN_URL=" + u + "/services/oauth2/token"}
	}
	if err := w.cli(env, "start", "--manifest", manifest, "--agent-id", agent, "--context", ctxFile, "--cache-dir", pluginCache); err != nil {
		return err
	}
	if w.exitCode == 3 {
		w.refused = errors.New(w.stdout + "\n" + w.stderr)
	}
	if w.exitCode == 0 || w.exitCode == 4 {
		// stdout is the Flow-style outcome JSON (with "end" under --end)
		var out agentapi.Outcome
		if err := json.Unmarshal([]byte(w.stdout), &out); err != nil || out.Output == "" {
			return fmt.Errorf("agentshape start printed no outcome JSON (%v):\n%s", err, w.stdout)
		}
		w.outcome = &out
	}
	return nil
}
