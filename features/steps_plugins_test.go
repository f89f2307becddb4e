package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/schemas"
)

func (w *world) pluginSteps(sc *godog.ScenarioContext) {
	sc.Step(`^the end user's context:$`, func(doc *godog.DocString) error {
		if !json.Valid([]byte(doc.Content)) {
			return fmt.Errorf("the context is not JSON: %s", doc.Content)
		}
		w.context = json.RawMessage(doc.Content)
		return nil
	})
	sc.Step(`^a pipeline of the plugins "([^"]*)"$`, w.pipelineOf)
	sc.Step(`^a pipeline of the plugins "([^"]*)" where "([^"]*)" has the configuration:$`, func(list, name string, doc *godog.DocString) error {
		if err := w.pipelineOf(list); err != nil {
			return err
		}
		e, err := w.entry(name)
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(doc.Content), &e.config)
	})
	sc.Step(`^a pipeline of the plugins "([^"]*)" where "([^"]*)" is pinned to the wrong sha256$`, func(list, name string) error {
		if err := w.pipelineOf(list); err != nil {
			return err
		}
		e, err := w.entry(name)
		if err != nil {
			return err
		}
		e.sha256 = strings.Repeat("ab", 32)
		return nil
	})
	sc.Step(`^the environment variable "([^"]*)" is set to "([^"]*)"$`, w.setEnv)
	sc.Step(`^"([^"]*)" is granted the environment variable "([^"]*)" set to "([^"]*)"$`, func(name, key, value string) error {
		e, err := w.entry(name)
		if err != nil {
			return err
		}
		w.setEnv(key, value)
		e.grants.Env = append(e.grants.Env, key)
		return nil
	})
	sc.Step(`^"([^"]*)" is granted a read-only directory at "([^"]*)" holding "([^"]*)" with "([^"]*)"$`, func(name, guest, file, content string) error {
		e, err := w.entry(name)
		if err != nil {
			return err
		}
		tmp, err := w.tempDir()
		if err != nil {
			return err
		}
		host, err := os.MkdirTemp(tmp, "grant-*")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(host, file), []byte(content+"\n"), 0o644); err != nil {
			return err
		}
		e.grants.Dirs = append(e.grants.Dirs, plugin.DirGrant{Host: host, Guest: guest})
		return nil
	})
	sc.Step(`^the directory granted to "([^"]*)" at "([^"]*)" also holds a link "([^"]*)" to (a file outside it holding "[^"]*"|"[^"]*" inside it)$`, func(name, guest, link, target string) error {
		e, err := w.entry(name)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(e.grants.Dirs, func(d plugin.DirGrant) bool { return d.Guest == guest })
		if i < 0 {
			return fmt.Errorf("%s has no directory granted at %s", name, guest)
		}
		to := strings.Trim(strings.TrimSuffix(target, " inside it"), `"`)
		if content, ok := strings.CutPrefix(target, "a file outside it holding "); ok {
			tmp, err := w.tempDir()
			if err != nil {
				return err
			}
			to = filepath.Join(tmp, "outside-"+link)
			if err := os.WriteFile(to, []byte(strings.Trim(content, `"`)+"\n"), 0o644); err != nil {
				return err
			}
		}
		return os.Symlink(to, filepath.Join(e.grants.Dirs[i].Host, link))
	})
	sc.Step(`^"([^"]*)" has a fuel budget of (\d+) and a timeout of (\w+)$`, func(name string, fuel int64, timeout string) error {
		e, err := w.entry(name)
		if err == nil {
			e.limits = fmt.Sprintf("{fuel: %d, timeout: %s}", fuel, timeout)
		}
		return err
	})
	sc.Step(`^the request is shaped on two fresh runtimes, counting fuel$`, func() error {
		var fuel []int64
		for range 2 {
			var st plugin.CallStats
			ctx := w.ctx
			w.ctx = plugin.WithCallStats(ctx, &st)
			err := w.shape(1)
			w.ctx = ctx
			if err != nil || w.shapeErr != nil {
				return fmt.Errorf("shaping failed: %v %v", err, w.shapeErr)
			}
			fuel = append(fuel, st.Fuel)
		}
		w.fuel = fuel
		return nil
	})
	sc.Step(`^both runs used the same fuel, more than none$`, func() error {
		if len(w.fuel) != 2 || w.fuel[0] != w.fuel[1] || w.fuel[0] <= 0 {
			return fmt.Errorf("fuel of the two runs: %v", w.fuel)
		}
		return nil
	})
	sc.Step(`^deterministic mode with seed (\d+)$`, func(seed int64) { w.det, w.seed = true, seed })
	sc.Step(`^the request is shaped$`, func() error { return w.shape(1) })
	sc.Step(`^the request is shaped twice$`, func() error { return w.shape(2) })
	sc.Step(`^the pipeline is loaded$`, func() error {
		_, closeAll, err := w.load()
		if err == nil {
			closeAll()
		}
		w.loadErr = err
		return nil
	})
	sc.Step(`^the shaped request is valid$`, func() error {
		req, err := w.shapedRequest()
		if err != nil {
			return err
		}
		vs, err := schemas.Validate(schemas.StartSessionRequest, req)
		if err != nil {
			return err
		}
		if len(vs) > 0 {
			return fmt.Errorf("the shaped request %s is invalid: %v", req, violationsError(vs))
		}
		return nil
	})
	sc.Step(`^the shaped request has "([^"]*)" equal to "([^"]*)"$`, func(field, want string) error {
		req, err := w.shapedRequest()
		if err != nil {
			return err
		}
		var doc any
		_ = json.Unmarshal(req, &doc)
		got, ok := schemas.Resolve(doc, pointerOf(field))
		if !ok || fmt.Sprint(got) != want {
			return fmt.Errorf("%s is %v (present: %v), want %q; request %s", field, got, ok, want, req)
		}
		return nil
	})
	sc.Step(`^the shaped request has the variable "([^"]*)" with value "([^"]*)"$`, func(name, value string) error {
		req, err := w.shapedRequest()
		if err != nil {
			return err
		}
		return hasVariable(req, name, value)
	})
	sc.Step(`^the field "([^"]*)" was last set by "([^"]*)"$`, func(field, plugin string) error {
		if _, err := w.shapedRequest(); err != nil {
			return err
		}
		if got := w.shaped[0].Provenance.Owner(pointerOf(field)); got != plugin {
			return fmt.Errorf("%s was last set by %q, want %q", field, got, plugin)
		}
		return nil
	})
	sc.Step(`^both shaped requests have the same "([^"]*)"$`, func(field string) error {
		if len(w.shaped) != 2 {
			return fmt.Errorf("shaped %d requests, want 2 (error: %v)", len(w.shaped), w.shapeErr)
		}
		var a, b any
		_ = json.Unmarshal(w.shaped[0].Request, &a)
		_ = json.Unmarshal(w.shaped[1].Request, &b)
		va, _ := schemas.Resolve(a, pointerOf(field))
		vb, _ := schemas.Resolve(b, pointerOf(field))
		if va == nil || fmt.Sprint(va) != fmt.Sprint(vb) {
			return fmt.Errorf("%s differs or is missing: %v vs %v", field, va, vb)
		}
		return nil
	})
	sc.Step(`^both shaped requests are identical$`, func() error {
		if len(w.shaped) != 2 {
			return fmt.Errorf("shaped %d requests, want 2 (error: %v)", len(w.shaped), w.shapeErr)
		}
		if string(w.shaped[0].Request) != string(w.shaped[1].Request) {
			return fmt.Errorf("the requests differ:\n%s\n%s", w.shaped[0].Request, w.shaped[1].Request)
		}
		return nil
	})
	sc.Step(`^shaping fails because the plugin "([^"]*)" refused$`, func(name string) error {
		var pe *plugin.Error
		if !errors.As(w.shapeErr, &pe) || !errors.Is(w.shapeErr, plugin.ErrPluginRefused) || pe.Plugin != name {
			return fmt.Errorf("shaping did not fail with a refusal by %q: %v", name, w.shapeErr)
		}
		return nil
	})
	sc.Step(`^the error message contains "([^"]*)"$`, func(want string) error {
		if w.shapeErr == nil || !strings.Contains(w.shapeErr.Error(), want) {
			return fmt.Errorf("the error %v does not contain %q", w.shapeErr, want)
		}
		return nil
	})
	sc.Step(`^the error message does not contain "([^"]*)"$`, func(secret string) error {
		err := w.shapeErr
		if err == nil {
			err = w.loadErr
		}
		if err == nil {
			return errors.New("there is no error to check")
		}
		if strings.Contains(err.Error(), secret) {
			return fmt.Errorf("the error %v contains %q", err, secret)
		}
		return nil
	})
	sc.Step(`^shaping fails because of the plugin "([^"]*)"$`, func(name string) error { return blames(w.shapeErr, name) })
	sc.Step(`^loading fails because of the plugin "([^"]*)"$`, func(name string) error { return blames(w.loadErr, name) })
	sc.Step(`^the failure is a "([^"]*)" error$`, func(kind string) error {
		err := w.shapeErr
		if err == nil {
			err = w.loadErr
		}
		want, ok := map[string]error{"timeout": plugin.ErrTimeout, "memory limit": plugin.ErrMemoryLimit,
			"output too large": plugin.ErrOutputTooLarge, "trap": plugin.ErrTrap, "ABI": plugin.ErrABI,
			"hash mismatch": plugin.ErrHashMismatch, "grant refused": plugin.ErrGrant, "fuel exhausted": plugin.ErrFuelExhausted}[kind]
		if !ok {
			return godog.ErrPending
		}
		if !errors.Is(err, want) {
			return fmt.Errorf("the failure %v is not a %s error", err, kind)
		}
		return nil
	})
	sc.Step(`^no shaped request is produced$`, func() error {
		if len(w.shaped) != 0 {
			return fmt.Errorf("a request was produced: %s", w.shaped[0].Request)
		}
		return nil
	})
}

// pointerOf turns "instanceConfig.endpoint" into "/instanceConfig/endpoint".
func pointerOf(field string) string { return "/" + strings.ReplaceAll(field, ".", "/") }

func blames(err error, name string) error {
	var pe *plugin.Error
	if !errors.As(err, &pe) {
		return fmt.Errorf("the failure %v does not name a plugin", err)
	}
	if pe.Plugin != name {
		return fmt.Errorf("the failure names the plugin %q, want %q: %v", pe.Plugin, name, err)
	}
	return nil
}

// pipelineOf reads "a, b as c, testdata/x" into the scenario's pipeline: each
// item is a built plugin (plugins/catalog), optionally renamed with "as".
func (w *world) pipelineOf(list string) error {
	w.entries = nil
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		rel, name, renamed := strings.Cut(item, " as ")
		if !renamed {
			name = filepath.Base(rel)
		}
		if _, err := catalog.Path(rel); err != nil {
			return err
		}
		w.entries = append(w.entries, entry{name: strings.TrimSpace(name), rel: strings.TrimSpace(rel)})
	}
	return nil
}

func (w *world) entry(name string) (*entry, error) {
	for i := range w.entries {
		if w.entries[i].name == name {
			return &w.entries[i], nil
		}
	}
	return nil, fmt.Errorf("no plugin %q in the pipeline", name)
}

// manifest writes the scenario's pipeline as a manifest file and returns its path.
func (w *world) manifest() (string, error) {
	var b strings.Builder
	b.WriteString("version: 1\nplugins:\n")
	for _, e := range w.entries {
		p, err := catalog.Path(e.rel)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "  - name: %s\n    path: %s\n", e.name, p)
		if e.sha256 != "" {
			fmt.Fprintf(&b, "    sha256: %s\n", e.sha256)
		}
		if e.limits != "" {
			fmt.Fprintf(&b, "    limits: %s\n", e.limits)
		}
		if e.config != nil {
			cj, _ := json.Marshal(e.config)
			fmt.Fprintf(&b, "    config: %s\n", cj)
		}
		if len(e.grants.Env)+len(e.grants.Dirs) > 0 {
			g := map[string]any{}
			if len(e.grants.Env) > 0 {
				g["env"] = e.grants.Env
			}
			var dirs []map[string]string
			for _, d := range e.grants.Dirs {
				dirs = append(dirs, map[string]string{"host": d.Host, "guest": d.Guest})
			}
			if len(dirs) > 0 {
				g["dirs"] = dirs
			}
			gj, _ := json.Marshal(g)
			fmt.Fprintf(&b, "    grants: %s\n", gj)
		}
	}
	dir, err := w.tempDir()
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "pipeline-*.yaml")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(b.String())
	return f.Name(), err
}

// load loads the scenario's pipeline through the real manifest loader.
func (w *world) load() (*pipeline.Pipeline, func(), error) {
	path, err := w.manifest()
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(path)
	m, err := pipeline.LoadManifest(path)
	if err != nil {
		return nil, nil, err
	}
	rt, err := plugin.NewRuntime(w.ctx, plugin.RuntimeOptions{CacheDir: pluginCache, Deterministic: w.det, Seed: w.seed})
	if err != nil {
		return nil, nil, err
	}
	pl, err := pipeline.New(w.ctx, rt, m)
	if err != nil {
		_ = rt.Close(w.ctx)
		return nil, nil, err
	}
	return pl, func() { _ = pl.Close(w.ctx); _ = rt.Close(w.ctx) }, nil
}

// shape runs the pipeline n times on the scenario's context.
func (w *world) shape(n int) error {
	c, err := w.abiContext()
	if err != nil {
		return err
	}
	pl, closeAll, err := w.load()
	if err != nil {
		w.shapeErr = err
		return nil
	}
	defer closeAll()
	for i := 0; i < n; i++ {
		res, err := pl.Run(w.ctx, c, nil)
		if err != nil {
			w.shapeErr = err
			return nil
		}
		w.shaped = append(w.shaped, res)
	}
	return nil
}

func (w *world) shapedRequest() ([]byte, error) {
	if len(w.shaped) == 0 {
		return nil, fmt.Errorf("no request was shaped: %v", w.shapeErr)
	}
	return w.shaped[0].Request, nil
}

var _ = abi.Version

// setEnv sets an environment variable for the rest of the scenario.
func (w *world) setEnv(key, value string) {
	old, had := os.LookupEnv(key)
	_ = os.Setenv(key, value)
	w.restoreEnv = append(w.restoreEnv, func() {
		if had {
			_ = os.Setenv(key, old)
		} else {
			_ = os.Unsetenv(key)
		}
	})
}
