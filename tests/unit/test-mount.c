/* Unit tests for mount.c: the container's mounts in a fake rootfs.  Each
 * test runs in a forked child that unshares a mount namespace, makes every
 * mount private and puts a tmpfs of its own under the rootfs, so nothing
 * reaches the host; the parent checks that no mount is left under the
 * test's directory and removes it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "mount.h"
#include "path.h"
#include "spec.h"
#include "terminal.h"
#include "unit.h"
#include "unit-child.h"

static char dir[PATH_MAX], rootfs[PATH_MAX + 16];

static int put(const char *p, const char *text)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n = fd >= 0 ? write(fd, text, strlen(text)) : -1;
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void setup(void)
{
	char tmpl[] = "/tmp/hull-unit-mount-XXXXXX";
	char p[PATH_MAX + 32];
	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	CHECK(mkdir(rootfs, 0755) == 0);
	/* The host side: a directory and a file to bind, a "host" directory
	 * a symlink in the rootfs may point at. */
	snprintf(p, sizeof(p), "%s/src", dir);
	CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/src/hello", dir);
	CHECK(put(p, "from the host\n") == 0);
	snprintf(p, sizeof(p), "%s/file", dir);
	CHECK(put(p, "a bound file\n") == 0);
	snprintf(p, sizeof(p), "%s/host", dir);
	CHECK(mkdir(p, 0755) == 0);
}

static void teardown(void)
{
	CHECK(unit_mounts_under(dir) == 0);
	CHECK(path_remove_tree(dir) == 0);
}

static struct hull_spec *spec_from(const char *tmpl)
{
	return unit_spec_from(tmpl, dir);
}

/* In the child: own namespace, all private, a tmpfs rootfs with a few
 * directories and files in it. */
static void enter_ns(void)
{
	char p[PATH_MAX * 2];
	CHECK(unshare(CLONE_NEWNS) == 0);
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(mount("tmpfs", rootfs, "tmpfs", 0, "mode=755") == 0);
	const char *dirs[] = { "/etc", "/secret-dir", "/secret-dir/sub", "/rw-dir", "/tmp" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", rootfs, dirs[i]);
		CHECK(mkdir(p, 0755) == 0);
	}
	snprintf(p, sizeof(p), "%s/secret-file", rootfs);
	CHECK(put(p, "secret\n") == 0);
	snprintf(p, sizeof(p), "%s/secret-dir/sub/key", rootfs);
	CHECK(put(p, "key\n") == 0);
	snprintf(p, sizeof(p), "%s/rw-dir/f", rootfs);
	CHECK(put(p, "f\n") == 0);
}

static int prepare_and_setup(struct mount_ctx *ctx, const struct hull_spec *spec)
{
	struct hull_error *err = NULL;
	*ctx = (struct mount_ctx){ .spec = spec, .rootfs = rootfs, .rootfd = -1, .ptmx_fd = -1 };
	int r = mount_prepare_root(ctx, &err);
	if (r == 0)
		r = mount_setup(ctx, &err);
	if (r < 0)
		fprintf(stderr, "  setup: %s\n", err ? err->msg : "?");
	hull_error_free(err);
	return r;
}

static const char *in_root(const char *rel)
{
	static char bufs[4][PATH_MAX * 2];
	static int next;
	char *b = bufs[next++ % 4];
	snprintf(b, PATH_MAX * 2, "%s%s", rootfs, rel);
	return b;
}

static unsigned long vfs_flags(const char *p)
{
	struct statvfs s;
	return statvfs(p, &s) == 0 ? s.f_flag : ~0UL;
}

static const char *slurp(const char *p)
{
	static char buf[256];
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return fd < 0 ? NULL : buf;
}

static bool can_create(const char *p, int *ret_errno)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	*ret_errno = fd < 0 ? errno : 0;
	if (fd >= 0) {
		close(fd);
		unlink(p);
	}
	return fd >= 0;
}

/* The optional fields ("shared:N master:M", "unbindable", "") of the
 * last mount at mountpoint in /proc/self/mountinfo. */
static const char *propagation_of(const char *mountpoint)
{
	static char out[256];
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool found = false;

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char mp[4096];
		int end = 0;
		if (sscanf(line, "%*s %*s %*s %*s %4095s %*s%n", mp, &end) != 1 || strcmp(mp, mountpoint) != 0)
			continue;
		char *fields = line + end, *dash = strstr(fields, " - ");
		if (dash)
			*dash = '\0';
		snprintf(out, sizeof(out), "%s", fields + (*fields == ' '));
		found = true;
	}
	if (f)
		fclose(f);
	return found ? out : "(not a mount point)";
}

/* ---- bind mounts, tmpfs, flags ---- */

static void bind_child(void *arg)
{
	enter_ns();
	struct hull_spec *spec = spec_from(
		"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"mounts\":["
		"{\"destination\":\"/ro\",\"type\":\"bind\",\"source\":\"@/src\",\"options\":[\"rbind\",\"ro\",\"nosuid\",\"nodev\",\"noexec\"]},"
		"{\"destination\":\"/rw\",\"type\":\"none\",\"source\":\"@/src\",\"options\":[\"bind\"]},"
		"{\"destination\":\"/etc/bound-file\",\"source\":\"@/file\",\"options\":[\"bind\",\"ro\"]},"
		"{\"destination\":\"/t\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"noexec\",\"size=1m\",\"mode=700\"]}]}");
	struct mount_ctx ctx;
	int e;

	CHECK(prepare_and_setup(&ctx, spec) == 0);

	unsigned long f = vfs_flags(in_root("/ro"));
	CHECK((f & ST_RDONLY) && (f & ST_NOSUID) && (f & ST_NODEV) && (f & ST_NOEXEC));
	CHECK(slurp(in_root("/ro/hello")) && strcmp(slurp(in_root("/ro/hello")), "from the host\n") == 0);
	CHECK(!can_create(in_root("/ro/new"), &e) && e == EROFS);

	/* The plain bind is writable, and it is the same directory: the
	 * read-only remount above did not reach the source. */
	f = vfs_flags(in_root("/rw"));
	CHECK(!(f & ST_RDONLY) && !(f & ST_NOSUID));
	CHECK(can_create(in_root("/rw/new"), &e));
	char src[PATH_MAX + 16];
	snprintf(src, sizeof(src), "%s/src", dir);
	CHECK(!(vfs_flags(src) & ST_RDONLY));

	/* A file source makes a file destination. */
	struct stat st;
	CHECK(stat(in_root("/etc/bound-file"), &st) == 0 && S_ISREG(st.st_mode));
	CHECK(slurp(in_root("/etc/bound-file")) && strcmp(slurp(in_root("/etc/bound-file")), "a bound file\n") == 0);
	CHECK(vfs_flags(in_root("/etc/bound-file")) & ST_RDONLY);

	/* tmpfs with its data options. */
	struct statfs sfs;
	struct statvfs svfs;
	CHECK(statfs(in_root("/t"), &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
	CHECK(statvfs(in_root("/t"), &svfs) == 0 && (unsigned long long)svfs.f_blocks * svfs.f_frsize == 1 << 20);
	CHECK(stat(in_root("/t"), &st) == 0 && (st.st_mode & 07777) == 0700);
	f = vfs_flags(in_root("/t"));
	CHECK((f & ST_NOSUID) && (f & ST_NOEXEC) && !(f & ST_RDONLY));
	hull_spec_free(spec);
}

TEST(bind_and_tmpfs_mounts_with_flags)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(bind_child, NULL);
	teardown();
}

/* ---- a destination through a symlink ---- */

static void symlink_child(void *arg)
{
	enter_ns();
	char host[PATH_MAX + 16], link[PATH_MAX * 2], rel[PATH_MAX * 2];
	snprintf(host, sizeof(host), "%s/host", dir);
	/* The image holds /evil -> <host dir> and /up -> ../../../<host dir>. */
	CHECK(symlink(host, in_root("/evil")) == 0);
	snprintf(rel, sizeof(rel), "../../../../../../..%s", host);
	snprintf(link, sizeof(link), "%s", in_root("/up"));
	CHECK(symlink(rel, link) == 0);

	struct hull_spec *spec = spec_from(
		"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"mounts\":["
		"{\"destination\":\"/evil\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=4k\"]},"
		"{\"destination\":\"/evil/mnt\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
		"{\"destination\":\"/up/bind\",\"type\":\"bind\",\"source\":\"@/src\",\"options\":[\"bind\"]}]}");
	struct mount_ctx ctx;

	CHECK(prepare_and_setup(&ctx, spec) == 0);
	/* Nothing was made or mounted in the host directory ... */
	CHECK(unit_mounts_under(host) == 0);
	DIR *d = opendir(host);
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK(n == 0);
	/* ... but at the same path inside the rootfs. */
	char inside[PATH_MAX * 3];
	snprintf(inside, sizeof(inside), "%s%s/mnt", rootfs, host);
	CHECK(strcmp(propagation_of(inside), "(not a mount point)") != 0);
	snprintf(inside, sizeof(inside), "%s%s/bind/hello", rootfs, host);
	CHECK(access(inside, F_OK) == 0);
	/* A mount on the symlink itself lands on its target, inside. */
	snprintf(inside, sizeof(inside), "%s%s", rootfs, host);
	struct statvfs s;
	CHECK(statvfs(inside, &s) == 0 && (unsigned long long)s.f_blocks * s.f_frsize == 4096);
	hull_spec_free(spec);
}

TEST(symlinked_destinations_stay_in_the_rootfs)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(symlink_child, NULL);
	teardown();
}

/* ---- propagation ---- */

static void propagation_child(void *arg)
{
	enter_ns();
	/* The source is shared with a peer in another mount namespace (this
	 * one, kept by an fd), as a host mount would be: after the rootfs
	 * is made rslave, a bind of it can be a slave. */
	char src[PATH_MAX + 16];
	snprintf(src, sizeof(src), "%s/src", dir);
	CHECK(mount(src, src, NULL, MS_BIND, NULL) == 0);
	CHECK(mount(NULL, src, NULL, MS_SHARED, NULL) == 0);
	int first_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	CHECK(first_ns >= 0);
	CHECK(unshare(CLONE_NEWNS) == 0);
	CHECK(strncmp(propagation_of(src), "shared:", 7) == 0);

	struct hull_spec *spec = spec_from(
		"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"mounts\":["
		"{\"destination\":\"/p-shared\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"rshared\"]},"
		"{\"destination\":\"/p-peer\",\"type\":\"bind\",\"source\":\"@/rootfs/p-shared\",\"options\":[\"rbind\"]},"
		"{\"destination\":\"/p-slave\",\"type\":\"bind\",\"source\":\"@/rootfs/p-shared\",\"options\":[\"rbind\",\"rslave\"]},"
		"{\"destination\":\"/p-slave-shared\",\"type\":\"bind\",\"source\":\"@/src\",\"options\":[\"rbind\",\"rshared\"]},"
		"{\"destination\":\"/p-private\",\"type\":\"bind\",\"source\":\"@/src\",\"options\":[\"rbind\",\"private\"]},"
		"{\"destination\":\"/p-unbindable\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"unbindable\"]}]}");
	struct mount_ctx ctx;

	CHECK(prepare_and_setup(&ctx, spec) == 0);
	/* Until the pivot the tree is rslave: the outside peer is a master. */
	CHECK(strncmp(propagation_of(src), "master:", 7) == 0);

	char shared[64], master[64];
	const char *p;
	p = propagation_of(in_root("/p-shared"));
	CHECK(strncmp(p, "shared:", 7) == 0 && !strstr(p, "master:"));
	snprintf(shared, sizeof(shared), "%s", p);
	snprintf(master, sizeof(master), "master:%s", shared + 7);
	/* A bind of a shared mount is its peer, unless told otherwise. */
	CHECK_STREQ(propagation_of(in_root("/p-peer")), shared);
	CHECK_STREQ(propagation_of(in_root("/p-slave")), master);
	p = propagation_of(in_root("/p-slave-shared"));
	CHECK(strncmp(p, "shared:", 7) == 0 && strstr(p, " master:"));
	p = propagation_of(in_root("/p-private"));
	CHECK(strcmp(p, "") == 0);
	p = propagation_of(in_root("/p-unbindable"));
	CHECK(strcmp(p, "unbindable") == 0);
	if (strcmp(p, "unbindable") != 0)
		fprintf(stderr, "  /p-unbindable: '%s'\n", p);
	close(first_ns);
	hull_spec_free(spec);
}

TEST(mount_propagation)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(propagation_child, NULL);
	teardown();
}

/* ---- after pivot_root: masked, read-only paths, read-only root ---- */

static const char after_pivot_config[] =
	"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]},"
	"{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}],"
	"\"linux\":{\"maskedPaths\":[\"/secret-file\",\"/secret-dir\",\"/not-there\"],"
	"\"readonlyPaths\":[\"/rw-dir\",\"/not-there-either\"],\"rootfsPropagation\":\"%s\"}}";

static void pivot_child(void *arg)
{
	bool no_pivot = arg != NULL;
	char config[sizeof(after_pivot_config) + 32];
	snprintf(config, sizeof(config), after_pivot_config, no_pivot ? "rprivate" : "shared");
	enter_ns();
	struct hull_spec *spec = spec_from(config);
	struct mount_ctx ctx;
	struct hull_error *err = NULL;
	int e;

	CHECK(prepare_and_setup(&ctx, spec) == 0);
	int r = mount_pivot(&ctx, no_pivot, &err);
	if (r == 0)
		r = mount_finish(&ctx, &err);
	CHECK(r == 0);
	if (r < 0) {
		fprintf(stderr, "  %s\n", err ? err->msg : "?");
		return;
	}
	char cwd[PATH_MAX];
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") == 0);
	/* The rootfs is "/" now: the host's /tmp/hull-unit-... is gone. */
	CHECK(access("/secret-dir/sub", F_OK) < 0);
	CHECK(access(dir, F_OK) < 0);

	/* Masked file: reads empty.  Masked dir: an empty read-only tmpfs. */
	CHECK(slurp("/secret-file") && strcmp(slurp("/secret-file"), "") == 0);
	struct statfs sfs;
	CHECK(statfs("/secret-dir", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
	CHECK(vfs_flags("/secret-dir") & ST_RDONLY);
	CHECK(access("/secret-dir/sub", F_OK) < 0 && errno == ENOENT);
	CHECK(access("/not-there", F_OK) < 0);

	/* Read-only path: content kept, no writes. */
	CHECK(slurp("/rw-dir/f") && strcmp(slurp("/rw-dir/f"), "f\n") == 0);
	unsigned long f = vfs_flags("/rw-dir");
	CHECK((f & ST_RDONLY) && (f & ST_NOSUID) && (f & ST_NODEV) && (f & ST_NOEXEC));
	CHECK(!can_create("/rw-dir/new", &e) && e == EROFS);

	/* root.readonly: "/" refuses writes, its own mounts do not. */
	CHECK(vfs_flags("/") & ST_RDONLY);
	CHECK(!can_create("/new", &e) && e == EROFS);
	CHECK(can_create("/tmp/new", &e));

	/* /dev is a fresh mount: the default nodes are there. */
	struct stat st;
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(slurp("/proc/self/mountinfo") != NULL);

	/* rootfsPropagation. */
	const char *p = propagation_of("/");
	if (no_pivot)
		CHECK(strcmp(p, "") == 0);
	else
		CHECK(strncmp(p, "shared:", 7) == 0);
	hull_error_free(err);
	close(ctx.rootfd);
	hull_spec_free(spec);
}

TEST(pivot_masked_readonly_paths_and_readonly_root)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(pivot_child, NULL);
	teardown();
}

TEST(no_pivot_moves_and_chroots)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(pivot_child, (void *)1);
	teardown();
}

/* ---- recursive options ---- */

static void recursive_child(void *arg)
{
	enter_ns();
	/* The source has a mount of its own below it. */
	char sub[PATH_MAX + 16];
	snprintf(sub, sizeof(sub), "%s/src/sub", dir);
	CHECK(mkdir(sub, 0755) == 0);
	CHECK(mount("tmpfs", sub, "tmpfs", 0, "size=8k") == 0);

	struct hull_spec *spec = spec_from(
		"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"mounts\":["
		"{\"destination\":\"/plain-ro\",\"type\":\"bind\",\"source\":\"@/src\",\"options\":[\"rbind\",\"ro\"]},"
		"{\"destination\":\"/rec-ro\",\"type\":\"bind\",\"source\":\"@/src\",\"options\":[\"rbind\",\"rro\",\"rnosuid\"]}]}");
	struct mount_ctx ctx;

	CHECK(prepare_and_setup(&ctx, spec) == 0);
	/* "ro" is for the mount itself; the one below stays writable ... */
	CHECK(vfs_flags(in_root("/plain-ro")) & ST_RDONLY);
	CHECK(!(vfs_flags(in_root("/plain-ro/sub")) & ST_RDONLY));
	/* ... "rro" and "rnosuid" reach it too. */
	unsigned long f = vfs_flags(in_root("/rec-ro"));
	CHECK((f & ST_RDONLY) && (f & ST_NOSUID));
	f = vfs_flags(in_root("/rec-ro/sub"));
	CHECK((f & ST_RDONLY) && (f & ST_NOSUID));
	/* The source's own mount is untouched. */
	CHECK(!(vfs_flags(sub) & ST_RDONLY));
	hull_spec_free(spec);
}

TEST(recursive_mount_options)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(recursive_child, NULL);
	teardown();
}

/* ---- cgroup ---- */

/* This process's cgroup in the hierarchy listed as controllers. */
static void own_cgroup(const char *controllers, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	snprintf(buf, size, "/");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		*p = '\0';
		if (strcmp(c + 1, controllers) == 0) {
			p[1 + strcspn(p + 1, "\n")] = '\0';
			snprintf(buf, size, "%s", p + 1);
		}
	}
	if (f)
		fclose(f);
}

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void cgroup_child(void *arg)
{
	struct statfs sfs;
	if (statfs("/sys/fs/cgroup", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC) {
		fprintf(stderr, "  skipped: /sys/fs/cgroup is not a cgroup v1 (hybrid) layout\n");
		return;
	}
	enter_ns();
	struct hull_spec *spec = spec_from(
		"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"mounts\":["
		"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
		"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}]}");
	struct mount_ctx ctx;

	CHECK(prepare_and_setup(&ctx, spec) == 0);
	CHECK(statfs(in_root("/sys/fs/cgroup"), &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
	CHECK(vfs_flags(in_root("/sys/fs/cgroup")) & ST_RDONLY);

	/* Without a cgroup namespace each hierarchy is this process's own
	 * cgroup directory, bound read-only. */
	static const struct {
		const char *dir, *controllers;
	} hiers[] = { { "memory", "memory" }, { "pids", "pids" }, { "systemd", "name=systemd" }, { "unified", "" } };
	for (size_t i = 0; i < sizeof(hiers) / sizeof(hiers[0]); i++) {
		char host[PATH_MAX * 2], own[PATH_MAX], inside[PATH_MAX];
		snprintf(host, sizeof(host), "/sys/fs/cgroup/%s", hiers[i].dir);
		if (access(host, F_OK) < 0)
			continue;
		own_cgroup(hiers[i].controllers, own, sizeof(own));
		snprintf(host, sizeof(host), "/sys/fs/cgroup/%s%s", hiers[i].dir, own);
		snprintf(inside, sizeof(inside), "%s", in_root("/sys/fs/cgroup/"));
		strncat(inside, hiers[i].dir, sizeof(inside) - strlen(inside) - 1);
		CHECK(same_dir(inside, host));
		if (!same_dir(inside, host))
			fprintf(stderr, "  %s is not %s\n", inside, host);
		unsigned long f = vfs_flags(inside);
		CHECK((f & ST_RDONLY) && (f & ST_NOSUID) && (f & ST_NOEXEC) && (f & ST_NODEV));
	}
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", in_root("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
	CHECK(access(p, F_OK) == 0);
	hull_spec_free(spec);
}

TEST(cgroup_v1_mount_binds_the_own_cgroups)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(cgroup_child, NULL);
	teardown();
}

/* ---- console ---- */

static void console_child(void *arg)
{
	enter_ns();
	struct hull_spec *spec = spec_from("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}}");
	struct mount_ctx ctx;
	int master = -1, slave = -1, index = -1;

	CHECK(prepare_and_setup(&ctx, spec) == 0);
	int ptmx = open("/dev/ptmx", O_PATH | O_CLOEXEC);
	CHECK(terminal_open(ptmx, 0, 0, &master, &slave, &index, NULL) == 0);
	CHECK(mount_console(&ctx, slave, NULL) == 0);
	struct stat a, b;
	CHECK(stat(in_root("/dev/console"), &a) == 0 && fstat(slave, &b) == 0);
	CHECK(S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev);
	close(ptmx);
	close(master);
	close(slave);
	close(ctx.rootfd);
	hull_spec_free(spec);
}

TEST(console_is_the_pty_slave)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(console_child, NULL);
	teardown();
}

/* ---- errors ---- */

static void errors_child(void *arg)
{
	enter_ns();
	struct mount_ctx ctx;
	struct hull_error *err = NULL;
	struct {
		const char *config, *want;
	} cases[] = {
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"mounts\":["
		  "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"@/no-such-dir\",\"options\":[\"bind\"]}]}",
		  "no-such-dir" },
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"mounts\":["
		  "{\"destination\":\"/x\",\"type\":\"no-such-fs\",\"source\":\"none\"}]}",
		  "cannot mount no-such-fs on '/x'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hull_spec *spec = spec_from(cases[i].config);
		ctx = (struct mount_ctx){ .spec = spec, .rootfs = rootfs, .rootfd = -1, .ptmx_fd = -1 };
		CHECK(mount_prepare_root(&ctx, &err) == 0);
		CHECK(mount_setup(&ctx, &err) < 0);
		CHECK(err && strstr(err->msg, cases[i].want));
		if (err && !strstr(err->msg, cases[i].want))
			fprintf(stderr, "  got '%s'\n", err->msg);
		close(ctx.rootfd);
		hull_spec_free(spec);
	}

	/* A rootfs that is not there. */
	struct hull_spec *spec = spec_from("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}}");
	char missing[PATH_MAX + 16];
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	ctx = (struct mount_ctx){ .spec = spec, .rootfs = missing, .rootfd = -1, .ptmx_fd = -1 };
	CHECK(mount_prepare_root(&ctx, &err) == -ENOENT);
	CHECK(err && strstr(err->msg, missing));
	hull_spec_free(spec);
	hull_error_free(err);
}

TEST(mount_errors_name_the_mount)
{
	REQUIRE_ROOT();
	setup();
	IN_CHILD(errors_child, NULL);
	teardown();
}
