package plugin

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// Grants are the only openings in a plugin's sandbox, each named in its
// manifest entry: host environment variables it may read and host
// directories it may read. Nothing else can be granted: no network, no
// writable files, no other part of the host's environment or file system.
// With no grants a plugin sees no environment and no files at all.
type Grants struct {
	// Env names host environment variables the plugin may read (WASI
	// environ). Each must be set when the plugin is loaded; values are read
	// then and never logged or put into errors.
	Env []string
	// Dirs are host directories the plugin may read, mounted read-only.
	Dirs []DirGrant
}

// DirGrant is one read-only directory mount.
type DirGrant struct {
	// Host is the directory on the host.
	Host string
	// Guest is the absolute path the plugin opens it under, e.g. /data.
	Guest string
}

// forbiddenEnv lists environment variables that can never be granted: the
// Salesforce client credentials agentshape itself uses never reach a plugin.
var forbiddenEnv = []string{"SF_CLIENT_SECRET", "SF_ACCESS_TOKEN"}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckEnvName says why k cannot name an environment variable (letters,
// digits and _, not starting with a digit), or returns nil.
func CheckEnvName(k string) error {
	if !envNameRE.MatchString(k) {
		return fmt.Errorf("%q is not an environment variable name (letters, digits, _; not starting with a digit)", k)
	}
	return nil
}

// CheckEnvGrant says why the environment variable k cannot be granted — a
// malformed name, or a Salesforce credential (SF_CLIENT_SECRET,
// SF_ACCESS_TOKEN) in any case — or returns nil.
func CheckEnvGrant(k string) error {
	if err := CheckEnvName(k); err != nil {
		return err
	}
	for _, f := range forbiddenEnv {
		if strings.EqualFold(k, f) {
			return fmt.Errorf("%s holds a Salesforce credential, which never reaches a plugin; remove the grant", k)
		}
	}
	return nil
}

// credentialIn names the forbiddenEnv variable whose (non-empty) value v
// is, or returns "": a credential copied into another variable is still a
// credential.
func credentialIn(v string) string {
	for _, f := range forbiddenEnv {
		if c := os.Getenv(f); c != "" && c == v {
			return f
		}
	}
	return ""
}

// CheckGuestPath says why p cannot be a directory grant's guest path (a
// clean absolute path below / such as /data), or returns nil.
func CheckGuestPath(p string) error {
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" {
		return fmt.Errorf("guest path %q must be a clean absolute path below / such as /data", p)
	}
	return nil
}

// sandbox is a plugin's resolved grants, applied to every instance.
type sandbox struct {
	env  [][2]string // name, value
	dirs []DirGrant  // host paths checked to be directories
	// roots are the opened dirs, one per entry of dirs: every guest access
	// goes through os.Root, so no path, .. or symlink resolves outside the
	// mount, and a directory renamed or replaced after load is not followed.
	roots []*os.Root
}

// resolveGrants checks g and reads the granted variables' values.
func resolveGrants(name string, g Grants) (sandbox, error) {
	var sb sandbox
	seen := map[string]bool{}
	for _, k := range g.Env {
		if err := CheckEnvGrant(k); err != nil {
			return sb, newError(name, PhaseLoad, ErrGrant, "grants.env: %w", err)
		}
		if seen[k] {
			return sb, newError(name, PhaseLoad, ErrGrant, "grants.env: %s is granted twice; list it once", k)
		}
		seen[k] = true
		v, ok := os.LookupEnv(k)
		if !ok {
			return sb, newError(name, PhaseLoad, ErrGrant, "grants.env: %s is not set in agentshape's environment; set it or remove the grant", k)
		}
		if c := credentialIn(v); c != "" {
			return sb, newError(name, PhaseLoad, ErrGrant, "grants.env: %s holds the same value as %s, a Salesforce credential, which never reaches a plugin; remove the grant", k, c)
		}
		sb.env = append(sb.env, [2]string{k, v})
	}
	guests := map[string]bool{}
	for _, d := range g.Dirs {
		guest := d.Guest
		if err := CheckGuestPath(guest); err != nil {
			return sb, newError(name, PhaseLoad, ErrGrant, "grants.dirs: %w", err)
		}
		if guests[guest] {
			return sb, newError(name, PhaseLoad, ErrGrant, "grants.dirs: guest path %s is mounted twice", guest)
		}
		guests[guest] = true
		host, err := filepath.Abs(d.Host)
		if err != nil {
			return sb, newError(name, PhaseLoad, ErrGrant, "grants.dirs: host directory for %s: %w", guest, err)
		}
		fi, err := os.Stat(host)
		if err != nil {
			sb.close()
			return sandbox{}, newError(name, PhaseLoad, ErrGrant, "grants.dirs: host directory for %s: %w; create it or fix the path", guest, err)
		}
		if !fi.IsDir() {
			sb.close()
			return sandbox{}, newError(name, PhaseLoad, ErrGrant, "grants.dirs: %s (for %s) is not a directory", host, guest)
		}
		root, err := os.OpenRoot(host)
		if err != nil {
			sb.close()
			return sandbox{}, newError(name, PhaseLoad, ErrGrant, "grants.dirs: host directory for %s: %w", guest, err)
		}
		if err := checkGrantRoot(root); err != nil {
			_ = root.Close()
			sb.close()
			return sandbox{}, newError(name, PhaseLoad, ErrGrant, "grants.dirs: %s (for %s) cannot be granted: %w; grant a directory of ordinary files", host, guest, err)
		}
		sb.dirs = append(sb.dirs, DirGrant{Host: host, Guest: guest})
		sb.roots = append(sb.roots, root)
	}
	return sb, nil
}

// checkGrantRoot refuses a directory on a kernel file system (/proc, /sys,
// …): its files describe the host process, secrets included.
func checkGrantRoot(root *os.Root) error {
	f, err := root.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	return checkGrantable(f)
}

// close releases the opened directories; the sandbox grants no files after.
func (sb *sandbox) close() {
	for _, r := range sb.roots {
		_ = r.Close()
	}
	sb.roots = nil
}

// apply opens the granted holes in cfg; with no grants it returns cfg as is.
// Directories are mounted as a grantFS over their os.Root (confined, and
// only regular files and directories of ordinary file systems), behind
// wazero's read-only wrapper, which answers every write the way a read-only
// directory mount does.
func (sb sandbox) apply(cfg wazero.ModuleConfig) wazero.ModuleConfig {
	for _, kv := range sb.env {
		cfg = cfg.WithEnv(kv[0], kv[1])
	}
	if len(sb.roots) > 0 {
		fs := wazero.NewFSConfig()
		for i, d := range sb.dirs {
			ro := &sysfs.ReadFS{FS: &sysfs.AdaptFS{FS: grantFS{sb.roots[i]}}}
			fs = fs.(sysfs.FSConfig).WithSysFSMount(ro, d.Guest)
		}
		cfg = cfg.WithFSConfig(fs)
	}
	return cfg
}

// describe lists the grants for logs: variable names and mounts, never values.
func (sb sandbox) describe() string {
	var parts []string
	for _, kv := range sb.env {
		parts = append(parts, "env "+kv[0])
	}
	for _, d := range sb.dirs {
		parts = append(parts, fmt.Sprintf("dir %s -> %s (read-only)", d.Host, d.Guest))
	}
	return strings.Join(parts, ", ")
}
