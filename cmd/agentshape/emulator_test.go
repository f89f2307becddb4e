package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/emulator"
)

// `agentshape emulator`: start it on a loopback port, get a token, start a
// session, read the admin state, stop it.
func TestEmulatorCommand(t *testing.T) {
	t.Parallel()
	base, stop := startEmulatorCmd(t)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {emulator.DemoClientID}, "client_secret": {emulator.DemoClientSecret}}
	resp, err := http.Post(base+emulator.TokenPath, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	var tok emulator.TokenResponse
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d", resp.StatusCode)
	}
	body := `{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"}}`
	req, _ := http.NewRequest("POST", base+emulator.APIPrefix+"/agents/"+emulator.DemoAgentID+"/sessions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("start session: %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/__admin/state")
	if err != nil {
		t.Fatal(err)
	}
	var st emulator.State
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.SessionsCreated != 1 {
		t.Errorf("admin state %+v", st)
	}

	stop()
	if _, err := http.Get(base + "/__admin/state"); err == nil {
		t.Error("emulator still answers after stop")
	}
}

// startEmulatorCmd runs `agentshape emulator --addr 127.0.0.1:0 args...` in
// process and returns its URL (from the banner) and a function that stops it.
func startEmulatorCmd(t *testing.T, args ...string) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	root := newCLI(func(string) string { return "" }, strings.NewReader(""), pw, io.Discard).newRootCmd()
	root.SetArgs(append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()

	br := bufio.NewReader(pr)
	line, err := br.ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no banner: %v (%v)", err, <-done)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "agentshape emulator listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		cancel()
		t.Fatalf("banner %q", line)
	}
	go io.Copy(io.Discard, br)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("emulator command: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("emulator did not stop after cancel")
		}
	}
	t.Cleanup(stop)
	return base, stop
}

// The emulator serves Pact's provider-state endpoint by default and not
// with --no-admin.
func TestEmulatorProviderStateEndpoint(t *testing.T) {
	t.Parallel()
	change := `{"state":"` + emulator.StateSession + `","params":{},"action":"setup"}`
	post := func(base string) (int, map[string]any) {
		resp, err := http.Post(base+emulator.ProviderStatesPath, "application/json", strings.NewReader(change))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	base, _ := startEmulatorCmd(t)
	if code, v := post(base); code != 200 || v["accessToken"] == nil || v["sessionId"] == nil {
		t.Errorf("provider state setup: %d %v, want 200 with accessToken and sessionId", code, v)
	}
	base, _ = startEmulatorCmd(t, "--no-admin")
	if code, v := post(base); code != 404 {
		t.Errorf("provider state setup with --no-admin: %d %v, want 404", code, v)
	}
}

// Usage errors exit 2 with a message that says what to do.
func TestEmulatorCommandErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"emulator", "--addr", "0.0.0.0:0"}, "allow-remote"},
		{[]string{"emulator", "--org", "/nonexistent/org.yaml"}, "--org"},
	}
	for _, c := range cases {
		code, _, stderr := runShapeCLI(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q, want %d mentioning %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}

// --print-org prints an org file that loads back.
func TestEmulatorPrintOrg(t *testing.T) {
	t.Parallel()
	code, out, stderr := runShapeCLI(t, "emulator", "--print-org")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	org, err := emulator.ParseOrg([]byte(out))
	if err != nil {
		t.Fatalf("printed org does not parse: %v\n%s", err, out)
	}
	if org.Agents[0].ID != emulator.DemoAgentID || org.ClientApps[0].ClientSecret != emulator.DemoClientSecret {
		t.Errorf("printed org %+v", org)
	}
}

// The built binary: `agentshape emulator` runs until SIGINT, then exits 0.
func TestEmulatorBinaryStopsOnSignal(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "agentshape")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "emulator", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no banner: %v", err)
	}
	base := strings.TrimSpace(strings.TrimPrefix(line, "agentshape emulator listening on "))
	resp, err := http.Get(base + "/__admin/state")
	if err != nil {
		t.Fatalf("emulator not reachable at %q: %v", base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("admin state: %d", resp.StatusCode)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("emulator ignored SIGINT")
	}
}
