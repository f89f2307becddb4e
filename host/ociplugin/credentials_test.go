package ociplugin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/ociplugin"
)

const (
	testUser     = "ci-bot"
	testPassword = "test-only-Pa55word-7f3c"
)

// guard makes the fake registry ask for basic credentials, and answer a
// wrong password with an error that echoes what it was sent (as a careless
// registry or proxy might): the client must not pass it on.
func guard(reg *fakeRegistry) {
	reg.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		user, pass, ok := r.BasicAuth()
		if ok && user == testUser && pass == testPassword {
			return false
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="agentshape-test"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		msg := fmt.Sprintf("bad credentials %q (%s:%s)", r.Header.Get("Authorization"), user, pass)
		json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": "UNAUTHORIZED", "message": msg}}})
		return true
	})
}

func writeConfig(t *testing.T, v any) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	b, _ := json.Marshal(v)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func basicAuths(host, user, pass string) map[string]any {
	return map[string]any{"auths": map[string]any{host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}}}
}

func TestCredentialsFromConfig(t *testing.T) {
	ctx := context.Background()
	reg := startFake(t)
	guard(reg)
	mod := pluginBytes(t, "timezone.wasm")
	ref := reg.host + "/team/tz:1"

	_, err := newClient(t, ociplugin.Options{}).Push(ctx, ref, mod, info)
	if !errors.Is(err, ociplugin.ErrUnauthorized) || !strings.Contains(err.Error(), "docker login "+reg.host) {
		t.Fatalf("push without credentials: %v, want ErrUnauthorized saying how to log in", err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ok := newClient(t, ociplugin.Options{RegistryConfig: writeConfig(t, basicAuths(reg.host, testUser, testPassword)), Logger: logger})
	pushed, err := ok.Push(ctx, ref, mod, info)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, ociplugin.Options{RegistryConfig: writeConfig(t, basicAuths(reg.host, testUser, testPassword))}).Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{}); err != nil {
		t.Fatal(err)
	}

	const wrong = "wrong-Pa55word-but-secret-too"
	bad := newClient(t, ociplugin.Options{RegistryConfig: writeConfig(t, basicAuths(reg.host, testUser, wrong)), Logger: logger})
	_, err = bad.Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{})
	if !errors.Is(err, ociplugin.ErrUnauthorized) {
		t.Fatalf("pull with a wrong password: %v, want ErrUnauthorized", err)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + wrong))
	if text := err.Error(); strings.Contains(text, wrong) || strings.Contains(text, encoded) || !strings.Contains(text, "[redacted]") {
		t.Fatalf("the error leaks the credentials the registry echoed, or the test registry did not echo them:\n%s", text)
	}
	if logs.Len() == 0 || strings.Contains(logs.String(), testPassword) || strings.Contains(logs.String(), wrong) {
		t.Fatalf("debug logs are empty or carry a password:\n%s", logs.String())
	}
}

// A credential helper named by credHelpers in the config is run for its
// registry (docker-credential-<name> on PATH).
func TestCredentialHelper(t *testing.T) {
	ctx := context.Background()
	reg := startFake(t)
	guard(reg)
	bin := t.TempDir()
	helper := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread host\nprintf '{\"ServerURL\":\"%%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' \"$host\"\n", testUser, testPassword)
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-agentshape-test"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cfg := writeConfig(t, map[string]any{"credHelpers": map[string]string{reg.host: "agentshape-test"}})
	c := newClient(t, ociplugin.Options{RegistryConfig: cfg})
	if _, err := c.Push(ctx, reg.host+"/team/tz:1", pluginBytes(t, "timezone.wasm"), info); err != nil {
		t.Fatalf("push with a credential helper: %v", err)
	}
}

// Docker's own config.json ($DOCKER_CONFIG) is used when no registry
// config is given.
func TestDockerConfigDefault(t *testing.T) {
	reg := startFake(t)
	guard(reg)
	dir := t.TempDir()
	b, _ := json.Marshal(basicAuths(reg.host, testUser, testPassword))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	c, err := ociplugin.New(ociplugin.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Push(context.Background(), reg.host+"/team/tz:1", pluginBytes(t, "timezone.wasm"), info); err != nil {
		t.Fatalf("push with $DOCKER_CONFIG/config.json: %v", err)
	}
}

func TestMissingRegistryConfig(t *testing.T) {
	_, err := ociplugin.New(ociplugin.Options{CacheDir: t.TempDir(), RegistryConfig: filepath.Join(t.TempDir(), "nope.json")})
	if err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Fatalf("a missing --registry-config: %v", err)
	}
}

// testPasswordBcrypt is testPassword's bcrypt hash (cost 4), for the real
// registry's htpasswd file.
const testPasswordBcrypt = "$2a$04$u2VdPgDpANmcttfJM4iuQeA42HnCp/xxwU9GUfYB3S2injddYu9OS"
