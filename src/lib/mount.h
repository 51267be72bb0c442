/* mount.h - the container's filesystem: rootfs, mounts, pivot_root,
 * masked and read-only paths.
 *
 * Called by the container's init in its new mount namespace.  Mount
 * destinations are resolved with path_open_in_root(), so a symlink in the
 * rootfs can never send a mount to the host.
 */
#ifndef HULL_MOUNT_H
#define HULL_MOUNT_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

struct mount_ctx {
	const struct hull_spec *spec;
	const char *rootfs;  /* absolute host path of the rootfs */
	int rootfd;          /* O_PATH fd of the rootfs, after mount_prepare_root */
	bool new_cgroupns;   /* the init has its own cgroup namespace */
	bool userns;         /* the init is in a new user namespace */
	int ptmx_fd;         /* O_PATH fd of <rootfs>/dev/pts/ptmx, or -1 */
};

/* Sets the propagation of "/" and bind-mounts the rootfs on itself so it
 * is a mount point pivot_root accepts; opens ctx->rootfd. */
int mount_prepare_root(struct mount_ctx *ctx, struct hull_error **err);

/* Mounts spec->mounts in order, then the default /dev content when /dev is
 * a mount of the spec's (device nodes, symlinks). */
int mount_setup(struct mount_ctx *ctx, struct hull_error **err);

/* Bind-mounts fd (a pty slave) on <rootfs>/dev/console. */
int mount_console(struct mount_ctx *ctx, int slave_fd, struct hull_error **err);

/* pivot_root into the rootfs (chroot after MS_MOVE if no_pivot); the old
 * root is detached and the cwd is "/". */
int mount_pivot(struct mount_ctx *ctx, bool no_pivot, struct hull_error **err);

/* After pivot: maskedPaths, readonlyPaths, root.readonly and
 * rootfsPropagation. */
int mount_finish(struct mount_ctx *ctx, struct hull_error **err);

#endif
