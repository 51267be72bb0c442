/* mount.c - see mount.h */
#include "mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "devices.h"
#include "path.h"
#include "syscalls.h"
#include "util.h"

#define PROPAGATION_FLAGS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* The flags a bind remount must keep: the kernel refuses to clear the
 * locked ones (nosuid, nodev, noexec, atime flags) of the source mount. */
static unsigned long locked_flags(const char *target)
{
	struct statvfs s;
	unsigned long f = 0;

	if (statvfs(target, &s) < 0)
		return 0;
	if (s.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (s.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (s.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (s.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (s.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (s.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

int mount_prepare_root(struct mount_ctx *ctx, struct hull_error **err)
{
	unsigned long prop = ctx->spec->linux.rootfs_propagation;

	/* pivot_root refuses a shared new root, and an unbindable one cannot
	 * be bind-mounted on itself: those two are applied after the pivot
	 * (mount_finish); until then the tree is rslave (runc's default: host
	 * mounts still propagate in, nothing propagates out), or rprivate. */
	unsigned long early = (prop & MS_PRIVATE) ? (MS_REC | MS_PRIVATE) : (MS_REC | MS_SLAVE);
	if (mount(NULL, "/", NULL, early, NULL) < 0)
		return hull_error_set(err, errno, "cannot make / %s", (prop & MS_PRIVATE) ? "rprivate" : "rslave");

	if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hull_error_set(err, errno, "cannot bind-mount rootfs '%s'", ctx->rootfs);
	ctx->rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->rootfd < 0)
		return hull_error_set(err, errno, "cannot open rootfs '%s'", ctx->rootfs);
	return 0;
}

/* Re-resolves dest after something was mounted on it: the old fd still
 * names the directory underneath, not the new mount. */
static int reopen(struct mount_ctx *ctx, const char *dest, struct hull_error **err)
{
	return path_open_in_root(ctx->rootfd, dest, false, false, err);
}

static int remount_bind(struct mount_ctx *ctx, const char *dest, unsigned long flags, struct hull_error **err)
{
	char target[32];
	_cleanup_close_ int fd = reopen(ctx, dest, err);

	if (fd < 0)
		return fd;
	path_fd(target, fd);
	flags |= locked_flags(target);
	if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
		return hull_error_set(err, errno, "cannot remount '%s'", dest);
	return 0;
}

static int set_propagation(struct mount_ctx *ctx, const char *dest, unsigned long prop, struct hull_error **err)
{
	char target[32];
	_cleanup_close_ int fd = reopen(ctx, dest, err);

	if (fd < 0)
		return fd;
	if (mount(NULL, path_fd(target, fd), NULL, prop, NULL) < 0)
		return hull_error_set(err, errno, "cannot set the propagation of '%s'", dest);
	return 0;
}

/* The init's own cgroup in each hierarchy, from the text of
 * /proc/self/cgroup (read once by the caller): for "4:memory:/hull/ID",
 * controllers "memory" gives "/hull/ID"; the unified one has an empty
 * controller list.  "/" when the hierarchy is not listed. */
static void own_cgroup_path(const char *table, const char *controllers, char *buf, size_t size)
{
	size_t clen = strlen(controllers);

	snprintf(buf, size, "/");
	for (const char *line = table; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *c = strchr(line, ':'), *end = strchrnul(line, '\n');
		if (!c || c > end)
			continue;
		c++;
		if (strncmp(c, controllers, clen) == 0 && c[clen] == ':') {
			const char *p = c + clen + 1;
			snprintf(buf, size, "%.*s", (int)(end - p), p);
			return;
		}
	}
}

/* /proc/self/cgroup whole, or NULL (then every hierarchy counts as "/"). */
static char *read_own_cgroups(void)
{
	_cleanup_close_ int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	char *text = NULL;

	if (fd < 0 || path_read_fd(fd, 1 << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

/* Before mount_setattr: a read-only remount of each bind mount on the
 * directory dirfd (an O_PATH fd of it). */
static int remount_each(int dirfd, unsigned long flags)
{
	_cleanup_closedir_ DIR *d = NULL;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	char sub[32];

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_close_ int subfd = openat(dirfd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (subfd < 0 || mount(NULL, path_fd(sub, subfd), NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
			return -1;
	}
	return 0;
}

/* cgroup v1 (and hybrid): a tmpfs with one mount per hierarchy, fresh
 * ones in a cgroup namespace (they show the container's cgroup as root),
 * else bind mounts of the container's own cgroup directories. */
static int mount_cgroup_v1(struct mount_ctx *ctx, const struct hull_mount *m, const char *dest, int destfd,
			   struct hull_error **err)
{
	unsigned long flags = (m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char target[32], sub[PATH_MAX], own[PATH_MAX];
	_cleanup_closedir_ DIR *d = opendir("/sys/fs/cgroup");
	_cleanup_free_ char *table = ctx->new_cgroupns ? NULL : read_own_cgroups();
	struct dirent *de;
	int binds = 0;

	if (!d)
		return hull_error_set(err, errno, "cannot read /sys/fs/cgroup");
	if (mount("tmpfs", path_fd(target, destfd), "tmpfs", (flags & ~MS_RDONLY), "mode=755") < 0)
		return hull_error_set(err, errno, "cannot mount tmpfs on '%s'", dest);
	_cleanup_close_ int tmpfd = reopen(ctx, dest, err);
	if (tmpfd < 0)
		return tmpfd;

	while ((de = readdir(d))) {
		char host[PATH_MAX], controllers[NAME_MAX + 16];
		struct statfs sfs;

		if (de->d_name[0] == '.')
			continue;
		snprintf(host, sizeof(host), "/sys/fs/cgroup/%s", de->d_name);
		if (de->d_type == DT_LNK) {
			char link[PATH_MAX];
			ssize_t n = readlink(host, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				if (symlinkat(link, tmpfd, de->d_name) < 0 && errno != EEXIST)
					return hull_error_set(err, errno, "cannot create symlink %s/%s", dest, de->d_name);
			}
			continue;
		}
		if (statfs(host, &sfs) < 0 || (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC))
			continue;
		bool v2 = sfs.f_type == CGROUP2_SUPER_MAGIC;
		if (v2)
			controllers[0] = '\0';
		else if (strchr(de->d_name, '=') || streq(de->d_name, "systemd"))
			snprintf(controllers, sizeof(controllers), "name=%s", strchr(de->d_name, '=') ? strchr(de->d_name, '=') + 1 : de->d_name);
		else
			snprintf(controllers, sizeof(controllers), "%s", de->d_name);

		if (mkdirat(tmpfd, de->d_name, 0755) < 0 && errno != EEXIST)
			return hull_error_set(err, errno, "cannot create '%s/%s'", dest, de->d_name);
		_cleanup_close_ int subfd = openat(tmpfd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (subfd < 0)
			return hull_error_set(err, errno, "cannot open '%s/%s'", dest, de->d_name);
		path_fd(sub, subfd);

		int r;
		if (ctx->new_cgroupns) {
			if (v2)
				r = mount("cgroup2", sub, "cgroup2", flags, NULL);
			else {
				char opts[NAME_MAX + 32];
				snprintf(opts, sizeof(opts), "%s%s", startswith(controllers, "name=") ? "none," : "", controllers);
				r = mount("cgroup", sub, "cgroup", flags, opts);
			}
		} else {
			char src[PATH_MAX * 2 + 64];
			own_cgroup_path(table, controllers, own, sizeof(own));
			snprintf(src, sizeof(src), "%s%s", host, own);
			r = mount(src, sub, NULL, MS_BIND | MS_REC, NULL);
			binds++;
		}
		if (r < 0)
			return hull_error_set(err, errno, "cannot mount cgroup hierarchy '%s' on '%s/%s'", controllers, dest,
					      de->d_name);
	}
	if (!(flags & MS_RDONLY))
		return 0;
	/* Read-only: the tmpfs and every bind on it in one call, instead of
	 * a remount each (5.12+).  The fresh mounts of a cgroup namespace
	 * were made read-only already. */
	struct hull_mount_attr attr = { .attr_set = MNT_ATTR_RDONLY | MNT_ATTR_NOSUID | MNT_ATTR_NODEV | MNT_ATTR_NOEXEC };
	if (sys_mount_setattr(tmpfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) == 0)
		return 0;
	if (errno != ENOSYS)
		return hull_error_set(err, errno, "cannot make '%s' read-only", dest);
	if (binds && remount_each(tmpfd, flags) < 0)
		return hull_error_set(err, errno, "cannot make '%s' read-only", dest);
	if (mount(NULL, path_fd(target, tmpfd), NULL, MS_REMOUNT | flags, "mode=755") < 0)
		return hull_error_set(err, errno, "cannot make '%s' read-only", dest);
	return 0;
}

static int mount_cgroup(struct mount_ctx *ctx, const struct hull_mount *m, int destfd, struct hull_error **err)
{
	struct statfs sfs;
	char target[32];

	if (statfs("/sys/fs/cgroup", &sfs) < 0)
		return hull_error_set(err, errno, "cannot statfs /sys/fs/cgroup");
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return mount_cgroup_v1(ctx, m, m->destination, destfd, err);

	unsigned long flags = (m->flags & ~(MS_BIND | MS_REC)) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (ctx->new_cgroupns) {
		if (mount("cgroup2", path_fd(target, destfd), "cgroup2", flags, NULL) < 0)
			return hull_error_set(err, errno, "cannot mount cgroup2 on '%s'", m->destination);
		return 0;
	}
	_cleanup_free_ char *table = read_own_cgroups();
	char own[PATH_MAX], src[PATH_MAX + 32];
	own_cgroup_path(table, "", own, sizeof(own));
	snprintf(src, sizeof(src), "/sys/fs/cgroup%s", own);
	if (mount(src, path_fd(target, destfd), NULL, MS_BIND | MS_REC, NULL) < 0)
		return hull_error_set(err, errno, "cannot bind-mount '%s' on '%s'", src, m->destination);
	return (flags & MS_RDONLY) ? remount_bind(ctx, m->destination, flags, err) : 0;
}

static int mount_one(struct mount_ctx *ctx, const struct hull_mount *m, struct hull_error **err)
{
	char target[32];
	bool file = false;
	struct stat st;
	int r;

	if (m->bind) {
		if (!m->source)
			return hull_error_set(err, EINVAL, "mount '%s': a bind mount needs a source", m->destination);
		if (stat(m->source, &st) < 0)
			return hull_error_set(err, errno, "mount '%s': source '%s'", m->destination, m->source);
		file = !S_ISDIR(st.st_mode);
	}
	_cleanup_close_ int destfd = path_open_in_root(ctx->rootfd, m->destination, true, file, err);
	if (destfd < 0)
		return hull_error_wrap(err, destfd, "mount '%s'", m->destination);
	path_fd(target, destfd);

	if (streq(m->type, "cgroup") || streq(m->type, "cgroup2")) {
		r = mount_cgroup(ctx, m, destfd, err);
		if (r < 0)
			return r;
	} else if (m->bind) {
		if (mount(m->source, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
			return hull_error_set(err, errno, "cannot bind-mount '%s' on '%s'", m->source, m->destination);
		unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT | PROPAGATION_FLAGS);
		if (extra) {
			r = remount_bind(ctx, m->destination, extra, err);
			if (r < 0)
				return r;
		}
	} else {
		unsigned long flags = m->flags & ~(MS_BIND | MS_REC | PROPAGATION_FLAGS);
		const char *source = m->source ? m->source : m->type;
		r = mount(source, target, m->type, flags, m->data);
		/* sysfs cannot be mounted without a network namespace of
		 * the container's own: bind the host's, as runc does. */
		if (r < 0 && streq(m->type, "sysfs") && (errno == EPERM || errno == EBUSY)) {
			r = mount("/sys", target, NULL, MS_BIND | MS_REC, NULL);
			if (r == 0 && (flags & ~MS_REMOUNT))
				r = remount_bind(ctx, m->destination, flags, err) < 0 ? -1 : 0;
		}
		if (r < 0)
			return hull_error_set(err, errno, "cannot mount %s on '%s'", m->type ? m->type : "(none)",
					      m->destination);
	}
	if (m->rec_attr_set || m->rec_attr_clr) {
		/* rro, rnosuid, ...: on this mount and every one below it. */
		struct hull_mount_attr attr = { .attr_set = m->rec_attr_set, .attr_clr = m->rec_attr_clr };
		_cleanup_close_ int fd = reopen(ctx, m->destination, err);
		if (fd < 0)
			return fd;
		if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
			return hull_error_set(err, errno, "cannot apply the recursive options of '%s'", m->destination);
	}
	if (m->propagation)
		return set_propagation(ctx, m->destination, m->propagation, err);
	return 0;
}

int mount_setup(struct mount_ctx *ctx, struct hull_error **err)
{
	const struct hull_spec *spec = ctx->spec;
	bool dev_mounted = false;
	int r;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct hull_mount *m = &spec->mounts[i];

		r = mount_one(ctx, m, err);
		if (r < 0)
			return r;
		if (streq(m->destination, "/dev"))
			dev_mounted = true;
		if (streq(m->destination, "/dev/pts") && ctx->ptmx_fd < 0)
			ctx->ptmx_fd = path_open_in_root(ctx->rootfd, "/dev/pts/ptmx", false, false, NULL);
	}
	return devices_setup(ctx->rootfd, spec, dev_mounted, ctx->userns, err);
}

int mount_console(struct mount_ctx *ctx, int slave_fd, struct hull_error **err)
{
	char src[32], target[32];
	_cleanup_close_ int fd = path_open_in_root(ctx->rootfd, "/dev/console", true, true, err);

	if (fd < 0)
		return fd;
	if (mount(path_fd(src, slave_fd), path_fd(target, fd), NULL, MS_BIND, NULL) < 0)
		return hull_error_set(err, errno, "cannot bind-mount the console on /dev/console");
	return 0;
}

int mount_pivot(struct mount_ctx *ctx, bool no_pivot, struct hull_error **err)
{
	if (fchdir(ctx->rootfd) < 0)
		return hull_error_set(err, errno, "cannot chdir to the rootfs");
	if (no_pivot) {
		if (mount(ctx->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
			return hull_error_set(err, errno, "cannot move the rootfs to /");
		if (chroot(".") < 0)
			return hull_error_set(err, errno, "cannot chroot to the rootfs");
	} else {
		/* pivot_root(".", ".") stacks the old root on top of the new
		 * one; detaching "." then drops the old root, with no need
		 * for a put_old directory in the rootfs. */
		if (sys_pivot_root(".", ".") < 0)
			return hull_error_set(err, errno, "pivot_root to '%s'", ctx->rootfs);
		if (umount2(".", MNT_DETACH) < 0)
			return hull_error_set(err, errno, "cannot detach the old root");
	}
	if (chdir("/") < 0)
		return hull_error_set(err, errno, "cannot chdir to /");
	closep(&ctx->rootfd);
	ctx->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->rootfd < 0)
		return hull_error_set(err, errno, "cannot open the new /");
	return 0;
}

static int mask_path(struct mount_ctx *ctx, const char *p, struct hull_error **err)
{
	char target[32];
	struct stat st;
	_cleanup_close_ int fd = path_open_in_root(ctx->rootfd, p, false, false, NULL);

	if (fd < 0)
		return 0; /* nothing there to mask */
	if (fstat(fd, &st) < 0)
		return hull_error_set(err, errno, "cannot stat masked path '%s'", p);
	path_fd(target, fd);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k") < 0)
			return hull_error_set(err, errno, "cannot mask '%s'", p);
	} else if (mount("/dev/null", target, NULL, MS_BIND, NULL) < 0)
		return hull_error_set(err, errno, "cannot mask '%s'", p);
	return 0;
}

static int readonly_path(struct mount_ctx *ctx, const char *p, struct hull_error **err)
{
	char target[32];
	_cleanup_close_ int fd = path_open_in_root(ctx->rootfd, p, false, false, NULL);

	if (fd < 0)
		return 0;
	if (mount(path_fd(target, fd), target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hull_error_set(err, errno, "cannot bind '%s' read-only", p);
	return remount_bind(ctx, p, MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
}

int mount_finish(struct mount_ctx *ctx, struct hull_error **err)
{
	const struct hull_linux *l = &ctx->spec->linux;
	int r;

	for (size_t i = 0; i < l->n_masked_paths; i++)
		if ((r = mask_path(ctx, l->masked_paths[i], err)) < 0)
			return r;
	for (size_t i = 0; i < l->n_readonly_paths; i++)
		if ((r = readonly_path(ctx, l->readonly_paths[i], err)) < 0)
			return r;
	if (ctx->spec->root_readonly &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
		return hull_error_set(err, errno, "cannot make the rootfs read-only");
	if ((l->rootfs_propagation & (MS_SHARED | MS_UNBINDABLE)) &&
	    mount(NULL, "/", NULL, l->rootfs_propagation, NULL) < 0)
		return hull_error_set(err, errno, "cannot set the rootfs propagation");
	return 0;
}
