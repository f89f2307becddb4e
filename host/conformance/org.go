package conformance

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/emulator"
)

// OrgUnderTest is the org a run checks against and the agent it starts
// sessions with: every check that involves an org uses it — the My Domain
// of the generated contexts and of the base request, the end-to-end Start
// Session on the embedded emulator, and the agent's variable declarations.
type OrgUnderTest struct {
	// Org is the org, normalised; its client secrets never reach a report.
	Org *emulator.Org
	// Agent is the agent sessions are started with.
	Agent emulator.Agent
	// File is the emulator-org file it came from; "" for the built-in demo org.
	File string
}

// DemoOrg is the built-in demo org (`agentshape emulator --print-org`) and
// its agent: what a run checks against without Options.Org.
func DemoOrg() OrgUnderTest {
	org := emulator.DefaultOrg()
	if err := org.Normalize(); err != nil {
		panic("conformance: the demo org is invalid: " + err.Error()) // a bug in host/emulator
	}
	return OrgUnderTest{Org: org, Agent: org.Agents[0]}
}

// LoadOrg reads an emulator-org file (YAML or JSON, the format of
// `agentshape emulator --print-org`) and picks the agent agentID names, or
// the org's first agent when agentID is "".
func LoadOrg(file, agentID string) (OrgUnderTest, error) {
	o := DemoOrg()
	if file != "" {
		org, err := emulator.LoadOrg(file)
		if err != nil {
			return o, emulator.WithOrgTemplateHint("conformance: --org", err)
		}
		o = OrgUnderTest{Org: org, Agent: org.Agents[0], File: file}
	}
	if agentID == "" {
		return o, nil
	}
	var ids []string
	for _, a := range o.Org.Agents {
		if a.ID == agentID || (len(agentID) == 15 && a.ID[:15] == agentID) {
			o.Agent = a
			return o, nil
		}
		ids = append(ids, a.ID)
	}
	return o, fmt.Errorf("conformance: --agent-id %s: the org %s has no such agent (its agents: %s); add it to the org file or pick one of those", agentID, o.describe(), strings.Join(ids, ", "))
}

// describe names the org for messages: its file, or the demo org.
func (o OrgUnderTest) describe() string {
	if o.File == "" {
		return "built-in demo org (" + o.Org.MyDomain + ")"
	}
	return o.File + " (" + o.Org.MyDomain + ")"
}

// forms are the ways a context can name the org's My Domain (plugins/ABI.md
// §5): the URL, and where the URL follows Salesforce's My Domain formats
// (documented: https://help.salesforce.com/s/articleView?id=sf.domain_name_url_formats.htm),
// the bare My Domain name with the org kind (and sandbox name) that gives it
// back. Every form names the same org.
func (o OrgUnderTest) forms() []abi.Org {
	u, err := url.Parse(o.Org.MyDomain)
	forms := []abi.Org{{MyDomain: o.Org.MyDomain}}
	if err != nil {
		return forms
	}
	host := strings.ToLower(u.Hostname())
	label := func(suffix string) (string, bool) {
		name, ok := strings.CutSuffix(host, suffix)
		return name, ok && name != "" && !strings.Contains(name, ".")
	}
	if name, ok := label(".sandbox.my.salesforce.com"); ok {
		if n, sandbox, ok := strings.Cut(name, "--"); ok && n != "" && sandbox != "" {
			forms = append(forms, abi.Org{MyDomain: o.Org.MyDomain, Kind: "sandbox", Sandbox: sandbox}, abi.Org{MyDomain: n, Kind: "sandbox", Sandbox: sandbox})
		}
	} else if name, ok := label(".develop.my.salesforce.com"); ok {
		forms = append(forms, abi.Org{MyDomain: o.Org.MyDomain, Kind: "developer"}, abi.Org{MyDomain: name, Kind: "developer"})
	} else if name, ok := label(".my.salesforce.com"); ok && !strings.Contains(name, "--") {
		forms = append(forms, abi.Org{MyDomain: o.Org.MyDomain, Kind: "production"}, abi.Org{MyDomain: name, Kind: "production"}, abi.Org{MyDomain: name})
	}
	return forms
}

// typical is the form of the typical context: the bare name when the URL
// has one, else the URL.
func (o OrgUnderTest) typical() abi.Org {
	f := o.forms()
	return f[len(f)-1]
}

// clientApp is the client app the gate's emulator client uses.
func (o OrgUnderTest) clientApp() emulator.ClientApp { return o.Org.ClientApps[0] }

// emulatorOrg is the org the embedded emulator serves for the gate: the org
// under test without its injected faults and rate limit, which test a
// client's resilience, not a plugin (`start --org` serves the same).
func (o OrgUnderTest) emulatorOrg() *emulator.Org { return o.Org.WithoutFaults() }

// OrgReport is what a report records about the org under test (never a
// client secret).
type OrgReport struct {
	// Name is the org's label.
	Name string `json:"name,omitempty"`
	// MyDomain is the org's My Domain URL.
	MyDomain string `json:"myDomain"`
	// AgentID is the agent sessions were started with.
	AgentID string `json:"agentId"`
	// File is the --org file; empty for the demo org.
	File string `json:"file,omitempty"`
	// Demo is true when the run used the built-in demo org (no --org).
	Demo bool `json:"demo"`
}

func (o OrgUnderTest) report() OrgReport {
	return OrgReport{Name: o.Org.Name, MyDomain: o.Org.MyDomain, AgentID: o.Agent.ID, File: o.File, Demo: o.File == ""}
}

// String says which org a run used, and, for the demo org, how to use yours.
func (r OrgReport) String() string {
	if r.Demo {
		return fmt.Sprintf("the built-in demo org %s, agent %s (no --org given: pass --org ORG.yaml to check against your own org; `agentshape emulator --print-org` is the template)", r.MyDomain, r.AgentID)
	}
	return fmt.Sprintf("%s from %s, agent %s", r.MyDomain, r.File, r.AgentID)
}
