package emulator_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/internal/inputlimit"
)

func TestDefaultOrg(t *testing.T) {
	org := emulator.DefaultOrg()
	if err := org.Normalize(); err != nil {
		t.Fatal(err)
	}
	if org.MyDomain != "https://example-co.my.salesforce.com" || org.Agents[0].ID != "0XxAA0000000001AAA" ||
		org.ClientApps[0].ClientID != "agentshape-demo" || org.ClientApps[0].ClientSecret != "demo-secret" ||
		!org.ClientApps[0].RunAs.ManageAIAgents || org.Agents[0].Type != emulator.ServiceAgent {
		t.Errorf("default org %+v", org)
	}
}

func TestLoadOrgFile(t *testing.T) {
	org := testOrg(t)
	if org.MyDomain != "https://acme.my.salesforce.com" {
		t.Errorf("trailing slash not trimmed: %q", org.MyDomain)
	}
	if org.TokenLifetime.String() != "30m0s" || len(org.Agents) != 3 || org.Agents[1].Type != emulator.EmployeeAgent {
		t.Errorf("org %+v", org)
	}
	if org.ClientApps[2].Scopes[0] != "api" || len(org.ClientApps[0].Scopes) != 3 {
		t.Errorf("scopes %v / default %v", org.ClientApps[2].Scopes, org.ClientApps[0].Scopes)
	}
}

// Org files with mistakes get errors that name the field and say what to do.
func TestOrgErrors(t *testing.T) {
	base := `myDomain: https://acme.my.salesforce.com
agents:
  - id: 0XxAA0000000001AAA
clientApps:
  - {clientId: a, clientSecret: b, runAs: {username: u}}
`
	cases := []struct{ name, doc, want string }{
		{"empty", "", "empty"},
		{"not a mapping", "- a\n- b\n", "mapping"},
		{"syntax", "myDomain: [unclosed\n", "not valid YAML"},
		{"unknown member", base + "colour: red\n", "colour"},
		{"missing myDomain", strings.Replace(base, "myDomain: https://acme.my.salesforce.com\n", "", 1), "myDomain"},
		{"http My Domain", strings.Replace(base, "https://acme", "http://acme", 1), "https"},
		{"bad agent ID", strings.Replace(base, "0XxAA0000000001AAA", "0XxSHORT", 1), "agent ID"},
		{"duplicate agent", strings.Replace(base, "clientApps:", "  - id: 0XxAA0000000001AAA\nclientApps:", 1), "already used"},
		// An 18-character ID is its 15-character form plus a suffix: both name one agent (agent-api.md §1).
		{"agent listed in both ID forms", strings.Replace(base, "clientApps:", "  - id: 0XxAA0000000001\nclientApps:", 1), "same agent"},
		{"agent listed in both ID forms, short first", strings.Replace(base, "  - id: 0XxAA0000000001AAA\n", "  - id: 0XxAA0000000001\n  - id: 0XxAA0000000001AAA\n", 1), "same agent"},
		{"bad agent type", strings.Replace(base, "  - id: 0XxAA0000000001AAA\n", "  - id: 0XxAA0000000001AAA\n    type: robot\n", 1), "employee"},
		{"bad duration", base + "tokenLifetime: soon\n", "duration"},
		{"negative lifetime", base + "tokenLifetime: -5m\n", "tokenLifetime"},
		{"no client apps", strings.Replace(base, "  - {clientId: a, clientSecret: b, runAs: {username: u}}\n", "  []\n", 1), "client app"},
		{"no secret", strings.Replace(base, "clientSecret: b, ", "", 1), "clientSecret"},
		{"bad fault", base + "faults:\n  - {status: 200}\n", "status"},
		{"fault without effect", base + "faults:\n  - {count: 2}\n", "does nothing"},
		{"401 after processing", base + "faults:\n  - {status: 401, afterProcessing: true}\n", "was not applied"},
		{"wrong type", strings.Replace(base, "{username: u}", "{username: u, manageAIAgents: \"yes\"}", 1), "manageAIAgents"},
		{"bad variable type", strings.Replace(base, "  - id: 0XxAA0000000001AAA\n", "  - id: 0XxAA0000000001AAA\n    variables: [{name: x, type: Currency}]\n", 1), "type"},
		{"rate limit zero", base + "rateLimit: {requestsPerSecond: 0}\n", "requestsPerSecond"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := emulator.ParseOrg([]byte(c.doc))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.doc)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
	if _, err := emulator.ParseOrg([]byte(base)); err != nil {
		t.Errorf("base document rejected: %v", err)
	}
}

func TestLoadOrgFileErrors(t *testing.T) {
	if _, err := emulator.LoadOrg(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "--org") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := emulator.LoadOrg("testdata/bad-unknown-field.yaml"); err == nil || !strings.Contains(err.Error(), "agnets") || !strings.Contains(err.Error(), "bad-unknown-field.yaml") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := emulator.LoadOrg("testdata/bad-syntax.yaml"); err == nil || !strings.Contains(err.Error(), "YAML") {
		t.Errorf("syntax: %v", err)
	}
}

// An org that is JSON works too (JSON is YAML); Start and New refuse bad orgs.
func TestOrgJSONAndInvalidOrgRefused(t *testing.T) {
	doc := `{"myDomain":"https://j.my.salesforce.com","agents":[{"id":"0XxAA0000000001AAA"}],"clientApps":[{"clientId":"a","clientSecret":"b","runAs":{"username":"u"}}]}`
	org, err := emulator.ParseOrg([]byte(doc))
	if err != nil || org.MyDomain != "https://j.my.salesforce.com" {
		t.Fatalf("%v %+v", err, org)
	}
	bad := emulator.DefaultOrg()
	bad.MyDomain = ""
	if _, err := emulator.New(emulator.Options{Org: bad}); err == nil || !strings.Contains(err.Error(), "myDomain") {
		t.Errorf("New(bad) = %v", err)
	}
	if _, err := emulator.Start(context.Background(), emulator.Options{Org: bad}); err == nil {
		t.Error("Start(bad) accepted")
	}
	// The caller's org is not modified by the emulator.
	def := emulator.DefaultOrg()
	srv := start(t, def)
	srv.UpdateOrg(func(o *emulator.Org) error { o.Agents[0].Greeting = "changed"; return nil })
	if def.Agents[0].Greeting != "" {
		t.Error("the emulator changed the caller's org")
	}
}

// The printed example org (agentshape emulator --print-org) round-trips.
func TestOrgFileInRepoParses(t *testing.T) {
	b, err := os.ReadFile("testdata/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emulator.ParseOrg(b); err != nil {
		t.Fatal(err)
	}
}

// A small org document whose YAML aliases expand to millions of nodes is
// refused before the expansion (it would take minutes and grow memory
// without bound, e.g. through PUT /__admin/org); ordinary anchors still work.
func TestOrgAliasExpansionBounded(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f"} {
		bomb += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = name
	}
	_, err := emulator.ParseOrg([]byte(bomb + "myDomain: https://acme.my.salesforce.com\n"))
	if err == nil || !strings.Contains(err.Error(), "alias") {
		t.Fatalf("error = %v; want the alias expansion refused", err)
	}
	anchored := `myDomain: https://acme.my.salesforce.com
agents:
  - id: 0XxAA0000000001AAA
    variables: &vars [{name: orderTier, type: Text, settableByApi: true}]
  - id: 0XxAA0000000002AAA
    variables: *vars
clientApps:
  - {clientId: a, clientSecret: b, runAs: {username: u}}
`
	org, err := emulator.ParseOrg([]byte(anchored))
	if err != nil || len(org.Agents[1].Variables) != 1 {
		t.Fatalf("an org sharing variables through an anchor: %v", err)
	}
}

// TestOrgHostileInputs: the 48 KB org document nesting 24,000
// levels (it took the emulator to 1 GB) and an org file over the size cap
// are refused before the YAML parser sees them, naming the line and the
// limit.
func TestOrgHostileInputs(t *testing.T) {
	nested := "../../plugins/testdata/hostile-inputs/nested-org.yaml"
	_, err := emulator.LoadOrg(nested)
	if !errors.Is(err, inputlimit.ErrTooDeep) || !strings.Contains(err.Error(), "line 7: nested deeper than 128 levels") || !strings.Contains(err.Error(), nested) {
		t.Errorf("nested org: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("# padding\n", inputlimit.MaxYAMLBytes/10+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := emulator.LoadOrg(big); !errors.Is(err, inputlimit.ErrTooLarge) || !strings.Contains(err.Error(), "org file "+big+": exceeds 65536 bytes") {
		t.Errorf("big org: %v", err)
	}
}
