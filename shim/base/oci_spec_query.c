// SPDX-License-Identifier: Apache-2.0
/* oci_spec_query.c - questions the shim asks of a parsed config.json. */
#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "shim/base/oci_spec.h"

const char *oci_spec_annotation(const struct oci_spec *spec, const char *key)
{
	size_t i;

	if (!spec)
		return NULL;
	for (i = 0; i < spec->n_annotations; i++)
		if (!strcmp(spec->annot_keys[i], key))
			return spec->annot_values[i];
	return NULL;
}

/* The order containerd's runc shim and Kata use, so pods group alike. */
const char *oci_spec_group(const struct oci_spec *spec, const char *id)
{
	const char *g = oci_spec_annotation(spec, OCI_ANNOT_RUNC_GROUP);

	if (!g || !*g)
		g = oci_spec_annotation(spec, OCI_ANNOT_SANDBOX_ID);
	return g && *g ? g : id;
}

enum oci_container_type oci_spec_container_type(const struct oci_spec *spec)
{
	const char *t = oci_spec_annotation(spec, OCI_ANNOT_CONTAINER_TYPE);

	if (t && !strcmp(t, "sandbox"))
		return OCI_CONTAINER_SANDBOX;
	if (t && !strcmp(t, "container"))
		return OCI_CONTAINER_POD_MEMBER;
	return OCI_CONTAINER_PLAIN;
}

void oci_spec_vm_hint(const struct oci_spec *spec, struct oci_vm_hint *hint)
{
	uint64_t q;

	hint->vcpus = 0;
	hint->memory_mib = 0;
	if (spec->cpu_quota > 0 && spec->cpu_period > 0) {
		q = (uint64_t)spec->cpu_quota;
		/* Round up: a 1.5-CPU limit needs two vCPUs to be reachable. */
		q = q / spec->cpu_period + !!(q % spec->cpu_period);
		hint->vcpus = q > UINT32_MAX ? UINT32_MAX : (uint32_t)q;
	}
	if (spec->memory_limit > 0)
		hint->memory_mib = ((uint64_t)spec->memory_limit + (1u << 20) - 1) >> 20;
}

int oci_spec_check_network(const struct oci_spec *spec, struct husk_error **err)
{
	/*
	 * CRI gives a sandbox a "network" entry (with the pod's netns path)
	 * unless the pod asked for hostNetwork; a VM has its own kernel and
	 * cannot join the host's stack, so say so instead of starting a VM
	 * with no network.
	 */
	if (oci_spec_container_type(spec) == OCI_CONTAINER_SANDBOX && !spec->has_netns)
		return husk_err(
			err, ENOTSUP,
			"pod sandbox has no network namespace (hostNetwork pod?): a husk VM cannot use the host network");
	/*
	 * Outside CRI, listing namespaces without "network" is how a runtime
	 * asks for the host's network (ctr --net-host, docker --network host).
	 * A spec without a namespace list says nothing and gets loopback.
	 */
	if (spec->has_namespaces && !spec->has_netns)
		return husk_err(
			err, ENOTSUP,
			"linux.namespaces has no network namespace (host network?): a husk VM cannot use the host network");
	return 0;
}
