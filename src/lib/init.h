/* init.h - the container's init between clone3 and exec: the child side
 * of container creation.  It runs only in the freshly cloned process,
 * reports any failure to the parent over the sync socket with its stage
 * named, and never returns. */
#ifndef HULL_INIT_H
#define HULL_INIT_H

#include <stdbool.h>

#include "container.h"
#include "cgroup.h"
#include "seccomp-filter.h"
#include "spec.h"

struct init_args {
	const struct hull_spec *spec;
	const struct hull_create_opts *opts;
	const char *rootfs;
	const struct hull_seccomp *seccomp; /* linux.seccomp compiled, or NULL */
	/* Non-NULL: the init moves itself into this cgroup after GO (a v1
	 * "tasks" write of 0, which spares the threadgroup lock a write of
	 * its pid by the parent takes); cg_in_unified: it was born in the
	 * cgroup2 one (CLONE_INTO_CGROUP). */
	struct hull_cgroup *cg_self;
	bool cg_in_unified;
	int sync_fd;
	int fifo_rfd, fifo_wfd; /* exec.fifo, read and write ends */
	int dmz_fd;
	int hook_state_fd; /* memfd with the state JSON for in-container hooks, or -1 */
	int ns_fds[8];  /* namespaces to join with setns, user first */
	int ns_types[8];
	int n_ns_fds;
	bool new_mntns, new_userns, new_cgroupns, new_utsns;
	bool in_userns; /* the container runs in a user namespace other than the initial one */
	/* The init shares hull's memory (clone.h): it must never run while
	 * hull does.  So every message it sends waits for hull's answer,
	 * and after READY+ACK it keeps the sync socket open and execs the
	 * dmz at once, which waits on exec.fifo for start; the exec closes
	 * the socket (O_CLOEXEC), the EOF telling hull that the init has left
	 * its memory.  An exec failure then still comes as ERROR. */
	bool wait_in_dmz;
};

__attribute__((noreturn)) void init_main(struct init_args *a);

#endif
