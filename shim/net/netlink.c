// SPDX-License-Identifier: Apache-2.0
/* netlink.c - rtnetlink message building, parsing and exchange (netlink.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/net/netlink.h"

#define NL_RECV_BUF 32768 /* a dump's datagrams are at most a page or two */

void nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, const void *fam, size_t fam_len)
{
	memset(m, 0, sizeof(*m));
	m->hdr.nlmsg_len = NLMSG_LENGTH(fam_len);
	m->hdr.nlmsg_type = type;
	m->hdr.nlmsg_flags = flags | NLM_F_REQUEST;
	if (fam_len)
		memcpy(NLMSG_DATA(&m->hdr), fam, fam_len);
	m->hdr.nlmsg_len = NLMSG_ALIGN(m->hdr.nlmsg_len);
}

void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->hdr.nlmsg_len);
	struct rtattr *a = (struct rtattr *)(m->buf + off);

	if (m->overflow || off + RTA_SPACE(len) > sizeof(m->buf) || RTA_LENGTH(len) > 0xffff) {
		m->overflow = true;
		return;
	}
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	memset((uint8_t *)RTA_DATA(a) + len, 0, RTA_SPACE(len) - RTA_LENGTH(len));
	m->hdr.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

void nl_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

void nl_nest_begin(struct nl_msg *m, uint16_t type)
{
	if (m->depth >= NL_NEST_MAX) {
		m->overflow = true;
		return;
	}
	m->nest[m->depth++] = NLMSG_ALIGN(m->hdr.nlmsg_len);
	nl_put(m, type, NULL, 0);
}

void nl_nest_end(struct nl_msg *m)
{
	struct rtattr *a;

	if (m->depth <= 0) {
		m->overflow = true;
		return;
	}
	a = (struct rtattr *)(m->buf + m->nest[--m->depth]);
	if (!m->overflow)
		a->rta_len = (unsigned short)(m->hdr.nlmsg_len - m->nest[m->depth]);
}

int nl_attrs(const void *data, size_t len, const struct rtattr **tb, int max)
{
	const struct rtattr *a = data;
	int n = (int)len;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	for (; RTA_OK(a, n); a = RTA_NEXT(a, n)) {
		/* NLA_F_NESTED may be set on nests; the type is below it. */
		int type = a->rta_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = a;
	}
	/* RTA_OK stops at a short tail; anything but padding is corrupt. */
	return n >= (int)sizeof(struct rtattr) ? -EINVAL : 0;
}

int nl_msg_attrs(const struct nlmsghdr *h, size_t fam_len, const struct rtattr **tb, int max)
{
	size_t hl = NLMSG_LENGTH(fam_len), start = NLMSG_ALIGN(hl);

	if (h->nlmsg_len < hl)
		return -EINVAL;
	return nl_attrs((const uint8_t *)h + start, h->nlmsg_len > start ? h->nlmsg_len - start : 0,
			tb, max);
}

int nl_ack_error(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);

	if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EIO;
	return e->error > 0 ? -e->error : e->error;
}

int nl_sock_open(int *fd, struct husk_error **err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (*fd < 0)
		return husk_err(err, errno, "rtnetlink socket");
	if (bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(*fd);
		*fd = -1;
		return husk_err(err, errno, "bind rtnetlink socket");
	}
	return 0;
}

static int nl_send(int fd, struct nl_msg *m, uint16_t flags)
{
	static uint32_t seq;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (m->overflow || m->depth)
		return -EMSGSIZE;
	m->hdr.nlmsg_flags |= flags;
	m->hdr.nlmsg_seq = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	if (sendto(fd, m->buf, m->hdr.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/*
 * Read replies to @seq; @fn sees each data message. Returns 1 to go on
 * reading, 0 at the end (ACK or DONE), or -errno.
 */
static int nl_recv_batch(int fd, uint8_t *buf, uint32_t seq, nl_dump_fn fn, void *opaque)
{
	struct nlmsghdr *h;
	ssize_t n;
	int ret;

	do
		n = recv(fd, buf, NL_RECV_BUF, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_seq != seq)
			continue; /* a late reply to an earlier request */
		if (h->nlmsg_type == NLMSG_ERROR)
			return nl_ack_error(h);
		if (h->nlmsg_type == NLMSG_DONE)
			return 0;
		if (fn && (ret = fn(h, opaque)) < 0)
			return ret;
	}
	return 1;
}

static int nl_exchange(int fd, struct nl_msg *m, uint16_t flags, nl_dump_fn fn, void *opaque)
{
	uint8_t *buf = malloc(NL_RECV_BUF);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = nl_send(fd, m, flags);
	if (!ret)
		while ((ret = nl_recv_batch(fd, buf, m->hdr.nlmsg_seq, fn, opaque)) == 1)
			;
	free(buf);
	return ret;
}

int nl_request(int fd, struct nl_msg *m)
{
	return nl_exchange(fd, m, NLM_F_ACK, NULL, NULL);
}

int nl_dump(int fd, struct nl_msg *m, nl_dump_fn fn, void *opaque)
{
	return nl_exchange(fd, m, NLM_F_DUMP, fn, opaque);
}
