/* path.c - see path.h */
#include "path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syscalls.h"
#include "util.h"

const char *path_fd(char *buf, int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

/* openat2 with RESOLVE_IN_ROOT, falling back to a plain openat below the
 * root with RESOLVE-less semantics only when the kernel lacks openat2
 * (before 5.6): then symlinks are refused rather than followed. */
static int open_in_root(int rootfd, const char *path, int flags)
{
	int fd = sys_openat2(rootfd, path, (uint64_t)(flags | O_CLOEXEC), 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

	if (fd < 0 && errno == ENOSYS) {
		while (*path == '/')
			path++;
		fd = openat(rootfd, *path ? path : ".", flags | O_CLOEXEC | O_NOFOLLOW);
	}
	return fd;
}

int path_open_in_root(int rootfd, const char *path, bool create, bool last_is_file, struct hull_error **err)
{
	char cur[PATH_MAX];
	int loops = 0;

	if (strlen(path) >= sizeof(cur))
		return hull_error_set(err, ENAMETOOLONG, "path '%s'", path);
	snprintf(cur, sizeof(cur), "%s", path);

again:
	if (++loops > 40)
		return hull_error_set(err, ELOOP, "cannot resolve '%s' in the rootfs", path);
	{
		int fd = open_in_root(rootfd, cur, O_PATH);
		if (fd >= 0 || errno != ENOENT || !create)
			return fd >= 0 ? fd : hull_error_set(err, errno, "cannot open '%s' in the rootfs", path);
	}

	/* Walk down, creating what is missing.  Each prefix is resolved in
	 * the root, so a component made by mkdirat() is where the kernel would
	 * look for it next. */
	_cleanup_close_ int parent = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
	if (parent < 0)
		return hull_error_set(err, errno, "cannot open the rootfs");

	char *p = cur;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchrnul(p, '/');
		char saved = *end;
		bool last = true;
		for (char *q = end; *q; q++)
			if (*q != '/') {
				last = false;
				break;
			}

		*end = '\0';
		int fd = open_in_root(rootfd, cur, O_PATH);
		if (fd < 0 && errno == ENOENT) {
			int r;
			if (last && last_is_file) {
				r = openat(parent, p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else
				r = mkdirat(parent, p, 0755);
			if (r < 0 && errno == EEXIST) {
				/* A dangling symlink: follow it inside the root
				 * by rewriting the path and starting over. */
				char target[PATH_MAX], next[PATH_MAX];
				ssize_t n = readlinkat(parent, p, target, sizeof(target) - 1);
				if (n < 0)
					return hull_error_set(err, errno, "cannot create '%s' in the rootfs", path);
				target[n] = '\0';
				*end = saved;
				int len;
				if (target[0] == '/')
					len = snprintf(next, sizeof(next), "%s%s", target, end);
				else {
					p[0] = '\0';
					len = snprintf(next, sizeof(next), "%s/%s%s", cur, target, end);
				}
				if (len < 0 || (size_t)len >= sizeof(next))
					return hull_error_set(err, ENAMETOOLONG, "path '%s'", path);
				snprintf(cur, sizeof(cur), "%s", next);
				goto again;
			}
			if (r < 0)
				return hull_error_set(err, errno, "cannot create '%s' in the rootfs", path);
			fd = open_in_root(rootfd, cur, O_PATH);
		}
		if (fd < 0)
			return hull_error_set(err, errno, "cannot open '%s' in the rootfs", path);
		*end = saved;
		closep(&parent);
		parent = fd;
		p = end;
	}
	return TAKE_FD(parent);
}

int path_write_file(const char *file, const char *text, struct hull_error **err)
{
	_cleanup_close_ int fd = open(file, O_WRONLY | O_CLOEXEC | O_TRUNC);
	size_t len = strlen(text);

	if (fd < 0)
		return hull_error_set(err, errno, "cannot open '%s'", file);
	if (write(fd, text, len) != (ssize_t)len)
		return hull_error_set(err, errno ? errno : EIO, "cannot write '%s' to '%s'", text, file);
	return 0;
}

int path_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, len = 0;

	for (;;) {
		if (len == size) {
			if (size >= max)
				return -EFBIG;
			size = size ? size * 2 : 4096;
			char *nbuf = realloc(buf, size + 1);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
		}
		ssize_t n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int path_mkdir_p(const char *path, unsigned int mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int remove_at(int at, const char *name, dev_t dev)
{
	struct stat st;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		if (st.st_dev != dev)
			return -EXDEV; /* a mount: never descend into it */
		int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		_cleanup_closedir_ DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -errno;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			if (streq(de->d_name, ".") || streq(de->d_name, ".."))
				continue;
			int r = remove_at(dirfd(d), de->d_name, dev);
			if (r < 0)
				return r;
		}
		return unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
	}
	return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}

int path_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return remove_at(AT_FDCWD, path, st.st_dev);
}
