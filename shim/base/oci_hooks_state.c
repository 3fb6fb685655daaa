// SPDX-License-Identifier: Apache-2.0
/*
 * oci_hooks_state.c - a container's hook context (its hooks and the fixed
 * parts of its state, copied from the spec at Create) and the state JSON
 * every hook reads on stdin (oci_hooks.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "agent-codec/json.h"
#include "shim/base/oci_hooks.h"
#include "shim/base/oci_spec.h"

#define OCI_STATE_VERSION "1.0.2"

static char **strv_dup(char *const *v)
{
	size_t n = 0, i;
	char **c;

	if (!v)
		return NULL;
	while (v[n])
		n++;
	c = calloc(n + 1, sizeof(char *));
	for (i = 0; c && i < n; i++) {
		if (!(c[i] = strdup(v[i]))) {
			while (i--)
				free(c[i]);
			free(c);
			return NULL;
		}
	}
	return c;
}

static int hooks_dup(struct oci_hooks *dst, const struct oci_hooks *src)
{
	size_t i;
	int k;

	memset(dst, 0, sizeof(*dst));
	for (k = 0; k < OCI_HOOK_KINDS; k++) {
		if (!src->n[k])
			continue;
		dst->hook[k] = calloc(src->n[k], sizeof(struct oci_hook));
		if (!dst->hook[k])
			return -ENOMEM;
		for (i = 0; i < src->n[k]; i++) {
			const struct oci_hook *s = &src->hook[k][i];
			struct oci_hook *d = &dst->hook[k][i];

			dst->n[k] = i + 1;
			d->timeout = s->timeout;
			d->path = strdup(s->path);
			d->args = strv_dup(s->args);
			d->env = strv_dup(s->env);
			if (!d->path || (s->args && !d->args) || (s->env && !d->env))
				return -ENOMEM;
		}
	}
	return 0;
}

static int annotations_dup(struct oci_hook_ctx *ctx, const struct oci_spec *spec)
{
	size_t i;

	ctx->annot_keys = calloc(spec->n_annotations + 1, sizeof(char *));
	ctx->annot_values = calloc(spec->n_annotations + 1, sizeof(char *));
	if (!ctx->annot_keys || !ctx->annot_values)
		return -ENOMEM;
	for (i = 0; i < spec->n_annotations; i++) {
		ctx->annot_keys[i] = strdup(spec->annot_keys[i]);
		ctx->annot_values[i] = strdup(spec->annot_values[i]);
		ctx->n_annotations = i + 1;
		if (!ctx->annot_keys[i] || !ctx->annot_values[i])
			return -ENOMEM;
	}
	return 0;
}

int oci_hook_ctx_init(struct oci_hook_ctx *ctx, const struct oci_spec *spec, const char *id,
		      const char *bundle, struct husk_error **err)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->id = strdup(id);
	ctx->bundle = strdup(bundle);
	if (!ctx->id || !ctx->bundle || hooks_dup(&ctx->hooks, &spec->hooks) ||
	    annotations_dup(ctx, spec)) {
		oci_hook_ctx_clear(ctx);
		return husk_err(err, ENOMEM, "hooks of %s", id);
	}
	return 0;
}

void oci_hook_ctx_clear(struct oci_hook_ctx *ctx)
{
	size_t i;

	oci_hooks_clear(&ctx->hooks);
	for (i = 0; i < ctx->n_annotations; i++) {
		free(ctx->annot_keys[i]);
		free(ctx->annot_values[i]);
	}
	free(ctx->annot_keys);
	free(ctx->annot_values);
	free(ctx->id);
	free(ctx->bundle);
	memset(ctx, 0, sizeof(*ctx));
}

int oci_state_json(const struct oci_hook_ctx *ctx, const char *status, uint32_t pid, char **out,
		   size_t *len, struct husk_error **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t i, n;

	if (!g)
		return husk_err(err, ENOMEM, "state of %s", ctx->id);
	yajl_gen_map_open(g);
	json_write_string(g, "ociVersion", OCI_STATE_VERSION);
	json_write_string(g, "id", ctx->id);
	json_write_string(g, "status", status);
	if (pid)
		json_write_int(g, "pid", pid);
	json_write_string(g, "bundle", ctx->bundle);
	json_write_key(g, "annotations");
	yajl_gen_map_open(g);
	for (i = 0; i < ctx->n_annotations; i++)
		json_write_string(g, ctx->annot_keys[i], ctx->annot_values[i]);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &n);
	*out = malloc(n + 1);
	if (*out) {
		memcpy(*out, buf, n);
		(*out)[n] = '\0';
		*len = n;
	}
	yajl_gen_free(g);
	return *out ? 0 : husk_err(err, ENOMEM, "state of %s", ctx->id);
}
