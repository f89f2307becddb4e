package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestABIDocWorkedExample keeps plugins/ABI.md honest: its worked example is
// byte for byte plugins/testdata/passthrough.wat (which the other tests run),
// its "Build and run" envelope gives the output the page shows, and every
// export and import name the page's tables list is the one host/abi uses.
func TestABIDocWorkedExample(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "plugins", "ABI.md"))
	if err != nil {
		t.Fatal(err)
	}
	wat, err := os.ReadFile(filepath.Join(root, "plugins", "testdata", "passthrough.wat"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```wat\n(.*?)```").FindSubmatch(doc)
	if m == nil || string(m[1]) != string(wat) {
		t.Fatal("plugins/ABI.md's ```wat block differs from plugins/testdata/passthrough.wat; paste the file into the page")
	}
	env := regexp.MustCompile(`echo '(\{.*\})' > envelope.json`).FindSubmatch(doc)
	want := regexp.MustCompile(`# (\{"request".*\})`).FindSubmatch(doc)
	if env == nil || want == nil {
		t.Fatal("ABI.md lost its 'Build and run' envelope or expected output")
	}
	rt := newRuntime(t, plugin.RuntimeOptions{})
	p := load(t, rt, "testdata/passthrough", plugin.Limits{}, nil)
	out, err := p.Call(context.Background(), env[1])
	if err != nil || string(out) != string(want[1]) {
		t.Fatalf("ABI.md example: got %s, %v; the page promises %s", out, err, want[1])
	}
	for _, name := range []string{abi.MarkerExport, abi.AllocExport, abi.ShapeExport, abi.InitializeExport, abi.StartExport, abi.MemoryExport, abi.HostModule + "." + abi.LogImport, abi.WASIModule} {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("ABI.md does not document %q", name)
		}
	}
	for _, field := range []string{"agentId", "org.myDomain", "org.kind", "org.sandbox", "channel", "conversationId", "user.locale", "user.timezone", "user.attributes"} {
		if !strings.Contains(string(doc), "| `"+field+"` |") {
			t.Errorf("ABI.md's context table lacks %q (host/abi.Context)", field)
		}
	}
	if !strings.Contains(string(doc), plugin.FixedWalltime.Format("2006-01-02T15:04:05Z")) {
		t.Errorf("ABI.md does not state the deterministic wall clock %s", plugin.FixedWalltime)
	}
}
