# Plugin builds (owned by plugins/): `make plugins` builds every plugin to plugins/build/.
.PHONY: plugins
plugins:
	@mkdir -p plugins/build
