# agentshape — build, test and demo.
#
#   make demo   shape → validate → Start Session against the embedded emulator
#   make test   install what is needed, build every plugin, run every test
#
# Every target installs what it needs itself and is safe to run again.

SHELL       := /bin/bash
GO          ?= go
BIN         := bin/agentshape
GOTESTFLAGS ?=
export CGO_ENABLED ?= 1

.PHONY: all build setup toolchains plugins test vet unit contracts demo bench clean

all: build plugins

## build: the CLI, pure Go (no cgo)
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/agentshape

## toolchains: Debian packages for the C and WAT plugin toolchains (needs root or sudo)
toolchains:
	@bash .ci/install-toolchains.sh

## setup: everything the tests need, installed once
setup: toolchains setup-pact chromium
	$(GO) mod download

include plugins/plugins.mk
-include plugins/assemblyscript.mk
-include contracts/contracts.mk
-include features/features.mk

ifneq ($(wildcard plugins/assemblyscript.mk),)
plugins: plugins-as
endif

## vet: formatting and static checks
vet:
	@fmt_out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null))"; \
	if [ -n "$$fmt_out" ]; then echo "gofmt needed on:"; echo "$$fmt_out"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./cmd/... ./host/... ./schemas/...

## unit: all Go tests except the Pact contracts (those need libpact_ffi)
unit: setup plugins
	$(GO) test $(GOTESTFLAGS) $$($(GO) list ./... | grep -v /contracts)

## test: the README's test command: vet, unit, features, fuzz seeds, contracts
test: setup plugins vet unit contracts

## demo: the main job — shape → validate → start a session against the embedded emulator
demo: toolchains build plugins
	$(BIN) start --manifest plugins/examples/pipeline.yaml --agent-id 0XxAA0000000001AAA --context plugins/examples/context.json

## bench: every benchmark, one run, with allocations
bench: plugins
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list ./... | grep -v /contracts)

clean:
	rm -rf bin plugins/build
