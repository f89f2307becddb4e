package contracts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The installers (contracts/install-pact-ffi.sh and install-pact-cli.sh) are what `make setup-pact`
// and `make setup-pact-cli` run on a fresh machine. These tests run the real scripts; a fake `npm`
// on PATH stands in for the registry so that the refusal paths can be exercised without a download.

// installedLib finds the libpact_ffi.so this test binary was linked with.
func installedLib(t *testing.T) string {
	t.Helper()
	for _, dir := range append(filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")), "/usr/local/lib", filepath.Join("..", ".cache", "pact", "lib")) {
		p := filepath.Join(dir, "libpact_ffi.so")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("libpact_ffi.so not found in LD_LIBRARY_PATH, /usr/local/lib or .cache/pact/lib: run `make setup-pact`")
	return ""
}

// toolsDir links the tools the script uses, and not npm, into a directory for PATH.
func toolsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"bash", "sha256sum", "cut", "openssl", "base64", "tar", "gzip", "mktemp",
		"rm", "mkdir", "install", "mv", "cp", "id", "uname", "tail", "cat", "dirname", "basename", "chmod", "ln", "node", "ldconfig"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			if tool == "ldconfig" {
				continue
			}
			t.Fatalf("%s is needed by the installers: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runInstaller runs install-pact-ffi.sh with dest and PATH = pathDirs + the tools it uses (npm
// only when a pathDir provides one).
func runInstaller(t *testing.T, dest string, pathDirs ...string) (string, error) {
	t.Helper()
	return runScript(t, "install-pact-ffi.sh", dest, pathDirs...)
}

// runScript runs one installer script as runInstaller does.
func runScript(t *testing.T, script, dest string, pathDirs ...string) (string, error) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	path := strings.Join(append(pathDirs, toolsDir(t)), string(os.PathListSeparator))
	cmd := exec.Command(bash, script, dest)
	cmd.Env = []string{"PATH=" + path, "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakeNPM writes an `npm` that "packs" a tarball holding lib as the library.
func fakeNPM(t *testing.T, lib []byte) string {
	t.Helper()
	dir := t.TempDir()
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	name := "package/prebuilds/linux-x64/libpact_ffi.so"
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(lib))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(lib); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "served.tgz")
	if err := os.WriteFile(src, tgz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/bash\n[ \"$1\" = config ] && { echo https://registry.example; exit 0; }\ncp " + src + " ./tampered.tgz && echo tampered.tgz\n"
	if err := os.WriteFile(filepath.Join(dir, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInstallerIsIdempotentOffline(t *testing.T) {
	dest := t.TempDir()
	copyFile(t, installedLib(t), filepath.Join(dest, "libpact_ffi.so"))
	// No npm on PATH at all: an installed, verified library must not trigger a fetch.
	out, err := runInstaller(t, dest, t.TempDir())
	if err != nil {
		t.Fatalf("installer with the pinned library present: %v\n%s", err, out)
	}
	if strings.TrimSpace(out) != "" {
		t.Errorf("installer said %q, want silence when nothing is to do", out)
	}
}

func TestInstallerRefusesATamperedPackage(t *testing.T) {
	dest := t.TempDir()
	stale := []byte("stale library")
	if err := os.WriteFile(filepath.Join(dest, "libpact_ffi.so"), stale, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := runInstaller(t, dest, fakeNPM(t, []byte("\x7fELF not the real library")))
	if err == nil {
		t.Fatalf("installer accepted a tarball that does not match the pinned integrity:\n%s", out)
	}
	if !strings.Contains(out, "integrity mismatch") || !strings.Contains(out, "refusing to install") {
		t.Errorf("output %q, want an integrity mismatch refusal", out)
	}
	// Nothing half-done: the old file is untouched and no temporary file is left behind.
	got, _ := os.ReadFile(filepath.Join(dest, "libpact_ffi.so"))
	if !bytes.Equal(got, stale) {
		t.Error("the refused install replaced the existing library")
	}
	entries, _ := os.ReadDir(dest)
	if len(entries) != 1 {
		t.Errorf("dest holds %d entries after a refused install, want only the old library", len(entries))
	}
}

func TestInstallerExplainsAMissingNPM(t *testing.T) {
	out, err := runInstaller(t, t.TempDir(), t.TempDir())
	if err == nil || !strings.Contains(out, "npm not found") {
		t.Errorf("err %v, output %q; want a failure that says npm is needed", err, out)
	}
}

// installedCLI finds the Pact CLI tree `make setup-pact-cli` installed ($PACT_CLI is its launcher).
func installedCLI(t *testing.T) string {
	t.Helper()
	launcher := os.Getenv("PACT_CLI")
	if launcher == "" {
		t.Fatal("PACT_CLI is unset: run `make contracts`, which installs the Pact CLI first")
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(launcher))) // <dir>/node_modules/.bin/pact
}

// copyTree copies the directory src to dst, keeping symlinks and modes.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a %s %s: %v\n%s", src, dst, err, out)
	}
}

func TestCLIInstallerIsIdempotentOffline(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "cli")
	copyTree(t, installedCLI(t), dest)
	out, err := runScript(t, "install-pact-cli.sh", dest, t.TempDir()) // no npm on PATH
	if err != nil {
		t.Fatalf("installer with the pinned CLI present: %v\n%s", err, out)
	}
	if strings.TrimSpace(out) != "" {
		t.Errorf("installer said %q, want silence when nothing is to do", out)
	}
}

func TestCLIInstallerRefusesATamperedPackage(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "cli")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dest, "stale")
	if err := os.WriteFile(stale, []byte("an older install"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runScript(t, "install-pact-cli.sh", dest, fakeNPM(t, []byte("not the pact binary")))
	if err == nil {
		t.Fatalf("installer accepted a tarball that does not match the pinned integrity:\n%s", out)
	}
	if !strings.Contains(out, "integrity mismatch") || !strings.Contains(out, "refusing to install") {
		t.Errorf("output %q, want an integrity mismatch refusal", out)
	}
	// Nothing half-done: the old install is untouched and no work directory is left beside it.
	if b, _ := os.ReadFile(stale); string(b) != "an older install" {
		t.Error("the refused install changed the existing one")
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Errorf("%d entries beside the install after a refused one, want only the install", len(entries))
	}
}

func TestCLIInstallerExplainsAMissingNPM(t *testing.T) {
	out, err := runScript(t, "install-pact-cli.sh", filepath.Join(t.TempDir(), "cli"), t.TempDir())
	if err == nil || !strings.Contains(out, "npm not found") {
		t.Errorf("err %v, output %q; want a failure that says npm is needed", err, out)
	}
}
