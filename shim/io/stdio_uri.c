// SPDX-License-Identifier: Apache-2.0
/* stdio_uri.c - parsing containerd's stdio URIs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hex.h"
#include "shim/io/stdio_uri.h"

/*
 * Percent-decode @len bytes of @s (and '+' as space when @query, the URL
 * query convention). NULL for a bad escape or an encoded NUL.
 */
static char *pct_decode(const char *s, size_t len, bool query)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+' && query) {
			*o++ = ' ';
			continue;
		}
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		hi = i + 2 < len ? husk_hex_digit(s[i + 1]) : -1;
		lo = hi >= 0 ? husk_hex_digit(s[i + 2]) : -1;
		if (lo < 0 || (hi | lo) == 0) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

static int push_arg(struct stdio_uri *uri, const char *s, size_t len)
{
	char **args = realloc(uri->args, (uri->nargs + 2) * sizeof(char *));

	if (!args)
		return -ENOMEM;
	uri->args = args;
	args[uri->nargs] = pct_decode(s, len, true);
	if (!args[uri->nargs])
		return -EINVAL;
	args[++uri->nargs] = NULL;
	return 0;
}

/* "k=v&k2" -> args k v k2: the words containerd's binary logger gets. */
static int parse_query(struct stdio_uri *uri, const char *q, struct husk_error **err)
{
	while (*q) {
		size_t len = strcspn(q, "&");
		const char *eq = memchr(q, '=', len);
		int ret = 0;

		if (len && eq) {
			ret = push_arg(uri, q, (size_t)(eq - q));
			if (!ret && eq + 1 < q + len)
				ret = push_arg(uri, eq + 1, (size_t)(q + len - eq - 1));
		} else if (len) {
			ret = push_arg(uri, q, len);
		}
		if (ret)
			return husk_err(err, ret == -ENOMEM ? ENOMEM : 0,
					"stdio: bad query in binary URI");
		q += len + (q[len] == '&');
	}
	return 0;
}

static int parse_path(struct stdio_uri *uri, const char *s, size_t len, const char *orig,
		      struct husk_error **err)
{
	uri->path = pct_decode(s, len, false);
	if (!uri->path)
		return husk_err(err, 0, "stdio: bad percent-escape in \"%s\"", orig);
	if (uri->path[0] != '/')
		return husk_err(err, 0, "stdio: \"%s\" is not an absolute path", orig);
	return 0;
}

/* Split "scheme://rest"; returns the scheme length or 0 when none. */
static size_t scheme_len(const char *s)
{
	const char *sep = strstr(s, "://");
	const char *p;

	if (!sep || sep == s)
		return 0;
	for (p = s; p < sep; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
			return 0;
	return (size_t)(sep - s);
}

static int parse_scheme(struct stdio_uri *uri, const char *s, size_t n, struct husk_error **err)
{
	const char *rest = s + n + 3;
	size_t plen = strcspn(rest, "?#");

	if (n == 4 && !strncmp(s, "fifo", 4))
		uri->kind = STDIO_FIFO;
	else if (n == 4 && !strncmp(s, "file", 4))
		uri->kind = STDIO_FILE;
	else if (n == 6 && !strncmp(s, "binary", 6))
		uri->kind = STDIO_BINARY;
	else
		return husk_err(err, 0, "stdio: unknown STDIO scheme %.*s in \"%s\"", (int)n, s, s);
	if (parse_path(uri, rest, plen, s, err))
		return -EINVAL;
	if (rest[plen] == '?' && uri->kind == STDIO_BINARY)
		return parse_query(uri, rest + plen + 1, err);
	if (rest[plen])
		return husk_err(err, 0, "stdio: unexpected query or fragment in \"%s\"", s);
	return 0;
}

int stdio_uri_parse(const char *s, struct stdio_uri *uri, struct husk_error **err)
{
	size_t n;
	int ret;

	memset(uri, 0, sizeof(*uri));
	if (!s || !*s)
		return 0;
	n = scheme_len(s);
	if (n) {
		ret = parse_scheme(uri, s, n, err);
	} else {
		/* A bare path is a FIFO; it is taken as it is, no decoding. */
		uri->kind = STDIO_FIFO;
		uri->path = strdup(s);
		ret = !uri->path  ? husk_err(err, ENOMEM, "stdio") :
		      s[0] != '/' ? husk_err(err, 0, "stdio: \"%s\" is not an absolute path", s) :
				    0;
	}
	if (ret)
		stdio_uri_clear(uri);
	return ret;
}

void stdio_uri_clear(struct stdio_uri *uri)
{
	size_t i;

	for (i = 0; i < uri->nargs; i++)
		free(uri->args[i]);
	free(uri->args);
	free(uri->path);
	memset(uri, 0, sizeof(*uri));
}
