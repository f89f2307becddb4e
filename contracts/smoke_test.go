package contracts

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"
)

func TestSmoke(t *testing.T) {
	p, err := consumer.NewV4Pact(consumer.MockHTTPProviderConfig{Consumer: "smoke", Provider: "smoke-p", PactDir: t.TempDir(), LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	p.AddInteraction().Given("x").UponReceiving("ping").WithRequest("GET", "/ping").
		WillRespondWith(200, func(b *consumer.V4ResponseBuilder) { b.JSONBody(matchers.Map{"ok": matchers.Like(true)}) })
	err = p.ExecuteTest(t, func(c consumer.MockServerConfig) error {
		r, err := http.Get(fmt.Sprintf("http://%s:%d/ping", c.Host, c.Port))
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(r.Body)
		t.Log(string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
