package emulator_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// agent-api.md §7: the token answer carries the documented fields.
func TestTokenEndpointClientCredentials(t *testing.T) {
	srv := start(t, nil)
	r := getToken(t, srv, emulator.DemoClientID, emulator.DemoClientSecret)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	for _, k := range []string{"access_token", "token_type", "token_format", "scope", "instance_url", "api_instance_url", "id", "issued_at", "signature"} {
		if s, _ := m[k].(string); s == "" {
			t.Errorf("token answer lacks string %q: %s", k, r.body)
		}
	}
	if m["token_type"] != "Bearer" || m["token_format"] != "jwt" {
		t.Errorf("token_type/format = %v/%v", m["token_type"], m["token_format"])
	}
	if m["instance_url"] != emulator.DemoMyDomain || m["api_instance_url"] != srv.URL {
		t.Errorf("instance_url %v api_instance_url %v", m["instance_url"], m["api_instance_url"])
	}
	if tok := m["access_token"].(string); strings.Count(tok, ".") != 2 {
		t.Errorf("access_token is not JWT-shaped: %q", tok)
	}
	for _, s := range []string{"chatbot_api", "sfap_api", "api"} {
		if !strings.Contains(m["scope"].(string), s) {
			t.Errorf("scope %v lacks %s", m["scope"], s)
		}
	}
}

// agent-api.md §1, §4: the start-session happy path.
func TestStartSessionHappyPath(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	r := startSession(t, srv, tok, agentID, startBody)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got := r.header.Get("x-session-mode"); got != "default" {
		t.Errorf("x-session-mode = %q, want default (agent-api.md §4)", got)
	}
	m := r.json(t)
	sid, _ := m["sessionId"].(string)
	if !uuidRE.MatchString(sid) {
		t.Fatalf("sessionId %q is not a UUID", sid)
	}
	links := m["_links"].(map[string]any)
	if v, ok := links["self"]; !ok || v != nil {
		t.Errorf("_links.self = %v, want present and null", v)
	}
	base := srv.URL + emulator.APIPrefix
	want := map[string]string{
		"messages":       base + "/sessions/" + sid + "/messages",
		"messagesStream": base + "/sessions/" + sid + "/messages/stream",
		"session":        base + "/agents/" + agentID + "/sessions",
		"end":            base + "/sessions/" + sid,
	}
	for k, href := range want {
		l, _ := links[k].(map[string]any)
		if l["href"] != href {
			t.Errorf("_links.%s = %v, want %s", k, links[k], href)
		}
	}
	msgs := m["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("messages = %v, want one greeting", msgs)
	}
	g := msgs[0].(map[string]any)
	if g["type"] != "Inform" || g["feedbackId"] != "" || g["planId"] != "" || g["isContentSafe"] != true || g["message"] == "" {
		t.Errorf("greeting = %v", g)
	}
	if !uuidRE.MatchString(g["id"].(string)) {
		t.Errorf("greeting id %v", g["id"])
	}
	if r.header.Get("X-Request-ID") == "" {
		t.Error("no X-Request-ID on the 200")
	}
	if got := srv.SessionsCreated(); got != 1 {
		t.Errorf("SessionsCreated = %d, want 1", got)
	}
	ss := srv.Sessions()
	if len(ss) != 1 || ss[0].SessionID != sid || len(ss[0].Variables) != 2 || ss[0].ExternalSessionKey != "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71" {
		t.Errorf("sessions = %+v", ss)
	}
}

// Concurrent Start Sessions each create exactly one session with a unique ID.
func TestConcurrentStarts(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	const workers, each = 32, 40
	ids := make(chan string, workers*each)
	errs := make(chan string, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				r := startSession(t, srv, tok, agentID, startBody)
				if r.status != 200 {
					errs <- string(r.body)
					return
				}
				var m struct{ SessionID string }
				_ = json.Unmarshal(r.body, &m)
				ids <- m.SessionID
			}
		}()
	}
	wg.Wait()
	close(ids)
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("session ID %s issued twice", id)
		}
		seen[id] = true
	}
	if len(seen) != workers*each || srv.SessionsCreated() != workers*each || srv.State().SessionsActive != workers*each {
		t.Errorf("%d IDs, %d created, state %+v", len(seen), srv.SessionsCreated(), srv.State())
	}
}
