/* devices.c - see devices.h */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "path.h"
#include "util.h"

static const struct {
	const char *name;
	unsigned int major, minor;
} default_devices[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *name, *target;
} default_links[] = {
	{ "fd", "/proc/self/fd" },     { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },       { "core", "/proc/kcore" },
};

/* Makes one node named base in dirfd.  In a user namespace mknod is
 * refused, so the host's node is bind-mounted on an empty file instead. */
static int make_node(int dirfd, const char *base, const char *full, mode_t type, mode_t mode, dev_t dev,
		     bool userns, struct hull_error **err)
{
	if (!userns) {
		if (mknodat(dirfd, base, type | mode, dev) < 0) {
			if (errno == EEXIST)
				return 0;
			return hull_error_set(err, errno, "cannot create device '%s'", full);
		}
		/* mknod's mode went through the umask; set it exactly. */
		if (fchmodat(dirfd, base, mode, 0) < 0)
			return hull_error_set(err, errno, "cannot chmod device '%s'", full);
		return 0;
	}

	int fd = openat(dirfd, base, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0000);
	if (fd < 0)
		return errno == EEXIST ? 0 : hull_error_set(err, errno, "cannot create '%s'", full);
	close(fd);

	char target[32];
	_cleanup_close_ int tfd = openat(dirfd, base, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (tfd < 0 || mount(full, path_fd(target, tfd), NULL, MS_BIND, NULL) < 0)
		return hull_error_set(err, errno, "cannot bind-mount device '%s'", full);
	return 0;
}

static int spec_device(int rootfd, const struct hull_device *d, bool userns, struct hull_error **err)
{
	char dir[PATH_MAX], base[PATH_MAX];
	mode_t type;

	switch (d->type) {
	case 'b':
		type = S_IFBLK;
		break;
	case 'p':
		type = S_IFIFO;
		break;
	default: /* 'c' and 'u' (unbuffered character device) */
		type = S_IFCHR;
		break;
	}
	snprintf(dir, sizeof(dir), "%s", d->path);
	snprintf(base, sizeof(base), "%s", d->path);

	_cleanup_close_ int dirfd = path_open_in_root(rootfd, dirname(dir), true, false, err);
	if (dirfd < 0)
		return hull_error_wrap(err, dirfd, "device '%s'", d->path);

	const char *name = basename(base);
	/* A node the defaults or the image put there is replaced by the spec's. */
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT && errno != EISDIR)
		return hull_error_set(err, errno, "cannot replace '%s'", d->path);

	int r = make_node(dirfd, name, d->path, type, d->has_mode ? (d->file_mode & 07777) : 0666,
			  makedev((unsigned int)d->major, (unsigned int)d->minor), userns, err);
	if (r < 0)
		return r;
	if ((d->has_uid || d->has_gid) &&
	    fchownat(dirfd, name, d->has_uid ? d->uid : (uid_t)-1, d->has_gid ? d->gid : (gid_t)-1,
		     AT_SYMLINK_NOFOLLOW) < 0)
		return hull_error_set(err, errno, "cannot chown device '%s'", d->path);
	return 0;
}

int devices_setup(int rootfd, const struct hull_spec *spec, bool defaults, bool userns, struct hull_error **err)
{
	int r;

	for (size_t i = 0; i < spec->linux.n_devices; i++) {
		r = spec_device(rootfd, &spec->linux.devices[i], userns, err);
		if (r < 0)
			return r;
	}
	if (!defaults)
		return 0;

	_cleanup_close_ int devfd = path_open_in_root(rootfd, "/dev", true, false, err);
	if (devfd < 0)
		return devfd;
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		char full[64];
		snprintf(full, sizeof(full), "/dev/%s", default_devices[i].name);
		r = make_node(devfd, default_devices[i].name, full, S_IFCHR, 0666,
			      makedev(default_devices[i].major, default_devices[i].minor), userns, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_links); i++)
		if (symlinkat(default_links[i].target, devfd, default_links[i].name) < 0 && errno != EEXIST)
			return hull_error_set(err, errno, "cannot create symlink '/dev/%s'", default_links[i].name);
	return 0;
}
