# features/features.mk — make targets for the living documentation and the conformance gate.
# Included by the top-level Makefile (`-include features/features.mk`).
#
#   make chromium   install headless Chromium (Debian package `chromium`), which the conformance
#                   HTML report test renders the page with; idempotent, needs root or sudo.
#   make features   run every feature file (godog, strict, random order; reports in features/reports/)

.PHONY: chromium features

## chromium: headless Chromium for the HTML report test (host/conformance)
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian package chromium (for the conformance HTML report test)" >&2; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

## features: the feature files, as `make test` runs them
features: plugins
	$(GO) test ./features/...
