/*
 * items: exercises as_next_item of the C kit (plugins/kits/c) for
 * plugins/kits/c's tests. It answers a request whose "items" member lists
 * the elements of the request's "list" in reverse order, each copied as raw JSON, and
 * whose "count" member counts them.
 */
#include "agentshape.h"

#include <stdio.h>

void as_shape(as_json env, as_buf *out) {
	as_json list = as_path(env, "request", "list", NULL), item;
	as_json spans[64];
	size_t n = 0;
	for (size_t i = 0; n < 64 && as_next_item(list, &i, &item);)
		spans[n++] = item;
	as_buf b = {NULL, 0, 0, 1};
	as_buf_puts(&b, "[");
	for (size_t k = n; k > 0; k--) {
		if (k != n)
			as_buf_puts(&b, ",");
		as_buf_json(&b, spans[k - 1]);
	}
	as_buf_puts(&b, "]");
	char count[24];
	snprintf(count, sizeof count, "%zu", n);
	as_member set[] = {{"items", {b.p, b.len}}, {"count", as_lit(count)}};
	as_reply_request(out, as_path(env, "request", NULL), set, 2);
}
