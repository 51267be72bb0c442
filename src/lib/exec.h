/* exec.h - a new process in a running container (`hullrt exec`).
 *
 * The process joins every namespace of the container's init (one setns()
 * on a pidfd), is born in its pid namespace, enters its cgroup in every
 * hierarchy, takes the process's user, capabilities, rlimits, cwd and
 * environment, and execs through the sealed dmz trampoline, so that
 * /proc/self/exe inside never names the hullrt binary (CVE-2019-5736) and
 * no host fd or directory reaches it (CVE-2024-21626).
 */
#ifndef HULL_EXEC_H
#define HULL_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* The copy of config.json kept in <root>/<id>/ by create, for exec. */
#define HULL_EXEC_CONFIG "exec.json"

struct hull_exec_opts {
	const char *root; /* state root (--root) */
	const char *id;
	const char *console_socket; /* with process->terminal: receives the pty master, or NULL */
	/* With process->terminal and no console_socket: receives the pty
	 * master (the caller relays it); if NULL, such a process is an error. */
	int *ret_console_master;
	const char *pid_file; /* absolute, or NULL */
	int preserve_fds;     /* fds 3 .. 3+N-1 are passed to the process */
	bool ignore_paused;   /* exec into a paused (frozen) container too */
};

/* Loads the spec the container was created with (<root>/<id>/exec.json):
 * the process defaults `exec` starts from when it has no --process. */
int hull_container_load_spec(const char *root, const char *id, struct hull_spec **ret, struct hull_error **err);

/* Starts process p (not consumed) in container id.  The container must be
 * running (or paused, with ignore_paused): otherwise a refusal such as
 * "cannot exec in a stopped container".  On success the process runs the
 * user's program (it has exec'd) and *ret_pid is its pid in the caller's
 * pid namespace; it is the caller's child, so the caller may waitpid()
 * it.  On failure no process is left. */
int hull_container_exec(const struct hull_exec_opts *o, const struct hull_process *p, pid_t *ret_pid,
			struct hull_error **err);

#endif
