/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci_hooks.h - the OCI runtime spec's POSIX-platform hooks (config.md
 * "hooks"): reading them from config.json, strictly and with errors that
 * name the field, and running them on the host with the container's state
 * on stdin.
 *
 * Where they run: the shim's host is the runtime's host, so prestart,
 * createRuntime, poststart and poststop run here. createContainer and
 * startContainer would run inside the container's namespaces, which live
 * in the VM: oci_hooks_check_host refuses a spec that has them.
 */
#ifndef HUSK_SHIM_BASE_OCI_HOOKS_H
#define HUSK_SHIM_BASE_OCI_HOOKS_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

struct husk_error;
struct oci_spec;

enum oci_hook_kind {
	OCI_HOOK_PRESTART, /* deprecated by the spec, still run (as runc does) */
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS,
};

struct oci_hook {
	char *path;  /* absolute */
	char **args; /* NULL-terminated, args[0] is argv[0]; NULL: { path } */
	char **env;  /* NULL-terminated "KEY=value"; NULL: the shim's environment */
	int timeout; /* seconds; 0: none */
};

struct oci_hooks {
	struct oci_hook *hook[OCI_HOOK_KINDS];
	size_t n[OCI_HOOK_KINDS];
};

/* oci_hook_kind_name - the spec's name of @kind ("createRuntime"). */
const char *oci_hook_kind_name(enum oci_hook_kind kind);

/*
 * oci_hooks_parse - config.json's "hooks" object @v (NULL: none) into
 * @out. Unknown hook types, a path that is not absolute, non-string args
 * or env, an env entry without '=', a timeout that is not a positive
 * integer: -EINVAL, "hooks.poststart[1].timeout: ...". On error @out is
 * left cleared.
 */
int oci_hooks_parse(yajl_val v, struct oci_hooks *out, struct husk_error **err);
void oci_hooks_clear(struct oci_hooks *h);

/* oci_hooks_check_host - -ENOTSUP for hooks that would run in the VM. */
int oci_hooks_check_host(const struct oci_hooks *h, struct husk_error **err);

/*
 * struct oci_hook_ctx - what a container's hooks need once its spec is
 * gone: the hooks, and the state's fixed parts (id, bundle, annotations).
 */
struct oci_hook_ctx {
	struct oci_hooks hooks;
	char *id;
	char *bundle;
	size_t n_annotations;
	char **annot_keys;
	char **annot_values;
};

/* oci_hook_ctx_init - copy what @spec's hooks need. Returns 0 or -ENOMEM. */
int oci_hook_ctx_init(struct oci_hook_ctx *ctx, const struct oci_spec *spec, const char *id,
		      const char *bundle, struct husk_error **err);
void oci_hook_ctx_clear(struct oci_hook_ctx *ctx);

/*
 * oci_state_json - the state a hook reads on stdin: {"ociVersion", "id",
 * "status", "pid", "bundle", "annotations"} (pid left out when 0).
 */
int oci_state_json(const struct oci_hook_ctx *ctx, const char *status, uint32_t pid, char **out,
		   size_t *len, struct husk_error **err);

/*
 * oci_hook_exec - run one hook with @state on stdin, in a process group
 * of its own that is killed at the hook's timeout. Returns 0 when it
 * exited 0; otherwise -errno with *err naming the path and giving the exit
 * status (or the timeout) and the tail of what it printed.
 */
int oci_hook_exec(const struct oci_hook *h, const char *state, size_t len, struct husk_error **err);

/*
 * oci_hooks_run - every hook of @kind, in order, with the state (@status,
 * @pid). prestart and createRuntime stop at the first failure and return
 * it; poststart and poststop log each failure as a warning, run the rest
 * and return 0, as the spec says.
 */
int oci_hooks_run(const struct oci_hook_ctx *ctx, enum oci_hook_kind kind, const char *status,
		  uint32_t pid, struct husk_error **err);

#endif
