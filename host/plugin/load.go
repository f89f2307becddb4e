package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/internal/instrument"
	"github.com/agentshape/agentshape/internal/wasmbin"
)

// Spec says what to load and how to run it.
type Spec struct {
	// Name identifies the plugin in errors, logs and provenance. Default: the
	// file name without ".wasm".
	Name string
	// Path is the .wasm file; ignored when Bytes is set.
	Path string
	// Bytes is the module itself.
	Bytes []byte
	// SHA256 optionally pins the module's sha256 (hex, optionally prefixed
	// "sha256:"); a mismatch is refused before compiling.
	SHA256 string
	// Config is passed to the plugin as plugin.config in every envelope.
	Config map[string]any
	// Limits bound the plugin; zero fields take DefaultLimits.
	Limits Limits
	// Grants open the sandbox for this plugin only; none by default.
	Grants Grants
}

// Kind tells reactor plugins (exported shape) from command plugins (_start).
type Kind int

// Plugin kinds.
const (
	// Reactor plugins export alloc and shape and are pooled.
	Reactor Kind = iota + 1
	// Command plugins are WASI commands (_start) reading the envelope on stdin.
	Command
)

// String implements fmt.Stringer.
func (k Kind) String() string {
	switch k {
	case Reactor:
		return "reactor"
	case Command:
		return "command"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Load reads, verifies and compiles a plugin. A reactor gets its first
// instance created (and _initialize run) here, so instantiation faults surface
// at load.
func (r *Runtime) Load(ctx context.Context, spec Spec) (loaded *Plugin, err error) {
	name := spec.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(spec.Path), ".wasm")
		if spec.Path == "" {
			name = "plugin"
		}
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, newError(name, PhaseLoad, ErrClosed, "the runtime is closed; create a new one with NewRuntime")
	}
	bin := spec.Bytes
	if bin == nil {
		if spec.Path == "" {
			return nil, newError(name, PhaseLoad, ErrInvalidModule, "neither a path nor bytes given")
		}
		b, err := inputlimit.ReadFile(spec.Path, inputlimit.MaxModuleBytes, inputlimit.Module)
		if err != nil {
			return nil, newError(name, PhaseLoad, ErrInvalidModule, "read module: %w (check the plugin path; %s)", err, buildhint.For(spec.Path))
		}
		bin = b
	}
	key := moduleKey{sum: sha256.Sum256(bin), instrument: instrument.Version}
	if r.opts.unguarded || r.opts.Stop == StopByWazero {
		key.instrument = ""
	} else if r.opts.unmetered {
		key.instrument = unmeteredVersion
	}
	if spec.SHA256 != "" {
		if err := checkPin(name, spec.SHA256, key.sum); err != nil {
			return nil, err
		}
	}
	limits := spec.Limits.withDefaults()
	if limits.Fuel > 0 && key.instrument == "" {
		return nil, newError(name, PhaseLoad, ErrInvalidModule, "limits.fuel %d needs the host's stop checks, and this runtime stops plugins with wazero's close-on-context-done (RuntimeOptions.Stop = StopByWazero); drop the fuel limit or use StopByChecks", limits.Fuel)
	}
	if limits.MemoryMaxPages > maxWasmPages {
		return nil, newError(name, PhaseLoad, ErrMemoryLimit, "limits.memoryMaxPages %d is over the wasm32 maximum of %d pages", limits.MemoryMaxPages, maxWasmPages)
	}
	imports, err := scanImports(bin)
	if err != nil {
		return nil, newError(name, PhaseLoad, ErrInvalidModule, "%w", err)
	}
	for _, imp := range imports {
		if err := r.checkImport(imp); err != nil {
			return nil, newError(name, PhaseLoad, ErrABI, "%w", err)
		}
	}
	if err := checkBuild(bin); err != nil {
		return nil, newError(name, PhaseLoad, ErrABI, "%w", err)
	}
	sb, err := resolveGrants(name, spec.Grants)
	if err != nil {
		return nil, err
	}
	defer func() {
		if loaded == nil {
			sb.close() // the granted directories stay open only for a loaded plugin
		}
	}()
	cfgJSON := []byte("{}")
	if spec.Config != nil {
		if cfgJSON, err = json.Marshal(spec.Config); err != nil {
			return nil, newError(name, PhaseLoad, ErrABI, "config cannot be encoded as JSON: %w", err)
		}
	}
	if bin, err = r.instrument(bin, key); err != nil {
		return nil, newError(name, PhaseLoad, ErrInvalidModule, "%w", err)
	}
	compiled, err := r.compile(ctx, bin, key)
	if err != nil {
		return nil, newError(name, PhaseCompile, ErrInvalidModule, "%w", err)
	}
	p := &Plugin{
		name:     name,
		rt:       r,
		compiled: compiled,
		limits:   limits,
		config:   spec.Config,
		logger:   r.logger.With("plugin", name),
		sem:      make(chan struct{}, limits.PoolSize),
		idle:     make(chan *instance, limits.PoolSize),
		sandbox:  sb,
	}
	if d := sb.describe(); d != "" {
		p.logger.Debug("plugin granted", "grants", d)
	}
	p.envPrefix = envelopePrefix(name, cfgJSON)
	if err := r.checkImportTypes(compiled.ImportedFunctions()); err != nil {
		_ = compiled.Close(ctx)
		return nil, newError(name, PhaseLoad, ErrABI, "%w", err)
	}
	if p.kind, err = checkExports(compiled.ExportedFunctions(), compiled.ExportedMemories()); err != nil {
		_ = compiled.Close(ctx)
		return nil, newError(name, PhaseLoad, ErrABI, "%w", err)
	}
	if mem := compiled.ExportedMemories()[abi.MemoryExport]; mem.Min() > limits.MemoryMaxPages {
		_ = compiled.Close(ctx)
		return nil, newError(name, PhaseLoad, ErrMemoryLimit, "the module's memory starts at %d pages, over limits.memoryMaxPages %d; raise the limit or shrink the module's initial memory", mem.Min(), limits.MemoryMaxPages)
	}
	if p.kind == Reactor {
		inst, err := p.instantiate(ctx)
		if err != nil {
			_ = compiled.Close(ctx)
			return nil, err
		}
		p.idle <- inst
	}
	r.mu.Lock()
	r.plugins[p] = struct{}{}
	r.mu.Unlock()
	return p, nil
}

func checkPin(name, pin string, sum [sha256.Size]byte) error {
	want := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(pin), "sha256:"))
	if len(want) != sha256.Size*2 {
		return newError(name, PhaseLoad, ErrHashMismatch, "pinned sha256 %q is not 64 hex digits", pin)
	}
	if _, err := hex.DecodeString(want); err != nil {
		return newError(name, PhaseLoad, ErrHashMismatch, "pinned sha256 %q is not hex", pin)
	}
	got := hex.EncodeToString(sum[:])
	if got != want {
		return newError(name, PhaseLoad, ErrHashMismatch, "module sha256 is %s but the manifest pins %s; the module was changed or replaced: re-pin it only if you trust the new build", got, want)
	}
	return nil
}

func (r *Runtime) checkImport(imp wasmbin.Import) error {
	switch {
	case imp.Module == abi.HostModule && imp.Name == abi.LogImport && imp.Kind == wasmbin.KindFunc:
		return nil
	case imp.Module == abi.WASIModule && imp.Kind == wasmbin.KindFunc:
		if _, ok := r.wasi[imp.Name]; ok {
			return nil
		}
		return fmt.Errorf("imports %s, which is not a wasi_snapshot_preview1 function this host provides", imp)
	}
	return fmt.Errorf("imports %s (a %s); a plugin may import only %s.%s and %s functions: remove the import", imp, imp.Kind, abi.HostModule, abi.LogImport, abi.WASIModule)
}

// checkImportTypes checks the signatures of allowed imports.
func (r *Runtime) checkImportTypes(defs []api.FunctionDefinition) error {
	i32 := api.ValueTypeI32
	for _, d := range defs {
		mod, name, _ := d.Import()
		var wantP, wantR []api.ValueType
		switch mod {
		case abi.HostModule:
			wantP = []api.ValueType{i32, i32, i32}
		case abi.WASIModule:
			w := r.wasi[name]
			wantP, wantR = w.ParamTypes(), w.ResultTypes()
		case instrument.ImportModule: // added by instrument.Module: () -> ()
		}
		if !slices.Equal(d.ParamTypes(), wantP) || !slices.Equal(d.ResultTypes(), wantR) {
			return fmt.Errorf("imports %s.%s with type %s, want %s", mod, name, sig(d.ParamTypes(), d.ResultTypes()), sig(wantP, wantR))
		}
	}
	return nil
}

func sig(params, results []api.ValueType) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ", ")
	}
	return "(" + names(params) + ") -> (" + names(results) + ")"
}

// checkExports validates the exports and tells the plugin kind apart.
func checkExports(funcs map[string]api.FunctionDefinition, mems map[string]api.MemoryDefinition) (Kind, error) {
	if _, ok := mems[abi.MemoryExport]; !ok {
		return 0, fmt.Errorf("missing export %q: every plugin must export its linear memory as %q", abi.MemoryExport, abi.MemoryExport)
	}
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	want := func(name string, params, results []api.ValueType, why string) error {
		f, ok := funcs[name]
		if !ok {
			return fmt.Errorf("missing export %q: %s", name, why)
		}
		if !slices.Equal(f.ParamTypes(), params) || !slices.Equal(f.ResultTypes(), results) {
			return fmt.Errorf("export %q has type %s, want %s", name, sig(f.ParamTypes(), f.ResultTypes()), sig(params, results))
		}
		return nil
	}
	_, hasShape := funcs[abi.ShapeExport]
	_, hasStart := funcs[abi.StartExport]
	if !hasShape && hasStart {
		if err := want(abi.StartExport, nil, nil, ""); err != nil {
			return 0, err
		}
		return Command, nil
	}
	if err := want(abi.MarkerExport, nil, nil, "a reactor declares ABI v1 by exporting a function "+abi.MarkerExport+"() with no parameters and no results (a module exporting neither shape nor _start is not a plugin)"); err != nil {
		return 0, err
	}
	if err := want(abi.AllocExport, []api.ValueType{i32}, []api.ValueType{i32}, "a reactor exports alloc(size i32) -> i32 so the host can place the input envelope"); err != nil {
		return 0, err
	}
	if err := want(abi.ShapeExport, []api.ValueType{i32, i32}, []api.ValueType{i64}, "a reactor exports shape(ptr i32, len i32) -> i64"); err != nil {
		return 0, err
	}
	if _, ok := funcs[abi.InitializeExport]; ok {
		if err := want(abi.InitializeExport, nil, nil, ""); err != nil {
			return 0, err
		}
	}
	return Reactor, nil
}

// envelopePrefix pre-encodes `{"abi":1,"plugin":{"name":...,"config":...},"context":`.
func envelopePrefix(name string, cfg []byte) []byte {
	n, _ := json.Marshal(name)
	b := []byte(`{"abi":1,"plugin":{"name":`)
	b = append(b, n...)
	b = append(b, `,"config":`...)
	b = append(b, cfg...)
	b = append(b, `},"context":`...)
	return b
}

// compile compiles bin, the module key names, turning a panic inside
// wazero's decoder or validator (seen on some malformed modules) into an
// error, so a hostile file cannot crash the host.
func (r *Runtime) compile(ctx context.Context, bin []byte, key moduleKey) (compiled wazero.CompiledModule, err error) {
	lock, _ := r.compiling.LoadOrStore(key, new(sync.Mutex))
	lock.(*sync.Mutex).Lock()
	defer lock.(*sync.Mutex).Unlock()
	defer func() {
		if v := recover(); v != nil {
			compiled = nil
			err = fmt.Errorf("the module is malformed: wazero failed while validating it (%v); rebuild it with a standard toolchain and check it with `agentshape plugin inspect`", v)
		}
	}()
	return r.rt.CompileModule(ctx, bin)
}
