/*
 * kitbench (C): the shared kit benchmark logic, identical in the Go, C and
 * AssemblyScript kits (see plugins/testdata/kitbench/README.md):
 *   - refuse with code "no_channel" when context.channel is missing or empty;
 *   - set request.tz to context.user.timezone when that is a non-empty string;
 *   - set the variable named config.variable (default "channel"), type Text,
 *     to context.channel, replacing a variable of that name if present.
 * Built by plugins.mk's test-data rule to plugins/build/testdata/kitbench/c.wasm.
 */
#include "agentshape.h"

void as_shape(as_json env, as_buf *out) {
	char channel[256], tz[128], name[128], vname[128];
	as_json cch = as_path(env, "context", "channel", NULL);
	if (as_string(cch, channel, sizeof channel) <= 0) {
		as_reply_error(out, "no_channel", "context.channel is missing: pass the conversation's channel (e.g. \"web\") in the context");
		return;
	}
	strcpy(name, "channel");
	as_json cfgvar = as_path(env, "plugin", "config", "variable", NULL);
	if (as_present(cfgvar) && as_string(cfgvar, name, sizeof name) < 0) {
		as_reply_error(out, "bad_config", "config.variable must be a string");
		return;
	}
	as_json request = as_path(env, "request", NULL);

	/* The new variable object. */
	as_buf var = {0};
	var.ok = 1;
	as_buf_puts(&var, "{\"name\":");
	as_buf_string(&var, name, strlen(name));
	as_buf_puts(&var, ",\"type\":\"Text\",\"value\":");
	as_buf_string(&var, channel, strlen(channel));
	as_buf_puts(&var, "}");

	/* variables: copy the existing array, replacing the entry named name. */
	as_buf vars = {0};
	vars.ok = 1;
	as_buf_puts(&vars, "[");
	int first = 1, replaced = 0;
	as_json old = as_path(request, "variables", NULL);
	if (old.p && old.n >= 2 && old.p[0] == '[') {
		size_t i = as__ws(old.p, old.n, 1);
		while (i < old.n && old.p[i] != ']') {
			size_t end = as__skip(old.p, old.n, i);
			as_json item = {old.p + i, end - i};
			if (!first)
				as_buf_puts(&vars, ",");
			first = 0;
			as_json iname = as_path(item, "name", NULL);
			if (!replaced && as_string(iname, vname, sizeof vname) >= 0 && strcmp(vname, name) == 0) {
				as_buf_json(&vars, (as_json){var.p, var.len});
				replaced = 1;
			} else {
				as_buf_json(&vars, item);
			}
			i = as__ws(old.p, old.n, end);
			if (i < old.n && old.p[i] == ',')
				i = as__ws(old.p, old.n, i + 1);
		}
	}
	if (!replaced) {
		if (!first)
			as_buf_puts(&vars, ",");
		as_buf_json(&vars, (as_json){var.p, var.len});
	}
	as_buf_puts(&vars, "]");

	as_member set[2];
	size_t nset = 0;
	as_buf tzjson = {0};
	tzjson.ok = 1;
	as_json ctz = as_path(env, "context", "user", "timezone", NULL);
	if (as_string(ctz, tz, sizeof tz) > 0) {
		as_buf_string(&tzjson, tz, strlen(tz));
		set[nset].key = "tz";
		set[nset].value = (as_json){tzjson.p, tzjson.len};
		nset++;
	}
	set[nset].key = "variables";
	set[nset].value = (as_json){vars.p, vars.len};
	nset++;
	if (!var.ok || !vars.ok || !tzjson.ok)
		out->ok = 0;
	else
		as_reply_request(out, request, set, nset);
	free(var.p);
	free(vars.p);
	free(tzjson.p);
}
