/* path.h - working inside a container's rootfs through fds.
 *
 * Every path inside a rootfs is resolved with openat2(RESOLVE_IN_ROOT), so a
 * symlink in the rootfs (absolute or full of "..") resolves inside it,
 * never outside, whatever it says.
 */
#ifndef HULL_PATH_H
#define HULL_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Opens path (absolute or relative, taken as inside rootfd) with O_PATH,
 * creating the missing parts inside the rootfs: directories, and the last
 * component as a regular file if last_is_file, else as a directory.  A
 * dangling symlink is followed inside the rootfs and its target created.
 * Returns the O_PATH fd (O_CLOEXEC) or a negative errno. */
int path_open_in_root(int rootfd, const char *path, bool create, bool last_is_file, struct hull_error **err);

/* "/proc/self/fd/N" for an O_PATH fd, into buf (at least 32 bytes). */
const char *path_fd(char *buf, int fd);

/* Writes text to a file given by an absolute path, O_CLOEXEC; returns 0 or
 * a negative errno and fills err naming the file. */
int path_write_file(const char *file, const char *text, struct hull_error **err);

/* Reads all of fd into a malloc'd, NUL-terminated *ret (*ret_len without
 * the NUL); -EFBIG past max bytes. */
int path_read_fd(int fd, size_t max, char **ret, size_t *ret_len);

/* mkdir -p path with mode; existing directories are fine. */
int path_mkdir_p(const char *path, unsigned int mode);

/* rm -rf path, staying on its filesystem; a missing path is fine. */
int path_remove_tree(const char *path);

#endif
