# Pact contracts (owned by contracts/), included by the top-level Makefile.
#
#   make setup-pact     install libpact_ffi 0.5.8 once, verified (npm pack + pinned integrity)
#   make setup-pact-cli install the standard Pact CLI (npm @pact-foundation/pact-cli 18.1.2) the same way
#   make contracts      consumer tests -> contracts/pacts/, provider verification (pact-go and the
#                       npm `pact verifier` against `agentshape emulator`), schema cross-check
#   make publish-pacts  publish contracts/pacts/*.json to a Pact Broker (only when PACT_BROKER_BASE_URL is set)
#
# Only the contract tests link libpact_ffi (cgo); everything else builds with CGO_ENABLED=0.

.PHONY: setup-pact setup-pact-cli contracts contracts-consumer contracts-provider contracts-crosscheck contracts-publish-test contracts-installer-test publish-pacts

# Where libpact_ffi goes: the system library dir when root (the loader and pact-go's own cgo flags
# find it there), a project-local dir otherwise. Override with `make PACT_LIB_DIR=...`.
ifeq ($(shell id -u),0)
PACT_LIB_DIR ?= /usr/local/lib
else
PACT_LIB_DIR ?= $(CURDIR)/.cache/pact/lib
endif

# Environment for every go command that links pact-go: the library dir on the link path, baked in as
# rpath, and on the loader path (so a stale copy elsewhere cannot win).
# PACT_DO_NOT_TRACK: the Pact core and CLI send anonymous usage metrics unless it is set; the tests
# make no network calls.
PACT_GO_ENV := PACT_DO_NOT_TRACK=true CGO_ENABLED=1 \
	CGO_LDFLAGS="$(strip $(CGO_LDFLAGS) -L$(PACT_LIB_DIR) -Wl,-rpath,$(PACT_LIB_DIR))" \
	LD_LIBRARY_PATH="$(PACT_LIB_DIR)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}"

PACT_TESTFLAGS ?= -count=1

# The standard Pact CLI, always project-local (override with `make PACT_CLI_DIR=...`). Its `pact`
# launcher runs on Node.js and starts the static Rust binary of the platform package.
PACT_CLI_DIR ?= $(CURDIR)/.cache/pact/cli
PACT_CLI     := $(PACT_CLI_DIR)/node_modules/.bin/pact

## setup-pact: libpact_ffi for the Pact tests (idempotent; the only download, never during tests)
setup-pact:
	@bash contracts/install-pact-ffi.sh "$(PACT_LIB_DIR)"

## setup-pact-cli: the npm Pact CLI for the contract tests (idempotent; verified like setup-pact)
setup-pact-cli:
	@bash contracts/install-pact-cli.sh "$(PACT_CLI_DIR)"

## contracts: consumer pacts, provider verification against the emulator, schema cross-check
contracts: contracts-consumer contracts-provider contracts-crosscheck contracts-publish-test contracts-installer-test

# The consumer tests clear contracts/pacts/ themselves and write the pact file there.
contracts-consumer: setup-pact plugins
	$(PACT_GO_ENV) $(GO) test $(PACT_TESTFLAGS) -run '^TestConsumer' ./contracts/

# pact-go's verifier, then `pact verifier` (npm) against the built `agentshape emulator`.
contracts-provider: setup-pact setup-pact-cli build contracts-consumer
	PACT_CLI="$(PACT_CLI)" AGENTSHAPE="$(CURDIR)/$(BIN)" $(PACT_GO_ENV) $(GO) test $(PACT_TESTFLAGS) -run '^TestProvider' ./contracts/

contracts-crosscheck: setup-pact contracts-consumer contracts-provider
	$(PACT_GO_ENV) $(GO) test $(PACT_TESTFLAGS) -run '^TestSchemaCrossCheck' ./contracts/

# The installer itself: idempotent offline, refuses a tampered package, says what is missing.
contracts-installer-test: setup-pact setup-pact-cli
	PACT_CLI="$(PACT_CLI)" $(PACT_GO_ENV) $(GO) test $(PACT_TESTFLAGS) -run '^Test(CLI)?Installer' ./contracts/

# The broker publisher is pure Go; its tests use a loopback broker.
contracts-publish-test:
	CGO_ENABLED=0 $(GO) test $(PACT_TESTFLAGS) ./contracts/publish/

## publish-pacts: publish contracts/pacts/*.json to a Pact Broker (off unless PACT_BROKER_BASE_URL is set)
# Pure Go (net/http, POST /contracts/publish): no cgo, no extra download. Version = git commit, branch = git branch.
# The publisher is built with VERSION and COMMIT (as make build does): each pact's metadata names them.
publish-pacts:
	CGO_ENABLED=0 $(GO) run -trimpath -ldflags '$(LDFLAGS)' ./contracts/publish -dir contracts/pacts
