package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzStartSessionBody: any body gets a well-formed answer (200 or a
// documented error), never a panic; `go test` runs the seeds.
func FuzzStartSessionBody(f *testing.F) {
	for _, s := range []string{
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"}}`,
		`{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"variables":[{"name":"orderTier","type":"Text","value":"gold"}],"bypassUser":true,"tz":"Europe/Berlin","streamingCapabilities":{"chunkTypes":["Text"]}}`,
		`{"userId":1}`, `[]`, `null`, `{"variables":[1,[],{}]}`, `{"instanceConfig":[]}`, "{\"a\":\"\xff\"}", `{"externalSessionKey":"k"}{}`,
		`{"variables":[{"name":"x","type":"Text","value":"1"},{"name":"x","type":"Text","value":"2"}]}`,
	} {
		f.Add(s)
	}
	h, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	tok, err := h.MintToken(DemoClientID, time.Hour, "http://127.0.0.1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", APIPrefix+"/agents/"+DemoAgentID+"/sessions", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusInternalServerError:
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if w.Code != http.StatusOK && !strings.Contains(w.Body.String(), `"requestId"`) {
			t.Fatalf("error without the documented body: %s", w.Body)
		}
	})
}

// FuzzParseOrg: any org document is accepted or refused with an error, never a panic.
func FuzzParseOrg(f *testing.F) {
	for _, s := range []string{
		"myDomain: https://a.my.salesforce.com\nagents: [{id: 0XxAA0000000001AAA}]\nclientApps: [{clientId: a, clientSecret: b, runAs: {username: u}}]\n",
		"{}", "- 1", "a: &x [*x]", "faults: [{status: 503}]", "tokenLifetime: 1e400",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		org, err := ParseOrg([]byte(doc))
		if err == nil && (org.MyDomain == "" || len(org.Agents) == 0 || len(org.ClientApps) == 0) {
			t.Fatalf("accepted an incomplete org: %q", doc)
		}
	})
}
