package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/examples/internal/examplerun"
	"github.com/agentshape/agentshape/plugins/examples/session-key/sessionkey"
)

var (
	uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	uuidV5 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func keyOf(t *testing.T, req map[string]any) string {
	t.Helper()
	k, ok := req["externalSessionKey"].(string)
	if !ok {
		t.Fatalf("externalSessionKey is not a string: %v", req)
	}
	return k
}

// TestRandomKeys: without a conversation id every call gets a fresh v4 UUID
// from the sandbox's (real) randomness (agent-api.md §2 externalSessionKey).
func TestRandomKeys(t *testing.T) {
	rt := examplerun.Runtime(t, plugin.RuntimeOptions{})
	p := examplerun.LoadIn(t, rt, "session-key", nil)
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		k := keyOf(t, examplerun.MustShape(t, p, abi.Context{}, ""))
		if !uuidV4.MatchString(k) {
			t.Fatalf("key %q is not a version 4 UUID", k)
		}
		if seen[k] {
			t.Fatalf("key %q repeated after %d calls", k, i)
		}
		seen[k] = true
	}
}

// TestDeterministicRandom: in deterministic mode the host seeds the
// randomness, so the same seed gives the same key and another seed another.
func TestDeterministicRandom(t *testing.T) {
	key := func(seed int64) string {
		rt := examplerun.Runtime(t, plugin.RuntimeOptions{Deterministic: true, Seed: seed})
		p := examplerun.LoadIn(t, rt, "session-key", map[string]any{"mode": "random"})
		return keyOf(t, examplerun.MustShape(t, p, abi.Context{ConversationID: "ignored in random mode"}, ""))
	}
	a, b, c := key(7), key(7), key(8)
	if a != b {
		t.Errorf("seed 7 gave %q then %q", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same key %q", a)
	}
	if !uuidV4.MatchString(a) {
		t.Errorf("%q is not a version 4 UUID", a)
	}
}

// TestConversationKeys: a conversation id gives a stable v5 UUID in the
// documented namespace, the same across calls and runtimes.
func TestConversationKeys(t *testing.T) {
	p := examplerun.Load(t, "session-key", nil)
	c := abi.Context{ConversationID: "web-chat-2026-11-28-000042"}
	k1 := keyOf(t, examplerun.MustShape(t, p, c, ""))
	k2 := keyOf(t, examplerun.MustShape(t, examplerun.Load(t, "session-key", map[string]any{"mode": "conversation"}), c, ""))
	if k1 != k2 || !uuidV5.MatchString(k1) {
		t.Fatalf("keys %q and %q: want the same version 5 UUID", k1, k2)
	}
	ns, err := sessionkey.Parse(sessionkey.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	if want := sessionkey.FromName(ns, c.ConversationID); k1 != want {
		t.Fatalf("wasm key %q, native derivation %q", k1, want)
	}
	other := keyOf(t, examplerun.MustShape(t, p, abi.Context{ConversationID: "web-chat-2026-11-28-000043"}, ""))
	if other == k1 {
		t.Fatalf("two conversations share key %q", k1)
	}
	ownNS := examplerun.Load(t, "session-key", map[string]any{"namespace": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"})
	if k := keyOf(t, examplerun.MustShape(t, ownNS, c, "")); k == k1 || !uuidV5.MatchString(k) {
		t.Fatalf("config.namespace must change the key: %q", k)
	}
}

// TestUUIDv5Vector checks the derivation against RFC 9562's published
// example (DNS namespace, "www.example.com").
func TestUUIDv5Vector(t *testing.T) {
	dns, err := sessionkey.Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if err != nil {
		t.Fatal(err)
	}
	if got := sessionkey.FromName(dns, "www.example.com"); got != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Fatalf("v5(DNS, www.example.com) = %s", got)
	}
	url, _ := sessionkey.Parse("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
	if got := sessionkey.FromName(url, "https://github.com/agentshape/agentshape#externalSessionKey"); got != sessionkey.Namespace {
		t.Fatalf("Namespace must be v5(URL, https://github.com/agentshape/agentshape#externalSessionKey) = %s", got)
	}
}

// TestExistingKeyAndErrors: a caller's key is kept unless config.replace;
// bad modes, namespaces and a missing conversation id are refused clearly.
func TestExistingKeyAndErrors(t *testing.T) {
	p := examplerun.Load(t, "session-key", nil)
	req := examplerun.MustShape(t, p, abi.Context{ConversationID: "c1"}, `{"externalSessionKey":"caller-key"}`)
	if keyOf(t, req) != "caller-key" {
		t.Fatalf("caller's key must be kept: %v", req)
	}
	rp := examplerun.Load(t, "session-key", map[string]any{"replace": true})
	if k := keyOf(t, examplerun.MustShape(t, rp, abi.Context{ConversationID: "c1"}, `{"externalSessionKey":"caller-key"}`)); !uuidV5.MatchString(k) {
		t.Fatalf("config.replace must replace the key: %q", k)
	}
	for _, tc := range []struct {
		cfg  map[string]any
		ctx  abi.Context
		code string
		msg  string
	}{
		{map[string]any{"mode": "conversation"}, abi.Context{}, "no_conversation_id", "context.conversationId is empty"},
		{map[string]any{"mode": "sticky"}, abi.Context{}, "bad_config", `config.mode "sticky"`},
		{map[string]any{"namespace": "not-a-uuid"}, abi.Context{ConversationID: "c"}, "bad_config", "config.namespace"},
		{map[string]any{"replace": 1}, abi.Context{}, "bad_config", "config.replace must be true or false"},
	} {
		pe := examplerun.MustRefuse(t, examplerun.Load(t, "session-key", tc.cfg), tc.ctx, "")
		if pe.Code != tc.code || !strings.Contains(pe.Message, tc.msg) {
			t.Errorf("config %v: got %s: %s; want %s containing %q", tc.cfg, pe.Code, pe.Message, tc.code, tc.msg)
		}
	}
}
