/*
 * agentshape.h — the C kit for agentshape plugins, ABI v1 (see plugins/ABI.md).
 *
 * One header, no other files. Include it in exactly one .c file of a plugin
 * and define the one function the kit calls:
 *
 *     #include "agentshape.h"
 *
 *     void as_shape(as_json env, as_buf *out) {
 *         as_json tz = as_path(env, "context", "user", "timezone", NULL);
 *         if (!as_is_string(tz)) {
 *             as_reply_error(out, "no_timezone", "context.user.timezone is missing");
 *             return;
 *         }
 *         as_member set[] = {{"tz", tz}};
 *         as_reply_request(out, as_path(env, "request", NULL), set, 1);
 *     }
 *
 * Build it as a WASI reactor:
 *
 *     clang --target=wasm32-wasi -mexec-model=reactor -O2 -I plugins/kits/c \
 *           -o plugin.wasm plugin.c
 *
 * What the kit does for you:
 *   - exports the ABI marker agentshape_abi_v1, alloc and shape (export_name
 *     attributes; no -Wl,--export flags needed);
 *   - alloc hands out malloc'd buffers and keeps them until the end of the
 *     shape call that follows; the output buffer lives until the next shape
 *     call, so the host can read it after shape returns;
 *   - packs (out_ptr << 32) | out_len into shape's result;
 *   - declares the agentshape.log import (as_log).
 *
 * The JSON helpers are deliberately small: they read spans of the envelope
 * in place (as_path, as_get, as_string, as_bool) and write JSON text into an
 * as_buf (as_buf_puts, as_buf_string). as_reply_request copies the incoming
 * request object member by member and replaces or appends the members you
 * set, so members the plugin does not know pass through byte for byte. They
 * trust the host to hand over well-formed JSON (the host builds the envelope)
 * but never read outside the span they are given.
 *
 * Out of memory: the kit replies {"error":{"code":"out_of_memory",...}} when it
 * can, and shape returns 0 (an empty output, a plugin fault) when it cannot.
 */
#ifndef AGENTSHAPE_H
#define AGENTSHAPE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define AS_ABI_VERSION 1

/* Log levels of agentshape.log. */
enum { AS_LOG_DEBUG = 0, AS_LOG_INFO = 1, AS_LOG_WARN = 2, AS_LOG_ERROR = 3 };

/* A span of JSON text inside the envelope (p == NULL or n == 0: absent). */
typedef struct {
	const char *p;
	size_t n;
} as_json;

/* A growable output buffer. ok turns 0 once an allocation failed. */
typedef struct {
	char *p;
	size_t len, cap;
	int ok;
} as_buf;

/* A request member to set: key and its new value as raw JSON text.
 * value.p == NULL deletes the member. */
typedef struct {
	const char *key;
	as_json value;
} as_member;

/* The one function a plugin defines: read env, write the output into out
 * with as_reply_request or as_reply_error. */
void as_shape(as_json env, as_buf *out);

/* ---- host import ---------------------------------------------------- */

__attribute__((import_module("agentshape"), import_name("log")))
void agentshape_log(int32_t level, const char *ptr, int32_t len);

/* as_log sends msg to the host's log (tagged with the plugin's name). */
static inline void as_log(int level, const char *msg) {
	agentshape_log(level, msg, (int32_t)strlen(msg));
}

/* ---- output buffer -------------------------------------------------- */

static void as_buf_put(as_buf *b, const char *s, size_t n) {
	if (!b->ok)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		char *p = (char *)realloc(b->p, cap);
		if (!p) {
			b->ok = 0;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void as_buf_puts(as_buf *b, const char *s) { as_buf_put(b, s, strlen(s)); }
static inline void as_buf_json(as_buf *b, as_json v) { as_buf_put(b, v.p, v.n); }

/* as_buf_string writes s[0..n) as a quoted, escaped JSON string. */
static void as_buf_string(as_buf *b, const char *s, size_t n) {
	static const char hex[] = "0123456789abcdef";
	as_buf_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			as_buf_put(b, e, 2);
		} else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			as_buf_put(b, e, 6);
		} else {
			as_buf_put(b, (const char *)&s[i], 1);
		}
	}
	as_buf_put(b, "\"", 1);
}

/* ---- reading JSON spans --------------------------------------------- */

static size_t as__ws(const char *p, size_t n, size_t i) {
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i;
}

/* as__skip returns the index just past the JSON value starting at i, or n
 * when the text ends first. */
static size_t as__skip(const char *p, size_t n, size_t i) {
	if (i >= n)
		return n;
	if (p[i] == '"') {
		/* memchr to the next quote; it closes the string unless an odd
		 * number of backslashes precede it. */
		for (i++; i < n;) {
			const char *q = (const char *)memchr(p + i, '"', n - i);
			if (!q)
				return n;
			size_t j = (size_t)(q - p), bs = 0;
			while (j - bs > i && p[j - bs - 1] == '\\')
				bs++;
			if (bs % 2 == 0)
				return j + 1;
			i = j + 1;
		}
		return n;
	}
	if (p[i] == '{' || p[i] == '[') {
		int depth = 0;
		for (; i < n; i++) {
			char c = p[i];
			if (c == '"') {
				i = as__skip(p, n, i) - 1;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				if (--depth == 0)
					return i + 1;
			}
		}
		return n;
	}
	while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' && p[i] != ' ' && p[i] != '\n' &&
	       p[i] != '\r' && p[i] != '\t')
		i++;
	return i;
}

static inline int as_present(as_json v) { return v.p != NULL && v.n > 0 && !(v.n == 4 && memcmp(v.p, "null", 4) == 0); }
static inline int as_is_string(as_json v) { return v.p != NULL && v.n >= 2 && v.p[0] == '"'; }
static inline int as_is_object(as_json v) { return v.p != NULL && v.n >= 2 && v.p[0] == '{'; }

/* as__key_eq compares the JSON string token at p[0..n) with key, handling
 * only plain keys (keys with escapes never match). */
static int as__key_eq(const char *p, size_t n, const char *key) {
	size_t k = strlen(key);
	return n == k + 2 && memcmp(p + 1, key, k) == 0;
}

/* as__next_member walks an object: *i is the scan position (start it at 0);
 * fills key (the quoted key token) and val; returns 0 at the end. */
static int as__next_member(as_json obj, size_t *i, as_json *key, as_json *val) {
	const char *p = obj.p;
	size_t n = obj.n, j = *i;
	if (!as_is_object(obj))
		return 0;
	j = (j == 0) ? as__ws(p, n, 1) : as__ws(p, n, j);
	if (j < n && p[j] == ',')
		j = as__ws(p, n, j + 1);
	if (j >= n || p[j] != '"')
		return 0;
	size_t kend = as__skip(p, n, j);
	key->p = p + j;
	key->n = kend - j;
	j = as__ws(p, n, kend);
	if (j >= n || p[j] != ':')
		return 0;
	j = as__ws(p, n, j + 1);
	size_t vend = as__skip(p, n, j);
	if (vend <= j)
		return 0;
	val->p = p + j;
	val->n = vend - j;
	*i = vend;
	return 1;
}

static inline int as_is_array(as_json v) { return v.p != NULL && v.n >= 2 && v.p[0] == '['; }

/* as_next_item walks an array: *i is the scan position (start it at 0);
 * fills item with the next element and returns 1, or returns 0 at the end
 * (also when arr is not an array). Elements are raw JSON spans, e.g. for
 * as_get or as_string:
 *
 *     size_t i = 0; as_json item;
 *     while (as_next_item(vars, &i, &item)) { ... as_path(item, "name", NULL) ... }
 */
static inline int as_next_item(as_json arr, size_t *i, as_json *item) {
	const char *p = arr.p;
	size_t n = arr.n, j = *i;
	if (!as_is_array(arr))
		return 0;
	j = (j == 0) ? as__ws(p, n, 1) : as__ws(p, n, j);
	if (j < n && p[j] == ',')
		j = as__ws(p, n, j + 1);
	if (j >= n || p[j] == ']')
		return 0;
	size_t end = as__skip(p, n, j);
	if (end <= j)
		return 0;
	item->p = p + j;
	item->n = end - j;
	*i = end;
	return 1;
}

/* as_get finds member key of object obj; returns 1 and sets *val when found. */
static int as_get(as_json obj, const char *key, as_json *val) {
	size_t i = 0;
	as_json k, v;
	while (as__next_member(obj, &i, &k, &v)) {
		if (as__key_eq(k.p, k.n, key)) {
			*val = v;
			return 1;
		}
	}
	return 0;
}

/* as_path follows a NULL-terminated list of member names from root; the
 * result is absent (p == NULL) when any step is missing. */
static as_json as_path(as_json root, ...) {
	va_list ap;
	va_start(ap, root);
	as_json cur = root;
	for (const char *key = va_arg(ap, const char *); key; key = va_arg(ap, const char *)) {
		as_json next = {NULL, 0};
		if (!as_get(cur, key, &next)) {
			cur.p = NULL;
			cur.n = 0;
			break;
		}
		cur = next;
	}
	va_end(ap);
	return cur;
}

/* as_string decodes JSON string v into dst (NUL-terminated, at most cap-1
 * bytes). Returns the decoded length, or -1 when v is not a string or does
 * not fit. \u escapes are decoded to UTF-8 (surrogate pairs included). */
static int as_string(as_json v, char *dst, size_t cap) {
	if (!as_is_string(v) || cap == 0)
		return -1;
	size_t o = 0;
	for (size_t i = 1; i + 1 < v.n; i++) {
		unsigned long c = (unsigned char)v.p[i];
		if (c == '\\') {
			if (++i + 1 >= v.n)
				return -1;
			switch (v.p[i]) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				if (i + 4 >= v.n)
					return -1;
				c = 0;
				for (int k = 1; k <= 4; k++) {
					char h = v.p[i + k];
					c = c * 16 + (unsigned long)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 0);
				}
				i += 4;
				if (c >= 0xD800 && c < 0xDC00 && i + 6 < v.n && v.p[i + 1] == '\\' && v.p[i + 2] == 'u') {
					unsigned long lo = 0;
					for (int k = 3; k <= 6; k++) {
						char h = v.p[i + k];
						lo = lo * 16 + (unsigned long)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 0);
					}
					c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
					i += 6;
				}
				char u[4];
				size_t un;
				if (c < 0x80) { u[0] = (char)c; un = 1; }
				else if (c < 0x800) { u[0] = (char)(0xC0 | c >> 6); u[1] = (char)(0x80 | (c & 63)); un = 2; }
				else if (c < 0x10000) { u[0] = (char)(0xE0 | c >> 12); u[1] = (char)(0x80 | (c >> 6 & 63)); u[2] = (char)(0x80 | (c & 63)); un = 3; }
				else { u[0] = (char)(0xF0 | c >> 18); u[1] = (char)(0x80 | (c >> 12 & 63)); u[2] = (char)(0x80 | (c >> 6 & 63)); u[3] = (char)(0x80 | (c & 63)); un = 4; }
				if (o + un >= cap)
					return -1;
				memcpy(dst + o, u, un);
				o += un;
				continue;
			}
			default: c = (unsigned char)v.p[i]; /* \" \\ \/ */
			}
		}
		if (o + 1 >= cap)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = 0;
	return (int)o;
}

/* as_bool reads true/false: returns 1 and sets *out, or 0 when v is neither. */
static int as_bool(as_json v, int *out) {
	if (v.p && v.n == 4 && memcmp(v.p, "true", 4) == 0) { *out = 1; return 1; }
	if (v.p && v.n == 5 && memcmp(v.p, "false", 5) == 0) { *out = 0; return 1; }
	return 0;
}

/* as_lit makes a span from a NUL-terminated literal of raw JSON. */
static inline as_json as_lit(const char *raw) {
	as_json v = {raw, strlen(raw)};
	return v;
}

/* ---- replies -------------------------------------------------------- */

/* as_reply_request writes {"request":{...}}: request's members in order,
 * each replaced by the entry of set with the same key (or dropped when that
 * entry's value is absent), then the remaining set entries appended. Only
 * the first 64 entries of set are used. */
static void as_reply_request(as_buf *out, as_json request, const as_member *set, size_t nset) {
	unsigned char used[64] = {0};
	int first = 1;
	if (nset > sizeof used)
		nset = sizeof used;
	as_buf_puts(out, "{\"request\":{");
	size_t i = 0;
	as_json k, v;
	while (as__next_member(request, &i, &k, &v)) {
		as_json val = v;
		for (size_t s = 0; s < nset; s++) {
			if (as__key_eq(k.p, k.n, set[s].key)) {
				val = set[s].value;
				used[s] = 1;
			}
		}
		if (!val.p)
			continue;
		if (!first)
			as_buf_puts(out, ",");
		first = 0;
		as_buf_json(out, k);
		as_buf_puts(out, ":");
		as_buf_json(out, val);
	}
	for (size_t s = 0; s < nset; s++) {
		if (used[s] || !set[s].value.p)
			continue;
		if (!first)
			as_buf_puts(out, ",");
		first = 0;
		as_buf_string(out, set[s].key, strlen(set[s].key));
		as_buf_puts(out, ":");
		as_buf_json(out, set[s].value);
	}
	as_buf_puts(out, "}}");
}

/* as_reply_error writes {"error":{"code":code,"message":message}}. ABI v1
 * needs both non-empty (ABI.md §6): an empty or NULL code becomes "refused",
 * an empty or NULL message a generic one, rather than a malformed output. */
static void as_reply_error(as_buf *out, const char *code, const char *message) {
	if (!code || !*code)
		code = "refused";
	if (!message || !*message)
		message = "the plugin refused without a message";
	out->len = 0;
	as_buf_puts(out, "{\"error\":{\"code\":");
	as_buf_string(out, code, strlen(code));
	as_buf_puts(out, ",\"message\":");
	as_buf_string(out, message, strlen(message));
	as_buf_puts(out, "}}");
}

/* ---- ABI exports ---------------------------------------------------- */

#ifndef AGENTSHAPE_NO_EXPORTS

static void **as__inputs;
static size_t as__ninputs, as__capinputs;
static as_buf as__out;

__attribute__((export_name("agentshape_abi_v1"))) void agentshape_abi_v1(void) {}

__attribute__((export_name("alloc"))) void *alloc(int32_t size) {
	if (size < 0)
		return NULL;
	if (as__ninputs == as__capinputs) {
		size_t cap = as__capinputs ? as__capinputs * 2 : 4;
		void **p = (void **)realloc(as__inputs, cap * sizeof *p);
		if (!p)
			return NULL;
		as__inputs = p;
		as__capinputs = cap;
	}
	void *buf = malloc(size ? (size_t)size : 1);
	if (buf)
		as__inputs[as__ninputs++] = buf;
	return buf;
}

__attribute__((export_name("shape"))) int64_t shape(const char *ptr, int32_t len) {
	static const char oom[] = "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"the plugin ran out of memory building its output; raise limits.memoryMaxPages\"}}";
	as__out.len = 0;
	as__out.ok = 1;
	as_json env = {ptr, len > 0 ? (size_t)len : 0};
	as_shape(env, &as__out);
	for (size_t i = 0; i < as__ninputs; i++)
		free(as__inputs[i]);
	as__ninputs = 0;
	if (!as__out.ok)
		return (int64_t)(((uint64_t)(uintptr_t)oom << 32) | (sizeof oom - 1));
	return (int64_t)(((uint64_t)(uintptr_t)as__out.p << 32) | (uint64_t)as__out.len);
}

#endif /* AGENTSHAPE_NO_EXPORTS */
#endif /* AGENTSHAPE_H */
