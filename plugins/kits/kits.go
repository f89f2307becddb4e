// Package kits embeds the sources of the plugin kits that a plugin project
// copies rather than imports — the C kit's header and the AssemblyScript
// kit's modules and npm manifest — so `agentshape plugin new` can write them
// into a new project outside this repository. (The Go kit is a Go package; a
// new Go project imports it, see plugins/scaffold.)
package kits

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
)

// CHeader is plugins/kits/c/agentshape.h, the whole C kit.
//
//go:embed c/agentshape.h
var CHeader []byte

//go:embed assemblyscript/assembly/*.ts assemblyscript/package.json assemblyscript/package-lock.json
var assemblyScript embed.FS

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
