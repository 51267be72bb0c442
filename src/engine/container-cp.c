/* container-cp.c - `hull cp`: files between a container and the host.
 *
 * Every path in the container is resolved with openat2(RESOLVE_IN_ROOT)
 * from the container's root (/proc/<init>/root while it runs, so its
 * volumes are seen; else its overlay, mounted for the copy): a symlink in
 * the container, absolute or full of "..", never leads out of it.  Below
 * the resolved path the copy walks with O_NOFOLLOW and copies symlinks as
 * symlinks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "engine.h"
#include "path.h"
#include "syscalls.h"
#include "util.h"

static int copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0) {
		int r = eng_write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
	}
	return n < 0 ? -errno : 0;
}

static int copy_entry(int srcdir, const char *name, int dstdir, const char *dstname, bool owner, int depth);

int cp_entry(int srcdir, const char *name, int dstdir, const char *dstname, bool keep_owner)
{
	return copy_entry(srcdir, name, dstdir, dstname, keep_owner, 0);
}

/* Copies the entry name of srcdir into dstdir as dstname (recursively),
 * never following a symlink. */
static int copy_entry(int srcdir, const char *name, int dstdir, const char *dstname, bool owner, int depth)
{
	struct stat st;
	int r = 0;

	if (depth > 256)
		return -ELOOP;
	if (fstatat(srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(srcdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		unlinkat(dstdir, dstname, 0);
		if (symlinkat(target, dstdir, dstname) < 0)
			return -errno;
		if (owner)
			if (fchownat(dstdir, dstname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
				return -errno;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dstdir, dstname, st.st_mode & 07777) < 0 && errno != EEXIST)
			return -errno;
		if (owner && fchownat(dstdir, dstname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		_cleanup_close_ int s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d = openat(dstdir, dstname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return -errno;
		int s2 = dup(s);
		DIR *dir = s2 >= 0 ? fdopendir(s2) : NULL;
		if (!dir)
			return -errno;
		for (struct dirent *e; (e = readdir(dir)) && r == 0;)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				r = copy_entry(s, e->d_name, d, e->d_name, owner, depth + 1);
		closedir(dir);
		return r;
	}
	if (!S_ISREG(st.st_mode))
		return 0; /* devices, fifos, sockets: not copied */
	_cleanup_close_ int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = openat(dstdir, dstname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
					 st.st_mode & 07777);
	if (in < 0 || out < 0)
		return -errno;
	if (owner && fchown(out, st.st_uid, st.st_gid) == 0)
		fchmod(out, st.st_mode & 07777); /* chown cleared set-id bits */
	return copy_fd(in, out);
}

/* "CONTAINER:PATH" -> container ref and path; NULL for a host path. */
static char *split_container(const char *arg, const char **ret_path)
{
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg || memchr(arg, '/', (size_t)(colon - arg)))
		return NULL;
	*ret_path = colon + 1;
	return strndup(arg, (size_t)(colon - arg));
}

/* The copy itself, from or into the container's root rootfd: 0, a
 * negative errno, or EXIT_ENGINE after printing the error. */
static int do_copy(int rootfd, bool into, const char *ref, const char *cpath, const char *hpath)
{
	_cleanup_free_ char *cdup = strdup(*cpath ? cpath : "/"), *hdup = strdup(hpath);
	char *cbase = basename(cdup), *hbase = basename(hdup);
	_cleanup_free_ char *cparent = strdup(*cpath ? cpath : "/"), *hparent = strdup(hpath);
	char *cdir = dirname(cparent), *hdir = dirname(hparent);
	struct stat st;

	if (!into) {
		/* container -> host */
		_cleanup_close_ int sdir = sys_openat2(rootfd, cdir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_IN_ROOT);
		if (sdir < 0 || fstatat(sdir, streq(cbase, "/") ? "." : cbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			return eng_error("could not find the file %s in container %s", cpath, ref);
		}
		if (streq(cbase, "/"))
			cbase = (char *)".";
		_cleanup_close_ int src_dir = openat(sdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		const char *dname = hbase;
		_cleanup_close_ int ddir = -1;
		if (stat(hpath, &st) == 0 && S_ISDIR(st.st_mode)) {
			ddir = open(hpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			dname = streq(cbase, ".") ? "." : cbase;
		} else
			ddir = open(hdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ddir < 0) {
			return eng_error("cannot open '%s': %s", hdir, strerror(errno));
		}
		return copy_entry(src_dir, cbase, ddir, dname, false, 0);
	} else {
		/* host -> container */
		if (lstat(hpath, &st) < 0) {
			return eng_error("cannot copy '%s': %s", hpath, strerror(errno));
		}
		_cleanup_close_ int sdir = open(hdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int target = sys_openat2(rootfd, *cpath ? cpath : "/", O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT);
		struct stat tst;
		_cleanup_close_ int ddir = -1;
		const char *dname;
		if (target >= 0 && S_ISREG(st.st_mode) && fstat(target, &tst) == 0 && S_ISREG(tst.st_mode)) {
			/* A file onto an existing file (through a symlink too, as
			 * docker): its content, written through the file resolved
			 * in the root. */
			_cleanup_close_ int in = open(hpath, O_RDONLY | O_CLOEXEC);
			_cleanup_close_ int out = sys_openat2(rootfd, cpath, O_WRONLY | O_TRUNC | O_CLOEXEC, 0, RESOLVE_IN_ROOT);
			if (in < 0 || out < 0)
				return -errno;
			return copy_fd(in, out);
		}
		if (target >= 0 && fstat(target, &tst) == 0 && S_ISDIR(tst.st_mode)) {
			ddir = sys_openat2(rootfd, *cpath ? cpath : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_IN_ROOT);
			dname = hbase;
		} else {
			ddir = sys_openat2(rootfd, cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_IN_ROOT);
			dname = cbase;
		}
		if (sdir < 0 || ddir < 0) {
			return eng_error("cannot copy to %s:%s: the directory does not exist in the container", ref, cpath);
		}
		return copy_entry(sdir, hbase, ddir, dname, false, 0);
	}
}

static bool dir_empty(int fd)
{
	/* A new open file: a dup would share (and move) fd's offset. */
	int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	bool empty = true;

	if (!dir) {
		if (d >= 0)
			close(d);
		return false;
	}
	for (struct dirent *e; (e = readdir(dir));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(dir);
	return empty;
}

void volume_copy_up(struct json_object *rec)
{
	struct json_object *mounts = jget(rec, "Mounts");
	const char *merged = jstr(jget(jget(rec, "GraphDriver"), "Data"), "MergedDir");
	_cleanup_close_ int rootfd = merged ? open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

	for (size_t i = 0; rootfd >= 0 && mounts && i < json_object_array_length(mounts); i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i);
		if (!streq(jstr(m, "Type"), "volume"))
			continue;
		_cleanup_close_ int data = open(jstr(m, "Source"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* The mount point, resolved inside the rootfs. */
		_cleanup_close_ int src = sys_openat2(rootfd, jstr(m, "Destination"), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
						      RESOLVE_IN_ROOT);
		struct stat st;
		if (data < 0 || src < 0 || !dir_empty(data) || dir_empty(src) || fstat(src, &st) < 0)
			continue;
		int d = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *dir = d >= 0 ? fdopendir(d) : NULL;
		for (struct dirent *e; dir && (e = readdir(dir));)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				cp_entry(src, e->d_name, data, e->d_name, true);
		if (dir)
			closedir(dir);
		if (fchown(data, st.st_uid, st.st_gid) == 0)
			fchmod(data, st.st_mode & 07777);
	}
}

int cmd_cp(int argc, char **argv)
{
	const char *cpath = NULL, *hpath;
	_cleanup_free_ char *ref = NULL, *id = NULL;
	bool into;
	int c, r;

	if ((c = eng_help_only("cp", argc, argv)) >= 0)
		return c;
	if (argc - optind != 2)
		return eng_usage_error("cp", "requires exactly 2 arguments");
	if ((ref = split_container(argv[optind], &cpath))) {
		into = false;
		hpath = argv[optind + 1];
		if (split_container(hpath, &(const char *){ NULL }))
			return eng_error("copying between containers is not supported");
	} else if ((ref = split_container(argv[optind + 1], &cpath))) {
		into = true;
		hpath = argv[optind];
	} else
		return eng_usage_error("cp", "one of the paths must be CONTAINER:PATH");
	if (!(id = ctr_resolve(ref)))
		return EXIT_ENGINE;

	/* Held for the copy: the monitor of a container that ends unmounts
	 * its rootfs under this lock, so a rootfs found mounted here stays so. */
	_cleanup_close_ int lock = ctr_lock(id);
	_cleanup_error_ struct hull_error *err = NULL;
	struct json_object *rec = ctr_load(id, &err);
	if (!rec)
		return eng_fail(err, -ENOENT, "cannot load the container");
	_cleanup_close_ int rootfd = -1;
	bool mounted_here = false;
	if (ctr_is_running(rec)) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/root", (int)jint(jget(rec, "State"), "Pid"));
		rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		const char *merged = jstr(jget(jget(rec, "GraphDriver"), "Data"), "MergedDir");
		mounted_here = merged && !rootfs_is_mounted(merged);
		if ((r = rootfs_mount(rec, &err)) < 0) {
			json_object_put(rec);
			return eng_fail(err, r, "cannot mount the container's rootfs");
		}
		rootfd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (rootfd < 0) {
		r = eng_error("cannot open the container's root: %s", strerror(errno));
		goto out;
	}

	r = do_copy(rootfd, into, ref, cpath, hpath);
	if (r < 0)
		r = eng_error("cannot copy '%s': %s", argv[optind], strerror(-r));
	else if (r)
		r = -1;
out:
	if (mounted_here)
		rootfs_umount(rec);
	json_object_put(rec);
	return r < 0 ? EXIT_ENGINE : r;
}
