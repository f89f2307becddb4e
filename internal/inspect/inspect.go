// Package inspect describes a plugin module without running it: its kind
// (reactor or command), the ABI version it declares, its exports, imports and
// memory limits, its size and sha256, and every reason the agentshape host
// would refuse to load it (or would load it with surprises), in words a plugin
// author can act on. It backs `agentshape plugin inspect`.
//
// The checks mirror the host's load checks (host/plugin) for ABI v1
// (plugins/ABI.md): allowed imports, required exports and their types, the
// memory export and its initial size against the host's page limit. The module
// is also validated with wazero, so a binary the host could not compile is
// reported too.
package inspect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/wasmbin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Kind names of a plugin module.
const (
	// KindReactor is a module exporting shape (pooled, called per request).
	KindReactor = "reactor"
	// KindCommand is a WASI command (_start) reading the envelope on stdin.
	KindCommand = "command"
	// KindNone is a module that is neither, which the host refuses.
	KindNone = "none"
)

// Severity of a finding.
type Severity string

const (
	// Refused: the host will refuse to load the module.
	Refused Severity = "refused"
	// Warning: the host loads the module, but something will likely go
	// wrong or surprise the author.
	Warning Severity = "warning"
)

// Finding is one problem found in a module.
type Finding struct {
	// Severity says whether the host refuses the module or only warns.
	Severity Severity `json:"severity"`
	// Code is a stable machine-readable name, e.g. "forbidden_import".
	Code string `json:"code"`
	// Message says what is wrong and how to fix it.
	Message string `json:"message"`
}

// Export is one export of the module.
type Export struct {
	// Name is the export name.
	Name string `json:"name"`
	// Kind is function, memory, table, global or tag.
	Kind string `json:"kind"`
	// Type is a function's signature, e.g. "(i32, i32) -> (i64)".
	Type string `json:"type,omitempty"`
}

// Import is one import of the module.
type Import struct {
	// Module is the import module, e.g. "agentshape" or "wasi_snapshot_preview1".
	Module string `json:"module"`
	// Name is the imported name.
	Name string `json:"name"`
	// Kind is function, memory, table, global or tag.
	Kind string `json:"kind"`
	// Type is a function's signature.
	Type string `json:"type,omitempty"`
	// Allowed reports whether ABI v1 allows this import with this type.
	Allowed bool `json:"allowed"`
}

// Memory describes the module's linear memory as declared in the binary.
type Memory struct {
	// Export is the name the memory is exported under ("" when not exported).
	Export string `json:"export,omitempty"`
	// Imported reports a memory imported rather than defined (never allowed).
	Imported bool `json:"imported,omitempty"`
	// MinPages is the initial size in 64 KiB pages.
	MinPages uint64 `json:"minPages"`
	// MaxPages is the declared maximum, nil when the module declares none.
	MaxPages *uint64 `json:"maxPages"`
	// Shared reports a shared (threads) memory.
	Shared bool `json:"shared,omitempty"`
	// Memory64 reports a 64-bit memory.
	Memory64 bool `json:"memory64,omitempty"`
}

// Report is the description of one module.
type Report struct {
	// File is the path the module was read from ("" for bytes).
	File string `json:"file,omitempty"`
	// Size is the module's size in bytes.
	Size int `json:"size"`
	// SHA256 is the hex sha256 of the module, the value a manifest pins.
	SHA256 string `json:"sha256"`
	// Kind is reactor, command or none.
	Kind string `json:"kind"`
	// ABIVersion is 1 when the module exports the agentshape_abi_v1 marker, 0 otherwise.
	ABIVersion int `json:"abiVersion"`
	// Exports lists every export in binary order.
	Exports []Export `json:"exports"`
	// Imports lists every import in binary order.
	Imports []Import `json:"imports"`
	// Memory describes memory 0 (nil when the module has none).
	Memory *Memory `json:"memory"`
	// MemoryMaxPages is the host page limit the module was checked against.
	MemoryMaxPages uint32 `json:"memoryMaxPages"`
	// Findings lists every problem, refusals first.
	Findings []Finding `json:"findings"`
	// Accepted reports that no finding makes the host refuse the module.
	Accepted bool `json:"accepted"`
}

// Options tune the checks.
type Options struct {
	// MemoryMaxPages is the host's page limit for the plugin (the manifest's
	// limits.memoryMaxPages); 0 means the host default,
	// DefaultMemoryMaxPages (512 pages).
	MemoryMaxPages uint32
	// Load also loads the module into a real host (deterministic mode, no
	// cache, default limits but MemoryMaxPages) when the static checks pass,
	// so faults that only show when the module runs — a trapping _initialize
	// or start function, memory the host cannot grant — are reported as a
	// "host_load" finding. It runs the module's initialisation code, inside
	// the host's sandbox and limits.
	Load bool
	// CacheDir is the compilation cache the Load check uses, as
	// plugin.RuntimeOptions reads it: "" means the default, "-" none. The
	// host's cache makes a later load of the module cheap.
	CacheDir string
}

// DefaultMemoryMaxPages is the host's default page limit.
const DefaultMemoryMaxPages = plugin.DefaultMemoryMaxPages

// Inspect describes the module bin. It fails only when bin is not a
// WebAssembly binary at all or its sections cannot be decoded; every other
// problem is a Finding.
func Inspect(ctx context.Context, bin []byte, opts Options) (*Report, error) {
	m, err := wasmbin.Decode(bin)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	limit := opts.MemoryMaxPages
	if limit == 0 {
		limit = DefaultMemoryMaxPages
	}
	sum := sha256.Sum256(bin)
	rep := &Report{
		Size:           len(bin),
		SHA256:         hex.EncodeToString(sum[:]),
		Exports:        []Export{},
		Imports:        []Import{},
		Findings:       []Finding{},
		MemoryMaxPages: limit,
	}
	c := &checker{rep: rep, m: m}
	wasi, err := wasiFunctions(ctx)
	if err != nil {
		return nil, err
	}
	c.checkImports(wasi)
	funcs := c.listExports()
	c.checkExports(funcs)
	c.checkMemory(limit)
	if m.HasStart {
		c.add(Warning, "start_function", "the module has a start function, which runs on every instantiation before _initialize; keep it cheap or move the work to _initialize")
	}
	if err := validate(ctx, bin); err != nil {
		c.add(Refused, "invalid_module", fmt.Sprintf("wazero cannot compile the module: %v; rebuild it with a toolchain that targets WebAssembly 2.0 (core) features only", err))
	}
	if opts.Load && !hasRefusal(rep.Findings) {
		if err := loadInHost(ctx, bin, limit, opts.CacheDir); err != nil {
			c.add(Refused, "host_load", fmt.Sprintf("the host refused to load it: %v", err))
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		return rep.Findings[i].Severity == Refused && rep.Findings[j].Severity != Refused
	})
	rep.Accepted = !hasRefusal(rep.Findings)
	return rep, nil
}

func hasRefusal(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Refused {
			return true
		}
	}
	return false
}

// loadInHost loads bin the way the host does and returns its error.
func loadInHost(ctx context.Context, bin []byte, memoryMaxPages uint32, cacheDir string) error {
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{
		CacheDir:      cacheDir,
		Deterministic: true,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	p, err := rt.Load(ctx, plugin.Spec{Name: "inspected", Bytes: bin, Limits: plugin.Limits{MemoryMaxPages: memoryMaxPages, PoolSize: 1}})
	if err != nil {
		return err
	}
	return p.Close(ctx)
}

type checker struct {
	rep *Report
	m   *wasmbin.Module
}

func (c *checker) add(sev Severity, code, msg string) {
	c.rep.Findings = append(c.rep.Findings, Finding{Severity: sev, Code: code, Message: msg})
}

// importHints explain the usual sources of forbidden imports.
var importHints = map[string]string{
	"env.abort":       "AssemblyScript: build with the kit's flags (--use abort=<kit>/assembly/host/abortHandler, see plugins/assemblyscript.mk)",
	"env.seed":        "AssemblyScript: Math.random imports env.seed; use the kit's randomBytes/randomUUID instead",
	"env.trace":       "AssemblyScript: trace() imports env.trace; use the kit's log instead",
	"env.Date.now":    "AssemblyScript: Date.now imports env.Date.now; take time from the context instead",
	"env.console.log": "AssemblyScript: console.log imports env.console.log; use the kit's log instead",
	"env.memory":      "the plugin must define and export its own memory: drop --import-memory / --importMemory",
}

func (c *checker) checkImports(wasi map[string]wasmbin.FuncType) {
	for _, imp := range c.m.Imports {
		out := Import{Module: imp.Module, Name: imp.Name, Kind: imp.Kind.String()}
		full := imp.String()
		var sig wasmbin.FuncType
		sigOK := false
		if imp.Kind == wasmbin.KindFunc && imp.TypeIndex < uint32(len(c.m.Types)) {
			sig, sigOK = c.m.Types[imp.TypeIndex], true
			out.Type = sig.String()
		}
		switch {
		case imp.Kind == wasmbin.KindFunc && imp.Module == abi.HostModule && imp.Name == abi.LogImport:
			want := wasmbin.FuncType{Params: []string{"i32", "i32", "i32"}, Results: []string{}}
			if sigOK && sig.Equal(want) {
				out.Allowed = true
			} else {
				c.add(Refused, "import_type", fmt.Sprintf("imports %s with type %s, want %s (level, ptr, len)", full, sig, want))
			}
		case imp.Kind == wasmbin.KindFunc && imp.Module == abi.WASIModule:
			want, known := wasi[imp.Name]
			switch {
			case !known:
				c.add(Refused, "forbidden_import", fmt.Sprintf("imports %s, which is not a wasi_snapshot_preview1 function the host provides; remove the call that needs it", full))
			case !sigOK || !sig.Equal(want):
				c.add(Refused, "import_type", fmt.Sprintf("imports %s with type %s, want %s", full, sig, want))
			default:
				out.Allowed = true
			}
		default:
			msg := fmt.Sprintf("imports %s (a %s); a plugin may import only %s.%s and %s functions: remove the import",
				full, imp.Kind, abi.HostModule, abi.LogImport, abi.WASIModule)
			if hint, ok := importHints[full]; ok {
				msg += " — " + hint
			}
			c.add(Refused, "forbidden_import", msg)
		}
		c.rep.Imports = append(c.rep.Imports, out)
	}
}

// listExports fills rep.Exports and returns the exported function signatures by name.
func (c *checker) listExports() map[string]wasmbin.FuncType {
	funcs := map[string]wasmbin.FuncType{}
	for _, e := range c.m.Exports {
		out := Export{Name: e.Name, Kind: e.Kind.String()}
		if e.Kind == wasmbin.KindFunc {
			if sig, ok := c.m.FuncSig(e.Index); ok {
				out.Type = sig.String()
				funcs[e.Name] = sig
			}
		}
		c.rep.Exports = append(c.rep.Exports, out)
	}
	return funcs
}

func (c *checker) checkExports(funcs map[string]wasmbin.FuncType) {
	i32, i64 := "i32", "i64"
	want := func(name string, params, results []string, why string) {
		sig, ok := funcs[name]
		if !ok {
			code := "missing_export"
			if name == abi.MarkerExport {
				code = "no_abi_marker"
			}
			c.add(Refused, code, fmt.Sprintf("missing export %q: %s", name, why))
			return
		}
		if w := (wasmbin.FuncType{Params: params, Results: results}); !sig.Equal(w) {
			c.add(Refused, "export_type", fmt.Sprintf("export %q has type %s, want %s", name, sig, w))
		}
	}
	_, hasShape := funcs[abi.ShapeExport]
	_, hasStart := funcs[abi.StartExport]
	if _, ok := funcs[abi.MarkerExport]; ok {
		c.rep.ABIVersion = abi.Version
	}
	switch {
	case hasShape:
		c.rep.Kind = KindReactor
		if buildhint.GoWithoutCShared(c.m) {
			c.add(Refused, "go_not_c_shared", plugin.ErrGoNotCShared.Error())
		} else if hasStart {
			c.add(Warning, "both_kinds", "the module exports both shape and _start; the host treats it as a reactor and never runs _start (build a reactor: Go -buildmode=c-shared, C -mexec-model=reactor)")
		}
	case hasStart:
		c.rep.Kind = KindCommand
	default:
		c.rep.Kind = KindNone
		c.add(Refused, "not_a_plugin", "the module exports neither shape (a reactor) nor _start (a command); export shape(ptr i32, len i32) -> i64 with a kit, or build a WASI command")
	}
	if _, ok := funcs[abi.MarkerExport]; !ok && c.rep.Kind == KindCommand {
		c.add(Warning, "no_abi_marker", "the command does not export "+abi.MarkerExport+"; the host runs commands without it, but export it to declare ABI v1")
	}
	if c.rep.Kind == KindCommand {
		want(abi.StartExport, []string{}, []string{}, "")
	}
	if c.rep.Kind != KindCommand {
		want(abi.MarkerExport, []string{}, []string{}, "a reactor declares ABI v1 by exporting a function "+abi.MarkerExport+"() with no parameters and no results; the kits export it for you")
		want(abi.AllocExport, []string{i32}, []string{i32}, "a reactor exports alloc(size i32) -> i32 so the host can place the input envelope")
		want(abi.ShapeExport, []string{i32, i32}, []string{i64}, "a reactor exports shape(ptr i32, len i32) -> i64")
		if _, ok := funcs[abi.InitializeExport]; ok {
			want(abi.InitializeExport, []string{}, []string{}, "")
		}
	}
}

func (c *checker) checkMemory(limit uint32) {
	var memExport *wasmbin.Export
	for i, e := range c.m.Exports {
		if e.Name == abi.MemoryExport && e.Kind == wasmbin.KindMemory {
			memExport = &c.m.Exports[i]
		}
	}
	idx := uint32(0)
	if memExport != nil {
		idx = memExport.Index
	}
	l, imported, ok := c.m.MemoryLimits(idx)
	if ok {
		mem := &Memory{Imported: imported, MinPages: l.Min, Shared: l.Shared, Memory64: l.Is64}
		if l.HasMax {
			mx := l.Max
			mem.MaxPages = &mx
		}
		if memExport != nil {
			mem.Export = memExport.Name
		}
		c.rep.Memory = mem
	}
	switch {
	case memExport == nil:
		c.add(Refused, "no_memory", fmt.Sprintf("missing export %q: every plugin must export its linear memory as %q", abi.MemoryExport, abi.MemoryExport))
	case !ok:
		c.add(Refused, "no_memory", "the memory export points at a memory the module does not have")
	default:
		if l.Min > uint64(limit) {
			c.add(Refused, "memory_too_large", fmt.Sprintf("the module's memory starts at %d pages, over the host limit of %d pages; shrink the initial memory (e.g. asc --initialMemory, wasm-ld --initial-memory) or raise limits.memoryMaxPages in the manifest", l.Min, limit))
		}
		if l.HasMax && l.Max > uint64(limit) {
			c.add(Warning, "memory_max_over_limit", fmt.Sprintf("the module declares up to %d pages but the host stops growth at %d pages (limits.memoryMaxPages); a call that needs more fails with a memory limit error", l.Max, limit))
		}
	}
}

var (
	wasiOnce  sync.Once
	wasiFuncs map[string]wasmbin.FuncType
	wasiErr   error
)

// wasiFunctions lists the wasi_snapshot_preview1 functions wazero provides,
// which is exactly the set the host offers plugins.
func wasiFunctions(ctx context.Context) (map[string]wasmbin.FuncType, error) {
	wasiOnce.Do(func() {
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
		defer rt.Close(ctx)
		compiled, err := wasi_snapshot_preview1.NewBuilder(rt).Compile(ctx)
		if err != nil {
			wasiErr = fmt.Errorf("inspect: list WASI functions: %w", err)
			return
		}
		wasiFuncs = map[string]wasmbin.FuncType{}
		for name, def := range compiled.ExportedFunctions() {
			wasiFuncs[name] = wasmbin.FuncType{Params: typeNames(def.ParamTypes()), Results: typeNames(def.ResultTypes())}
		}
	})
	return wasiFuncs, wasiErr
}

func typeNames(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeName(t)
	}
	return out
}

// validate compiles bin with wazero's interpreter, which validates the module
// the same way the host's compiler does, without generating machine code.
func validate(ctx context.Context, bin []byte) (err error) {
	// wazero v1.12.0's validator can panic on some malformed function bodies
	// (found by FuzzInspect; regression seed in testdata/fuzz/FuzzInspect);
	// a panic is a module wazero cannot compile.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the validator crashed on a malformed function body (%v)", r)
		}
	}()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	compiled, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return err
	}
	return compiled.Close(ctx)
}
