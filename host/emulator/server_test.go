package emulator_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
)

// The emulator is loopback-only unless told otherwise.
func TestStartRefusesRemoteAddresses(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "[::]:0", "example.com:80"} {
		_, err := emulator.Start(context.Background(), emulator.Options{Addr: addr})
		if err == nil || !strings.Contains(err.Error(), "allow-remote") {
			t.Errorf("Start(%q) = %v, want a refusal naming --allow-remote", addr, err)
		}
	}
	if _, err := emulator.Start(context.Background(), emulator.Options{Addr: "nonsense"}); err == nil {
		t.Error("address without port accepted")
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		srv, err := emulator.Start(context.Background(), emulator.Options{Addr: addr})
		if err != nil {
			if addr == "[::1]:0" && strings.Contains(err.Error(), "listen") {
				continue // no IPv6 loopback on this machine
			}
			t.Fatalf("Start(%q): %v", addr, err)
		}
		srv.Close()
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{Addr: "0.0.0.0:0", AllowRemote: true})
	if err != nil {
		t.Fatalf("AllowRemote: %v", err)
	}
	srv.Close()
}

// Cancelling the context stops the server; Close is idempotent.
func TestServerStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := emulator.Start(ctx, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q", srv.URL)
	}
	cancel()
	<-srv.Done()
	if _, err := http.Get(srv.URL + "/__admin/state"); err == nil {
		t.Error("server still answers after cancel")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close after stop: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// New gives an http.Handler usable in any server.
func TestNewIsAnHTTPHandler(t *testing.T) {
	h, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var _ http.Handler = h
	if h.State().Org.MyDomain != emulator.DemoMyDomain {
		t.Error("New(Options{}) is not the default org")
	}
}

// Logs never carry tokens or client secrets, even at debug level.
func TestLogsCarryNoSecrets(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := start(t, nil, func(o *emulator.Options) { o.Logger = logger })
	tok := token(t, srv)
	newSession(t, srv, tok)
	getToken(t, srv, emulator.DemoClientID, "wrong-secret-value")
	wantError(t, startSession(t, srv, tok+"x", agentID, startBody), 401, "UnauthorizedError", "missing or invalid")
	logs := buf.String()
	if !strings.Contains(logs, "op=start") || !strings.Contains(logs, "status=200") {
		t.Fatalf("no request log lines:\n%s", logs)
	}
	for _, secret := range []string{tok, tok[strings.LastIndexByte(tok, '.')+1:], emulator.DemoClientSecret, "wrong-secret-value"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret %q", secret)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
