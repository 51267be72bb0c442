/* container.h - the container lifecycle: what hullrt's commands call.
 *
 * create: clone3 the container's init into its namespaces, set up cgroups,
 * mounts, pivot_root, process attributes; the init then waits on
 * <root>/<id>/exec.fifo until start.  Nothing is re-executed: the init is a
 * clone of the calling process until it execs the user's program.
 */
#ifndef HULL_CONTAINER_H
#define HULL_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"
#include "state.h"

struct hull_create_opts {
	const char *root;           /* state root (--root), must exist or be creatable */
	const char *id;
	const char *bundle;         /* absolute path of the bundle */
	const char *console_socket; /* AF_UNIX path that receives the pty master, or NULL */
	const char *pid_file;       /* absolute, or NULL */
	bool no_pivot;              /* chroot instead of pivot_root */
	bool no_new_keyring;
	int preserve_fds;           /* fds 3 .. 3+N-1 are passed to the container */
	const char *cgroup_root;    /* NULL = /sys/fs/cgroup */
	/* With process.terminal and no console_socket: if non-NULL, receives
	 * the pty master (the caller relays it, as `run` in the foreground
	 * does); if NULL, such a spec is an error. */
	int *ret_console_master;
	/* Called once per warning that does not stop the creation (a
	 * seccomp syscall name libseccomp does not know), or NULL. */
	void (*warn)(const char *msg, void *userdata);
	void *warn_userdata;
};

/* Creates the container from spec (not consumed).  On success the init
 * waits for start and *ret_pid is its pid in the caller's pid namespace;
 * the init is a child of the caller, so `run` can waitpid() it.
 * On failure nothing is left: no process, state dir, cgroup or mount. */
int hull_container_create(const struct hull_create_opts *o, const struct hull_spec *spec, pid_t *ret_pid,
			  struct hull_error **err);

/* create keeps what it can reuse for the next create in this process (the
 * init's stack: see clone.h); a caller that lives on after creating, such
 * as a container's monitor, gives it back with this. */
void hull_container_release_memory(void);

/* Lets a created container's init exec the user's program; runs the
 * poststart hooks.  -EINVAL "container 'ID' is not in created state ..." otherwise. */
int hull_container_start(const char *root, const char *id, struct hull_error **err);

/* Sends sig to the init (all = every process of its cgroup). */
int hull_container_kill(const char *root, const char *id, int sig, bool all, struct hull_error **err);

/* Removes a stopped or created container: kills what remains of a created
 * one, removes the cgroup and the state dir, runs the poststop hooks.
 * A running one is refused unless force (then SIGKILL first). */
int hull_container_delete(const char *root, const char *id, bool force, struct hull_error **err);

int hull_container_pause(const char *root, const char *id, struct hull_error **err);
int hull_container_resume(const char *root, const char *id, struct hull_error **err);

#endif
