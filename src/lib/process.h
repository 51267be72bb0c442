/* process.h - the container process's own attributes: rlimits, user and
 * groups, capabilities, no_new_privs, cwd, fds, and the final exec through
 * the sealed dmz trampoline (see dmz/dmz.c). */
#ifndef HULL_PROCESS_H
#define HULL_PROCESS_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

int process_set_rlimits(const struct hull_process *p, struct hull_error **err);

/* Drops the bounding set, switches to uid/gid/additionalGids and sets the
 * effective, permitted, inheritable and ambient sets.  Capabilities this
 * host's bounding set does not hold are left out (they cannot be had). */
int process_set_user_and_caps(const struct hull_process *p, bool userns, struct hull_error **err);

/* chdir into cwd and make sure the result is inside the container's root
 * (getcwd() names no "(unreachable)" path): a cwd through a leaked fd
 * cannot land on the host (CVE-2024-21626). */
int process_enter_cwd(const char *cwd, struct hull_error **err);

/* Finds args[0] the way execvp does, with the container's PATH (or the
 * default one); *ret_path is malloc'd. */
int process_find_exec(const struct hull_process *p, char **ret_path, struct hull_error **err);

/* Marks every fd from 3 + preserve_fds on close-on-exec and clears the
 * flag on the preserved ones: nothing else of the host's reaches the
 * container. */
int process_prepare_fds(int preserve_fds, struct hull_error **err);

/* A sealed memfd holding the dmz trampoline, or -1 when this build has
 * none.  O_CLOEXEC. */
int process_dmz_fd(struct hull_error **err);

/* Execs path with args/env, through dmz_fd if >= 0.  With wait_fifo (the
 * read and write ends of exec.fifo, and a dmz_fd) the dmz runs at once
 * and execs path only after reading one byte from wait_fifo[0], closing
 * both first.  Returns only on failure. */
int process_exec(const struct hull_process *p, const char *path, int dmz_fd, const int wait_fifo[2],
		 struct hull_error **err);

#endif
