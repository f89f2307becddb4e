package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestYAMLErrorsNeverQuoteTheDocument: a YAML syntax error in an org file or
// a manifest names the line and column and the parser's reason, never the
// document's text (go-yaml's own error quotes the lines around it, and an
// org file holds client secrets, a manifest config values).
func TestYAMLErrorsNeverQuoteTheDocument(t *testing.T) {
	t.Parallel()
	const secret = "Sup3rS3cretValue-zz"
	dir := t.TempDir()
	org := filepath.Join(dir, "org4.yaml")
	manifest := filepath.Join(dir, "pipeline.yaml")
	ctx := filepath.Join(dir, "context.json")
	for f, body := range map[string]string{
		org:      "a: [1\n  clientSecret: " + secret + "\n",
		manifest: "version: 1\nplugins: [1\n  config: " + secret + "\n",
		ctx:      "{}",
	} {
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"conformance", "--plugin", catalog.MustPath(t, "endpoint"), "--org", org},
		{"emulator", "--org", org},
		{"validate", "--schema", "emulator-org", org},
		{"validate", "--schema", "pipeline-manifest", manifest},
		{"shape", "--manifest", manifest, "--context", ctx},
	} {
		code, out, errOut := runShapeCLI(t, args...)
		if code == exitOK || strings.Contains(out+errOut, secret) || !strings.Contains(out+errOut, "column ") {
			t.Errorf("%v: exit %d, want a refusal naming line and column without %q\nstdout: %s\nstderr: %s", args, code, secret, out, errOut)
		}
	}
}

// TestConformanceOrgSchemaHintOnce: an org file that breaks the schema is
// refused with the --print-org hint said once, not once per layer.
func TestConformanceOrgSchemaHintOnce(t *testing.T) {
	t.Parallel()
	org := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(org, []byte("myDomain: 5\nagents: [{id: 0XxAA0000000002AAA}]\n"+
		"clientApps: [{clientId: ci, clientSecret: s3cret, runAs: {username: ci@acme.example, manageAIAgents: true}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runShapeCLI(t, "conformance", "--plugin", catalog.MustPath(t, "endpoint"), "--org", org)
	if code != exitUsage || strings.Count(errOut, "--print-org") != 1 {
		t.Fatalf("exit %d, want 2 with the --print-org hint once\nstderr: %s", code, errOut)
	}
}

// TestValidateNamesYAMLSchemas: validate without --schema given a YAML
// document (by its .yaml name or its content) says it looks like YAML and
// names the schemas that take YAML; malformed JSON gets no such hint.
func TestValidateNamesYAMLSchemas(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{"org.yaml": "myDomain: https://acme.my.salesforce.com\n", "org.txt": "a: 1\nb: [2]\n", "bad.json": "{\"a\":"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name := range files {
		code, _, errOut := runShapeCLI(t, "validate", filepath.Join(dir, name))
		hinted := strings.Contains(errOut, "looks like YAML") && strings.Contains(errOut, "--schema emulator-org") && strings.Contains(errOut, "--schema pipeline-manifest")
		if code != exitUsage || hinted != (name != "bad.json") {
			t.Errorf("validate %s: exit %d, YAML hint %v\nstderr: %s", name, code, hinted, errOut)
		}
	}
}
