/*
 * timezone — an agentshape example plugin in C (ABI v1, kit: plugins/kits/c/agentshape.h).
 *
 * Sets the Start Session request's tz (agent-api.md §2: an IANA zone such as
 * Europe/Berlin) from context.user.timezone, or from config.defaultTimezone
 * when the context has none. A zone that is not in IANA Area/Location form
 * ("CET", "+02:00", "Berlin") is refused with code bad_timezone, unless
 * config.fallbackOnInvalid is true: then the default is used and a warning
 * logged. Without either, a tz already in the request is kept.
 *
 * Optional, from config (agent-api.md §2):
 *   streaming: true   sets streamingCapabilities to {"chunkTypes":["Text"]}
 *   bypassUser: bool  sets bypassUser (true runs as the agent's assigned user)
 */
#include "agentshape.h"

#include <stdio.h>

/* IANA areas (the first component of a zone name). */
static const char *const areas[] = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic",
				    "Australia", "Europe", "Indian", "Pacific", "Etc", NULL};

/* valid_zone checks the IANA form: "UTC", or Area/Location[/Sub] with a known
 * area and components of letters, digits, '_', '-', '+' that start with a
 * letter (Etc/GMT+5 allowed), each at most 14 characters. */
static int valid_zone(const char *z) {
	if (strcmp(z, "UTC") == 0)
		return 1;
	const char *slash = strchr(z, '/');
	if (!slash)
		return 0;
	int known = 0;
	for (int i = 0; areas[i]; i++)
		if ((size_t)(slash - z) == strlen(areas[i]) && strncmp(z, areas[i], (size_t)(slash - z)) == 0)
			known = 1;
	if (!known)
		return 0;
	int parts = 0;
	for (const char *p = slash + 1; *p;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || n > 14 || !((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')))
			return 0;
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
			      c == '-' || c == '+'))
				return 0;
		}
		if (++parts > 2)
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return parts >= 1;
}

void as_shape(as_json env, as_buf *out) {
	char zone[80], fallback[80], msg[256];
	as_json config = as_path(env, "plugin", "config", NULL);
	as_json request = as_path(env, "request", NULL);

	int have_fallback = 0;
	as_json dflt = as_path(config, "defaultTimezone", NULL);
	if (as_present(dflt)) {
		if (as_string(dflt, fallback, sizeof fallback) < 0 || !valid_zone(fallback)) {
			as_reply_error(out, "bad_config",
				       "config.defaultTimezone must be an IANA zone such as \"Europe/Berlin\" or \"UTC\"");
			return;
		}
		have_fallback = 1;
	}
	int fallback_on_invalid = 0;
	as_json foi = as_path(config, "fallbackOnInvalid", NULL);
	if (as_present(foi) && !as_bool(foi, &fallback_on_invalid)) {
		as_reply_error(out, "bad_config", "config.fallbackOnInvalid must be true or false");
		return;
	}

	const char *tz = NULL;
	as_json ctz = as_path(env, "context", "user", "timezone", NULL);
	if (as_present(ctz)) {
		int n = as_string(ctz, zone, sizeof zone);
		if (n > 0 && valid_zone(zone)) {
			tz = zone;
		} else if (fallback_on_invalid && have_fallback) {
			snprintf(msg, sizeof msg, "context.user.timezone is not an IANA zone; using config.defaultTimezone %s", fallback);
			as_log(AS_LOG_WARN, msg);
			tz = fallback;
		} else {
			if (n < 0)
				snprintf(msg, sizeof msg, "context.user.timezone must be a string naming an IANA zone such as \"Europe/Berlin\"");
			else
				snprintf(msg, sizeof msg,
					 "context.user.timezone \"%.60s\" is not an IANA zone: use Area/Location such as \"Europe/Berlin\" or \"UTC\" (not an abbreviation or offset)",
					 zone);
			as_reply_error(out, "bad_timezone", msg);
			return;
		}
	} else if (have_fallback) {
		tz = fallback;
	}

	as_member set[3];
	size_t nset = 0;
	as_buf tzjson = {0};
	tzjson.ok = 1;
	if (tz) {
		as_buf_string(&tzjson, tz, strlen(tz));
		set[nset].key = "tz";
		set[nset].value.p = tzjson.p;
		set[nset].value.n = tzjson.len;
		nset++;
	}
	int flag;
	as_json streaming = as_path(config, "streaming", NULL);
	if (as_present(streaming)) {
		if (!as_bool(streaming, &flag)) {
			as_reply_error(out, "bad_config", "config.streaming must be true or false");
			free(tzjson.p);
			return;
		}
		set[nset].key = "streamingCapabilities";
		set[nset].value = flag ? as_lit("{\"chunkTypes\":[\"Text\"]}") : (as_json){NULL, 0};
		nset++;
	}
	as_json bypass = as_path(config, "bypassUser", NULL);
	if (as_present(bypass)) {
		if (!as_bool(bypass, &flag)) {
			as_reply_error(out, "bad_config", "config.bypassUser must be true or false");
			free(tzjson.p);
			return;
		}
		set[nset].key = "bypassUser";
		set[nset].value = flag ? as_lit("true") : as_lit("false");
		nset++;
	}
	if (!tzjson.ok) {
		out->ok = 0;
	} else {
		as_reply_request(out, request, set, nset);
	}
	free(tzjson.p);
}
