/*
 * refuse: exercises as_reply_error of the C kit (plugins/kits/c) for
 * plugins/kits/c's tests. config.mode picks the arguments: "given" passes
 * config.code and config.message, "empty" passes "" for both, "null" passes
 * NULL for both.
 */
#include "agentshape.h"

void as_shape(as_json env, as_buf *out) {
	char mode[16] = "", code[64] = "", message[256] = "";
	as_string(as_path(env, "plugin", "config", "mode", NULL), mode, sizeof mode);
	as_string(as_path(env, "plugin", "config", "code", NULL), code, sizeof code);
	as_string(as_path(env, "plugin", "config", "message", NULL), message, sizeof message);
	if (strcmp(mode, "null") == 0)
		as_reply_error(out, NULL, NULL);
	else if (strcmp(mode, "empty") == 0)
		as_reply_error(out, "", "");
	else
		as_reply_error(out, code, message);
}
