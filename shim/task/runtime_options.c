// SPDX-License-Identifier: Apache-2.0
/* runtime_options.c - the config path in containerd's runtime options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "shim/task/runtime_options.h"

int runtime_options_config_path(const Google__Protobuf__Any *opts, char **path, bool *other,
				struct husk_error **err)
{
	Runtimeoptions__V1__Options *o;

	*path = NULL;
	if (other)
		*other = false;
	if (!opts || !opts->type_url || !*opts->type_url)
		return 0;
	if (!pb_any_is(opts, &runtimeoptions__v1__options__descriptor)) {
		if (other)
			*other = true;
		return 0;
	}
	o = runtimeoptions__v1__options__unpack(NULL, opts->value.len, opts->value.data);
	if (!o)
		return husk_err(err, EINVAL, "cannot decode runtimeoptions.v1.Options");
	if (*o->config_path && !(*path = strdup(o->config_path))) {
		runtimeoptions__v1__options__free_unpacked(o, NULL);
		return husk_err(err, ENOMEM, "runtime options");
	}
	runtimeoptions__v1__options__free_unpacked(o, NULL);
	return 0;
}

int runtime_options_config_path_raw(const uint8_t *buf, size_t len, char **path,
				    struct husk_error **err)
{
	Google__Protobuf__Any *any;
	int ret;

	*path = NULL;
	if (!len)
		return 0;
	any = google__protobuf__any__unpack(NULL, len, buf);
	if (!any)
		return husk_err(err, EINVAL, "runtime options: not a google.protobuf.Any");
	ret = runtime_options_config_path(any, path, NULL, err);
	google__protobuf__any__free_unpacked(any, NULL);
	return ret;
}
