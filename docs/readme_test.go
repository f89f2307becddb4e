package docs_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeSample is a command of README.md and the output README shows for it.
type readmeSample struct {
	line    int
	command []string
	want    []string
}

const sampleMarker = "<!-- checked by docs/readme_test.go"

// readmeSamples returns every code block of README.md marked as checked:
// its first line is "$ agentshape ARGS", the rest is the output.
func readmeSamples(t *testing.T, root string) []readmeSample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []readmeSample
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], sampleMarker) {
			continue
		}
		if i+2 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") || !strings.HasPrefix(lines[i+2], "$ agentshape ") {
			t.Fatalf("README.md:%d: a checked sample is a code block whose first line is \"$ agentshape ...\"", i+1)
		}
		s := readmeSample{line: i + 3, command: strings.Fields(strings.TrimPrefix(lines[i+2], "$ "))}
		j := i + 3
		for ; j < len(lines) && !strings.HasPrefix(lines[j], "```"); j++ {
			s.want = append(s.want, strings.TrimRight(lines[j], " "))
		}
		if j == len(lines) {
			t.Fatalf("README.md:%d: the sample's code block is not closed", i+2)
		}
		out = append(out, s)
		i = j
	}
	return out
}

// matchLine reports whether an output line matches a sample line in which
// "…" stands for any text.
func matchLine(sample, got string) bool {
	parts := strings.Split(sample, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got)
}

// matchOutput reports whether the output lines match the sample lines, in
// order; a sample line of only "…" stands for any number of output lines.
func matchOutput(sample, got []string) bool {
	if len(sample) == 0 {
		return len(got) == 0
	}
	if strings.TrimSpace(sample[0]) == "…" {
		for k := 0; k <= len(got); k++ {
			if matchOutput(sample[1:], got[k:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && matchLine(sample[0], got[0]) && matchOutput(sample[1:], got[1:])
}

func TestMatchOutput(t *testing.T) {
	got := []string{"{", `  "id": "a1b2",`, `  "x": 1,`, `  "y": 2,`, "}"}
	for sample, want := range map[string]bool{
		"{\n  \"id\": \"…\",\n…\n}":                     true,
		"{\n  \"id\": \"…\",\n  \"y\": 2,\n}":           false, // a left-out line needs "…"
		"{\n…\n  \"y\": 2,\n}":                          true,
		"{\n  \"id\": \"zz…\",\n…\n}":                   false,
		"{\n  \"id\": \"…\",\n  \"x\": 1,\n  \"y\": 2,": false, // the closing line is missing
	} {
		if matchOutput(strings.Split(sample, "\n"), got) != want {
			t.Errorf("matchOutput(%q) = %v, want %v", sample, !want, want)
		}
	}
}

// TestReadmeSamplesMatchTheCommands runs every command README.md shows with
// its output, from the repository's root and with no Salesforce credentials
// (so start uses the embedded emulator), and fails when what the command
// prints today — stdout, then stderr — no longer matches the sample.
func TestReadmeSamplesMatchTheCommands(t *testing.T) {
	root := repoRoot(t)
	samples := readmeSamples(t, root)
	if len(samples) < 3 {
		t.Fatalf("README.md has %d checked samples, want at least 3 (demo, shape, validate)", len(samples))
	}
	if _, err := os.Stat(filepath.Join(root, "plugins", "build", "session-key.wasm")); err != nil {
		t.Fatalf("the samples run the example plugins: run make plugins first (%v)", err)
	}
	bin := filepath.Join(t.TempDir(), "agentshape")
	build := exec.Command("go", "build", "-o", bin, "./cmd/agentshape")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the CLI: %v\n%s", err, out)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SF_") {
			env = append(env, kv)
		}
	}
	for _, s := range samples {
		cmd := exec.Command(bin, s.command[1:]...)
		cmd.Dir, cmd.Env = root, env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run() // some samples show a failure; the output says which
		printed := strings.TrimRight(stdout.String(), "\n")
		if e := strings.TrimRight(stderr.String(), "\n"); e != "" {
			printed += "\n" + e
		}
		got := strings.Split(printed, "\n")
		for i := range got {
			got[i] = strings.TrimRight(got[i], " ")
		}
		if !matchOutput(s.want, got) {
			t.Errorf("README.md:%d: `%s` no longer prints what README shows.\nREADME shows:\n%s\nit prints:\n%s",
				s.line, strings.Join(s.command, " "), strings.Join(s.want, "\n"), printed)
		}
	}
}
