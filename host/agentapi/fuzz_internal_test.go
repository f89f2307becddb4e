package agentapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzFinish feeds arbitrary answers (status, body) to the code that turns
// an answer into an Outcome: it never panics, a nil error means a usable
// Start Session response, every error is one of the typed errors, and the
// Outcome always prints as JSON (what `agentshape start` does with it).
func FuzzFinish(f *testing.F) {
	f.Add(200, []byte(`{"sessionId":"s","_links":{"self":null},"messages":[{"type":"Inform","id":"1"}]}`))
	f.Add(200, []byte(`{"sessionId":"s","_links":{},"messages":[{"type":1}]}`))
	f.Add(400, []byte(`{"status":400,"error":"BadRequestError","message":"Unrecognized field \"userId\""}`))
	f.Add(503, []byte(`<html>down</html>`))
	f.Add(500, []byte(`{"message":"secret-value-1234 leaked"}`))
	f.Add(200, []byte(`null`))
	f.Add(404, []byte(``))
	c, err := New(Config{MyDomain: "https://acme.my.salesforce.com", ClientID: "id", ClientSecret: "secret-value-1234"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		h := http.Header{"Content-Type": {"application/json"}}
		out, err := c.finish(request{op: OpStartSession, decode: decodeStartSession}, status, h, body, &Outcome{})
		if out == nil {
			t.Fatal("nil outcome")
		}
		if err == nil {
			if status != 200 || out.Session == nil || out.Session.SessionID == "" || out.Output != OutputOK {
				t.Fatalf("success without a usable session: %+v", out)
			}
		} else {
			var ae *APIError
			var re *ResponseError
			if !errors.As(err, &ae) && !errors.As(err, &re) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if out.Output == OutputOK {
				t.Fatalf("error %v with output 200", err)
			}
		}
		b, merr := json.Marshal(out)
		if merr != nil {
			t.Fatalf("outcome does not print as JSON: %v (%+v)", merr, out)
		}
		if strings.Contains(string(b), "secret-value-1234") || (err != nil && strings.Contains(err.Error(), "secret-value-1234")) {
			t.Fatalf("the client secret leaked: %s / %v", b, err)
		}
	})
}
