// SPDX-License-Identifier: Apache-2.0
/*
 * share.c - spec bind sources that are not plain VM paths: the host's
 * virtio-fs share (HUSK_AGENT_SHARE_DIR), the pod's /dev/shm tmpfs
 * (HUSK_AGENT_POD_SHM_DIR) and the per-container files
 * (HUSK_AGENT_FILES_DIR). husk-init mounts the share and the pod shm on
 * first use, once per VM, in its own mount namespace, so every container
 * created later inherits them; then each such source gets the path
 * husk-init itself uses (the same in a VM; under STATE or --share in test
 * mode, which must touch nothing of the host's /run); the container's
 * first process opens it beneath that folder (share_source_open).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

enum share_kind { SRC_PLAIN, SRC_SHARE, SRC_SHM, SRC_FILES };

static const struct {
	const char *prefix;
	enum share_kind kind;
} share_prefixes[] = {
	{ HUSK_AGENT_SHARE_DIR, SRC_SHARE },
	{ HUSK_AGENT_POD_SHM_DIR, SRC_SHM },
	{ HUSK_AGENT_FILES_DIR, SRC_FILES },
};

int share_init(struct agent *ag, const char *share, struct husk_error **e)
{
	const char *base = ag->vm ? "" : ag->state_dir;

	snprintf(ag->files_dir, sizeof(ag->files_dir), "%s%s", base,
		 ag->vm ? HUSK_AGENT_FILES_DIR : "/files");
	snprintf(ag->shm_dir, sizeof(ag->shm_dir), "%s%s", base,
		 ag->vm ? HUSK_AGENT_POD_SHM_DIR : "/shm");
	if (ag->vm)
		snprintf(ag->share_dir, sizeof(ag->share_dir), "%s", HUSK_AGENT_SHARE_DIR);
	else if (share && (share[0] != '/' || strlen(share) >= sizeof(ag->share_dir)))
		return husk_err(e, 0, "--share %.100s is not an absolute path below %zu bytes",
				share, sizeof(ag->share_dir));
	else
		snprintf(ag->share_dir, sizeof(ag->share_dir), "%s", share ? share : "");
	/* test mode: the --share folder is the share, nothing to mount */
	ag->share_up = !ag->vm && share;
	/* a bind of the whole files folder works before any container has files */
	return util_mkdir_p(ag->files_dir, 0755, e);
}

/* @src is @prefix or below it: *@rest is "" or "/..." after the prefix. */
static enum share_kind share_classify(const char *src, const char **rest)
{
	size_t i, n;

	for (i = 0; i < sizeof(share_prefixes) / sizeof(share_prefixes[0]); i++) {
		n = strlen(share_prefixes[i].prefix);
		if (strncmp(src, share_prefixes[i].prefix, n) == 0 &&
		    (src[n] == '\0' || src[n] == '/')) {
			*rest = src + n;
			return share_prefixes[i].kind;
		}
	}
	return SRC_PLAIN;
}

/* A ".." component would lead out of the folder the host meant. */
static bool share_has_dotdot(const char *rest)
{
	const char *p = rest;
	size_t len;

	for (; *p; p += len) {
		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
	}
	return false;
}

static int share_mount_share(struct agent *ag, struct husk_error **e)
{
	if (ag->share_up)
		return 0;
	if (!ag->vm)
		return husk_err(e, ENODEV, "no share in test mode (husk-init --share DIR)");
	if (util_mkdir_p(ag->share_dir, 0755, e) < 0)
		return -husk_error_errno(*e);
	if (mount(HUSK_AGENT_SHARE_TAG, ag->share_dir, "virtiofs", MS_NOSUID | MS_NODEV, NULL) < 0)
		/* the kernel says EINVAL for a tag no device has: say what it means */
		return husk_err(e, errno, "mount virtio-fs share %s on %s%s", HUSK_AGENT_SHARE_TAG,
				ag->share_dir,
				errno == EINVAL ? " (no virtio-fs device has that tag)" :
				errno == ENODEV ? " (the guest kernel has no virtiofs)" :
						  "");
	ag->share_up = true;
	log_info("virtio-fs share %s mounted on %s", HUSK_AGENT_SHARE_TAG, ag->share_dir);
	return 0;
}

/* The pod's /dev/shm: the first CREATE that binds it decides its size. */
static int share_mount_shm(struct agent *ag, int64_t size, struct husk_error **e)
{
	char data[64];

	if (ag->shm_up)
		return 0;
	if (util_mkdir_p(ag->shm_dir, 0755, e) < 0)
		return -husk_error_errno(*e);
	snprintf(data, sizeof(data), "mode=1777,size=%llu",
		 size > 0 ? (unsigned long long)size : HUSK_AGENT_SHM_DEFAULT);
	if (mount("shm", ag->shm_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data) < 0)
		return husk_err(e, errno, "mount the pod's shm tmpfs (%s) on %s", data,
				ag->shm_dir);
	ag->shm_up = true;
	return 0;
}

static int share_resolve_one(struct agent *ag, struct spec_mount *m, int64_t shm_size,
			     struct husk_error **e)
{
	const char *rest = NULL, *dir;
	enum share_kind kind = share_classify(m->source, &rest);

	if (kind == SRC_PLAIN)
		return 0;
	if (share_has_dotdot(rest))
		return husk_err(e, EPERM, "source %.200s has a \"..\" component", m->source);
	if (kind == SRC_SHARE && share_mount_share(ag, e) < 0)
		return -husk_error_errno(*e);
	if (kind == SRC_SHM && share_mount_shm(ag, shm_size, e) < 0)
		return -husk_error_errno(*e);
	dir = kind == SRC_SHARE ? ag->share_dir : kind == SRC_SHM ? ag->shm_dir : ag->files_dir;
	m->beneath = dir;
	free(m->resolved);
	if (asprintf(&m->resolved, "%s%s", dir, rest) < 0) {
		m->resolved = NULL;
		return husk_err(e, ENOMEM, "source %.200s", m->source);
	}
	return 0;
}

/*
 * In the container's first process, before the bind: the source opened
 * beneath its folder, so that no symlink in the share (the host's files,
 * or a container's own writes), nor one in the pod shm, leads the bind
 * elsewhere in the VM, or out to the host in test mode.
 */
int share_source_open(const struct spec_mount *m, struct husk_error **e)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	const char *rest = m->resolved + strlen(m->beneath);
	long fd;
	int dfd;

	rest += strspn(rest, "/");
	dfd = open(m->beneath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return husk_err(e, errno, "open %s", m->beneath);
	fd = syscall(SYS_openat2, dfd, rest[0] ? rest : ".", &how, sizeof(how));
	if (fd < 0)
		husk_err(e, errno, "bind source %s%s", m->resolved,
			 errno == EXDEV ? " leads out of its folder" : "");
	close(dfd);
	return fd < 0 ? -husk_error_errno(*e) : (int)fd;
}

int share_resolve(struct agent *ag, struct spec *spec, int64_t shm_size, struct husk_error **e)
{
	size_t i;

	for (i = 0; i < spec->nmounts; i++) {
		if (!(spec->mounts[i].flags & MS_BIND))
			continue;
		if (share_resolve_one(ag, &spec->mounts[i], shm_size, e) < 0)
			return husk_err_wrap(e, "mounts[%zu] (%.100s)", i, spec->mounts[i].dest);
	}
	return 0;
}

int share_resolve_dir(struct agent *ag, const char *dir, char **out, bool *shared,
		      struct husk_error **e)
{
	const char *rest = NULL;
	enum share_kind kind = share_classify(dir, &rest);

	*shared = kind == SRC_SHARE;
	if (kind != SRC_PLAIN && kind != SRC_SHARE)
		return husk_err(e, EINVAL, "%.200s is not a share path", dir);
	if (*shared && share_has_dotdot(rest))
		return husk_err(e, EPERM, "%.200s has a \"..\" component", dir);
	if (*shared && share_mount_share(ag, e) < 0)
		return -husk_error_errno(*e);
	if (asprintf(out, "%s%s", *shared ? ag->share_dir : dir, *shared ? rest : "") < 0) {
		*out = NULL;
		return husk_err(e, ENOMEM, "%.200s", dir);
	}
	return 0;
}
