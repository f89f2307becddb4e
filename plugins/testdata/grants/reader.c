/*
 * reader — test plugin (ABI v1, C kit) for sandbox grants. It reports what
 * its sandbox lets it see, as variables of the request:
 *   env      the value of GRANT_TEST_VALUE, or "(unset)"
 *   file     the first line of /data/value.txt, or "(unreadable)"
 *   write    "allowed" if it could create /data/written.txt, else "refused"
 *   escape   "allowed" if it could open /etc/passwd, else "refused"
 * host/plugin's grant tests load it with and without grants.
 */
#include "agentshape.h"

#include <stdio.h>
#include <stdlib.h>

static void add_var(as_buf *b, const char *name, const char *value, int first) {
	if (!first)
		as_buf_puts(b, ",");
	as_buf_puts(b, "{\"name\":");
	as_buf_string(b, name, strlen(name));
	as_buf_puts(b, ",\"type\":\"Text\",\"value\":");
	as_buf_string(b, value, strlen(value));
	as_buf_puts(b, "}");
}

void as_shape(as_json env, as_buf *out) {
	as_json request = as_path(env, "request", NULL);
	const char *e = getenv("GRANT_TEST_VALUE");

	char line[128] = "(unreadable)";
	FILE *f = fopen("/data/value.txt", "r");
	if (f) {
		if (!fgets(line, sizeof line, f))
			strcpy(line, "(empty)");
		line[strcspn(line, "\n")] = 0;
		fclose(f);
	}
	const char *write = "refused";
	FILE *w = fopen("/data/written.txt", "w");
	if (w) {
		write = "allowed";
		fclose(w);
	}
	const char *escape = "refused";
	FILE *x = fopen("/etc/passwd", "r");
	if (x) {
		escape = "allowed";
		fclose(x);
	}

	as_buf b = {NULL, 0, 0, 1};
	as_buf_puts(&b, "[");
	add_var(&b, "env", e ? e : "(unset)", 1);
	add_var(&b, "file", line, 0);
	add_var(&b, "write", write, 0);
	add_var(&b, "escape", escape, 0);
	as_buf_puts(&b, "]");
	if (!b.ok) {
		as_reply_error(out, "out_of_memory", "could not build the variables");
		return;
	}
	as_member set[] = {{"variables", {b.p, b.len}}};
	as_reply_request(out, request, set, 1);
}
