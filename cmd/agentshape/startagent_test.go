package main

import (
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
)

// TestStartAgentIDFromTheContext: start takes the agent from the context's
// agentId when --agent-id is absent and says so; --agent-id and a different
// agentId is a usage error naming both, and nothing is sent.
func TestStartAgentIDFromTheContext(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	run := func(context string, agentFlag ...string) (int, string, string) {
		args := []string{"start", "--manifest", demoManifest, "--context", writeShapeFile(t, "ctx.json", context),
			"--deterministic", "--cache-dir", shapeCacheDir}
		return runCLI(t, env, nil, append(args, agentFlag...)...)
	}
	ctxWith := func(agent string) string {
		return `{"agentId": "` + agent + `", "org": {"myDomain": "example-co"}, "user": {"locale": "en_US"}}`
	}
	const other = "0XxAA0000000002BBB"

	code, stdout, stderr := run(ctxWith(emulator.DemoAgentID))
	if code != exitOK || !strings.Contains(stderr, "agent "+emulator.DemoAgentID+" from the context's agentId") {
		t.Fatalf("no --agent-id: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	if s := srv.Sessions(); len(s) != 1 || s[0].AgentID != emulator.DemoAgentID {
		t.Fatalf("sessions %+v: want one for %s", s, emulator.DemoAgentID)
	}

	code, stdout, stderr = run(ctxWith(other), "--agent-id", emulator.DemoAgentID)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "--agent-id "+emulator.DemoAgentID) || !strings.Contains(stderr, "agentId "+other) {
		t.Fatalf("conflicting IDs: exit %d, stdout %q, stderr %q; want exit 2 naming both", code, stdout, stderr)
	}
	if n := len(srv.Sessions()); n != 1 {
		t.Fatalf("a conflicting start reached the API: %d sessions", n)
	}

	// The 15-character form of the same ID is the same agent: no conflict,
	// and the flag is what is sent.
	code, _, stderr = run(ctxWith(emulator.DemoAgentID[:15]), "--agent-id", emulator.DemoAgentID)
	if code != exitOK || strings.Contains(stderr, "from the context") {
		t.Fatalf("15- and 18-character forms: exit %d, stderr %q", code, stderr)
	}

	code, stdout, stderr = run(`{"org": {"myDomain": "example-co"}}`)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "pass --agent-id") || !strings.Contains(stderr, `"agentId"`) {
		t.Fatalf("no agent anywhere: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = run(ctxWith("001AA0000000001AAA"))
	if code != exitInvalid || !strings.Contains(stderr, "the context's agentId") || !strings.Contains(stderr, `starts with "0Xx"`) {
		t.Fatalf("malformed context agentId: exit %d, stderr %q; want exit 3 naming it", code, stderr)
	}
	if n := len(srv.Sessions()); n != 2 {
		t.Fatalf("%d sessions after the refused starts, want 2", n)
	}
}
