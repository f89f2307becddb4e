// Package timezonetest runs the C example plugin timezone
// (plugins/examples/timezone/timezone.c, built by `make plugins`) through the host.
package timezonetest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/plugins/examples/internal/examplerun"
)

func user(tz string) abi.Context { return abi.Context{User: abi.User{Timezone: tz}} }

// TestZones: IANA zones from the context pass the sanity check and land in tz
// (agent-api.md §2); members the plugin does not touch pass through byte-equal.
func TestZones(t *testing.T) {
	p := examplerun.Load(t, "timezone", nil)
	for _, tz := range []string{"Europe/Berlin", "America/Argentina/Buenos_Aires", "America/Port-au-Prince", "Etc/GMT+5", "UTC", "Asia/Kolkata"} {
		req := examplerun.MustShape(t, p, user(tz), `{"externalSessionKey":"k","tz":"Pacific/Auckland","variables":[{"name":"a\"b","type":"Text","value":"{\"x\":[1]}"}]}`)
		if req["tz"] != tz {
			t.Errorf("tz = %v, want %q", req["tz"], tz)
		}
		vs, _ := req["variables"].([]any)
		if req["externalSessionKey"] != "k" || len(vs) != 1 || vs[0].(map[string]any)["name"] != `a"b` || vs[0].(map[string]any)["value"] != `{"x":[1]}` {
			t.Errorf("other members must pass through unchanged: %v", req)
		}
	}
}

// TestEscapesPassThrough: the C kit's span scanner finds the ends of strings
// with escaped quotes and backslashes, so tricky members survive unchanged.
func TestEscapesPassThrough(t *testing.T) {
	p := examplerun.Load(t, "timezone", nil)
	req := examplerun.MustShape(t, p, user("Europe/Berlin"), `{"a":"x\\","b":"\"}\\\"{","c":{"d":["]\\",{"e":"\\\\"}]},"f":"é😀\u00e9"}`)
	want := map[string]any{"a": `x\`, "b": `"}\"{`, "c": map[string]any{"d": []any{`]\`, map[string]any{"e": `\\`}}}, "f": "é😀é"}
	for k, v := range want {
		if got, _ := json.Marshal(req[k]); string(got) != mustJSON(t, v) {
			t.Errorf("%s = %s, want %s", k, got, mustJSON(t, v))
		}
	}
	if req["tz"] != "Europe/Berlin" {
		t.Errorf("tz = %v", req["tz"])
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDefaultsAndOptions: config.defaultTimezone when the context has no zone,
// an existing tz kept when neither is given, streaming and bypassUser from config.
func TestDefaultsAndOptions(t *testing.T) {
	p := examplerun.Load(t, "timezone", map[string]any{"defaultTimezone": "Europe/Paris", "streaming": true, "bypassUser": false})
	req := examplerun.MustShape(t, p, abi.Context{}, `{"bypassUser":true}`)
	if req["tz"] != "Europe/Paris" || req["bypassUser"] != false {
		t.Errorf("default zone and bypassUser from config: %v", req)
	}
	sc, _ := req["streamingCapabilities"].(map[string]any)
	if ct, _ := sc["chunkTypes"].([]any); len(ct) != 1 || ct[0] != "Text" {
		t.Errorf("streaming: true must set streamingCapabilities {chunkTypes:[Text]}: %v", req)
	}
	off := examplerun.Load(t, "timezone", map[string]any{"streaming": false})
	if req := examplerun.MustShape(t, off, abi.Context{}, `{"tz":"Asia/Tokyo","streamingCapabilities":{"chunkTypes":["Text"]}}`); req["tz"] != "Asia/Tokyo" || req["streamingCapabilities"] != nil {
		t.Errorf("no zone anywhere keeps tz; streaming false removes streamingCapabilities: %v", req)
	}
	fb := examplerun.Load(t, "timezone", map[string]any{"defaultTimezone": "UTC", "fallbackOnInvalid": true})
	if req := examplerun.MustShape(t, fb, user("CEST"), ""); req["tz"] != "UTC" {
		t.Errorf("fallbackOnInvalid uses the default: %v", req)
	}
}

// TestRefusals: abbreviations, offsets and bad config are refused with
// messages that say what to use.
func TestRefusals(t *testing.T) {
	p := examplerun.Load(t, "timezone", nil)
	for _, tz := range []string{"CET", "+02:00", "Berlin", "Europe/", "Mars/Olympus_Mons", "Europe/Berlin/Mitte/Nord", "Europe/../../etc/passwd"} {
		pe := examplerun.MustRefuse(t, p, user(tz), "")
		if pe.Code != "bad_timezone" || !strings.Contains(pe.Message, "Europe/Berlin") {
			t.Errorf("%q: %v", tz, pe)
		}
	}
	for _, tc := range []struct {
		cfg map[string]any
		msg string
	}{
		{map[string]any{"defaultTimezone": "CET"}, "config.defaultTimezone must be an IANA zone"},
		{map[string]any{"streaming": "yes"}, "config.streaming must be true or false"},
		{map[string]any{"bypassUser": 1}, "config.bypassUser must be true or false"},
		{map[string]any{"fallbackOnInvalid": "no"}, "config.fallbackOnInvalid must be true or false"},
	} {
		pe := examplerun.MustRefuse(t, examplerun.Load(t, "timezone", tc.cfg), user("Europe/Berlin"), "")
		if pe.Code != "bad_config" || !strings.Contains(pe.Message, tc.msg) {
			t.Errorf("config %v: %v", tc.cfg, pe)
		}
	}
}

// TestManyCalls: the kit's allocator keeps memory flat across pooled calls
// (inputs freed after each shape, output buffer reused).
func TestManyCalls(t *testing.T) {
	p := examplerun.Load(t, "timezone", map[string]any{"defaultTimezone": "UTC"})
	big := `{"variables":[` + strings.Repeat(`{"name":"v","type":"Text","value":"`+strings.Repeat("x", 1000)+`"},`, 50) + `{"name":"w","type":"Text","value":"y"}]}`
	for i := 0; i < 300; i++ {
		req := examplerun.MustShape(t, p, user("Europe/Berlin"), big)
		if req["tz"] != "Europe/Berlin" {
			t.Fatalf("call %d: %v", i, req["tz"])
		}
	}
	if s := p.Stats(); s.Discarded != 0 {
		t.Fatalf("instances discarded: %+v", s)
	}
}
