// Package kits embeds the sources of the plugin kits that `agentshape plugin
// new` writes into a new project outside this repository: the C kit's header,
// the AssemblyScript kit's modules and npm manifest, the Go kit's module, and
// the Rust kit's crate with find-rustc.sh.
//
// The Go kit (plugins/kits/go/shapekit) is a Go module of its own, and
// go:embed cannot reach into another module, so this package embeds a
// generated copy of it, go/shapekit.txtar; TestGoKitBundleIsCurrent fails
// until `go generate ./plugins/kits` has refreshed it after a kit change.
package kits

//go:generate go test -run ^TestGoKitBundleIsCurrent$ -update-gokit

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CHeader is plugins/kits/c/agentshape.h, the whole C kit.
//
//go:embed c/agentshape.h
var CHeader []byte

//go:embed assemblyscript/assembly/*.ts assemblyscript/package.json assemblyscript/package-lock.json
var assemblyScript embed.FS

//go:embed rust/agentshape/*.rs rust/find-rustc.sh
var rust embed.FS

// RustKit returns the Rust kit as `agentshape plugin new --lang rust` copies
// it into a project: the crate's sources (agentshape/*.rs, its unit tests
// included) and find-rustc.sh, sorted by name.
func RustKit() []File {
	var files []File
	err := fs.WalkDir(rust, "rust", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := rust.ReadFile(p)
		files = append(files, File{Name: strings.TrimPrefix(p, "rust/"), Data: b})
		return err
	})
	if err != nil {
		panic(err) // the embedded tree is read from memory
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files
}

// AssemblyScript returns the AssemblyScript kit's modules (index.ts,
// json.ts, host.ts), rooted at plugins/kits/assemblyscript/assembly.
func AssemblyScript() fs.FS {
	sub, err := fs.Sub(assemblyScript, "assemblyscript/assembly")
	if err != nil {
		panic(err) // the embedded tree always has this directory
	}
	return sub
}

// AssemblyScriptCompilerVersion returns the exact `assemblyscript` npm
// version the kit pins (plugins/kits/assemblyscript/package.json).
func AssemblyScriptCompilerVersion() (string, error) {
	b, err := assemblyScript.ReadFile("assemblyscript/package.json")
	if err != nil {
		return "", err
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return "", fmt.Errorf("kits: assemblyscript/package.json: %w", err)
	}
	v := pkg.DevDependencies["assemblyscript"]
	if v == "" {
		return "", fmt.Errorf("kits: assemblyscript/package.json pins no assemblyscript version")
	}
	return v, nil
}

// AssemblyScriptLock returns the kit's package-lock.json rewritten for a
// project named name at version, so the project installs exactly the
// compiler (and its dependencies, with their integrity hashes) the kit is
// tested with, using `npm ci`.
func AssemblyScriptLock(name, version string) ([]byte, error) {
	b, err := assemblyScript.ReadFile("assemblyscript/package-lock.json")
	if err != nil {
		return nil, err
	}
	var lock map[string]json.RawMessage
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("kits: assemblyscript/package-lock.json: %w", err)
	}
	var pkgs map[string]json.RawMessage
	if err := json.Unmarshal(lock["packages"], &pkgs); err != nil {
		return nil, fmt.Errorf("kits: assemblyscript/package-lock.json packages: %w", err)
	}
	var root map[string]any
	if err := json.Unmarshal(pkgs[""], &root); err != nil {
		return nil, fmt.Errorf("kits: assemblyscript/package-lock.json root package: %w", err)
	}
	root["name"], root["version"] = name, version
	delete(root, "license")
	set := func(m map[string]json.RawMessage, k string, v any) error {
		raw, err := json.Marshal(v)
		m[k] = raw
		return err
	}
	if err := set(pkgs, "", root); err != nil {
		return nil, err
	}
	if err := set(lock, "packages", pkgs); err != nil {
		return nil, err
	}
	if err := set(lock, "name", name); err != nil {
		return nil, err
	}
	if err := set(lock, "version", version); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// GoKitModule is the Go kit's module path, the import path of package shapekit.
const GoKitModule = "github.com/agentshape/agentshape/plugins/kits/go/shapekit"

// GoKitBundle is the file name, under plugins/kits, of the embedded copy of the Go kit.
const GoKitBundle = "go/shapekit.txtar"

//go:embed go/shapekit.txtar
var goKitBundle []byte

// File is one file of a kit: a slash-separated path relative to the kit's
// root and its content.
type File struct {
	Name string
	Data []byte
}

// GoKit returns the Go kit's module as `agentshape plugin new` copies it into
// a project: go.mod and the package's sources without their tests, sorted by
// name.
func GoKit() ([]File, error) {
	files, err := parseBundle(goKitBundle)
	if err != nil {
		return nil, fmt.Errorf("kits: the embedded %s: %w (regenerate it with `go generate ./plugins/kits`)", GoKitBundle, err)
	}
	return files, nil
}

// ReadGoKit reads the Go kit module's files from dir (plugins/kits/go/shapekit
// of a checkout): go.mod and every .go file but the tests, sorted by name.
// The kit is one flat package, so subdirectories are refused.
func ReadGoKit(dir string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("kits: read the Go kit: %w", err)
	}
	var files []File
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
			return nil, fmt.Errorf("kits: the Go kit %s has a subdirectory %s: the kit is one package; move it out or teach kits.ReadGoKit to copy it", dir, name)
		case name != "go.mod" && (!strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go")):
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("kits: read the Go kit: %w", err)
		}
		files = append(files, File{Name: name, Data: b})
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// bundleHeader opens the bundle; everything before the first file marker is
// a comment.
const bundleHeader = "Code generated by `go generate ./plugins/kits`; DO NOT EDIT.\n\n" +
	"The Go kit module (plugins/kits/go/shapekit: go.mod and the sources without\n" +
	"tests), embedded by the agentshape CLI so `agentshape plugin new --lang go`\n" +
	"can write it into a project. Format: txtar, one \"-- name --\" line a file.\n"

// formatBundle writes files in txtar form: the header, then for each file a
// "-- name --" line and its content, which must end in a newline and may
// not hold a line that reads as a marker.
func formatBundle(files []File) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(bundleHeader)
	for _, f := range files {
		if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
			return nil, fmt.Errorf("%s does not end in a newline", f.Name)
		}
		for _, line := range strings.Split(string(f.Data), "\n") {
			if _, ok := bundleMarker(line); ok {
				return nil, fmt.Errorf("%s has a line %q that reads as a bundle file marker", f.Name, line)
			}
		}
		fmt.Fprintf(&b, "-- %s --\n", f.Name)
		b.Write(f.Data)
	}
	return b.Bytes(), nil
}

// parseBundle reads what formatBundle wrote.
func parseBundle(data []byte) ([]File, error) {
	var files []File
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		if name, ok := bundleMarker(string(line)); ok {
			files = append(files, File{Name: name, Data: []byte{}})
			continue
		}
		if len(files) > 0 {
			f := &files[len(files)-1]
			f.Data = append(append(f.Data, line...), '\n')
		}
	}
	if len(files) == 0 {
		return nil, errors.New("it holds no files")
	}
	return files, nil
}

// bundleMarker reports whether line is a "-- name --" marker, and the name.
func bundleMarker(line string) (string, bool) {
	name, ok := strings.CutPrefix(line, "-- ")
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, " --")
	return name, ok && name != ""
}
