/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci_spec.h - the few fields of a bundle's config.json the shim itself
 * needs: annotations (pod grouping, container type), root path, terminal,
 * resources (a VM size hint), cgroupsPath, the network namespace and the
 * hooks. The guest parses the full spec; this reader only validates what
 * it takes, with errors that name the field.
 */
#ifndef HUSK_SHIM_BASE_OCI_SPEC_H
#define HUSK_SHIM_BASE_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/base/oci_hooks.h"

struct husk_error;

/* Annotations containerd's CRI sets on pod containers (see §1.3). */
#define OCI_ANNOT_RUNC_GROUP	     "io.containerd.runc.v2.group"
#define OCI_ANNOT_SANDBOX_ID	     "io.kubernetes.cri.sandbox-id"
#define OCI_ANNOT_CONTAINER_TYPE     "io.kubernetes.cri.container-type"
/* On the pause spec only, decimal strings; "0" = no limit set (cri.md §2). */
#define OCI_ANNOT_SANDBOX_MEMORY     "io.kubernetes.cri.sandbox-memory"
#define OCI_ANNOT_SANDBOX_CPU_QUOTA  "io.kubernetes.cri.sandbox-cpu-quota"
#define OCI_ANNOT_SANDBOX_CPU_PERIOD "io.kubernetes.cri.sandbox-cpu-period"

enum oci_container_type {
	OCI_CONTAINER_PLAIN,	  /* no CRI annotations: ctr, moby */
	OCI_CONTAINER_SANDBOX,	  /* CRI pause container */
	OCI_CONTAINER_POD_MEMBER, /* CRI app container in a pod */
};

struct oci_spec {
	char *root_path; /* root.path; relative means bundle/... */
	bool root_readonly;
	bool terminal; /* process.terminal */
	size_t n_annotations;
	char **annot_keys;
	char **annot_values;
	int64_t memory_limit;	/* bytes; -1 when unset */
	int64_t cpu_quota;	/* microseconds per period; -1 when unset */
	uint64_t cpu_period;	/* microseconds; 0 when unset */
	uint64_t cpu_shares;	/* 0 when unset */
	bool has_namespaces;	/* linux.namespaces is there */
	bool has_netns;		/* linux.namespaces lists "network" */
	char *netns_path;	/* its path; NULL means "a new one" */
	char *cgroups_path;	/* linux.cgroupsPath; NULL when unset */
	struct oci_hooks hooks; /* "hooks" (oci_hooks.h); none: all empty */
};

/* VM size derived from the spec's resources; 0 means "no hint". */
struct oci_vm_hint {
	uint32_t vcpus;	     /* ceil(quota / period) */
	uint64_t memory_mib; /* limit rounded up to MiB */
};

/*
 * oci_spec_pod_hint - the pod's size from the CRI sandbox annotations
 * (sum of its containers' limits, overhead excluded): memory rounded up
 * to MiB, vCPUs ceil(quota / period). Absent or "0" annotations give 0.
 * A value that is not a non-negative decimal number (or overflows) is
 * -EINVAL with a message naming the annotation.
 */
int oci_spec_pod_hint(const struct oci_spec *spec, struct oci_vm_hint *hint,
		      struct husk_error **err);

/* oci_spec_parse - parse config.json text. Returns 0 or -EINVAL/-ENOMEM. */
int oci_spec_parse(const char *json, size_t len, struct oci_spec **out, struct husk_error **err);

/* oci_spec_load - read and parse the file at @path. */
int oci_spec_load(const char *path, struct oci_spec **out, struct husk_error **err);

void oci_spec_free(struct oci_spec *spec);

/* oci_spec_annotation - the value of annotation @key, or NULL. */
const char *oci_spec_annotation(const struct oci_spec *spec, const char *key);

/*
 * oci_spec_group - the shim grouping key: the runc group annotation, else
 * the CRI sandbox id, else @id. Containers with the same key share one
 * shim (and one VM).
 */
const char *oci_spec_group(const struct oci_spec *spec, const char *id);

enum oci_container_type oci_spec_container_type(const struct oci_spec *spec);

void oci_spec_vm_hint(const struct oci_spec *spec, struct oci_vm_hint *hint);

/*
 * oci_spec_check_network - a VM cannot share the host's network stack, so
 * a spec that asks for it is refused with a clear error: a pod sandbox
 * without a network namespace entry (a hostNetwork pod), or any spec with
 * a linux.namespaces list that has no "network" (`ctr run --net-host`).
 * Returns 0 or -ENOTSUP.
 */
int oci_spec_check_network(const struct oci_spec *spec, struct husk_error **err);

#endif
