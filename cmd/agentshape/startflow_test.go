package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
)

// `agentshape start --flow-body`: the New Session Request Body as a flow
// holds it (agent-api.md §6, §6.1), mapped and sent to a real emulator on
// 127.0.0.1, with no manifest.

// Help's form: Assignments to externalSessionKey, instanceConfig.endpoint
// and message.TextVariable.name/text.
const helpFlowBody = `{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
 "instanceConfig":{"endpoint":"https://api.salesforce.com"},
 "message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":"de"}}}`

// The External Services form a Flow debug log prints.
const esFlowBody = `{"externalSessionKey_set":true,"externalSessionKey":"5b2e8c1d-3f4a-4e6b-9d7c-1a2b3c4d5e6f",
 "instanceConfig_set":true,"instanceConfig":{"endpoint_set":true,"endpoint":"https://example-co.my.salesforce.com"},
 "variables_set":true,"variables":[
   {"TextVariable_set":true,"TextVariable":{"z0type":"Text","name_set":true,"name":"orderTier","value_set":true,"value":"gold"}},
   {"RefVariable_set":true,"RefVariable":{"z0type":"Ref","name_set":true,"name":"$Context.EndUserContactId","value_set":true,"value":"003AA000001abcdAAA"}}],
 "bypassUser_set":false,"bypassUser":true}`

func TestStartFlowBodyBothForms(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	for _, c := range []struct {
		name, body string
		want       []emulator.Variable
		bypass     bool
	}{
		{"Help's form", helpFlowBody, []emulator.Variable{{Name: "$Context.EndUserLanguage", Type: "Text", Value: "de"}}, false},
		{"External Services form", esFlowBody, []emulator.Variable{
			{Name: "orderTier", Type: "Text", Value: "gold"}, {Name: "$Context.EndUserContactId", Type: "Ref", Value: "003AA000001abcdAAA"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := startOutcome(t, env, "--flow-body", writeShapeFile(t, "body.json", c.body), "--agent-id", emulator.DemoAgentID)
			if code != exitOK || out["output"] != "200" {
				t.Fatalf("exit %d, outcome %v; stderr:\n%s", code, out, stderr)
			}
			sid := out["session"].(map[string]any)["sessionId"].(string)
			for _, s := range srv.Handler.Sessions() {
				if s.SessionID != sid {
					continue
				}
				got, _ := json.Marshal(s.Variables)
				want, _ := json.Marshal(c.want)
				if string(got) != string(want) || s.BypassUser != c.bypass {
					t.Errorf("the emulator applied %s (bypassUser %v), want %s (%v)", got, s.BypassUser, want, c.bypass)
				}
				return
			}
			t.Fatalf("the emulator has no session %s", sid)
		})
	}
}

func TestStartFlowBodyRefusals(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	twoKinds := `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"variables":[
	  {"TextVariable_set":true,"TextVariable":{"z0type":"Text","name":"a","value":"x"},"NumberVariable_set":true,"NumberVariable":{"z0type":"Number","name":"b","value":2}}]}`
	unsetKey := `{"externalSessionKey_set":false,"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"}}`
	for _, c := range []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"a variable holding two kinds", []string{"--flow-body", writeShapeFile(t, "b.json", twoKinds)}, exitInvalid,
			[]string{"The polymorphic object AIAgentAPIV1_Variable_KT_PT expects only one property, but an extra object TextVariable was passed in", "a polymorphic value takes only one kind", "nothing was sent"}},
		{"a required member not set", []string{"--flow-body", writeShapeFile(t, "b.json", unsetKey)}, exitInvalid,
			[]string{"externalSessionKey_set is false", "Flow leaves a member that is not set out of the request"}},
		{"the Tenant Key ID", []string{"--flow-body", writeShapeFile(t, "b.json", helpFlowBody), "--tenant-key-id", "test"}, exitInvalid,
			[]string{"--tenant-key-id", "x-sfdc-tenant-id", "internal use", "nothing was sent"}},
		{"--flow-body with --request", []string{"--flow-body", writeShapeFile(t, "b.json", helpFlowBody), "--request", writeShapeFile(t, "r.json", `{}`)}, exitUsage,
			[]string{"--flow-body and --request"}},
		{"neither a manifest nor a Flow body", nil, exitUsage, []string{"--flow-body"}},
		{"not JSON", []string{"--flow-body", writeShapeFile(t, "b.json", `{"externalSessionKey":`)}, exitUsage, []string{"--flow-body", "malformed JSON"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := srv.Handler.SessionsCreated()
			code, out, stderr := startOutcome(t, env, append(c.args, "--agent-id", emulator.DemoAgentID)...)
			if code != c.code || out != nil {
				t.Fatalf("exit %d (want %d), stdout %v; stderr:\n%s", code, c.code, out, stderr)
			}
			for _, w := range c.says {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if n := srv.Handler.SessionsCreated(); n != before {
				t.Errorf("%d sessions were created; nothing must be sent", n-before)
			}
		})
	}
}

// A manifest may shape the mapped body further: the plugins see it as the
// base request and the context defaults to an empty one.
func TestStartFlowBodyWithManifest(t *testing.T) {
	t.Parallel()
	env, srv := orgEnv(t, nil)
	code, out, stderr := startOutcome(t, env, "--flow-body", writeShapeFile(t, "b.json", helpFlowBody), "--manifest", demoManifest,
		"--agent-id", emulator.DemoAgentID, "--deterministic", "--cache-dir", shapeCacheDir)
	if code != exitOK {
		t.Fatalf("exit %d, outcome %v; stderr:\n%s", code, out, stderr)
	}
	sid := out["session"].(map[string]any)["sessionId"].(string)
	for _, s := range srv.Handler.Sessions() {
		if s.SessionID == sid {
			if s.ExternalSessionKey == "" {
				t.Error("no externalSessionKey")
			}
			return
		}
	}
	t.Fatalf("no session %s", sid)
}

// validate --schema flow-start-session-request accepts the bodies start
// --flow-body maps and refuses the ones it refuses.
func TestValidateFlowBodyAgreesWithStart(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body string
		code int
		says string
	}{
		{helpFlowBody, exitOK, ""},
		{esFlowBody, exitOK, ""},
		{`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"message":{"TextVariable":{"name":"$Context.A","text":"x"},"BooleanVariable":{"name":"$Context.B","value":true}}}`,
			exitFailure, "expects only one property, but an extra object TextVariable was passed in"},
		{`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"x-sfdc-tenant-id":"t"}`, exitFailure, "reserved"},
	} {
		code, stdout, stderr := runShapeCLI(t, "validate", "--schema", "flow-start-session-request", writeShapeFile(t, "b.json", c.body))
		if code != c.code || !strings.Contains(stdout+stderr, c.says) {
			t.Errorf("validate %s: exit %d (want %d), output lacks %q:\n%s%s", c.body, code, c.code, c.says, stdout, stderr)
		}
	}
}
