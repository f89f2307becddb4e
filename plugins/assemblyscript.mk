# AssemblyScript plugins (owned with plugins/kits/assemblyscript): `make plugins-as`
# builds every AssemblyScript plugin into plugins/build:
#
#   plugins/examples/<name>/assembly/index.ts        -> plugins/build/<name>.wasm
#   plugins/testdata/**/<name>/assembly/index.ts     -> plugins/build/testdata/**/<name>.wasm
#
# and the Go half of the kit benchmark (plugins/testdata/kitbench/go ->
# plugins/build/testdata/kitbench/go.wasm; the C half is built by plugins.mk's
# testdata rule). The compiler is the pinned `assemblyscript` package from npm,
# installed from plugins/kits/assemblyscript/package-lock.json with `npm ci`.

AS_KIT      := plugins/kits/assemblyscript
AS_STAMP    := $(AS_KIT)/node_modules/.agentshape-installed
ASC         := $(AS_KIT)/node_modules/.bin/asc
# --exportStart _initialize: static initialisers run from _initialize (which the
#   host calls once per instance) instead of a wasm start section.
# --runtime minimal: TLSF allocator + a collector the kit runs at the start of
#   every call (nothing else is alive then), so pooled instances stay flat.
# --use abort=...: route AssemblyScript's abort to the kit (logs, then traps),
#   so the module imports nothing but agentshape.log and WASI.
ASFLAGS     ?= --runtime minimal --exportStart _initialize --use abort=$(AS_KIT)/assembly/host/abortHandler -O3 --noColors
AS_KIT_SRC  := $(wildcard $(AS_KIT)/assembly/*.ts)

AS_EXAMPLE_ENTRIES  := $(wildcard plugins/examples/*/assembly/index.ts)
AS_TESTDATA_ENTRIES := $(shell find plugins/testdata -path '*/assembly/index.ts' 2>/dev/null)
AS_WASM := $(patsubst plugins/examples/%/assembly/index.ts,plugins/build/%.wasm,$(AS_EXAMPLE_ENTRIES)) \
           $(patsubst plugins/testdata/%/assembly/index.ts,plugins/build/testdata/%.wasm,$(AS_TESTDATA_ENTRIES))

KITBENCH_GO_SRC := $(wildcard plugins/testdata/kitbench/go/*.go) $(wildcard plugins/kits/go/shapekit/*.go) plugins/kits/go/shapekit/go.mod $(wildcard host/abi/*.go) go.mod go.sum go.work

.PHONY: plugins-as as-kit
plugins-as: $(AS_WASM) plugins/build/testdata/kitbench/go.wasm

## as-kit: install the pinned AssemblyScript compiler from npm (once)
as-kit: $(AS_STAMP)

$(AS_STAMP): $(AS_KIT)/package.json $(AS_KIT)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "plugins-as: npm is not installed; install Node.js 18+ and npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd $(AS_KIT) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# One explicit rule per plugin (no pattern rules, so plugins.mk's rules for Go
# and C plugins never compete with these).
define as_plugin_rule
$(1): $(2) $$(wildcard $(dir $(2))*.ts) $$(AS_KIT_SRC) $$(AS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(ASC) $(2) -o $$@.tmp $$(ASFLAGS)
	@mv -f $$@.tmp $$@
endef
$(foreach e,$(AS_EXAMPLE_ENTRIES),$(eval $(call as_plugin_rule,$(patsubst plugins/examples/%/assembly/index.ts,plugins/build/%.wasm,$(e)),$(e))))
$(foreach e,$(AS_TESTDATA_ENTRIES),$(eval $(call as_plugin_rule,$(patsubst plugins/testdata/%/assembly/index.ts,plugins/build/testdata/%.wasm,$(e)),$(e))))

plugins/build/testdata/kitbench/go.wasm: $(KITBENCH_GO_SRC)
	@mkdir -p $(dir $@)
	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $(GO) build -buildmode=c-shared -trimpath -o $@.tmp ./plugins/testdata/kitbench/go
	@mv -f $@.tmp $@
