package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/inputlimit"
)

// moduleInfo is what the ABI checks read from one module.
type moduleInfo struct {
	member   Member
	funcs    map[string]api.FunctionDefinition
	mems     map[string]api.MemoryDefinition
	imports  []api.FunctionDefinition
	otherImp []string // imported memories, tables, globals
	minPages uint32
	maxPages uint32
	hasMax   bool
}

// inspectModules compiles each member (without instantiating it) to read its
// exports, imports and memory. It compiles as the plugin host does, through
// the same compilation cache (cacheDir as in Options.CacheDir), so a module
// the host has compiled before is read from the cache, not compiled again.
func inspectModules(ctx context.Context, members []Member, cacheDir string) ([]moduleInfo, error) {
	cfg := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true).WithCoreFeatures(api.CoreFeaturesV2)
	if cacheDir != "-" {
		dir := cacheDir
		var err error
		if dir == "" {
			dir, err = plugin.DefaultCacheDir()
		}
		if err == nil {
			if cache, cerr := wazero.NewCompilationCacheWithDir(dir); cerr == nil {
				cfg = cfg.WithCompilationCache(cache)
				defer cache.Close(ctx)
			}
		}
	}
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	defer r.Close(ctx)
	var out []moduleInfo
	for _, m := range members {
		bin, err := inputlimit.ReadFile(m.Path, inputlimit.MaxModuleBytes, inputlimit.Module)
		if err != nil {
			return nil, fmt.Errorf("read plugin %s: %w", m.Name, err)
		}
		cm, err := r.CompileModule(ctx, bin)
		if err != nil {
			return nil, fmt.Errorf("plugin %s is not a WebAssembly module wazero can compile: %w", m.Name, err)
		}
		mi := moduleInfo{member: m, funcs: cm.ExportedFunctions(), mems: cm.ExportedMemories(), imports: cm.ImportedFunctions()}
		for _, md := range cm.ImportedMemories() {
			mod, name, _ := md.Import()
			mi.otherImp = append(mi.otherImp, mod+"."+name+" (memory)")
		}
		if md, ok := mi.mems[abi.MemoryExport]; ok {
			mi.minPages = md.Min()
			mi.maxPages, mi.hasMax = md.Max()
		}
		out = append(out, mi)
		_ = cm.Close(ctx)
	}
	return out, nil
}

func (mi moduleInfo) kind() plugin.Kind {
	_, shape := mi.funcs[abi.ShapeExport]
	_, start := mi.funcs[abi.StartExport]
	if !shape && start {
		return plugin.Command
	}
	return plugin.Reactor
}

func sigOf(d api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ", ")
	}
	return "(" + names(d.ParamTypes()) + ") -> (" + names(d.ResultTypes()) + ")"
}

// checkExports reports what a module's kind requires but the module lacks.
func (mi moduleInfo) checkExports() []string {
	var probs []string
	if _, ok := mi.mems[abi.MemoryExport]; !ok {
		probs = append(probs, fmt.Sprintf("%s: does not export its memory as %q", mi.member.Name, abi.MemoryExport))
	}
	want := func(name, sig string) {
		f, ok := mi.funcs[name]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s: missing export %s %s", mi.member.Name, name, sig))
			return
		}
		if got := sigOf(f); got != sig {
			probs = append(probs, fmt.Sprintf("%s: export %s has type %s, want %s", mi.member.Name, name, got, sig))
		}
	}
	if mi.kind() == plugin.Command {
		want(abi.StartExport, "() -> ()")
		return probs
	}
	want(abi.AllocExport, "(i32) -> (i32)")
	want(abi.ShapeExport, "(i32, i32) -> (i64)")
	if _, ok := mi.funcs[abi.InitializeExport]; ok {
		want(abi.InitializeExport, "() -> ()")
	}
	return probs
}

// checkMarker reports a reactor without the ABI v1 marker.
func (mi moduleInfo) checkMarker() []string {
	if mi.kind() == plugin.Command {
		return nil
	}
	f, ok := mi.funcs[abi.MarkerExport]
	if !ok {
		return []string{fmt.Sprintf("%s: missing export %s() — a reactor declares ABI v1 by exporting it", mi.member.Name, abi.MarkerExport)}
	}
	if got := sigOf(f); got != "() -> ()" {
		return []string{fmt.Sprintf("%s: export %s has type %s, want () -> ()", mi.member.Name, abi.MarkerExport, got)}
	}
	return nil
}

// wasiNames lists the wasi_snapshot_preview1 functions the host provides.
func wasiNames(ctx context.Context) (map[string]bool, error) {
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	cm, err := wasi_snapshot_preview1.NewBuilder(r).Compile(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for n := range cm.ExportedFunctions() {
		names[n] = true
	}
	return names, nil
}

// checkImports reports imports other than agentshape.log and WASI functions.
func (mi moduleInfo) checkImports(wasi map[string]bool) []string {
	var probs []string
	for _, d := range mi.imports {
		mod, name, _ := d.Import()
		switch {
		case mod == abi.HostModule && name == abi.LogImport:
			if got := sigOf(d); got != "(i32, i32, i32) -> ()" {
				probs = append(probs, fmt.Sprintf("%s: imports %s.%s with type %s, want (i32, i32, i32) -> ()", mi.member.Name, mod, name, got))
			}
		case mod == abi.WASIModule && wasi[name]:
		default:
			probs = append(probs, fmt.Sprintf("%s: imports %s.%s, but a plugin may import only %s.%s and %s functions", mi.member.Name, mod, name, abi.HostModule, abi.LogImport, abi.WASIModule))
		}
	}
	for _, o := range mi.otherImp {
		probs = append(probs, fmt.Sprintf("%s: imports %s; a plugin may import only functions", mi.member.Name, o))
	}
	slices.Sort(probs)
	return probs
}

// checkMemory reports a module whose initial memory exceeds its page limit.
func (mi moduleInfo) checkMemory() []string {
	limit := mi.member.Limits.MemoryMaxPages
	if limit == 0 {
		limit = plugin.DefaultLimits().MemoryMaxPages
	}
	if mi.minPages > limit {
		return []string{fmt.Sprintf("%s: starts with %d memory pages but its limit is %d pages (%d KiB); shrink the initial memory or raise limits.memoryMaxPages",
			mi.member.Name, mi.minPages, limit, limit*64)}
	}
	return nil
}
