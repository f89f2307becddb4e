package contracts

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ansi matches the terminal colour codes the verifier writes.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// readmeCIMarker precedes the README's shell block for verifying the pact in a team's own CI.
const readmeCIMarker = "<!-- run by contracts/readme_test.go (TestProviderReadmeCI)"

// readmeCIScript returns the shell block after readmeCIMarker in README.md, without its
// "npm install" line (the test uses the Pact CLI `make setup-pact-cli` installed; nothing downloads).
func readmeCIScript(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(raw), readmeCIMarker)
	if !ok {
		t.Fatalf("README.md has no %q block: the Pact section's CI example is gone", readmeCIMarker)
	}
	lines := strings.Split(after, "\n")
	if len(lines) < 2 || lines[1] != "```sh" {
		t.Fatalf("README.md: the line after %q is not a ```sh block", readmeCIMarker)
	}
	var script []string
	for _, l := range lines[2:] {
		if l == "```" {
			return strings.Join(script, "\n") + "\n"
		}
		if strings.HasPrefix(l, "npm install ") {
			continue
		}
		script = append(script, l)
	}
	t.Fatal("README.md: the CI example's code block is not closed")
	return ""
}

// TestProviderReadmeCI runs the README's CI example as written — a fresh `agentshape emulator`,
// then the standard `pact verifier` with its state-change URL, from the checkout's root — with
// bin/agentshape and the installed npm Pact CLI on PATH and a free PORT.
func TestProviderReadmeCI(t *testing.T) {
	pactCLI, agentshape := os.Getenv("PACT_CLI"), os.Getenv("AGENTSHAPE")
	if pactCLI == "" || agentshape == "" {
		t.Fatal("PACT_CLI (the npm pact launcher) and AGENTSHAPE (bin/agentshape) are unset: run `make contracts`, which installs and builds both")
	}
	script := filepath.Join(t.TempDir(), "verify.sh")
	if err := os.WriteFile(script, []byte(readmeCIScript(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port),
		"PATH="+filepath.Dir(agentshape)+string(os.PathListSeparator)+filepath.Dir(pactCLI)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the script's background emulator is ours to stop
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything the script left behind
	}
	if err != nil {
		t.Fatalf("README's CI example failed: %v\n%s", err, out)
	}
	text := ansi.ReplaceAllString(string(out), "")
	if !strings.Contains(text, "Verifying a pact between agentshape and salesforce-agent-api") || strings.Contains(text, "pact failures") {
		t.Errorf("README's CI example did not verify the pact:\n%s", out)
	}
}
