// SPDX-License-Identifier: Apache-2.0
/* oci_spec_query.c - questions the shim asks of a parsed config.json. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
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

/* An annotation's decimal value; absent is 0. */
static int annot_u64(const struct oci_spec *spec, const char *key, uint64_t *out,
		     struct husk_error **err)
{
	const char *v = oci_spec_annotation(spec, key), *c;
	uint64_t n = 0;

	*out = 0;
	if (!v)
		return 0;
	if (!*v)
		return husk_err(err, 0, "annotation %s: empty, expected a decimal number", key);
	for (c = v; *c; c++) {
		if (*c < '0' || *c > '9')
			return husk_err(
				err, 0,
				"annotation %s: \"%s\" is not a non-negative decimal number", key,
				v);
		if (n > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
			return husk_err(err, 0, "annotation %s: %s is out of range", key, v);
		n = n * 10 + (uint64_t)(*c - '0');
	}
	*out = n;
	return 0;
}

int oci_spec_pod_hint(const struct oci_spec *spec, struct oci_vm_hint *hint,
		      struct husk_error **err)
{
	uint64_t mem, quota, period;
	int ret;

	hint->vcpus = 0;
	hint->memory_mib = 0;
	ret = annot_u64(spec, OCI_ANNOT_SANDBOX_MEMORY, &mem, err);
	if (!ret)
		ret = annot_u64(spec, OCI_ANNOT_SANDBOX_CPU_QUOTA, &quota, err);
	if (!ret)
		ret = annot_u64(spec, OCI_ANNOT_SANDBOX_CPU_PERIOD, &period, err);
	if (ret)
		return ret;
	/* Both int64 in Kubernetes: a larger value is no sum of real limits. */
	if (mem > INT64_MAX)
		return husk_err(err, 0, "annotation %s: %" PRIu64 " is out of range",
				OCI_ANNOT_SANDBOX_MEMORY, mem);
	if (quota > INT64_MAX)
		return husk_err(err, 0, "annotation %s: %" PRIu64 " is out of range",
				OCI_ANNOT_SANDBOX_CPU_QUOTA, quota);
	hint->memory_mib = (mem + (1u << 20) - 1) >> 20;
	if (quota && period) {
		/* Round up, as for a container: 1.5 CPUs need two vCPUs. */
		quota = quota / period + !!(quota % period);
		hint->vcpus = quota > UINT32_MAX ? UINT32_MAX : (uint32_t)quota;
	}
	return 0;
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
