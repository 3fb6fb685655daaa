// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_warm.c - a VM booted before its sandbox exists, in a spare shim
 * of the warm pool (shim/warm/warm_pool.h), and the first Create's
 * decision on it. The spare boots as a first Create with an empty spec
 * would: the runtime config's size, the share and its virtiofsd, the
 * disk slots of a root on the share, and an interface without a tap
 * (sandbox_warm_net.c) for a pod's network namespace; its stand-in bundle
 * (the spare's folder) holds the console log and the state file until a
 * Create takes the VM and records them in its own bundle.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/base/bundle_state.h"
#include "shim/base/oci_spec.h"
#include "shim/base/runtime_config.h"
#include "shim/base/shim_log.h"
#include "shim/net/sandbox_net.h"
#include "shim/sandbox/sandbox.h"
#include "shim/sandbox/sandbox_plan.h"

/* No annotations, no limits, no namespaces: sandbox_plan_size's defaults. */
static const struct oci_spec warm_spec = { .memory_limit = -1, .cpu_quota = -1 };

int sandbox_warm_boot(struct sandbox *be, const struct runtime_config *cfg, const char *name,
		      const char *dir, struct husk_error **err)
{
	struct shim_create_req req = {
		.id = name, .bundle = dir, .spec = &warm_spec, .config = cfg
	};
	struct phase_log pl;
	int ret;

	phase_log_start(&pl, (uint64_t)husk_now_ns());
	pthread_mutex_lock(&be->boot_lock);
	ret = sandbox_plan_size(cfg, &warm_spec, &be->size, err);
	if (!ret)
		ret = sandbox_fs_share(be, &req, err);
	phase_log_mark(&pl, "share");
	if (!ret) {
		be->nr_slots = SANDBOX_DISK_SLOTS_SHARED;
		/* In the background; tears down what it made on failure. */
		ret = sandbox_vm_boot(be, &req, true, &pl, err);
	} else {
		sandbox_fs_stop(be);
	}
	if (!ret) {
		be->warm_pending = true;
		be->warm_cfg = cfg;
		be->warm_up_ms = husk_now_ms();
		snprintf(be->warm_dir, sizeof(be->warm_dir), "%s", dir);
		phase_log_debug(&pl, "warm VM boot phases");
	}
	pthread_mutex_unlock(&be->boot_lock);
	return ret;
}

/* Why this Create cannot take the warm VM, or NULL when it can. */
static const char *warm_misfit(const struct sandbox *be, const struct shim_create_req *req,
			       const struct sandbox_container *c)
{
	if (be->vm_dead || !be->vm)
		return "it has ended";
	if (!be->warm_size_ok)
		return "the container needs another size";
	if (!c->share.source)
		return "the root is not on the share";
	if (!runtime_config_same_vm(be->warm_cfg, req->config))
		return "the runtime config differs from the spare's";
	return NULL;
}

/* The spare's files, now @bundle's to remove at Delete (or `delete`). */
static int warm_record(struct sandbox *be, const char *bundle, struct husk_error **err)
{
	const char *files[] = { BUNDLE_CONSOLE_FILE, BUNDLE_CONSOLE_FILE ".1", BUNDLE_STATE_FILE,
				"shim.log" };
	char path[sizeof(be->warm_dir) + 64];
	size_t i;
	int ret;

	ret = sandbox_fs_record(be, bundle, err);
	for (i = 0; !ret && i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", be->warm_dir, files[i]);
		ret = bundle_state_add(bundle, path);
	}
	if (!ret)
		ret = bundle_state_add_dir(bundle, be->warm_dir);
	return ret < 0 ? husk_err(err, -ret, "record the warm VM's files in %s", bundle) : ret;
}

int sandbox_warm_settle(struct sandbox *be, const struct shim_create_req *req,
			const struct sandbox_container *c, bool *used, struct husk_error **err)
{
	struct sandbox_net *net = NULL;
	const char *why = warm_misfit(be, req, c);
	int ret;

	if (!why)
		why = sandbox_warm_net_misfit(be, req, &net);
	be->warm_pending = false;
	be->warm_net = false;
	*used = !why;
	if (why) {
		shim_info("the warm VM is not used (%s): booting one for %s", why, req->id);
		sandbox_net_teardown(net);     /* only read: nothing made yet */
		sandbox_vm_teardown(be, NULL); /* its share too: warm_record leaves it out */
		return warm_record(be, req->bundle, err);
	}
	shim_info("container %s takes the warm VM, up for %lld ms (console: %s/%s)", req->id,
		  husk_now_ms() - be->warm_up_ms, be->warm_dir, BUNDLE_CONSOLE_FILE);
	ret = warm_record(be, req->bundle, err);
	return ret ? ret : sandbox_warm_net_take(be, req, net, err);
}
