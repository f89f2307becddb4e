package testregistry_test

import (
	"net/http"
	"testing"

	"github.com/agentshape/agentshape/internal/testregistry"
)

func status(t *testing.T, host string) int {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServesTheDistributionAPI(t *testing.T) {
	r := testregistry.Start(t, testregistry.Options{})
	if got := status(t, r.Host); got != http.StatusOK {
		t.Fatalf("GET /v2/: %d, want 200", got)
	}
}

func TestHtpasswdTurnsOnAuthentication(t *testing.T) {
	// Any bcrypt entry turns authentication on.
	r := testregistry.Start(t, testregistry.Options{Htpasswd: "u:$2a$04$u2VdPgDpANmcttfJM4iuQeA42HnCp/xxwU9GUfYB3S2injddYu9OS\n"})
	if got := status(t, r.Host); got != http.StatusUnauthorized {
		t.Fatalf("GET /v2/ without credentials: %d, want 401", got)
	}
}
