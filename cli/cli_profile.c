// SPDX-License-Identifier: Apache-2.0
/* cli_profile.c - `husk run --profile FILE` (see cli_profile.h). */
#include <errno.h>
#include <string.h>

#include "cli/cli_profile.h"

/*
 * On a vCPU thread, under its seccomp filter: the FILE's buffer was set
 * up front, so a sample costs a formatted copy and, once per 64 KiB, a
 * write(2); stdio's own lock keeps vCPUs' lines whole.
 */
static void cli_profile_sample(void *opaque, unsigned int vcpu, uint64_t t_ns, uint64_t rip)
{
	struct cli_profile *p = opaque;

	fprintf(p->f, "%llu.%03llu %u %llx\n", (unsigned long long)(t_ns / 1000000),
		(unsigned long long)(t_ns / 1000 % 1000), vcpu, (unsigned long long)rip);
}

int cli_profile_open(struct cli_profile *p, const char *path, uint32_t us,
		     struct husk_vm_config *cfg)
{
	p->f = fopen(path, "we");
	if (!p->f) {
		fprintf(stderr, "husk: --profile: create %s: %s\n", path, strerror(errno));
		return -1;
	}
	setvbuf(p->f, p->buf, _IOFBF, sizeof(p->buf));
	fprintf(p->f, "# husk profile: t_ms vcpu rip, a sample every %u us\n", us);
	cfg->sample_fn = cli_profile_sample;
	cfg->sample_opaque = p;
	cfg->sample_us = us;
	return 0;
}

int cli_profile_close(struct cli_profile *p, const char *path)
{
	int bad;

	if (!p->f)
		return 0;
	bad = ferror(p->f);
	if (fclose(p->f) != 0 || bad) {
		fprintf(stderr, "husk: --profile: write %s: %s\n", path, strerror(errno));
		p->f = NULL;
		return -1;
	}
	p->f = NULL;
	return 0;
}
