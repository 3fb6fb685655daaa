/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netlink.h - a small rtnetlink toolkit for the shim's container network
 * (sandbox_net*.c): building requests with nested attributes into a fixed
 * buffer, walking attributes of replies, and a socket that sends a
 * request and waits for its acknowledgement or collects a dump. The
 * builders and parsers are pure so unit tests check them byte by byte.
 */
#ifndef HUSK_SHIM_NET_NETLINK_H
#define HUSK_SHIM_NET_NETLINK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct husk_error;

#define NL_MSG_MAX  1024 /* our requests are a few hundred bytes */
#define NL_NEST_MAX 8

struct nl_msg {
	union {
		struct nlmsghdr hdr;
		uint8_t buf[NL_MSG_MAX];
	};
	size_t nest[NL_NEST_MAX]; /* offsets of open nested attributes */
	int depth;
	bool overflow; /* an attribute did not fit: do not send */
};

/*
 * nl_msg_init - a request of @type with @flags (NLM_F_REQUEST is added)
 * whose family header is @fam (@fam_len bytes, copied).
 */
void nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, const void *fam, size_t fam_len);
void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len);
void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
void nl_put_str(struct nl_msg *m, uint16_t type, const char *s); /* with its NUL */
/* nl_nest_begin/end - attributes put in between are nested in @type. */
void nl_nest_begin(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m);

/*
 * nl_attrs - index the attributes in @data/@len by type into @tb[0..@max]
 * (unknown and out-of-range types are skipped; a later duplicate wins).
 * Returns 0, or -EINVAL when an attribute's length runs past the end.
 */
int nl_attrs(const void *data, size_t len, const struct rtattr **tb, int max);

/* nl_msg_attrs - nl_attrs() over the attributes after a family header. */
int nl_msg_attrs(const struct nlmsghdr *h, size_t fam_len, const struct rtattr **tb, int max);

/* nl_ack_error - the error of an NLMSG_ERROR reply (0 is an ACK); -EIO if malformed. */
int nl_ack_error(const struct nlmsghdr *h);

/* nl_sock_open - a NETLINK_ROUTE socket in the calling thread's netns. */
int nl_sock_open(int *fd, struct husk_error **err);

/* nl_request - send @m with NLM_F_ACK and wait for the ACK: 0 or -errno. */
int nl_request(int fd, struct nl_msg *m);

/*
 * nl_dump - send the dump request @m and call @fn for each reply message
 * until NLMSG_DONE. A negative return of @fn stops the dump with it.
 */
typedef int (*nl_dump_fn)(const struct nlmsghdr *h, void *opaque);
int nl_dump(int fd, struct nl_msg *m, nl_dump_fn fn, void *opaque);

#endif
