package features

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/agentshape/agentshape/features/plugincontract"
	"github.com/agentshape/agentshape/host/conformance"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// cliDir holds the agentshape binary, built on first use by a CLI step.
var (
	cliDir      string
	cliOnce     sync.Once
	cliPath     string
	cliBuildErr error
)

// agentshapeCLI builds the agentshape binary once and returns its path.
func agentshapeCLI() (string, error) {
	cliOnce.Do(func() {
		root, err := catalog.RepoRoot()
		if err != nil {
			cliBuildErr = err
			return
		}
		path := filepath.Join(cliDir, "agentshape")
		build := exec.Command("go", "build", "-o", path, "./cmd/agentshape")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			cliBuildErr = fmt.Errorf("building the agentshape CLI failed: %w\n%s", err, out)
			return
		}
		cliPath = path
	})
	return cliPath, cliBuildErr
}

// pluginCache is the wazero compile cache shared by the scenarios.
var pluginCache string

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "agentshape-features-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "features:", err)
		os.Exit(2)
	}
	pluginCache = filepath.Join(tmp, "cache")
	cliDir = tmp
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// seed returns GODOG_SEED when set (to replay an order), else a fresh one.
func seed(t *testing.T) int64 {
	if s := os.Getenv("GODOG_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("GODOG_SEED=%q: want an integer", s)
		}
		return n
	}
	return time.Now().UnixNano()
}

// reportsDir is features/reports (gitignored).
func reportsDir(t *testing.T) string {
	t.Helper()
	if err := os.MkdirAll("reports", 0o755); err != nil {
		t.Fatalf("features/reports: %v", err)
	}
	return "reports"
}

// TestFeatures runs the Flow and product features: strict (an undefined or
// pending step fails), in random order with the seed printed, with JUnit and
// Cucumber JSON reports under features/reports/.
func TestFeatures(t *testing.T) {
	s := seed(t)
	fmt.Printf("godog seed: %d (replay with GODOG_SEED=%d)\n", s, s)
	t.Logf("godog seed: %d", s)
	tags := "~@wip"
	if extra := os.Getenv("GODOG_TAGS"); extra != "" {
		tags += " && " + extra
	}
	dir := reportsDir(t)
	suite := godog.TestSuite{
		Name:                "agentshape",
		ScenarioInitializer: initScenario,
		Options: &godog.Options{
			Paths:     []string{"flow", "product"},
			Tags:      tags,
			Strict:    true,
			Randomize: s,
			Format:    "progress,junit:" + filepath.Join(dir, "features.junit.xml") + ",cucumber:" + filepath.Join(dir, "features.cucumber.json"),
			TestingT:  t,
			NoColors:  true,
		},
	}
	st := suite.Run()
	featuresRan = true // its reports are written, passed or not (TestDocsSite)
	if st != 0 {
		t.Fatalf("feature run failed (status %d); replay the order with GODOG_SEED=%d", st, s)
	}
}

// TestPluginContractFeaturesUnderGodog runs the plugin-contract features
// under godog (strict, random order) with the gate's own step definitions,
// against the demo pipeline of example plugins.
func TestPluginContractFeaturesUnderGodog(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	s, err := conformance.NewSuite(context.Background(), conformance.Options{
		Manifest: filepath.Join(root, "plugins", "examples", "pipeline.yaml"),
		Cases:    25, CacheDir: pluginCache, ReproDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed := seed(t)
	t.Logf("godog seed: %d", seed)
	suite := godog.TestSuite{
		Name:                "plugin contract",
		ScenarioInitializer: func(sc *godog.ScenarioContext) { s.InitScenario(sc) },
		Options: &godog.Options{
			FS: plugincontract.Features, Paths: []string{"."},
			Strict: true, Randomize: seed, Format: "progress", TestingT: t, NoColors: true,
		},
	}
	if st := suite.Run(); st != 0 || len(s.Failures()) > 0 {
		t.Fatalf("plugin contract under godog: status %d, failures %v (GODOG_SEED=%d)", st, s.Failures(), seed)
	}
}

// TestPluginContractFeatures runs the plugin-contract features as the
// conformance gate does (its own runner) against the demo pipeline, and
// writes the gate's reports to features/reports/plugincontract.*.
func TestPluginContractFeatures(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := conformance.Run(context.Background(), conformance.Options{
		Manifest: filepath.Join(root, "plugins", "examples", "pipeline.yaml"),
		Cases:    25, CacheDir: pluginCache, ReproDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := reportsDir(t)
	for name, write := range map[string]func(f *os.File) error{
		"plugincontract.junit.xml":     func(f *os.File) error { return rep.WriteJUnit(f) },
		"plugincontract.cucumber.json": func(f *os.File) error { return rep.WriteCucumber(f) },
		"plugincontract.html":          func(f *os.File) error { return rep.WriteHTML(f) },
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	pluginContractRan = true
	p, f, s := rep.Counts()
	t.Logf("plugin contract on the demo pipeline: %d passed, %d failed, %d skipped", p, f, s)
	if rep.Failed() || p == 0 {
		t.Fatalf("the plugin-contract features fail on the demo pipeline: %+v", rep.Failures)
	}
}
