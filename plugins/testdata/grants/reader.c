/*
 * reader — test plugin (ABI v1, C kit) for sandbox grants. It reports what
 * its sandbox lets it see, as variables of the request:
 *   env      the value of GRANT_TEST_VALUE, or "(unset)"
 *   file     the first line of /data/value.txt, or "(unreadable)"
 *   write    "allowed" if it could create /data/written.txt, else "refused"
 *   escape   "allowed" if it could open /etc/passwd, else "refused"
 *   inner    the first line of /data/inner.txt (a symlink the tests point
 *            at value.txt, inside the grant), or "(unreadable)"
 *   leak     the first line of /data/leak (a symlink the tests point out
 *            of the grant), or "(unreadable)"
 *   dotdot   the first line of /data/sub/../../etc/passwd, or "(unreadable)"
 *   listing  the names in /data, in the host's directory order, joined with ","
 *   fifo     the first line of /data/fifo (a FIFO the tests make), or
 *            "(unreadable)"
 *   leakerr, fifoerr  strerror(errno) of opening /data/leak and /data/fifo
 *   hostproc the first line of /data/proc/self/environ (when the tests grant
 *            the host's /), or "(unreadable)"
 * host/plugin's grant tests load it with and without grants.
 */
#include "agentshape.h"

#include <dirent.h>
#include <errno.h>
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

/* first_line reads the first line of path into line, or "(unreadable)". */
static void first_line(const char *path, char *line, size_t n) {
	strcpy(line, "(unreadable)");
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(line, (int)n, f))
		strcpy(line, "(empty)");
	line[strcspn(line, "\n")] = 0;
	fclose(f);
}

/* open_error writes strerror of opening path for reading, or "opened". */
static void open_error(const char *path, char *out, size_t n) {
	errno = 0;
	FILE *f = fopen(path, "r");
	if (f) {
		fclose(f);
		snprintf(out, n, "opened");
		return;
	}
	snprintf(out, n, "%s", strerror(errno));
}

/* list_dir joins the entry names of path (without . and ..) with ",". */
static void list_dir(const char *path, char *out, size_t n) {
	out[0] = 0;
	DIR *d = opendir(path);
	if (!d) {
		strcpy(out, "(unlistable)");
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (out[0] && strlen(out) + 1 < n)
			strcat(out, ",");
		if (strlen(out) + strlen(e->d_name) < n)
			strcat(out, e->d_name);
	}
	closedir(d);
}

void as_shape(as_json env, as_buf *out) {
	as_json request = as_path(env, "request", NULL);
	const char *e = getenv("GRANT_TEST_VALUE");

	char line[128], inner[128], leak[128], dotdot[128], listing[256], fifo[128], hostproc[128];
	first_line("/data/value.txt", line, sizeof line);
	first_line("/data/inner.txt", inner, sizeof inner);
	first_line("/data/leak", leak, sizeof leak);
	first_line("/data/sub/../../etc/passwd", dotdot, sizeof dotdot);
	list_dir("/data", listing, sizeof listing);
	first_line("/data/fifo", fifo, sizeof fifo);
	first_line("/data/proc/self/environ", hostproc, sizeof hostproc);
	char leakerr[64], fifoerr[64];
	open_error("/data/leak", leakerr, sizeof leakerr);
	open_error("/data/fifo", fifoerr, sizeof fifoerr);
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
	add_var(&b, "inner", inner, 0);
	add_var(&b, "leak", leak, 0);
	add_var(&b, "dotdot", dotdot, 0);
	add_var(&b, "listing", listing, 0);
	add_var(&b, "fifo", fifo, 0);
	add_var(&b, "hostproc", hostproc, 0);
	add_var(&b, "leakerr", leakerr, 0);
	add_var(&b, "fifoerr", fifoerr, 0);
	as_buf_puts(&b, "]");
	if (!b.ok) {
		as_reply_error(out, "out_of_memory", "could not build the variables");
		return;
	}
	as_member set[] = {{"variables", {b.p, b.len}}};
	as_reply_request(out, request, set, 1);
}
