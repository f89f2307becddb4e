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

// The installer (contracts/install-pact-ffi.sh) is what `make setup-pact` runs on a fresh machine.
// These tests run the real script; a fake `npm` on PATH stands in for the registry so that the
// refusal paths can be exercised without a download.

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
		"rm", "mkdir", "install", "mv", "cp", "id", "uname", "tail", "cat", "ldconfig"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			if tool == "ldconfig" {
				continue
			}
			t.Fatalf("%s is needed by install-pact-ffi.sh: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runInstaller runs the script with dest and PATH = pathDirs + the tools it uses (npm only when a
// pathDir provides one).
func runInstaller(t *testing.T, dest string, pathDirs ...string) (string, error) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	path := strings.Join(append(pathDirs, toolsDir(t)), string(os.PathListSeparator))
	cmd := exec.Command(bash, "install-pact-ffi.sh", dest)
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
