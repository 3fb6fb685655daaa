/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - the shim's command line, as containerd writes it:
 *
 *   start:  -namespace NS -address ADDR -publish-binary EXE -id ID [-bundle B] [-debug] start
 *   delete: -namespace NS -address ADDR -publish-binary EXE -id ID -bundle B [-debug] delete
 *   daemon: the same flags and no action word (what `start` re-executes)
 *   -v / -version: print the version;  -info: print RuntimeInfo (2.x)
 *
 * Go flag syntax: -f v, --f v, -f=v, bare booleans (-debug=false too);
 * parsing stops at the first non-flag word (the action) or at "--".
 * Unknown flags are ignored so a newer containerd cannot break us: with
 * "=" the value is part of the flag; otherwise the next word is taken as
 * its value unless it is a flag or an action word.
 */
#ifndef HUSK_SHIM_CLI_H
#define HUSK_SHIM_CLI_H

#include <stdbool.h>

struct husk_error;

enum shim_action {
	SHIM_ACTION_DAEMON, /* no action word */
	SHIM_ACTION_START,
	SHIM_ACTION_DELETE,
	SHIM_ACTION_WARM, /* a spare with a VM booted ahead (warm_pool.h); started by `start` */
};

struct shim_args {
	const char *ns;		    /* -namespace */
	const char *address;	    /* -address: containerd's gRPC socket path */
	const char *publish_binary; /* -publish-binary */
	const char *id;		    /* -id */
	const char *bundle;	    /* -bundle (2.x); else the cwd */
	const char *socket;	    /* -socket (accepted, unused) */
	const char *config;	    /* -config: runtime config file (warm only) */
	bool debug;
	bool version; /* -v, -version */
	bool info;    /* -info */
	enum shim_action action;
};

/* shim_args_parse - fill @a from argv (pointers into argv). Returns 0 or -EINVAL. */
int shim_args_parse(int argc, char **argv, struct shim_args *a, struct husk_error **err);

#endif
