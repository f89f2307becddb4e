package emulator_test

import (
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
)

// TestRequiredEditions: the action is available in Lightning Experience, in
// Enterprise, Performance, Unlimited and Developer Editions, with add-on
// licences per agent type (agent-api.md §6.2). Elsewhere the emulator
// answers 403 (its choice; Salesforce documents no answer).
func TestRequiredEditions(t *testing.T) {
	no := false
	for _, c := range []struct {
		name   string
		change func(*emulator.Org)
		status int
		says   string
	}{
		{"Developer Edition (the default)", func(*emulator.Org) {}, 200, ""},
		{"Enterprise Edition", func(o *emulator.Org) { o.Edition = "Enterprise" }, 200, ""},
		{"Performance Edition", func(o *emulator.Org) { o.Edition = "Performance" }, 200, ""},
		{"Unlimited Edition", func(o *emulator.Org) { o.Edition = "Unlimited" }, 200, ""},
		{"Professional Edition", func(o *emulator.Org) { o.Edition = "Professional" }, 403, "this org is Professional Edition"},
		{"Essentials Edition", func(o *emulator.Org) { o.Edition = "Essentials" }, 403, "Enterprise, Performance, Unlimited and Developer Editions"},
		{"Salesforce Classic", func(o *emulator.Org) { o.LightningExperience = &no }, 403, "Lightning Experience"},
		{"licence for service agents", func(o *emulator.Org) { o.AgentLicences = []emulator.AgentType{emulator.ServiceAgent} }, 200, ""},
		{"licence for employee agents only", func(o *emulator.Org) { o.AgentLicences = []emulator.AgentType{emulator.EmployeeAgent} }, 403, "add-on licence for service agents"},
	} {
		t.Run(c.name, func(t *testing.T) {
			org := emulator.DefaultOrg()
			c.change(org)
			srv := start(t, org)
			r := startSession(t, srv, token(t, srv), agentID, startBody)
			if c.status == 200 {
				if r.status != 200 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				return
			}
			wantError(t, r, c.status, "ForbiddenError", c.says)
			if n := srv.SessionsCreated(); n != 0 {
				t.Fatalf("%d sessions created", n)
			}
		})
	}
	bad := emulator.DefaultOrg()
	bad.Edition = "Galactic"
	if err := bad.Normalize(); err == nil {
		t.Error("edition Galactic accepted")
	}
	bad = emulator.DefaultOrg()
	bad.AgentLicences = []emulator.AgentType{"robot"}
	if err := bad.Normalize(); err == nil {
		t.Error("agentLicences robot accepted")
	}
}
