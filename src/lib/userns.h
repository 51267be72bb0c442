/* userns.h - user namespaces and rootless containers.
 *
 * The container's new user namespace gets its uid_map / gid_map from the
 * parent (hull) while the init waits: written directly when hull may
 * (root, or an unprivileged caller mapping only its own id), else through
 * the setuid helpers newuidmap / newgidmap (package uidmap), which check
 * /etc/subuid and /etc/subgid.
 *
 * "Rootless" is hull running without power over the host: euid != 0, or
 * root inside a user namespace that does not map every id.  A rootless
 * container skips a cgroup it may not create (see
 * userns_rootless_cgroup()), as runc does.
 */
#ifndef HULL_USERNS_H
#define HULL_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* true when the caller is not root of the initial user namespace (see
 * above).  Read once from geteuid() and /proc/self/uid_map. */
bool hull_rootless(void);

/* true when the caller is in a user namespace other than the initial one
 * (its uid_map is not the identity over every id). */
bool hull_in_userns(void);

/* Checks linux.uidMappings / gidMappings against linux.namespaces:
 * mappings need a new user namespace, a new user namespace needs both
 * mappings, ranges may not be empty, overflow or overlap (on either side).
 * Mappings given with a user namespace joined by path are ignored (the
 * namespace already has its own).  -EINVAL with the field named. */
int userns_check_spec(const struct hull_spec *spec, struct hull_error **err);

/* Writes the mappings of the new user namespace of pid (the container's
 * init, still waiting): gid first, setgroups "deny" only when an
 * unprivileged caller writes gid_map itself (the kernel requires it),
 * newuidmap / newgidmap when the mappings need more than the caller's
 * own id.  The helpers' own message is in *err on failure. */
int userns_write_mappings(pid_t pid, const struct hull_spec *spec, struct hull_error **err);

/* Called when a rootless caller could not create the container's cgroup
 * (create_r < 0, create_err its error, taken over).  As runc: without
 * an explicit linux.cgroupsPath and without resource limits (device
 * rules are ignored in rootless mode) the container runs without a cgroup
 * and *ret_warning says why (malloc'd); otherwise it is an error naming
 * the limit that cannot be honoured.  Returns 0 or the error. */
int userns_rootless_cgroup(const struct hull_spec *spec, int create_r, struct hull_error *create_err,
			   char **ret_warning, struct hull_error **err);

#endif
