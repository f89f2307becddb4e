package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/internal/testnet"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// `agentshape start` end to end: the real example plugins (make plugins),
// the real schema check, the client and the emulator on 127.0.0.1.

var (
	demoManifest = filepath.Join("..", "..", "plugins", "examples", "pipeline.yaml")
	demoContext  = filepath.Join("..", "..", "plugins", "examples", "context.json")
)

// orgEnv is an environment that points start at a stand-alone emulator as
// if it were an org (an environment without SF_* variables, such as nil,
// makes start use the embedded emulator).
func orgEnv(t *testing.T, org *emulator.Org) (map[string]string, *emulator.Server) {
	t.Helper()
	if org == nil {
		org = emulator.DefaultOrg()
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{Addr: "127.0.0.1:0", Org: org})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return map[string]string{
		envMyDomain:     emulator.DemoMyDomain,
		envClientID:     emulator.DemoClientID,
		envClientSecret: emulator.DemoClientSecret,
		envTokenURL:     srv.URL + emulator.TokenPath,
		envAPIBaseURL:   srv.URL,
		// session send remembers sequenceIds under the user cache directory.
		"XDG_CACHE_HOME": t.TempDir(),
		"HOME":           t.TempDir(),
	}, srv
}

// runStart runs start on the demo pipeline and context in the environment env.
func runStart(t *testing.T, env map[string]string, extra ...string) (int, map[string]any, string) {
	t.Helper()
	return startOutcome(t, env, append([]string{"--manifest", demoManifest, "--agent-id", emulator.DemoAgentID,
		"--context", demoContext, "--deterministic", "--cache-dir", shapeCacheDir}, extra...)...)
}

// startOutcome runs `agentshape start args…` in the environment env and
// decodes the outcome it prints.
func startOutcome(t *testing.T, env map[string]string, args ...string) (int, map[string]any, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, env, nil, append([]string{"start"}, args...)...)
	var out map[string]any
	if strings.TrimSpace(stdout) != "" {
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
		}
	}
	return code, out, stderr
}

func TestStartEmbeddedEmulator(t *testing.T) {
	t.Parallel()
	code, out, stderr := runStart(t, nil)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "using the embedded Agent API emulator at http://127.0.0.1:") {
		t.Fatalf("stderr must say the embedded emulator is used:\n%s", stderr)
	}
	session, _ := out["session"].(map[string]any)
	if out["output"] != "200" || out["responseCode"] != float64(200) || session == nil || session["sessionId"] == "" {
		t.Fatalf("outcome %v", out)
	}
	msgs, _ := session["messages"].([]any)
	if len(msgs) != 1 || msgs[0].(map[string]any)["type"] != "Inform" {
		t.Fatalf("greeting: %v (agent-api.md §4)", session["messages"])
	}
	if _, ok := out["end"]; ok {
		t.Fatal("no end outcome without --end")
	}
}

func TestStartAgainstOrgAndEnd(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	code, out, stderr := runStart(t, env, "--end", "--log-level", "debug")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "embedded") {
		t.Fatalf("with SF_* set the embedded emulator must not start:\n%s", stderr)
	}
	end, _ := out["end"].(map[string]any)
	if out["output"] != "200" || end == nil || end["output"] != "200" {
		t.Fatalf("outcome %v", out)
	}
	st := srv.State()
	if st.SessionsCreated != 1 || st.SessionsEnded != 1 || st.SessionsActive != 0 {
		t.Fatalf("emulator: %d created, %d ended, %d active; want 1, 1, 0", st.SessionsCreated, st.SessionsEnded, st.SessionsActive)
	}
	// What reached the emulator is the shaped request: variables from the
	// context-vars plugin were applied to the session.
	// Debug logs (client, emulator, plugins) never carry the secret or a
	// token (the emulator's tokens are JWTs: base64 of `{"` starts "eyJ").
	if !strings.Contains(stderr, "agentapi response") {
		t.Fatalf("expected debug logs on stderr:\n%s", stderr)
	}
	if strings.Contains(stderr, emulator.DemoClientSecret) || strings.Contains(stderr, "eyJ") {
		t.Fatalf("the client secret or a token reached stderr:\n%s", stderr)
	}
}

func TestStartShapedRequestReachesTheAPI(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	code, out, stderr := runStart(t, env)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	sessions := srv.Sessions()
	if len(sessions) != 1 {
		t.Fatalf("%d sessions", len(sessions))
	}
	s := sessions[0]
	if s.SessionID != out["session"].(map[string]any)["sessionId"] {
		t.Fatalf("session %q is not the one printed", s.SessionID)
	}
	if len(s.ExternalSessionKey) != 36 || !s.BypassUser {
		t.Fatalf("session %+v: want the session-key plugin's UUID and bypassUser from the timezone plugin", s)
	}
	b, _ := json.Marshal(s)
	// context.json: locale de_DE → $Context.EndUserLanguage, tier gold → orderTier.
	for _, want := range []string{"EndUserLanguage", "orderTier", "gold"} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("the emulator's session lacks %q from the shaped request: %s", want, b)
		}
	}
}

func TestStartAPIExceptionExit4(t *testing.T) {
	t.Parallel()
	org := emulator.DefaultOrg()
	inactive := false
	org.Agents[0].ActiveVersion = &inactive
	env, _ := orgEnv(t, org)
	code, out, stderr := runStart(t, env)
	if code != exitAPIError {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitAPIError, stderr)
	}
	raw, _ := out["rawBody"].(map[string]any)
	if out["output"] != "422 Exception" || out["responseCode"] != float64(422) ||
		out["message"] != "Cannot determine the active version for the agent" || raw["error"] != "RequestProcessingException" {
		t.Fatalf("outcome %v (agent-api.md §5, §6)", out)
	}
	if !strings.Contains(stderr, "activate a version") {
		t.Fatalf("stderr should say what to do:\n%s", stderr)
	}
}

func TestStartUnreachableExit5(t *testing.T) {
	t.Parallel()
	env, _ := orgEnv(t, nil)
	dead := "http://" + testnet.ClosedAddr(t)
	env[envAPIBaseURL] = dead
	code, out, stderr := runStart(t, env, "--timeout", "2s")
	if code != exitUnreachable {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUnreachable, stderr)
	}
	if out["output"] != "Default Exception" || !strings.Contains(stderr, "could not reach "+dead) {
		t.Fatalf("outcome %v; stderr:\n%s", out, stderr)
	}
}

func TestStartInvalidRequestNotSent(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	base := writeShapeFile(t, "base.json", `{"userId":"005AA0000000001AAA"}`)
	code, out, stderr := runStart(t, env, "--request", base)
	if code != exitInvalid || out != nil {
		t.Fatalf("exit %d, stdout %v; want %d and nothing printed", code, out, exitInvalid)
	}
	if !strings.Contains(stderr, "userId") || !strings.Contains(stderr, "was not sent") {
		t.Fatalf("stderr should name the field:\n%s", stderr)
	}
	if st := srv.State(); st.Requests["start"] != 0 || st.TokensIssued != 0 {
		t.Fatalf("an invalid request reached the API: %+v", st.Requests)
	}
}

func TestStartUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		code  int
		inErr string
	}{
		{name: "bad agent id", args: []string{"start", "-m", demoManifest, "-c", demoContext, "--agent-id", "001AA0000000001AAA"}, code: exitInvalid, inErr: `starts with "0Xx"`},
		{name: "partial env", env: map[string]string{envMyDomain: "https://acme.my.salesforce.com"}, args: []string{"start", "-m", demoManifest, "-c", demoContext, "--agent-id", emulator.DemoAgentID}, code: exitUsage, inErr: "SF_CLIENT_ID, SF_CLIENT_SECRET not"},
		{name: "missing manifest", args: []string{"start", "-m", "/nonexistent.yaml", "-c", demoContext, "--agent-id", emulator.DemoAgentID}, code: exitUsage, inErr: "nonexistent"},
		{name: "no agent id anywhere", args: []string{"start", "-m", demoManifest, "-c", writeShapeFile(t, "ctx.json", `{"user": {"locale": "en_US"}}`)}, code: exitUsage, inErr: "--agent-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, tc.env, nil, tc.args...)
			if code != tc.code || stdout != "" || !strings.Contains(stderr, tc.inErr) {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, stdout, stderr, tc.inErr)
			}
		})
	}
}

func TestSessionCommands(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	code, out, stderr := runStart(t, env)
	if code != exitOK {
		t.Fatalf("start: exit %d\n%s", code, stderr)
	}
	sid := out["session"].(map[string]any)["sessionId"].(string)

	code, stdout, stderr := runCLI(t, env, nil, "session", "send", "--session-id", sid, "--text", "Where is my order?")
	if code != exitOK || !strings.Contains(stdout, `"output": "200"`) {
		t.Fatalf("send: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, env, nil, "session", "send", "--session-id", sid, "--text", "and the invoice", "--sequence", "2", "--stream")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitOK || len(lines) < 3 || !strings.Contains(lines[0], `"event":"TEXT_CHUNK"`) || !strings.Contains(lines[len(lines)-1], `"output":"200"`) {
		t.Fatalf("send --stream: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, env, nil, "session", "end", "--session-id", sid)
	if code != exitOK || !strings.Contains(stdout, "SessionEnded") || srv.State().SessionsEnded != 1 {
		t.Fatalf("end: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, env, nil, "session", "end", "--session-id", sid)
	if code != exitAPIError || !strings.Contains(stdout, `"output": "404 Exception"`) {
		t.Fatalf("second end: exit %d, want %d with 404 Exception\n%s", code, exitAPIError, stdout)
	}
	code, _, stderr = runCLI(t, env, nil, "session", "end", "--session-id", sid, "--reason", "Bored")
	if code != exitUsage || !strings.Contains(stderr, "UserRequest") {
		t.Fatalf("bad reason: exit %d\n%s", code, stderr)
	}
	if code, _, stderr = runShapeCLI(t, "session", "end", "--session-id", sid); code != exitUsage || !strings.Contains(stderr, "SF_MY_DOMAIN") {
		t.Fatalf("no org: exit %d\n%s", code, stderr)
	}
}

func TestStartWarnsOnEndpointMismatch(t *testing.T) {
	t.Parallel()
	env, _ := orgEnv(t, nil)
	ctxFile := writeShapeFile(t, "ctx.json", `{"org":{"myDomain":"other-co"},"conversationId":"c-1"}`)
	code, stdout, stderr := runCLI(t, env, nil, "start", "--manifest", demoManifest, "--agent-id", emulator.DemoAgentID,
		"--context", ctxFile, "--deterministic", "--cache-dir", shapeCacheDir)
	if code != exitAPIError || !strings.Contains(stdout, "EngineConfigLookupException") || !strings.Contains(stdout, `"output": "Default Exception"`) {
		t.Fatalf("exit %d; stdout:\n%s", code, stdout)
	}
	if !strings.Contains(stderr, `warning: instanceConfig.endpoint "https://other-co.my.salesforce.com" is not the My Domain`) {
		t.Fatalf("stderr should warn before sending:\n%s", stderr)
	}
}

// TestStartNoFalseEndpointWarning: SF_MY_DOMAIN may be written without the
// scheme, in another case or with a trailing slash (the client normalises
// it); the endpoint check compares against that normalised My Domain, so a
// matching endpoint gets no warning (agent-api.md §8).
func TestStartNoFalseEndpointWarning(t *testing.T) {
	t.Parallel()
	env, _ := orgEnv(t, nil)
	for _, md := range []string{"example-co.my.salesforce.com", "HTTPS://Example-Co.my.salesforce.com/"} {
		env[envMyDomain] = md
		code, out, stderr := runStart(t, env)
		if code != exitOK || out["output"] != "200" {
			t.Fatalf("SF_MY_DOMAIN=%s: exit %d, outcome %v\n%s", md, code, out, stderr)
		}
		if strings.Contains(stderr, "warning: instanceConfig.endpoint") {
			t.Errorf("SF_MY_DOMAIN=%s: false endpoint warning:\n%s", md, stderr)
		}
	}
}

// A password in SF_TOKEN_URL is refused before anything is sent, and never
// printed: it used to appear in full in start's "could not reach" message.
func TestStartTokenURLPasswordNeverShown(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	dead := testnet.ClosedAddr(t)
	for _, u := range []string{
		"http://agentshape:hunter2-pw@" + dead + emulator.TokenPath,
		"http://" + dead + emulator.TokenPath + "?client_secret=hunter2-pw",
	} {
		env[envTokenURL] = u
		code, stdout, stderr := runCLI(t, env, nil, "start", "--manifest", demoManifest, "--agent-id", emulator.DemoAgentID,
			"--context", demoContext, "--deterministic", "--cache-dir", shapeCacheDir, "--timeout", "2s")
		if strings.Contains(stdout+stderr, "hunter2-pw") {
			t.Fatalf("SF_TOKEN_URL %s: the secret shows (exit %d):\n%s\n%s", u, code, stdout, stderr)
		}
		if code != exitUsage || !strings.Contains(stderr, envTokenURL) {
			t.Fatalf("SF_TOKEN_URL %s: exit %d, want %d naming %s:\n%s", u, code, exitUsage, envTokenURL, stderr)
		}
	}
	if st := srv.State(); st.Requests["start"] != 0 {
		t.Fatalf("a Start Session was sent: %+v", st.Requests)
	}
}

// A 503 to Start Session is reported, not repeated: it does not prove that
// no session was created. --retry-unsafe repeats it, and its help warns
// that this can start a second session.
func TestStartRetryUnsafe(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	inject := func() {
		t.Helper()
		if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: 503, AfterProcessing: true, Count: 1}); err != nil {
			t.Fatal(err)
		}
	}
	inject()
	code, out, stderr := runStart(t, env)
	if code != exitAPIError || out["output"] != "503 Exception" || out["attempts"] != float64(1) || srv.SessionsCreated() != 1 {
		t.Fatalf("default: exit %d, outcome %v, %d sessions; want the 503 after one attempt and one session\n%s", code, out, srv.SessionsCreated(), stderr)
	}
	if !strings.Contains(stderr, "--retry-unsafe") {
		t.Fatalf("stderr should name the opt-in:\n%s", stderr)
	}
	inject()
	code, out, stderr = runStart(t, env, "--retry-unsafe")
	if code != exitOK || out["attempts"] != float64(2) || srv.SessionsCreated() != 3 {
		t.Fatalf("--retry-unsafe: exit %d, outcome %v, %d sessions; want 200 on the second attempt and the lost session plus a new one (3 in all)\n%s",
			code, out, srv.SessionsCreated(), stderr)
	}
	_, help, _ := runShapeCLI(t, "start", "--help")
	if !strings.Contains(help, "--retry-unsafe") || !strings.Contains(help, "WARNING") || !strings.Contains(help, "second session") {
		t.Fatalf("start --help must warn about --retry-unsafe:\n%s", help)
	}
}

// acmeOrgFile is an emulator-org file for another org than the demo one:
// its own My Domain, an agent declaring orderTier as a Number, and a fault
// and a rate limit that start --org leaves out.
var acmeOrgFile = filepath.Join("..", "..", "host", "emulator", "testdata", "acme-org.yaml")

// TestStartOrg: start --org runs the embedded emulator as the org in an
// emulator-org file, as conformance --org does: that org's My Domain is the
// only endpoint it answers to and its agent's declarations fix variable
// types (exit 4 otherwise, with the API's answer), its faults and rate
// limit are left out, and SF_* credentials with --org are refused.
func TestStartOrg(t *testing.T) {
	t.Parallel()
	org := acmeOrgFile
	manifest := writeShapeFile(t, "pipeline.yaml", "version: 1\nplugins:\n"+
		"  - name: endpoint\n    path: "+catalog.MustPath(t, "endpoint")+"\n"+
		"  - name: session-key\n    path: "+catalog.MustPath(t, "session-key")+"\n")
	acme := writeShapeFile(t, "acme.json", `{"agentId":"0XxAA0000000002AAA","org":{"myDomain":"acme"},"conversationId":"c-1"}`)
	args := func(ctxFile string, extra ...string) []string {
		return append([]string{"--manifest", manifest, "--context", ctxFile, "--org", org, "--deterministic", "--cache-dir", shapeCacheDir}, extra...)
	}

	code, out, stderr := startOutcome(t, nil, args(acme)...)
	if code != exitOK || out["output"] != "200" {
		t.Fatalf("acme's plugins on acme's org: exit %d, outcome %v; stderr:\n%s", code, out, stderr)
	}
	for _, says := range []string{"as the org in " + org + " (My Domain https://acme.my.salesforce.com, client app acme-ci)", "injected faults and rate limit are left out"} {
		if !strings.Contains(stderr, says) {
			t.Errorf("stderr does not say %q:\n%s", says, stderr)
		}
	}
	if strings.Contains(stderr, "acme-secret-do-not-print") {
		t.Errorf("the org's client secret reached stderr:\n%s", stderr)
	}

	// A context naming the demo org: its endpoint is not acme's My Domain.
	demo := writeShapeFile(t, "demo.json", `{"agentId":"0XxAA0000000002AAA","org":{"myDomain":"example-co"}}`)
	code, out, stderr = startOutcome(t, nil, args(demo)...)
	if code != exitAPIError || out["responseCode"] != float64(500) || !strings.Contains(fmt.Sprint(out["message"]), "EngineConfigLookupException") {
		t.Fatalf("the demo org's endpoint on acme's org: exit %d, outcome %v; stderr:\n%s", code, out, stderr)
	}

	// orderTier sent as Text, which acme's agent declares as a Number.
	vars := writeShapeFile(t, "vars.yaml", "version: 1\nplugins:\n"+
		"  - name: endpoint\n    path: "+catalog.MustPath(t, "endpoint")+"\n"+
		"  - name: session-key\n    path: "+catalog.MustPath(t, "session-key")+"\n"+
		"  - name: context-vars\n    path: "+catalog.MustPath(t, "context-vars")+"\n"+
		"    config: {language: false, variables: [{attribute: tier, name: orderTier, type: Text}]}\n")
	tier := writeShapeFile(t, "tier.json", `{"agentId":"0XxAA0000000002AAA","org":{"myDomain":"acme"},"user":{"attributes":{"tier":"gold"}}}`)
	code, out, stderr = startOutcome(t, nil, "--manifest", vars, "--context", tier, "--org", org, "--cache-dir", shapeCacheDir)
	if code != exitAPIError || out["output"] != "400 Exception" || !strings.Contains(fmt.Sprint(out["message"]), "orderTier") {
		t.Fatalf("orderTier as Text on acme's org: exit %d, outcome %v; stderr:\n%s", code, out, stderr)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		says string
	}{
		{"with SF_CLIENT_ID", map[string]string{envClientID: "someone"}, args(acme), "--org " + org + " runs the embedded emulator as the org in that file, but SF_CLIENT_ID is set"},
		{"missing file", nil, []string{"-m", manifest, "-c", acme, "--org", filepath.Join(t.TempDir(), "missing.yaml")}, "agentshape emulator --print-org"},
		{"not an org", nil, []string{"-m", manifest, "-c", acme, "--org", manifest}, "org file " + manifest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := startOutcome(t, tc.env, tc.args...)
			if code != exitUsage || out != nil || !strings.Contains(stderr, tc.says) {
				t.Fatalf("exit %d, outcome %v, stderr %q; want exit %d saying %q", code, out, stderr, exitUsage, tc.says)
			}
		})
	}
}
