# agentshape — build, test and demo.
#
#   make demo     shape → validate → Start Session against the embedded emulator
#   make test     install what is needed, build every plugin, run every test
#   make install  bin/agentshape → $(DESTDIR)$(PREFIX)/bin (PREFIX=/usr/local)
#   make dist     release binaries, archives and SHA256SUMS in dist/ (VERSION=v…)
#
# Every target installs what it needs itself and is safe to run again.

SHELL       := /bin/bash
GO          ?= go
BIN         := bin/agentshape
GOTESTFLAGS ?=
export CGO_ENABLED ?= 1
# The checkout is a Go workspace (go.work): the root module and the Go kit's
# own module, plugins/kits/go/shapekit, which ./... does not reach.
GO_PKGS     := ./... ./plugins/kits/go/shapekit/...

# What `agentshape --version` says (internal/version, set with -ldflags -X):
# the nearest v* tag (git describe: v0.2.0, v0.2.0-3-g1a2b3c4, …-dirty) or
# "devel" (or "devel-dirty") when there is none, and the full commit. Override: make VERSION=v0.2.0.
VERSION     ?= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null || \
                 { git diff --quiet HEAD 2>/dev/null && echo devel || echo devel-dirty; })
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
VERSION_PKG := github.com/agentshape/agentshape/internal/version
LDFLAGS     := -X $(VERSION_PKG).version=$(VERSION) -X $(VERSION_PKG).commit=$(COMMIT)
# -trimpath everywhere the CLI is built (build, vet, dist): no build paths in
# the binary, and one set of compiled packages in the Go cache for all three.
GOBUILD     := CGO_ENABLED=0 $(GO) build -trimpath

# make install: the GNU conventions (DESTDIR for staged installs and packagers).
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin

# make dist: the release. The matrix is linux, darwin and windows on amd64
# and arm64 (internal/dist); DIST_PLATFORMS narrows it (GOOS/GOARCH, space
# separated, e.g. DIST_PLATFORMS=linux/amd64); the archives' timestamps are the commit's, so the same
# commit and toolchain give the same bytes.
DIST_DIR       ?= dist
DIST_PLATFORMS ?=
CHANGELOG      ?= CHANGELOG.md
RELEASE_DATE   ?= $(shell date -u +%Y-%m-%d)
DIST_EPOCH     ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

.PHONY: all build install uninstall dist setup toolchains plugins test vet unit contracts demo bench clean

all: build plugins

## build: the CLI, pure Go (no cgo), stamped with VERSION and COMMIT
build:
	$(GOBUILD) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/agentshape

## install: build, then copy bin/agentshape to $(DESTDIR)$(BINDIR) (default /usr/local/bin)
install: build
	install -d '$(DESTDIR)$(BINDIR)'
	install -m 0755 $(BIN) '$(DESTDIR)$(BINDIR)/agentshape'

## uninstall: remove what install copied
uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/agentshape'

## dist: stamp CHANGELOG.md with VERSION, cross-compile static binaries for
## DIST_PLATFORMS into DIST_DIR, pack each with the docs, write SHA256SUMS
dist:
	$(GO) run ./internal/dist -version '$(VERSION)' -ldflags '$(LDFLAGS)' -out '$(DIST_DIR)' \
	  -changelog '$(CHANGELOG)' -date '$(RELEASE_DATE)' -epoch '$(DIST_EPOCH)' -go '$(GO)' \
	  $(if $(strip $(DIST_PLATFORMS)),-platforms '$(DIST_PLATFORMS)')

## toolchains: Debian packages for the C, WAT and Rust plugin toolchains and the test registry (needs root or sudo)
toolchains:
	@bash .ci/install-toolchains.sh

## setup: everything the tests need, installed once
setup: toolchains setup-pact setup-pact-cli chromium
	$(GO) mod download

include plugins/plugins.mk
-include plugins/assemblyscript.mk
-include contracts/contracts.mk
-include features/features.mk
-include docs/docs.mk

ifneq ($(wildcard plugins/assemblyscript.mk),)
plugins: plugins-as
endif

## vet: formatting and static checks
vet:
	@fmt_out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null))"; \
	if [ -n "$$fmt_out" ]; then echo "gofmt needed on:"; echo "$$fmt_out"; exit 1; fi
	$(GO) vet $(GO_PKGS)
	$(GOBUILD) ./cmd/... ./host/... ./schemas/...

## unit: all Go tests except the Pact contracts (those need libpact_ffi)
unit: setup plugins
	$(GO) test $(GOTESTFLAGS) $$($(GO) list $(GO_PKGS) | grep -v /contracts)

## test: the README's test command: vet, unit, features, fuzz seeds, contracts
test: setup plugins vet unit contracts

## demo: the main job — shape → validate → start a session against the embedded emulator
demo: toolchains build plugins
	$(BIN) start --manifest plugins/examples/pipeline.yaml --agent-id 0XxAA0000000001AAA --context plugins/examples/context.json

## bench: every benchmark, one run, with allocations
bench: plugins
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list $(GO_PKGS) | grep -v /contracts)

clean:
	rm -rf bin plugins/build $(DIST_DIR)
