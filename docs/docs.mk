# docs/docs.mk — the living documentation site. Included by the top-level Makefile.
#
#   make docs   run every feature afresh, then render them with their results, the Agent API
#               reference and the plugin ABI into docs/site/ (open docs/site/index.html)
#
# The site is plain HTML with inline styles and scripts: it opens from disk, with no network and
# no Go. docs/site/ is not committed (.gitignore); CI publishes it (.github/workflows/docs.yml).

.PHONY: docs

DOCS_SITE ?= docs/site

## docs: run the features (fresh, -count=1) and render docs/site/; fails after rendering if a feature failed
docs: plugins
	@status=0; \
	$(GO) test -count=1 -run '^(TestFeatures|TestPluginContractFeatures)$$' ./features/ || status=$$?; \
	$(GO) run -ldflags '$(LDFLAGS)' ./internal/docsite/cmd/docsite -out '$(DOCS_SITE)' \
	  -report features/reports/features.cucumber.json \
	  -report features/reports/plugincontract.cucumber.json=plugincontract/ || exit $$?; \
	if [ $$status -ne 0 ]; then echo "make docs: some features failed; $(DOCS_SITE)/index.html shows which" >&2; fi; \
	exit $$status
