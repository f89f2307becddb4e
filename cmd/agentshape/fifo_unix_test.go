//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestFIFOInputsAreRefused: a FIFO given as a plugin, a manifest, a
// manifest's plugin path or an --input is refused at once with exit 2,
// naming it as not a regular file — reading one used to block forever.
func TestFIFOInputsAreRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := func(name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		return p
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wasm, manifest, input := fifo("f.wasm"), fifo("m.yaml"), fifo("in.json")
	envp := write("envp.json", `{"abi":1,"context":{},"request":{},"config":{}}`)
	ctx := write("ctx.json", `{}`)
	viaFIFO := write("p.yaml", "version: 1\nplugins:\n  - name: x\n    path: "+wasm+"\n")
	for _, c := range []struct {
		args []string
		fifo string
	}{
		{[]string{"plugin", "call", wasm, "--input", envp}, wasm},
		{[]string{"plugin", "inspect", wasm}, wasm},
		{[]string{"plugin", "call", catalog.MustPath(t, "endpoint"), "--input", input}, input},
		{[]string{"shape", "--manifest", manifest, "--context", ctx}, manifest},
		{[]string{"shape", "--manifest", viaFIFO, "--context", ctx}, wasm},
		{[]string{"conformance", "-q", "--manifest", viaFIFO, "--cases", "1"}, wasm},
	} {
		code, _, errOut := runShapeCLI(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.fifo) || !strings.Contains(errOut, "not a regular file") {
			t.Errorf("%q: exit %d, stderr %s; want exit 2 naming %s as not a regular file", c.args, code, errOut, c.fifo)
		}
	}
}
