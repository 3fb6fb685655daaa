// SPDX-License-Identifier: Apache-2.0
/* vm_net_etc.c - hosts, resolv.conf and hostname for the VM (vm_net_etc.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "error.h"
#include "json_util.h"
#include "vm_net_etc.h"

/* Where husk-init writes them in a VM (its etc folder is /etc there). */
static const char *const vm_net_etc_files[] = { "/etc/hosts", "/etc/resolv.conf",
						"/etc/hostname" };

static char *vm_net_etc_read(const char *path)
{
	char *buf = malloc(VM_NET_ETC_MAX + 1);
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		goto fail;
	while (len <= VM_NET_ETC_MAX &&
	       (n = read(fd, buf + len, VM_NET_ETC_MAX + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len > VM_NET_ETC_MAX || memchr(buf, '\0', len))
		goto fail;
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static bool vm_net_etc_is_bind(yajl_val m)
{
	yajl_val type = json_member(m, "type"), opts = json_member(m, "options");
	size_t i;

	if (YAJL_IS_STRING(type) && !strcmp(type->u.string, "bind"))
		return true;
	for (i = 0; YAJL_IS_ARRAY(opts) && i < opts->u.array.len; i++) {
		yajl_val o = opts->u.array.values[i];

		if (YAJL_IS_STRING(o) && (!strcmp(o->u.string, "bind") ||
					  !strcmp(o->u.string, "rbind")))
			return true;
	}
	return false;
}

/* One mount: which file (index), or -1 when it is none of ours. */
static int vm_net_etc_which(yajl_val m)
{
	yajl_val dest = json_member(m, "destination"), src = json_member(m, "source");
	int k;

	if (!YAJL_IS_STRING(dest) || !YAJL_IS_STRING(src) || src->u.string[0] != '/' ||
	    !vm_net_etc_is_bind(m))
		return -1;
	for (k = 0; k < 3; k++)
		if (!strcmp(dest->u.string, vm_net_etc_files[k]))
			return k;
	return -1;
}

/* Read the source; on success point the mount at the VM's file. */
static bool vm_net_etc_take(yajl_val m, int k, struct vm_net_etc *etc)
{
	yajl_val src = json_member(m, "source");
	char **slot[3] = { &etc->hosts, &etc->resolv, &etc->hostname };
	char *text = vm_net_etc_read(src->u.string), *vm_path;

	if (!text)
		return false;
	vm_path = strdup(vm_net_etc_files[k]);
	if (!vm_path) {
		free(text);
		return false;
	}
	free(*slot[k]);
	*slot[k] = text;
	/* yajl_tree allocates with malloc(3): the string is ours to swap. */
	free(src->u.string);
	src->u.string = vm_path;
	return true;
}

static void vm_net_etc_gen(yajl_gen g, yajl_val v)
{
	size_t i;

	if (YAJL_IS_STRING(v)) {
		yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_NUMBER(v)) {
		/* the number's own text: nothing is lost to a conversion */
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			yajl_gen_string(g, (const unsigned char *)v->u.object.keys[i],
					strlen(v->u.object.keys[i]));
			vm_net_etc_gen(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			vm_net_etc_gen(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		yajl_gen_null(g);
	}
}

static int vm_net_etc_emit(yajl_val root, char **out, size_t *out_len, struct husk_error **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return husk_err(err, ENOMEM, "config.json for the VM");
	vm_net_etc_gen(g, root);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || !(*out = malloc(len + 1))) {
		yajl_gen_free(g);
		return husk_err(err, ENOMEM, "config.json for the VM");
	}
	memcpy(*out, buf, len);
	(*out)[len] = '\0';
	*out_len = len;
	yajl_gen_free(g);
	return 0;
}

int vm_net_etc_rewrite(const char *spec, size_t len, struct vm_net_etc *etc, char **out,
		       size_t *out_len, struct husk_error **err)
{
	struct vm_net_etc scratch = { 0 };
	yajl_val root, mounts;
	bool changed = false;
	size_t i;
	int k, ret;

	*out = NULL;
	ret = json_parse(spec, len, "config.json", &root, err);
	if (ret)
		return ret;
	mounts = json_member(root, "mounts");
	for (i = 0; YAJL_IS_ARRAY(mounts) && i < mounts->u.array.len; i++) {
		k = vm_net_etc_which(mounts->u.array.values[i]);
		if (k >= 0 && vm_net_etc_take(mounts->u.array.values[i], k, etc ? etc : &scratch))
			changed = true;
	}
	vm_net_etc_clear(&scratch);
	ret = changed ? vm_net_etc_emit(root, out, out_len, err) : 0;
	yajl_tree_free(root);
	return ret;
}

void vm_net_etc_clear(struct vm_net_etc *etc)
{
	free(etc->hosts);
	free(etc->resolv);
	free(etc->hostname);
	memset(etc, 0, sizeof(*etc));
}

int vm_net_etc_read_spec(const char *path, char **spec, size_t *len,
			 struct husk_error **err)
{
	char *vm_spec;
	int ret;

	ret = json_read_file(path, spec, len, err);
	if (ret)
		return ret;
	ret = vm_net_etc_rewrite(*spec, *len, NULL, &vm_spec, len, err);
	if (ret || vm_spec) {
		free(*spec);
		*spec = ret ? NULL : vm_spec;
	}
	return ret;
}
