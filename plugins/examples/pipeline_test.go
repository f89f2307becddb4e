// Package examples_test runs the demo pipeline (plugins/examples/pipeline.yaml
// with plugins/examples/context.json) through the real host: every example
// plugin as built by `make plugins`, in order, then the Start Session schema.
package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/examples/internal/examplerun"
	"github.com/agentshape/agentshape/schemas"
)

// TestDemoPipeline: the demo shapes a complete, schema-valid Start Session
// request (agent-api.md §2) for the emulator's default org, and provenance
// names the plugin behind every field.
func TestDemoPipeline(t *testing.T) {
	ctx := context.Background()
	m, err := pipeline.LoadManifest("pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("context.json")
	if err != nil {
		t.Fatal(err)
	}
	var c abi.Context
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("context.json does not match abi.Context: %v", err)
	}
	rt := examplerun.Runtime(t, plugin.RuntimeOptions{Deterministic: true, Seed: 1})
	pl, err := pipeline.New(ctx, rt, m)
	if err != nil {
		t.Fatalf("load the demo pipeline (run `make plugins`): %v", err)
	}
	defer pl.Close(ctx)
	res, err := pl.Run(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}

	var req struct {
		ExternalSessionKey string `json:"externalSessionKey"`
		InstanceConfig     struct {
			Endpoint string `json:"endpoint"`
		} `json:"instanceConfig"`
		TZ        string `json:"tz"`
		Variables []struct {
			Name, Type, Value string
		} `json:"variables"`
		StreamingCapabilities struct {
			ChunkTypes []string `json:"chunkTypes"`
		} `json:"streamingCapabilities"`
		BypassUser *bool `json:"bypassUser"`
	}
	strict := json.NewDecoder(bytes.NewReader(res.Request))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&req); err != nil {
		t.Fatalf("shaped request %s: %v", res.Request, err)
	}
	if req.InstanceConfig.Endpoint != "https://example-co.my.salesforce.com" {
		t.Errorf("endpoint %q: the demo must target the emulator's default org", req.InstanceConfig.Endpoint)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(req.ExternalSessionKey) {
		t.Errorf("externalSessionKey %q: want the v5 UUID of the demo conversation", req.ExternalSessionKey)
	}
	if req.TZ != "Europe/Berlin" || req.BypassUser == nil || !*req.BypassUser || len(req.StreamingCapabilities.ChunkTypes) != 1 {
		t.Errorf("tz/bypassUser/streamingCapabilities: %s", res.Request)
	}
	want := map[string][2]string{
		"$Context.EndUserLanguage":  {"Text", "de_DE"},
		"orderTier":                 {"Text", "gold"},
		"isVip":                     {"Boolean", "true"},
		"openOrders":                {"Number", "2"},
		"$Context.EndUserContactId": {"Ref", "003AA000004Tb7mYAC"},
	}
	if len(req.Variables) != len(want) {
		t.Errorf("variables %+v, want %v", req.Variables, want)
	}
	for _, v := range req.Variables {
		if w, ok := want[v.Name]; !ok || w != [2]string{v.Type, v.Value} {
			t.Errorf("variable %+v, want %v", v, w)
		}
	}
	for ptr, owner := range map[string]string{
		"/instanceConfig/endpoint": "endpoint", "/externalSessionKey": "session-key",
		"/variables/0/value": "context-vars", "/tz": "timezone", "/bypassUser": "timezone",
	} {
		if got := res.Provenance.Owner(ptr); got != owner {
			t.Errorf("provenance of %s = %q, want %q", ptr, got, owner)
		}
	}
	viol, err := schemas.Validate(schemas.StartSessionRequest, res.Request)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range viol {
		t.Errorf("schema violation: %+v", v)
	}
}
