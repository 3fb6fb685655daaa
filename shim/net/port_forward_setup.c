// SPDX-License-Identifier: Apache-2.0
/*
 * port_forward_setup.c - what port-forward needs in the pod's network
 * namespace (port_forward.h): a listener on 127.0.0.1:R, made by a thread
 * inside the namespace (a socket stays in the namespace it was made in,
 * whichever thread uses it later), and the iptables rule that sends every
 * other TCP connection to 127.0.0.1 there. iptables runs as a child forked
 * by a thread inside the namespace, so it acts on that namespace's tables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "husk.h"
#include "shim/base/run_prog.h"
#include "shim/base/shim_log.h"
#include "shim/net/port_forward.h"
#include "shim/net/sandbox_net.h"

struct port_forward {
	char netns[4096];
	int listen_fd;
	uint16_t port; /* R */
	bool rule;     /* our REDIRECT is in the namespace's nat table */
	struct pf_relay *relay;
};

void port_forward_rule_argv(bool add, uint16_t port, char *portbuf, char *dportbuf,
			    const char *argv[PF_RULE_ARGC])
{
	const char *const head[] = { "iptables", "-w",	      "-t", "nat",    add ? "-A" : "-D",
				     "OUTPUT",	 "-o",	      "lo", "-p",     "tcp",
				     "-d",	 "127.0.0.1", "!",  "--dport" };
	size_t i, n = sizeof(head) / sizeof(head[0]);

	/* Not R itself: the relay's own listener must stay reachable. */
	snprintf(portbuf, 8, "%u", port);
	snprintf(dportbuf, 8, "%u", port);
	for (i = 0; i < n; i++)
		argv[i] = head[i];
	argv[n++] = dportbuf;
	argv[n++] = "-j";
	argv[n++] = "REDIRECT";
	argv[n++] = "--to-ports";
	argv[n++] = portbuf;
	argv[n] = NULL;
}

static int pf_listen_in(void *arg, struct husk_error **err)
{
	struct port_forward *pf = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = 0,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return husk_err(err, errno, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return husk_err(err, errno, "listen on 127.0.0.1");
	}
	pf->listen_fd = fd;
	pf->port = ntohs(sa.sin_port);
	return 0;
}

struct pf_rule_job {
	const struct port_forward *pf;
	bool add;
};

static int pf_rule_in(void *arg, struct husk_error **err)
{
	const struct pf_rule_job *job = arg;
	const char *argv[PF_RULE_ARGC];
	char port[8], dport[8], out[1024];

	port_forward_rule_argv(job->add, job->pf->port, port, dport, argv);
	return run_prog_output(argv, out, sizeof(out), err);
}

/* The rule's command line, for the warning that names it. */
static void pf_rule_text(const struct port_forward *pf, bool add, char *buf, size_t len)
{
	const char *argv[PF_RULE_ARGC];
	char port[8], dport[8];
	size_t i, off = 0;

	port_forward_rule_argv(add, pf->port, port, dport, argv);
	buf[0] = '\0';
	for (i = 0; argv[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
}

static int pf_rule(struct port_forward *pf, bool add, struct husk_error **err)
{
	struct pf_rule_job job = { pf, add };
	char cmd[256];
	int ret;

	ret = sandbox_net_run_in(pf->netns, pf_rule_in, &job, err);
	if (ret) {
		pf_rule_text(pf, add, cmd, sizeof(cmd));
		husk_err_wrap(err, "`%s` in %s", cmd, pf->netns);
	}
	return ret;
}

void port_forward_setup(const char *netns, struct port_forward **out)
{
	struct port_forward *pf = calloc(1, sizeof(*pf));
	struct husk_error *err = NULL;

	*out = NULL;
	if (!pf) {
		shim_warn("port-forward unavailable: out of memory");
		return;
	}
	snprintf(pf->netns, sizeof(pf->netns), "%s", netns);
	pf->listen_fd = -1;
	if (sandbox_net_run_in(netns, pf_listen_in, pf, &err) || pf_rule(pf, true, &err)) {
		shim_warn("port-forward unavailable: %s", husk_error_message(err));
		husk_error_free(err);
		port_forward_teardown(pf);
		return;
	}
	pf->rule = true;
	shim_info("port-forward: TCP to 127.0.0.1 in %s goes to the VM through port %u", netns,
		  pf->port);
	*out = pf;
}

int port_forward_start(struct port_forward *pf, pf_connect_fn *connect, void *opaque,
		       struct husk_error **err)
{
	struct pf_relay_ops ops = { .connect = connect, .opaque = opaque };

	if (pf->relay)
		return 0;
	return pf_relay_start(pf->listen_fd, &ops, &pf->relay, err);
}

void port_forward_teardown(struct port_forward *pf)
{
	struct husk_error *err = NULL;

	if (!pf)
		return;
	pf_relay_stop(pf->relay);
	/* Gone with the namespace, usually; but containerd may keep it longer. */
	if (pf->rule && access(pf->netns, F_OK) == 0 && pf_rule(pf, false, &err))
		shim_debug("port-forward: %s", husk_error_message(err));
	husk_error_free(err);
	if (pf->listen_fd >= 0)
		close(pf->listen_fd);
	free(pf);
}
