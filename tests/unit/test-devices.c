/* Unit tests for devices.c: the default /dev and the spec's devices in a
 * rootfs, made in a forked child with a mount namespace and a tmpfs of its
 * own, so nothing reaches the host. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices.h"
#include "path.h"
#include "unit.h"
#include "unit-child.h"

static char dir[PATH_MAX], rootfs[PATH_MAX + 16], host[PATH_MAX + 16];

static void setup(void)
{
	char tmpl[] = "/tmp/hull-unit-devices-XXXXXX";
	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	snprintf(host, sizeof(host), "%s/host", dir);
	CHECK(mkdir(rootfs, 0755) == 0);
	CHECK(mkdir(host, 0755) == 0);
}

static void teardown(void)
{
	CHECK(unit_mounts_under(dir) == 0);
	CHECK(path_remove_tree(dir) == 0);
}

/* In the child: a namespace of its own and a fresh tmpfs as the rootfs. */
static int enter_fake_rootfs(void)
{
	CHECK(unshare(CLONE_NEWNS) == 0);
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(mount("tmpfs", rootfs, "tmpfs", 0, "mode=755") == 0);
	umask(022); /* what make_node must not let through */
	int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0);
	return fd;
}

static bool is_node(const char *rel, mode_t type, unsigned maj, unsigned min, mode_t mode)
{
	char p[PATH_MAX * 2];
	struct stat st;
	snprintf(p, sizeof(p), "%s%s", rootfs, rel);
	if (lstat(p, &st) < 0) {
		fprintf(stderr, "  %s: missing\n", rel);
		return false;
	}
	bool ok = (st.st_mode & S_IFMT) == type && (st.st_mode & 07777) == mode &&
		  (type == S_IFIFO || (major(st.st_rdev) == maj && minor(st.st_rdev) == min));
	if (!ok)
		fprintf(stderr, "  %s: mode 0%o rdev %u:%u\n", rel, st.st_mode, major(st.st_rdev), minor(st.st_rdev));
	return ok;
}

static bool is_link(const char *rel, const char *target)
{
	char p[PATH_MAX * 2], buf[PATH_MAX] = { 0 };
	snprintf(p, sizeof(p), "%s%s", rootfs, rel);
	return readlink(p, buf, sizeof(buf) - 1) > 0 && strcmp(buf, target) == 0;
}

static void defaults_child(void *arg)
{
	int rootfd = enter_fake_rootfs();
	struct hull_spec spec = { 0 };
	struct hull_error *err = NULL;

	CHECK(devices_setup(rootfd, &spec, true, false, &err) == 0);
	CHECK(is_node("/dev/null", S_IFCHR, 1, 3, 0666));
	CHECK(is_node("/dev/zero", S_IFCHR, 1, 5, 0666));
	CHECK(is_node("/dev/full", S_IFCHR, 1, 7, 0666));
	CHECK(is_node("/dev/random", S_IFCHR, 1, 8, 0666));
	CHECK(is_node("/dev/urandom", S_IFCHR, 1, 9, 0666));
	CHECK(is_node("/dev/tty", S_IFCHR, 5, 0, 0666));
	CHECK(is_link("/dev/fd", "/proc/self/fd"));
	CHECK(is_link("/dev/stdin", "/proc/self/fd/0"));
	CHECK(is_link("/dev/stdout", "/proc/self/fd/1"));
	CHECK(is_link("/dev/stderr", "/proc/self/fd/2"));
	CHECK(is_link("/dev/ptmx", "pts/ptmx"));
	CHECK(is_link("/dev/core", "/proc/kcore"));

	/* The nodes work: the tmpfs is not nodev. */
	char p[PATH_MAX * 2], buf[4] = { 1, 1, 1, 1 };
	snprintf(p, sizeof(p), "%s/dev/zero", rootfs);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, 4) == 4 && memcmp(buf, "\0\0\0\0", 4) == 0);
	close(fd);

	/* A second run finds everything in place: no error. */
	CHECK(devices_setup(rootfd, &spec, true, false, &err) == 0);
	hull_error_free(err);
	close(rootfd);
}

TEST(default_devices_and_links)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(defaults_child, NULL);
	teardown();
}

static void no_defaults_child(void *arg)
{
	int rootfd = enter_fake_rootfs();
	struct hull_spec spec = { 0 };
	char p[PATH_MAX * 2];

	CHECK(devices_setup(rootfd, &spec, false, false, NULL) == 0);
	snprintf(p, sizeof(p), "%s/dev", rootfs);
	CHECK(access(p, F_OK) < 0 && errno == ENOENT);
	close(rootfd);
}

TEST(no_defaults_when_dev_is_not_a_fresh_mount)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(no_defaults_child, NULL);
	teardown();
}

static void spec_devices_child(void *arg)
{
	int rootfd = enter_fake_rootfs();
	struct hull_device devs[] = {
		{ .type = 'c', .path = "/dev/fuse", .major = 10, .minor = 229, .has_mode = true, .file_mode = 0600,
		  .has_uid = true, .uid = 1000, .has_gid = true, .gid = 1001 },
		{ .type = 'b', .path = "/dev/loop-test", .major = 7, .minor = 99, .has_mode = true, .file_mode = 0660 },
		{ .type = 'p', .path = "/dev/fifo", .has_mode = true, .file_mode = 0640 },
		{ .type = 'u', .path = "/dev/deep/er/null2", .major = 1, .minor = 3 },
		/* The spec's /dev/null wins over the default one. */
		{ .type = 'c', .path = "/dev/null", .major = 1, .minor = 3, .has_mode = true, .file_mode = 0620,
		  .has_gid = true, .gid = 5 },
	};
	struct hull_spec spec = { 0 };
	spec.linux.devices = devs;
	spec.linux.n_devices = sizeof(devs) / sizeof(devs[0]);
	struct hull_error *err = NULL;

	/* Something the image put at /dev/fuse is replaced. */
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/dev", rootfs);
	CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/dev/fuse", rootfs);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));

	int r = devices_setup(rootfd, &spec, true, false, &err);
	CHECK(r == 0);
	if (r < 0)
		fprintf(stderr, "  %s\n", err ? err->msg : "?");
	CHECK(is_node("/dev/fuse", S_IFCHR, 10, 229, 0600));
	CHECK(is_node("/dev/loop-test", S_IFBLK, 7, 99, 0660));
	CHECK(is_node("/dev/fifo", S_IFIFO, 0, 0, 0640));
	CHECK(is_node("/dev/deep/er/null2", S_IFCHR, 1, 3, 0666));
	CHECK(is_node("/dev/null", S_IFCHR, 1, 3, 0620));
	struct stat st;
	snprintf(p, sizeof(p), "%s/dev/fuse", rootfs);
	CHECK(stat(p, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001);
	snprintf(p, sizeof(p), "%s/dev/null", rootfs);
	CHECK(stat(p, &st) == 0 && st.st_uid == 0 && st.st_gid == 5);
	hull_error_free(err);
	close(rootfd);
}

TEST(spec_devices)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(spec_devices_child, NULL);
	teardown();
}

static void symlink_child(void *arg)
{
	int rootfd = enter_fake_rootfs();
	char p[PATH_MAX * 4], inside[PATH_MAX * 3];
	struct hull_device dev = { .type = 'c', .path = "/dev/evil/x", .major = 1, .minor = 3 };
	struct hull_spec spec = { 0 };
	spec.linux.devices = &dev;
	spec.linux.n_devices = 1;

	/* The image's /dev points at a host directory, absolutely and with
	 * "..": everything must land inside the rootfs all the same. */
	snprintf(p, sizeof(p), "%s/dev", rootfs);
	CHECK(symlink(host, p) == 0);
	snprintf(p, sizeof(p), "%s/up", rootfs);
	char rel[PATH_MAX * 2];
	snprintf(rel, sizeof(rel), "../../../../../..%s", host);
	CHECK(symlink(rel, p) == 0);
	dev.path = "/up/evil";

	CHECK(devices_setup(rootfd, &spec, true, false, NULL) == 0);
	DIR *d = opendir(host);
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK(n == 0);
	snprintf(inside, sizeof(inside), "%s%s", rootfs, host);
	snprintf(p, sizeof(p), "%s/null", inside);
	CHECK(access(p, F_OK) == 0);
	snprintf(p, sizeof(p), "%s/evil", inside);
	CHECK(access(p, F_OK) == 0);
	close(rootfd);
}

TEST(dev_symlinks_stay_inside_the_rootfs)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(symlink_child, NULL);
	teardown();
}

static void userns_child(void *arg)
{
	int rootfd = enter_fake_rootfs();
	struct hull_spec spec = { 0 };
	struct hull_error *err = NULL;

	/* The user-namespace way: empty files with the host's nodes bound on. */
	int r = devices_setup(rootfd, &spec, true, true, &err);
	CHECK(r == 0);
	if (r < 0)
		fprintf(stderr, "  %s\n", err ? err->msg : "?");
	CHECK(is_node("/dev/null", S_IFCHR, 1, 3, 0666));
	CHECK(is_node("/dev/urandom", S_IFCHR, 1, 9, 0666));
	CHECK(unit_mounts_under(rootfs) == 1 + 6);
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/dev/null", rootfs);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	hull_error_free(err);
	close(rootfd);
}

TEST(userns_binds_the_hosts_nodes)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(userns_child, NULL);
	teardown();
}
