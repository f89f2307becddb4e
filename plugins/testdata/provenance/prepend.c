/*
 * prepend — test plugin (ABI v1, C kit): puts config.variable first in the
 * request's variables; the variables already there follow unchanged and in
 * order. host/pipeline's tests use it to check that provenance follows array
 * elements a plugin only shifted (they keep their owner).
 */
#include "agentshape.h"

void as_shape(as_json env, as_buf *out) {
	as_json v = as_path(env, "plugin", "config", "variable", NULL);
	as_json request = as_path(env, "request", NULL);
	if (!as_is_object(v)) {
		as_reply_error(out, "bad_config", "config.variable must be a variable object {name, type, value}");
		return;
	}
	as_json vars = as_path(request, "variables", NULL);
	as_buf b = {NULL, 0, 0, 1};
	as_buf_puts(&b, "[");
	as_buf_json(&b, v);
	if (vars.p && vars.n >= 2 && vars.p[0] == '[') {
		const char *p = vars.p + 1;
		size_t n = vars.n - 2;
		while (n && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) {
			p++;
			n--;
		}
		if (n) {
			as_buf_puts(&b, ",");
			as_buf_put(&b, p, n);
		}
	}
	as_buf_puts(&b, "]");
	if (!b.ok) {
		as_reply_error(out, "out_of_memory", "could not build the variables array");
		return;
	}
	as_member set[] = {{"variables", {b.p, b.len}}};
	as_reply_request(out, request, set, 1);
}
