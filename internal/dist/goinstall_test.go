package main

import (
	"archive/zip"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

const modulePath = "github.com/agentshape/agentshape"

// TestGoInstallFromAModuleProxy does what README's quick start tells users:
// `go install github.com/agentshape/agentshape/cmd/agentshape@latest`,
// against a module proxy on disk serving this tree as v0.1.0 (the files git
// tracks, as a proxy serves a tag) and the dependencies from the local module
// cache, with no network. It fails when go.mod gains a replace or exclude
// directive (go install refuses them), when the CLI needs a file git does not
// track (a generated or ignored one), and when the installed binary does not
// report the module version. A private module cache keeps the fake v0.1.0
// out of the machine's own.
func TestGoInstallFromAModuleProxy(t *testing.T) {
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	goEnv := func(key string) string {
		out, err := exec.Command("go", "env", key).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", key, err)
		}
		return strings.TrimSpace(string(out))
	}
	deps := filepath.Join(goEnv("GOMODCACHE"), "cache", "download")
	tmp := t.TempDir()
	const version = "v0.1.0"
	proxy := filepath.Join(tmp, "proxy")
	writeModuleVersion(t, root, filepath.Join(proxy, filepath.FromSlash(modulePath), "@v"), version)

	gobin := filepath.Join(tmp, "bin")
	cmd := exec.Command("go", "install", modulePath+"/cmd/agentshape@latest")
	cmd.Dir = tmp // outside any module, as a user's shell
	cmd.Env = append(os.Environ(),
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(deps),
		"GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local", "GOBIN="+gobin,
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
		// Writable module cache so t.TempDir can remove it; -trimpath and
		// no cgo as make vet, so the packages are already compiled.
		"GOFLAGS=-modcacherw -trimpath", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install %s/cmd/agentshape@latest: %v\n%s", modulePath, err, out)
	}
	out, err := exec.Command(filepath.Join(gobin, "agentshape"+exe(runtime.GOOS)), "--version").Output()
	if err != nil {
		t.Fatalf("installed agentshape --version: %v", err)
	}
	if want := "agentshape " + version + " (commit "; !strings.HasPrefix(string(out), want) {
		t.Fatalf("installed agentshape --version: %q, want it to start with %q", out, want)
	}
}

// writeModuleVersion writes what a GOPROXY serves for the module at version
// (list, .info, .mod, .zip; https://go.dev/ref/mod#goproxy-protocol) into
// dir, from the files git tracks under root, leaving out nested modules as
// the module zip format does.
func writeModuleVersion(t *testing.T, root, dir, version string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ls, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Split(strings.TrimRight(string(ls), "\x00"), "\x00")
	var nested []string
	for _, f := range files {
		if path.Base(f) == "go.mod" && f != "go.mod" {
			nested = append(nested, path.Dir(f)+"/")
		}
	}
	zf, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	for _, f := range files {
		if hasAnyPrefix(f, nested) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not yet in git
		}
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(modulePath + "@" + version + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": "2026-01-01T00:00:00Z"})
	for name, content := range map[string][]byte{version + ".mod": gomod, version + ".info": info, "list": []byte(version + "\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
