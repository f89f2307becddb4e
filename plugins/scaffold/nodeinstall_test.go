package scaffold_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/agentshape/agentshape/plugins/scaffold"
)

// asToolchainSteps returns the toolchain command of a generated
// AssemblyScript project's GitHub workflow and GitLab job, as YAML reads them.
func asToolchainSteps(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := scaffold.New(scaffold.Options{Name: "node", Lang: "as", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	read := func(f string, v any) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	var gh struct {
		Jobs map[string]struct {
			Steps []struct{ Name, Run string }
		}
	}
	var gl map[string]struct {
		BeforeScript []string `yaml:"before_script"`
	}
	read(".github/workflows/agentshape.yml", &gh)
	read(".gitlab-ci.yml", &gl)
	out := map[string]string{}
	for _, s := range gh.Jobs["gate"].Steps {
		if strings.HasPrefix(s.Name, "Install the ") {
			out["github"] = s.Run
		}
	}
	if bs := gl["agentshape-gate"].BeforeScript; len(bs) > 0 {
		out["gitlab"] = bs[0]
	}
	return out
}

// TestCINodeTarballVerified runs the generated CI's Node.js install step
// with curl and tar replaced: the tarball is unpacked only when its sha256
// matches its line of the release's SHASUMS256.txt; a tampered tarball, or
// a SHASUMS256.txt without its line, stops the step before tar.
func TestCINodeTarballVerified(t *testing.T) {
	steps := asToolchainSteps(t)
	if len(steps) != 2 || steps["github"] != steps["gitlab"] {
		t.Fatalf("want the same Node.js install step in both CI files, got %q", steps)
	}
	tarball := "node-" + scaffold.CINodeVersion + "-linux-x64.tar.gz"
	for name, tc := range map[string]struct {
		served, summed string // the tarball served, and the one SHASUMS256.txt lists
		listed         bool
		unpacked       bool
	}{
		"genuine":  {"genuine node", "genuine node", true, true},
		"tampered": {"tampered node", "genuine node", true, false},
		"unlisted": {"genuine node", "genuine node", false, false},
	} {
		t.Run(name, func(t *testing.T) {
			work, served, fake := t.TempDir(), t.TempDir(), t.TempDir()
			if err := os.WriteFile(filepath.Join(served, tarball), []byte(tc.served), 0o644); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(tc.summed))
			sums := strings.Repeat("0", 64) + "  node-" + scaffold.CINodeVersion + "-darwin-x64.tar.gz\n"
			if tc.listed {
				sums += hex.EncodeToString(sum[:]) + "  " + tarball + "\n"
			}
			if err := os.WriteFile(filepath.Join(served, "SHASUMS256.txt"), []byte(sums), 0o644); err != nil {
				t.Fatal(err)
			}
			tarLog := filepath.Join(fake, "tar.log")
			for tool, script := range map[string]string{
				// curl -O URL: copy the served file named by the URL's last segment.
				"curl": "#!/bin/sh\nfor a; do u=$a; done\ncp \"" + served + "/${u##*/}\" .\n",
				"tar":  "#!/bin/sh\necho \"$@\" >> \"" + tarLog + "\"\n",
			} {
				if err := os.WriteFile(filepath.Join(fake, tool), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			step := steps["github"]
			if !strings.HasPrefix(step, "(cd /tmp && ") {
				t.Fatalf("the install step does not start in /tmp: %s", step)
			}
			cmd := exec.Command("sh", "-ec", strings.Replace(step, "cd /tmp", "cd "+work, 1))
			cmd.Env = append(os.Environ(), "PATH="+fake+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			_, tarErr := os.Stat(tarLog)
			if unpacked := tarErr == nil; unpacked != tc.unpacked || (err == nil) != tc.unpacked {
				t.Fatalf("step exit %v, tar ran %v; want both %v\n%s\n%s", err, unpacked, tc.unpacked, step, out)
			}
		})
	}
}
