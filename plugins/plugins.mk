# plugins/plugins.mk — `make plugins` builds every plugin under plugins/ to .wasm.
#
# Included by the top-level Makefile; paths are relative to the repository root.
# Nothing here names a plugin: a new plugin directory is picked up by its files.
#
#   plugins/examples/<name>/main.go    Go reactor  -> plugins/build/<name>.wasm
#                                      (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared)
#   plugins/examples/<name>/*.c        C reactor   -> plugins/build/<name>.wasm
#                                      (clang --target=wasm32-wasi -mexec-model=reactor, C kit on the include path)
#   plugins/examples/<name>/lib.rs     Rust reactor -> plugins/build/<name>.wasm
#                                      (rustc --crate-type cdylib with the Rust kit crate, plugins/kits/rust)
#   plugins/testdata/**/<x>.wat        WAT         -> plugins/build/testdata/**/<x>.wasm (wat2wasm)
#   plugins/testdata/**/<x>.c          C           -> plugins/build/testdata/**/<x>.wasm
#   plugins/testdata/**/<x>/main.go    Go reactor  -> plugins/build/testdata/**/<x>.wasm
#   plugins/testdata/**/<x>/lib.rs     Rust reactor -> plugins/build/testdata/**/<x>.wasm
#
# Test-data C files build as reactors; a file containing the marker
# `agentshape:command` builds as a WASI command module (_start) instead.
# Test-data Go plugins build like the examples; a main.go containing the
# marker `agentshape:no-c-shared` builds WITHOUT -buildmode=c-shared (the
# mistake `plugin inspect` and the gate diagnose). plugins/testdata/kitbench/go
# is built by plugins/assemblyscript.mk.
# AssemblyScript plugins come from plugins/assemblyscript.mk (Makefile hook).
#
# Builds are incremental (C and WAT outputs depend on their sources and the C
# kit; Go outputs are rebuilt through Go's build cache and replaced only when
# their bytes change) and atomic (written to a temporary file, then renamed).
# A missing toolchain stops the build with a message to run `make toolchains`.

PLUGINS_BUILD  := plugins/build
PLUGINS_GO     ?= $(GO)
PLUGINS_CC     ?= clang
PLUGINS_WAT2WASM ?= wat2wasm
PLUGINS_CFLAGS ?= -O2 -Wall -Wextra -Werror
PLUGINS_WATFLAGS ?=
PLUGINS_WASI_TARGET ?= wasm32-wasi

plugins_find = $(shell find $(1) $(2) 2>/dev/null | LC_ALL=C sort)

# Go plugins: example directories with a main.go.
PLUGINS_GO_NAMES := $(patsubst plugins/examples/%/main.go,%,$(wildcard plugins/examples/*/main.go))
# C plugins: example directories with .c files and no main.go.
PLUGINS_C_NAMES  := $(filter-out $(PLUGINS_GO_NAMES),$(patsubst plugins/examples/%/,%,$(sort $(dir $(wildcard plugins/examples/*/*.c)))))

PLUGINS_C_KIT    := $(wildcard plugins/kits/c/*.h)

PLUGINS_TD_WAT   := $(call plugins_find,plugins/testdata,-name '*.wat')
PLUGINS_TD_C     := $(call plugins_find,plugins/testdata,-name '*.c')
PLUGINS_TD_GO    := $(filter-out plugins/testdata/kitbench/%,$(call plugins_find,plugins/testdata,-name main.go))

# Rust plugins: example and test-data directories with a lib.rs (the crate root).
PLUGINS_RS_NAMES := $(patsubst plugins/examples/%/lib.rs,%,$(wildcard plugins/examples/*/lib.rs))
PLUGINS_TD_RS    := $(call plugins_find,plugins/testdata,-name lib.rs)

PLUGINS_OUT := $(foreach n,$(PLUGINS_GO_NAMES) $(PLUGINS_C_NAMES) $(PLUGINS_RS_NAMES),$(PLUGINS_BUILD)/$(n).wasm) \
	$(patsubst plugins/testdata/%.wat,$(PLUGINS_BUILD)/testdata/%.wasm,$(PLUGINS_TD_WAT)) \
	$(patsubst plugins/testdata/%.c,$(PLUGINS_BUILD)/testdata/%.wasm,$(PLUGINS_TD_C)) \
	$(patsubst plugins/testdata/%/main.go,$(PLUGINS_BUILD)/testdata/%.wasm,$(PLUGINS_TD_GO)) \
	$(patsubst plugins/testdata/%/lib.rs,$(PLUGINS_BUILD)/testdata/%.wasm,$(PLUGINS_TD_RS))

.PHONY: plugins plugins-list plugins-clean
## plugins: build every plugin (Go, C, WAT test data) into plugins/build
plugins: $(PLUGINS_OUT)

## plugins-list: print what `make plugins` builds
plugins-list:
	@printf '%s\n' $(PLUGINS_OUT)

plugins-clean:
	rm -rf $(PLUGINS_BUILD)

# plugins_need TOOL: fail loudly, naming the fix, when TOOL is not installed.
plugins_need = @command -v $(1) >/dev/null 2>&1 || { echo "plugins: '$(1)' is not installed; run \`make toolchains\` (Debian packages clang lld wasi-libc libclang-rt-dev-wasm32 wabt)" >&2; exit 1; }
plugins_need_wasi = @printf 'int agentshape_probe;\n' | $(PLUGINS_CC) --target=$(PLUGINS_WASI_TARGET) -mexec-model=reactor -x c - -o /dev/null 2>/dev/null || \
	{ echo "plugins: '$(PLUGINS_CC) --target=$(PLUGINS_WASI_TARGET)' cannot link a WASI reactor (wasi-libc or lld missing); run \`make toolchains\`" >&2; exit 1; }

# ---- Go example plugins ------------------------------------------------
# Go plugins are always handed to `go build` (FORCE): Go's build cache knows
# every dependency (the kit, other packages, go.mod) and a no-op build takes a
# fraction of a second. The .wasm is replaced only when its bytes change, so
# its timestamp (and anything depending on it) moves only on real changes.
define plugins_go_rule
$(PLUGINS_BUILD)/$(1).wasm: plugins-force
	@mkdir -p $$(@D)
	@GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $(PLUGINS_GO) build -buildmode=c-shared -trimpath -o $$@.tmp ./plugins/examples/$(1)
	@if cmp -s $$@.tmp $$@; then rm -f $$@.tmp; else mv -f $$@.tmp $$@; echo "plugins: built $$@ (go)"; fi
endef
$(foreach n,$(PLUGINS_GO_NAMES),$(eval $(call plugins_go_rule,$(n))))

# Go test-data plugins: the same, from plugins/testdata/<dir>/main.go.
define plugins_td_go_rule
$(PLUGINS_BUILD)/testdata/$(1).wasm: plugins-force
	@mkdir -p $$(@D)
	@mode=-buildmode=c-shared; grep -q 'agentshape:no-c-shared' plugins/testdata/$(1)/main.go && mode=; \
	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $(PLUGINS_GO) build $$$$mode -trimpath -o $$@.tmp ./plugins/testdata/$(1)
	@if cmp -s $$@.tmp $$@; then rm -f $$@.tmp; else mv -f $$@.tmp $$@; echo "plugins: built $$@ (go)"; fi
endef
$(foreach d,$(patsubst plugins/testdata/%/main.go,%,$(PLUGINS_TD_GO)),$(eval $(call plugins_td_go_rule,$(d))))

.PHONY: plugins-force
plugins-force:

# ---- C example plugins -------------------------------------------------
define plugins_c_rule
$(PLUGINS_BUILD)/$(1).wasm: $(wildcard plugins/examples/$(1)/*.c plugins/examples/$(1)/*.h) $(PLUGINS_C_KIT)
	$(call plugins_need,$(PLUGINS_CC))
	$(plugins_need_wasi)
	@mkdir -p $$(@D)
	$(PLUGINS_CC) --target=$(PLUGINS_WASI_TARGET) -mexec-model=reactor $(PLUGINS_CFLAGS) -Iplugins/kits/c -o $$@.tmp $(wildcard plugins/examples/$(1)/*.c)
	@mv -f $$@.tmp $$@
endef
$(foreach n,$(PLUGINS_C_NAMES),$(eval $(call plugins_c_rule,$(n))))

# ---- test data -----------------------------------------------------------
$(PLUGINS_BUILD)/testdata/%.wasm: plugins/testdata/%.wat
	$(call plugins_need,$(PLUGINS_WAT2WASM))
	@mkdir -p $(@D)
	$(PLUGINS_WAT2WASM) $(PLUGINS_WATFLAGS) -o $@.tmp $<
	@mv -f $@.tmp $@

$(PLUGINS_BUILD)/testdata/%.wasm: plugins/testdata/%.c $(PLUGINS_C_KIT)
	$(call plugins_need,$(PLUGINS_CC))
	$(plugins_need_wasi)
	@mkdir -p $(@D)
	model=reactor; grep -q 'agentshape:command' $< && model=command; \
	$(PLUGINS_CC) --target=$(PLUGINS_WASI_TARGET) -mexec-model=$$model -O2 -Iplugins/kits/c -o $@.tmp $<
	@mv -f $@.tmp $@

# ---- Rust plugins --------------------------------------------------------
# The Rust kit (plugins/kits/rust/agentshape) is a crate of its own, built
# once into an rlib that every Rust plugin links with --extern agentshape.
# plugins/kits/rust/find-rustc.sh picks a rustc that has the standard library
# for wasm32-wasip1 or wasm32-wasi (a newer rustc first on PATH may lack it;
# Debian's /usr/bin/rustc with libstd-rust-dev-wasm32 has wasm32-wasi) and
# says what to install when none does. Its answer, that rustc's version and
# the flags go to $(PLUGINS_RS_TOOLCHAIN), rewritten only when they change, so
# switching toolchains or flags rebuilds the kit and every Rust plugin.
PLUGINS_RS_KIT_DIR   := plugins/kits/rust
PLUGINS_RS_KIT_SRC   := $(wildcard $(PLUGINS_RS_KIT_DIR)/agentshape/*.rs)
PLUGINS_RS_TOOLCHAIN := $(PLUGINS_BUILD)/rust/toolchain
PLUGINS_RS_KIT       := $(PLUGINS_BUILD)/rust/libagentshape.rlib
PLUGINS_RSFLAGS      ?= --edition 2021 -O -C strip=debuginfo -D warnings
# The plugins' stack: 256 KiB instead of rustc's 1 MiB for wasm, so an
# instance starts with 5 pages of memory rather than 17 (the kit's JSON
# recursion, 512 levels deep at most, needs well under 64 KiB). The stack
# sits below the data, so an overflow traps instead of overwriting anything.
PLUGINS_RS_STACK     ?= 262144

$(PLUGINS_RS_TOOLCHAIN): plugins-force
	@mkdir -p $(@D)
	@tc=$$(sh $(PLUGINS_RS_KIT_DIR)/find-rustc.sh) || { echo "plugins: no rustc for Rust plugins; run \`make toolchains\`" >&2; exit 1; }; \
	set -- $$tc; printf '%s %s %s | %s\n' "$$1" "$$2" "$$("$$1" --version)" "$(PLUGINS_RSFLAGS) stack=$(PLUGINS_RS_STACK)" > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

# plugins_rustc runs the chosen rustc for the chosen wasm target.
plugins_rustc = set -- $$(cat $(PLUGINS_RS_TOOLCHAIN)); "$$1" --target "$$2" $(PLUGINS_RSFLAGS)

$(PLUGINS_RS_KIT): $(PLUGINS_RS_KIT_SRC) $(PLUGINS_RS_TOOLCHAIN)
	@$(plugins_rustc) --crate-type rlib --crate-name agentshape -o $@.tmp $(PLUGINS_RS_KIT_DIR)/agentshape/lib.rs
	@mv -f $@.tmp $@

# plugins_rs_rule OUT SRCDIR: a Rust reactor from SRCDIR/lib.rs (and its modules).
define plugins_rs_rule
$(1): $(wildcard $(2)/*.rs) $(PLUGINS_RS_KIT)
	@mkdir -p $$(@D)
	@$$(plugins_rustc) --crate-type cdylib -C link-arg=-zstack-size=$(PLUGINS_RS_STACK) --extern agentshape=$(PLUGINS_RS_KIT) -o $$@.tmp $(2)/lib.rs
	@mv -f $$@.tmp $$@
	@echo "plugins: built $$@ (rust)"
endef
$(foreach n,$(PLUGINS_RS_NAMES),$(eval $(call plugins_rs_rule,$(PLUGINS_BUILD)/$(n).wasm,plugins/examples/$(n))))
$(foreach f,$(PLUGINS_TD_RS),$(eval $(call plugins_rs_rule,$(patsubst plugins/testdata/%/lib.rs,$(PLUGINS_BUILD)/testdata/%.wasm,$(f)),$(patsubst %/lib.rs,%,$(f)))))
