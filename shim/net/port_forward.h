/* SPDX-License-Identifier: Apache-2.0 */
/*
 * port_forward.h - `kubectl port-forward` for a husk pod. containerd's
 * CRI PortForward enters the pod's network namespace on the host and
 * dials 127.0.0.1:PORT there, but the pod's processes listen inside the
 * VM. So the shim, in that namespace, listens on 127.0.0.1:R (an
 * ephemeral port) and has iptables REDIRECT every other TCP connection to
 * 127.0.0.1 onto R. Each accepted connection asks the kernel for its
 * original port P (SO_ORIGINAL_DST), opens a vsock connection to
 * husk-init whose first frame is PORT_CONNECT {"port": P}, and after the
 * OK copies bytes both ways until both sides ended.
 *
 * Files, top first:
 *   port_forward_setup.c  the listener and the NAT rule in the namespace
 *   port_forward_relay.c  accepting, one thread per connection, the cap
 *   port_forward_copy.c   copying one connection both ways (half-closes)
 *
 * Port-forward is an extra: any failure to set it up is a warning and
 * the pod runs without it.
 */
#ifndef HUSK_SHIM_NET_PORT_FORWARD_H
#define HUSK_SHIM_NET_PORT_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct husk_error;
struct pf_relay;
struct port_forward;

#define PF_MAX_CONNS	64    /* concurrent forwards; more are refused */
#define PF_BUF_SIZE	65536 /* bytes in flight per direction */
#define PF_HANDSHAKE_MS 5000  /* PORT_CONNECT's reply */
#define PF_RULE_ARGC	20    /* argv slots port_forward_rule_argv needs */

/* pf_connect_fn - a new stream socket connected to husk-init in *@fd. */
typedef int pf_connect_fn(void *opaque, int *fd, struct husk_error **err);
/* pf_port_fn - the port accepted socket @fd was meant for, in *@port. */
typedef int pf_port_fn(void *opaque, int fd, uint16_t *port);

struct pf_relay_ops {
	pf_connect_fn *connect;
	pf_port_fn *port; /* NULL: pf_original_port */
	void *opaque;
	int handshake_ms; /* 0: PF_HANDSHAKE_MS */
};

/* port_forward_relay.c */
/*
 * pf_relay_start - accept on @listen_fd (listening, still the caller's to
 * close after pf_relay_stop) on a thread of its own.
 */
int pf_relay_start(int listen_fd, const struct pf_relay_ops *ops, struct pf_relay **out,
		   struct husk_error **err);
/* pf_relay_stop - stop accepting, end every forward, join all threads, free. */
void pf_relay_stop(struct pf_relay *r);
/*
 * pf_original_port - the destination port before the REDIRECT
 * (SO_ORIGINAL_DST), or, on a socket no NAT rule touched, its local port.
 */
int pf_original_port(void *opaque, int fd, uint16_t *port);

/* port_forward_copy.c */
/*
 * pf_copy - copy @a <-> @b (stream sockets) until both directions ended
 * or one failed, or @stop_fd (an eventfd) is readable. A side's EOF
 * becomes shutdown(SHUT_WR) of the other once its bytes are out. Makes
 * both sockets non-blocking; closes neither. Returns 0 when both
 * directions ended, else -errno (-ECANCELED for @stop_fd).
 */
int pf_copy(int a, int b, int stop_fd);

/* port_forward_setup.c */
/*
 * port_forward_rule_argv - the iptables command that adds (@add) or
 * deletes the REDIRECT of TCP to 127.0.0.1 onto @port, in @argv
 * (PF_RULE_ARGC slots, NULL-terminated); @portbuf/@dportbuf (>= 8 bytes
 * each) hold the port's text. Pure.
 */
void port_forward_rule_argv(bool add, uint16_t port, char *portbuf, char *dportbuf,
			    const char *argv[PF_RULE_ARGC]);
/*
 * port_forward_setup - in the namespace at @netns: the listener and the
 * NAT rule. Never fails: *@out is NULL (and a warning logged) when
 * port-forward cannot work there.
 */
void port_forward_setup(const char *netns, struct port_forward **out);
/* port_forward_start - start relaying (once husk-init answers). */
int port_forward_start(struct port_forward *pf, pf_connect_fn *connect, void *opaque,
		       struct husk_error **err);
/*
 * port_forward_teardown - stop the relay, delete the rule (the namespace
 * may outlive the shim), close the listener. NULL is fine.
 */
void port_forward_teardown(struct port_forward *pf);

#endif
