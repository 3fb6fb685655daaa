// SPDX-License-Identifier: Apache-2.0
/*
 * cli_devices.c - --disk PATH[,ro][,serial=S][,bw=R[:B]][,ops=R[:B]],
 * --net tap=NAME[,mac=MAC][,mtu=N][,{rx,tx}_{bw,ops}=R[:B]], --fs TAG=SOCKET
 * and --vsock cid=N[,uds=PATH]: values are split at commas (paths cannot
 * contain one; --fs splits at its first '=' only) into the library's
 * device configs. Rate limits: R per second, B a one-time burst (bytes for
 * bw, requests or frames for ops), each N[K|M|G] with binary multiples.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_devices.h"

#define CLI_USAGE 2

static int cli_usage(const char *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cli_usage(const char *opt, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "husk: %s: ", opt);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

/* A writable copy of @arg that lives as long as @d. */
static char *cli_copy(struct cli_devices *d, const char *arg)
{
	char *s;

	if (d->nr_bufs >= sizeof(d->bufs) / sizeof(d->bufs[0]))
		return NULL;
	s = strdup(arg);
	if (s)
		d->bufs[d->nr_bufs++] = s;
	return s;
}

static int cli_u32(const char *opt, const char *what, const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > UINT32_MAX)
		return cli_usage(opt, "%s: not a number: %s", what, s);
	*out = (uint32_t)v;
	return 0;
}

/* N[K|M|G] (binary multiples), at most HUSK_RATE_LIMIT_MAX. */
static int cli_amount(const char *opt, const char *what, const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'M' || *end == 'G')
		shift = *end == 'K' ? 10 : *end == 'M' ? 20 : 30;
	if (shift)
		end++;
	if (errno || end == s || *end || s[0] == '-' || s[0] == '+' ||
	    v > HUSK_RATE_LIMIT_MAX >> shift)
		return cli_usage(opt, "%s: not a number up to 2^48 (with K, M or G): %s", what, s);
	*out = (uint64_t)v << shift;
	return 0;
}

/* RATE[:BURST] of one token bucket; a burst needs a rate. */
static int cli_bucket(const char *opt, const char *what, char *s, struct husk_token_bucket *b)
{
	char *colon = strchr(s, ':');
	int ret;

	if (colon)
		*colon = 0;
	ret = cli_amount(opt, what, s, &b->rate);
	if (!ret && colon)
		ret = cli_amount(opt, what, colon + 1, &b->one_time_burst);
	if (!ret && b->one_time_burst && !b->rate)
		ret = cli_usage(opt, "%s: a burst needs a rate", what);
	return ret;
}

/*
 * @prefix ("", "rx_" or "tx_") then bw=RATE[:BURST] or ops=RATE[:BURST]
 * into @l: 0, 2 (usage printed), or -1 when @kv is no such key.
 */
static int cli_limit_key(const char *opt, const char *prefix, char *kv, struct husk_rate_limit *l)
{
	size_t n = strlen(prefix);
	char key[8];

	if (strncmp(kv, prefix, n))
		return -1;
	if (!strncmp(kv + n, "bw=", 3)) {
		snprintf(key, sizeof(key), "%sbw", prefix);
		return cli_bucket(opt, key, kv + n + 3, &l->bandwidth);
	}
	if (!strncmp(kv + n, "ops=", 4)) {
		snprintf(key, sizeof(key), "%sops", prefix);
		return cli_bucket(opt, key, kv + n + 4, &l->ops);
	}
	return -1;
}

static int cli_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6], i;
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &tail) != 6)
		return cli_usage("--net", "mac: not XX:XX:XX:XX:XX:XX: %s", s);
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int cli_disk_key(struct husk_disk_config *c, char *kv)
{
	int ret;

	if (!strcmp(kv, "ro")) {
		c->read_only = 1;
		return 0;
	}
	if (!strncmp(kv, "serial=", 7)) {
		c->serial = kv + 7;
		return strlen(c->serial) > 20 ?
			       cli_usage("--disk", "serial: longer than 20 bytes: %s", c->serial) :
			       0;
	}
	ret = cli_limit_key("--disk", "", kv, &c->rate_limit);
	if (ret >= 0)
		return ret;
	return cli_usage("--disk",
			 "unknown option '%s' (ro, serial=S, bw=RATE[:BURST], "
			 "ops=RATE[:BURST])",
			 kv);
}

int cli_parse_disk(struct cli_devices *d, const char *arg)
{
	struct husk_disk_config *c = &d->disks[d->nr_disks];
	char *s, *kv, *save = NULL;
	int ret;

	if (d->nr_disks >= CLI_MAX_DEVS)
		return cli_usage("--disk", "at most %d disks", CLI_MAX_DEVS);
	s = cli_copy(d, arg);
	if (!s)
		return cli_usage("--disk", "out of memory");
	husk_disk_config_init(c);
	c->path = strtok_r(s, ",", &save);
	if (!c->path || arg[0] == ',')
		return cli_usage("--disk", "no path: '%s'", arg);
	while ((kv = strtok_r(NULL, ",", &save))) {
		ret = cli_disk_key(c, kv);
		if (ret)
			return ret;
	}
	d->nr_disks++;
	return 0;
}

static int cli_net_key(struct husk_net_config *c, char *kv)
{
	int ret;

	ret = cli_limit_key("--net", "rx_", kv, &c->rx_rate_limit);
	if (ret < 0)
		ret = cli_limit_key("--net", "tx_", kv, &c->tx_rate_limit);
	if (ret >= 0)
		return ret;
	if (!strncmp(kv, "tap=", 4) && kv[4]) {
		c->tap_name = kv + 4;
		return 0;
	}
	if (!strncmp(kv, "mac=", 4))
		return cli_mac(kv + 4, c->mac);
	if (!strncmp(kv, "mtu=", 4))
		return cli_u32("--net", "mtu", kv + 4, &c->mtu);
	return cli_usage("--net",
			 "unknown option '%s' (tap=NAME, mac=MAC, mtu=N, rx_bw=, rx_ops=, tx_bw=, "
			 "tx_ops=RATE[:BURST])",
			 kv);
}

int cli_parse_net(struct cli_devices *d, const char *arg)
{
	struct husk_net_config *c = &d->nets[d->nr_nets];
	char *s, *kv, *save = NULL;
	int ret;

	if (d->nr_nets >= CLI_MAX_DEVS)
		return cli_usage("--net", "at most %d interfaces", CLI_MAX_DEVS);
	s = cli_copy(d, arg);
	if (!s)
		return cli_usage("--net", "out of memory");
	husk_net_config_init(c);
	for (kv = strtok_r(s, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		ret = cli_net_key(c, kv);
		if (ret)
			return ret;
	}
	if (!c->tap_name)
		return cli_usage("--net", "tap=NAME is required");
	d->nr_nets++;
	return 0;
}

/* The guest's tag limit (virtio 1.2 5.11.4), checked here for a usage error. */
#define CLI_FS_TAG_MAX 36

int cli_parse_fs(struct cli_devices *d, const char *arg)
{
	struct husk_fs_config *c = &d->fss[d->nr_fss];
	char *s, *eq;

	if (d->nr_fss >= CLI_MAX_DEVS)
		return cli_usage("--fs", "at most %d shares", CLI_MAX_DEVS);
	s = cli_copy(d, arg);
	if (!s)
		return cli_usage("--fs", "out of memory");
	eq = strchr(s, '=');
	if (!eq || eq == s || !eq[1])
		return cli_usage("--fs", "not TAG=SOCKET: '%s'", arg);
	*eq = 0;
	if (strlen(s) > CLI_FS_TAG_MAX)
		return cli_usage("--fs", "tag longer than %d bytes: %s", CLI_FS_TAG_MAX, s);
	husk_fs_config_init(c);
	c->tag = s;
	c->socket_path = eq + 1;
	d->nr_fss++;
	return 0;
}

static int cli_vsock_key(struct husk_vsock_config *c, char *kv)
{
	if (!strncmp(kv, "cid=", 4))
		return cli_u32("--vsock", "cid", kv + 4, &c->guest_cid);
	if (!strncmp(kv, "uds=", 4) && kv[4]) {
		c->uds_path = kv + 4;
		return 0;
	}
	return cli_usage("--vsock", "unknown option '%s' (cid=N, uds=PATH)", kv);
}

int cli_parse_vsock(struct cli_devices *d, const char *arg)
{
	struct husk_vsock_config *c = &d->vsock;
	char *s, *kv, *save = NULL;
	int ret;

	if (d->has_vsock)
		return cli_usage("--vsock", "given twice (a VM has one vsock device)");
	s = cli_copy(d, arg);
	if (!s)
		return cli_usage("--vsock", "out of memory");
	husk_vsock_config_init(c);
	for (kv = strtok_r(s, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		ret = cli_vsock_key(c, kv);
		if (ret)
			return ret;
	}
	if (c->guest_cid < 3)
		return cli_usage("--vsock", "cid=N with N >= 3 is required");
	d->has_vsock = true;
	return 0;
}

int cli_add_devices(struct husk_vm *vm, const struct cli_devices *d, struct husk_error **err)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < d->nr_disks; i++)
		ret = husk_vm_add_disk(vm, &d->disks[i], err);
	for (i = 0; !ret && i < d->nr_nets; i++)
		ret = husk_vm_add_net(vm, &d->nets[i], err);
	for (i = 0; !ret && i < d->nr_fss; i++)
		ret = husk_vm_add_fs(vm, &d->fss[i], err);
	if (!ret && d->has_vsock)
		ret = husk_vm_add_vsock(vm, &d->vsock, err);
	return ret;
}

void cli_devices_free(struct cli_devices *d)
{
	while (d->nr_bufs)
		free(d->bufs[--d->nr_bufs]);
}
