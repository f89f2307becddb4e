/*
 * drop — test plugin (ABI v1, C kit): removes the request's top-level member
 * named by config.member. internal/shaper's tests use it to remove, in a later
 * step, a field an earlier plugin set.
 */
#include "agentshape.h"

void as_shape(as_json env, as_buf *out) {
	char member[64];
	if (as_string(as_path(env, "plugin", "config", "member", NULL), member, sizeof member) <= 0) {
		as_reply_error(out, "bad_config", "config.member must name the member to remove");
		return;
	}
	as_member set[] = {{member, {NULL, 0}}};
	as_reply_request(out, as_path(env, "request", NULL), set, 1);
}
