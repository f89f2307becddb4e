// Package pipeline runs an ordered list of plugins (a manifest) over the
// Start Session request, each plugin seeing the request the previous one
// returned, and records which plugin last set or changed every field of the
// final request (field provenance).
package pipeline

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/inputlimit"
)

// ManifestVersion is the only manifest version this host reads.
const ManifestVersion = 1

// Manifest is a parsed pipeline manifest (see schemas/pipeline-manifest.schema.json).
type Manifest struct {
	// Version is always 1.
	Version int `yaml:"version"`
	// Root is the directory, relative to the manifest's, that relative
	// plugin paths and granted host directories must stay in ("" or "." =
	// the manifest's own directory; ".." lets them reach its parent).
	// Absolute paths are taken as written.
	Root string `yaml:"root,omitempty"`
	// AllowUnpinnedTags lets a registry plugin be named by a tag without a
	// digest (path: oci://REGISTRY/REPOSITORY:TAG), followed to whatever it
	// points at on each run; without it such a path is refused.
	AllowUnpinnedTags bool `yaml:"allowUnpinnedTags,omitempty"`
	// Plugins run in this order.
	Plugins []Entry `yaml:"plugins"`
	// Path is the manifest file ("" when parsed from bytes).
	Path string `yaml:"-"`
	// Dir is the directory plugin paths are relative to.
	Dir string `yaml:"-"`
}

// Entry is one plugin of a manifest.
type Entry struct {
	// Name identifies the plugin (errors, logs, provenance); default: the file name without .wasm.
	Name string `yaml:"name"`
	// Path is the .wasm file, relative to the manifest's directory, or a
	// plugin in an OCI registry: oci://REGISTRY/REPOSITORY[:TAG]@sha256:DIGEST
	// (see Manifest.ResolveRemote).
	Path string `yaml:"path"`
	// SHA256 optionally pins the module (64 hex digits, optionally "sha256:"-prefixed).
	SHA256 string `yaml:"sha256,omitempty"`
	// Config is passed to the plugin as plugin.config.
	Config map[string]any `yaml:"config,omitempty"`
	// Limits override the defaults for this plugin.
	Limits EntryLimits `yaml:"limits,omitempty"`
	// Grants open the plugin's sandbox: environment variables and read-only
	// directories (none by default).
	Grants EntryGrants `yaml:"grants,omitempty"`
	// Line is the entry's line in the manifest (for messages).
	Line int `yaml:"-"`
	// root is the manifest's Root, which Spec confines relative paths to.
	root string
	// local and localSHA256 are a registry plugin's verified local copy
	// and its sha256, set by Manifest.ResolveRemote.
	local, localSHA256 string
}

// EntryLimits are a plugin's limits as written in YAML.
type EntryLimits struct {
	// MemoryMaxPages caps memory in 64 KiB pages.
	MemoryMaxPages int `yaml:"memoryMaxPages,omitempty"`
	// Timeout is a Go duration ("2s", "500ms").
	Timeout string `yaml:"timeout,omitempty"`
	// MaxOutputBytes caps the output JSON.
	MaxOutputBytes int `yaml:"maxOutputBytes,omitempty"`
	// PoolSize is the number of pooled instances.
	PoolSize int `yaml:"poolSize,omitempty"`
	// Fuel caps the fuel of one call (plugins/ABI.md §8); 0 means none.
	Fuel int64 `yaml:"fuel,omitempty"`
}

// EntryGrants are a plugin's sandbox grants as written in YAML.
type EntryGrants struct {
	// Env names host environment variables the plugin may read.
	Env []string `yaml:"env,omitempty"`
	// Dirs are host directories the plugin may read, mounted read-only.
	Dirs []EntryDir `yaml:"dirs,omitempty"`
}

// EntryDir is one read-only directory grant.
type EntryDir struct {
	// Host is the directory on the host, relative to the manifest's directory.
	Host string `yaml:"host"`
	// Guest is the absolute path the plugin sees it under, e.g. /data.
	Guest string `yaml:"guest"`
}

// ManifestError is a fault in a manifest, located by line and field.
type ManifestError struct {
	// File is the manifest path ("" when parsed from bytes).
	File string
	// Line is 1-based; 0 when unknown.
	Line int
	// Field is the field's path, e.g. "plugins[1].limits.timeout".
	Field string
	// Msg says what is wrong and what to do.
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error.
func (e *ManifestError) Error() string {
	var b strings.Builder
	b.WriteString("manifest ")
	if e.File != "" {
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Unwrap returns the cause.
func (e *ManifestError) Unwrap() error { return e.Err }

// LoadManifest reads and checks a manifest file. Plugin paths are resolved
// relative to the manifest's directory. A file over 64 KiB (the cap on every
// YAML document) is refused before it is read.
func LoadManifest(path string) (*Manifest, error) {
	data, err := inputlimit.ReadFile(path, inputlimit.MaxYAMLBytes, inputlimit.YAML)
	var le *inputlimit.Error
	if errors.As(err, &le) {
		return nil, &ManifestError{File: path, Msg: le.Reason(), Err: err}
	}
	if err != nil {
		return nil, &ManifestError{File: path, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return ParseManifest(data, path, filepath.Dir(abs))
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ParseManifest parses manifest YAML; file names the source in errors and dir
// is the directory plugin paths are relative to. A document over 64 KiB,
// nested deeper than 128 levels or with an alias bomb is refused before the
// YAML parser sees it.
func ParseManifest(data []byte, file, dir string) (*Manifest, error) {
	if err := inputlimit.CheckYAML(data, ""); err != nil {
		me := &ManifestError{File: file, Msg: err.Error(), Err: err}
		var le *inputlimit.Error
		if errors.As(err, &le) {
			me.Line, me.Msg = le.Line, le.Reason()
		}
		return nil, me
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(file, err)
	}
	var m Manifest
	if err := decodeYAML(data, &m); err != nil {
		return nil, yamlError(file, err)
	}
	m.Path, m.Dir = file, dir
	fail := func(field, format string, args ...any) error {
		return &ManifestError{File: file, Line: lineOf(f, field), Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if m.Version != ManifestVersion {
		return nil, fail("version", "is %d; this agentshape reads manifest version %d (write `version: 1`)", m.Version, ManifestVersion)
	}
	if len(m.Plugins) == 0 {
		return nil, fail("plugins", "lists no plugins; add at least one {name, path}")
	}
	if filepath.IsAbs(m.Root) || strings.HasPrefix(m.Root, "/") {
		return nil, fail("root", "%q is absolute; root is the directory, relative to the manifest's, that its relative paths may reach (e.g. root: ..)", m.Root)
	}
	seen := map[string]int{}
	for i := range m.Plugins {
		e := &m.Plugins[i]
		at := fmt.Sprintf("plugins[%d]", i)
		e.Line = lineOf(f, at)
		if e.Path == "" {
			return nil, fail(at+".path", "is required: the plugin's .wasm file, relative to the manifest")
		}
		e.root = m.Root
		if ociplugin.IsRemote(e.Path) {
			if msg := checkRemote(e.Path); msg != "" {
				return nil, fail(at+".path", "%s", msg)
			}
		} else if msg := m.outsideRoot(e.Path); msg != "" {
			return nil, fail(at+".path", "%s", msg)
		}
		if e.Name == "" {
			e.Name = defaultName(e.Path)
		}
		if !nameRE.MatchString(e.Name) {
			return nil, fail(at+".name", "%q is not a plugin name: use letters, digits, '.', '_' or '-' (at most 64)", e.Name)
		}
		if e.Name == BaseOwner {
			return nil, fail(at+".name", "%q is reserved for fields of the base request; choose another name", e.Name)
		}
		if j, dup := seen[e.Name]; dup {
			return nil, fail(at+".name", "%q is already the name of plugins[%d]; names must be unique (set name: explicitly)", e.Name, j)
		}
		seen[e.Name] = i
		if n := nodeAt(f, at+".sha256"); n != nil && n.Type() != ast.StringType && n.Type() != ast.NullType {
			return nil, fail(at+".sha256", "is not text to YAML (it reads %s as %s); write the pin in quotes: sha256: \"%s\"", n.GetToken().Value, withArticle(strings.ToLower(n.Type().String())), n.GetToken().Value)
		}
		if e.SHA256 != "" {
			h := strings.TrimPrefix(strings.ToLower(e.SHA256), "sha256:")
			if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
				return nil, fail(at+".sha256", "%q is not 64 hex digits (sha256sum of the .wasm)", e.SHA256)
			}
		}
		if field, msg := e.Grants.check(); field != "" {
			return nil, fail(at+".grants."+field, "%s", msg)
		}
		for j, d := range e.Grants.Dirs {
			if msg := m.outsideRoot(d.Host); msg != "" {
				return nil, fail(fmt.Sprintf("%s.grants.dirs[%d].host", at, j), "%s", msg)
			}
		}
		if _, err := e.limits(); err != nil {
			var le *limitError
			if errors.As(err, &le) {
				return nil, fail(at+".limits."+le.field, "%s", le.msg)
			}
			return nil, err
		}
	}
	return &m, nil
}

// decodeYAML decodes strictly, turning a panic inside go-yaml (it has
// panicked on some malformed inputs, e.g. a tag with no value in a list)
// into an error.
func decodeYAML(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML decoder failed on this input (%v); check the manifest's syntax around tags (!) and empty values", r)
		}
	}()
	return yaml.UnmarshalWithOptions(data, v, yaml.DisallowUnknownField())
}

type limitError struct{ field, msg string }

func (e *limitError) Error() string { return e.field + ": " + e.msg }

// limits converts the YAML limits to plugin.Limits (zero = default).
func (e *Entry) limits() (plugin.Limits, error) {
	var l plugin.Limits
	y := e.Limits
	if y.MemoryMaxPages < 0 || y.MemoryMaxPages > plugin.MaxMemoryPages {
		return l, &limitError{"memoryMaxPages", fmt.Sprintf("%d is out of range 1..%d (pages of 64 KiB)", y.MemoryMaxPages, plugin.MaxMemoryPages)}
	}
	l.MemoryMaxPages = uint32(y.MemoryMaxPages)
	if y.Timeout != "" {
		d, err := time.ParseDuration(y.Timeout)
		if err != nil || d <= 0 {
			return l, &limitError{"timeout", fmt.Sprintf("%q is not a positive duration (write e.g. 500ms or 2s)", y.Timeout)}
		}
		l.Timeout = d
	}
	if y.MaxOutputBytes < 0 {
		return l, &limitError{"maxOutputBytes", fmt.Sprintf("%d is negative", y.MaxOutputBytes)}
	}
	l.MaxOutputBytes = y.MaxOutputBytes
	if y.PoolSize < 0 {
		return l, &limitError{"poolSize", fmt.Sprintf("%d is negative", y.PoolSize)}
	}
	l.PoolSize = y.PoolSize
	if y.Fuel < 0 {
		return l, &limitError{"fuel", fmt.Sprintf("%d is negative (write a positive fuel limit, or leave it out for none)", y.Fuel)}
	}
	l.Fuel = y.Fuel
	return l, nil
}

// check finds the first malformed grant: its field below grants and what is
// wrong. Whether variables are set and directories exist is checked when the
// plugin is loaded.
func (g *EntryGrants) check() (field, msg string) {
	seen := map[string]int{}
	for i, k := range g.Env {
		if err := plugin.CheckEnvName(k); err != nil {
			return fmt.Sprintf("env[%d]", i), err.Error()
		}
		if j, dup := seen[k]; dup {
			return fmt.Sprintf("env[%d]", i), fmt.Sprintf("%s is already granted at env[%d]; list it once", k, j)
		}
		seen[k] = i
	}
	for i, d := range g.Dirs {
		if d.Host == "" {
			return fmt.Sprintf("dirs[%d].host", i), "is required: the host directory to mount read-only, relative to the manifest"
		}
		if err := plugin.CheckGuestPath(d.Guest); err != nil {
			return fmt.Sprintf("dirs[%d].guest", i), err.Error()
		}
	}
	return "", ""
}

// outsideRoot says why a relative path of the manifest leaves its root
// (written out, without looking at the file system), or "".
func (m *Manifest) outsideRoot(p string) string {
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return ""
	}
	root := filepath.Clean(filepath.FromSlash(cmp.Or(m.Root, ".")))
	if rel, err := filepath.Rel(root, filepath.Clean(filepath.FromSlash(p))); err != nil || !filepath.IsLocal(rel) {
		return fmt.Sprintf("%q leaves the manifest's root (%s); keep the manifest's files under its root, or set root: to the directory, relative to the manifest, they may reach (e.g. root: ..)", p, rootName(m.Root))
	}
	return ""
}

func rootName(root string) string {
	if root == "" || filepath.Clean(root) == "." {
		return "its own directory"
	}
	return "root: " + root
}

// Spec returns the plugin.Spec of an entry, its path resolved against dir.
// A relative path (plugin or granted directory) must resolve inside the
// manifest's root, symbolic links included (as os.Root resolves them).
func (e *Entry) Spec(dir string) (plugin.Spec, error) {
	l, err := e.limits()
	if err != nil {
		return plugin.Spec{}, err
	}
	resolve := func(field, p string) (string, error) {
		if filepath.IsAbs(p) {
			return p, nil
		}
		return confine(dir, e.root, field, p)
	}
	p, remote, err := e.remotePath()
	if !remote && err == nil {
		p, err = resolve("path", e.Path)
	}
	if err != nil {
		return plugin.Spec{}, err
	}
	g := plugin.Grants{Env: e.Grants.Env}
	for i, d := range e.Grants.Dirs {
		host, err := resolve(fmt.Sprintf("grants.dirs[%d].host", i), d.Host)
		if err != nil {
			return plugin.Spec{}, err
		}
		g.Dirs = append(g.Dirs, plugin.DirGrant{Host: host, Guest: d.Guest})
	}
	return plugin.Spec{Name: e.Name, Path: p, SHA256: cmp.Or(e.SHA256, e.localSHA256), Config: e.Config, Limits: l, Grants: g}, nil
}

// confine joins the relative path p to the manifest's directory dir and
// checks, through os.Root, that it stays inside the manifest's root (root
// relative to dir) even through symbolic links. A path that does not exist
// yet is left for the loader to report.
func confine(dir, root, field, p string) (string, error) {
	full := filepath.Join(dir, filepath.FromSlash(p))
	rootDir := filepath.Join(dir, filepath.FromSlash(cmp.Or(root, ".")))
	rel, err := filepath.Rel(rootDir, full)
	if err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%s %q leaves the manifest's root (%s); keep the manifest's files under its root, or widen root:", field, p, rootName(root))
	}
	r, err := os.OpenRoot(rootDir)
	if err != nil {
		return full, nil // no root directory: the loader reports the missing file
	}
	defer r.Close()
	if _, err := r.Stat(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s %q resolves outside the manifest's root (%s) through a symbolic link (%v); point it at a file under the root, or widen root:", field, p, rootName(root), err)
	}
	return full, nil
}

// yamlError turns a go-yaml error into a *ManifestError with its line and
// column. It never quotes the manifest's text, which may hold a config value.
func yamlError(file string, err error) error {
	se := inputlimit.YAMLError(err)
	me := &ManifestError{File: file, Msg: se.Error(), Err: se}
	var syn *inputlimit.SyntaxError
	if errors.As(se, &syn) && syn.Line > 0 {
		me.Line, me.Msg = syn.Line, fmt.Sprintf("column %d: %s", syn.Column, syn.Msg)
	}
	return me
}

// nodeAt is the node of a field ("plugins[1].sha256") in the parsed YAML,
// or nil.
func nodeAt(f *ast.File, field string) ast.Node {
	p, err := yaml.PathString("$." + field)
	if err != nil {
		return nil
	}
	n, err := p.FilterFile(f)
	if err != nil {
		return nil
	}
	return n
}

// lineOf finds the line of a field ("plugins[1].limits.timeout") in the
// parsed YAML, falling back to its nearest present parent; 0 if unknown.
func lineOf(f *ast.File, field string) int {
	for field != "" {
		if n := nodeAt(f, field); n != nil {
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				return tk.Position.Line
			}
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

// withArticle puts "a" or "an" before word, by its first letter.
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
