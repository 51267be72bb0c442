/* Unit tests for process.c: rlimits, PATH lookup, cwd (also one that
 * leads out of a chroot), fds, and user, groups and capabilities.  What
 * changes the process itself runs in a forked child. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "process.h"
#include "unit.h"
#include "unit-child.h"

static char dir[PATH_MAX];

static void setup(void)
{
	char tmpl[] = "/tmp/hull-unit-process-XXXXXX";
	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(dir, sizeof(dir), "%s", tmpl);
}

static void teardown(void)
{
	CHECK(unit_mounts_under(dir) == 0);
	CHECK(path_remove_tree(dir) == 0);
}

static void touch(const char *name, mode_t mode)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	CHECK(fd >= 0);
	CHECK(write(fd, "#!/bin/sh\n", 10) == 10);
	close(fd);
	CHECK(chmod(p, mode) == 0);
}

/* ---- rlimits ---- */

static void rlimits_child(void *arg)
{
	struct hull_rlimit rl[] = {
		{ .resource = RLIMIT_NOFILE, .soft = 100, .hard = 200 },
		{ .resource = RLIMIT_CORE, .soft = 0, .hard = 0 },
		{ .resource = RLIMIT_NPROC, .soft = 5000, .hard = 6000 },
	};
	struct hull_process p = { .rlimits = rl, .n_rlimits = 3 };
	struct rlimit got;

	CHECK(process_set_rlimits(&p, NULL) == 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &got) == 0 && got.rlim_cur == 100 && got.rlim_max == 200);
	CHECK(getrlimit(RLIMIT_CORE, &got) == 0 && got.rlim_cur == 0 && got.rlim_max == 0);
	CHECK(getrlimit(RLIMIT_NPROC, &got) == 0 && got.rlim_cur == 5000 && got.rlim_max == 6000);

	/* soft above hard: refused, the error names the limit. */
	struct hull_rlimit bad = { .resource = RLIMIT_NOFILE, .soft = 300, .hard = 200 };
	struct hull_process pb = { .rlimits = &bad, .n_rlimits = 1 };
	struct hull_error *err = NULL;
	CHECK(process_set_rlimits(&pb, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "rlimit") && strstr(err->msg, "300:200"));
	hull_error_free(err);
	CHECK(getrlimit(RLIMIT_NOFILE, &got) == 0 && got.rlim_cur == 100 && got.rlim_max == 200);
}

TEST(rlimits_are_set)
{
	IN_CHILD(rlimits_child, NULL);
}

/* ---- exec lookup ---- */

static char *find(char **env, const char *name, struct hull_error **err, int *ret)
{
	char *args[] = { (char *)name, NULL };
	struct hull_process p = { .args = args, .n_args = 1, .env = env };
	char *path = NULL;
	*ret = process_find_exec(&p, &path, err);
	return path;
}

TEST(find_exec_walks_path)
{
	setup();
	char sub[PATH_MAX + 8], pathenv[PATH_MAX * 3], want[PATH_MAX + 16];
	snprintf(sub, sizeof(sub), "%s/second", dir);
	CHECK(mkdir(sub, 0755) == 0);
	touch("prog", 0755);
	touch("plain", 0644);
	touch("second/prog", 0755);
	touch("second/plain", 0755);
	CHECK(mkdir(strcat(strcpy(want, dir), "/adir"), 0755) == 0);
	snprintf(pathenv, sizeof(pathenv), "PATH=/nonexistent:%s:%s", dir, sub);
	char *env[] = { "HOME=/", pathenv, NULL };
	struct hull_error *err = NULL;
	int r;

	/* The first directory holding an executable wins. */
	char *got = find(env, "prog", &err, &r);
	snprintf(want, sizeof(want), "%s/prog", dir);
	CHECK(r == 0);
	CHECK_STREQ(got, want);
	free(got);

	/* A file without the x bit is passed over for the next one. */
	got = find(env, "plain", &err, &r);
	snprintf(want, sizeof(want), "%s/plain", sub);
	CHECK(r == 0);
	CHECK_STREQ(got, want);
	free(got);

	/* A directory is no executable. */
	got = find(env, "adir", &err, &r);
	CHECK(r == -ENOENT && got == NULL);
	CHECK(err && strstr(err->msg, "'adir'") && strstr(err->msg, "not found in $PATH"));

	got = find(env, "nothing-like-this", &err, &r);
	CHECK(r == -ENOENT && got == NULL);
	CHECK(err && strstr(err->msg, "'nothing-like-this'"));
	hull_error_free(err);
	teardown();
}

TEST(find_exec_with_a_slash_is_taken_as_is)
{
	setup();
	touch("prog", 0755);
	touch("plain", 0644);
	char p[PATH_MAX + 16];
	char *env[] = { "PATH=/nonexistent", NULL };
	struct hull_error *err = NULL;
	int r;

	snprintf(p, sizeof(p), "%s/prog", dir);
	char *got = find(env, p, &err, &r);
	CHECK(r == 0);
	CHECK_STREQ(got, p);
	free(got);

	snprintf(p, sizeof(p), "%s/plain", dir);
	got = find(env, p, &err, &r);
	CHECK(r == -EACCES && got == NULL);
	CHECK(err && strstr(err->msg, p));

	/* A directory: EACCES, as execve says, whatever errno held before. */
	errno = ENOENT;
	got = find(env, dir, &err, &r);
	CHECK(r == -EACCES && got == NULL);

	snprintf(p, sizeof(p), "%s/missing", dir);
	got = find(env, p, &err, &r);
	CHECK(r == -ENOENT && got == NULL);
	CHECK(err && strstr(err->msg, p));
	hull_error_free(err);
	teardown();
}

TEST(find_exec_default_path_and_empty_entry)
{
	setup();
	int r;
	char *env[] = { "PATHX=/nonexistent", NULL };

	/* No PATH: the default one, which holds sh. */
	char *got = find(env, "sh", NULL, &r);
	CHECK(r == 0);
	CHECK(got && got[0] == '/' && strcmp(strrchr(got, '/'), "/sh") == 0 && access(got, X_OK) == 0);
	free(got);
	got = find(NULL, "sh", NULL, &r);
	CHECK(r == 0 && got && access(got, X_OK) == 0);
	free(got);

	/* An empty entry is the current directory. */
	touch("here", 0755);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(chdir(dir) == 0);
	char *env2[] = { "PATH=/nonexistent::/nonexistent2", NULL };
	got = find(env2, "here", NULL, &r);
	CHECK(r == 0);
	CHECK_STREQ(got, "./here");
	free(got);
	CHECK(fchdir(cwd) == 0);
	close(cwd);
	teardown();
}

/* ---- cwd ---- */

TEST(enter_cwd_inside)
{
	setup();
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct hull_error *err = NULL;
	char buf[PATH_MAX];

	CHECK(process_enter_cwd(dir, &err) == 0);
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, dir) == 0);

	char missing[PATH_MAX + 16];
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	CHECK(process_enter_cwd(missing, &err) == -ENOENT);
	CHECK(err && strstr(err->msg, missing));
	hull_error_free(err);
	CHECK(fchdir(cwd) == 0);
	close(cwd);
	teardown();
}

static void cwd_outside_child(void *arg)
{
	char root[PATH_MAX + 16], host[PATH_MAX + 16], procdir[PATH_MAX + 32], leak[64];
	struct hull_error *err = NULL;

	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(host, sizeof(host), "%s/host", dir);
	snprintf(procdir, sizeof(procdir), "%s/root/proc", dir);
	/* An fd on a host directory leaks into the "container". */
	int hostfd = open(host, O_RDONLY | O_DIRECTORY);
	CHECK(hostfd >= 0);
	CHECK(unshare(CLONE_NEWNS) == 0);
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(mount("proc", procdir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0);
	CHECK(chroot(root) == 0);
	CHECK(chdir("/") == 0);

	/* Inside: fine. */
	CHECK(process_enter_cwd("/", &err) == 0);
	/* Through the leaked fd: chdir works, but it is not below the root. */
	snprintf(leak, sizeof(leak), "/proc/self/fd/%d", hostfd);
	errno = 0;
	int r = process_enter_cwd(leak, &err);
	CHECK(r < 0);
	CHECK(err && strstr(err->msg, leak) && strstr(err->msg, "outside the container's root"));
	hull_error_free(err);
}

TEST(enter_cwd_outside_the_root_is_refused)
{
	REQUIRE_ROOT();
	setup();
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/root/proc", dir);
	CHECK(path_mkdir_p(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/host", dir);
	CHECK(mkdir(p, 0755) == 0);
	IN_CHILD(cwd_outside_child, NULL);
	teardown();
}

/* ---- fds ---- */

static bool cloexec(int fd)
{
	return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static void fds_child(void *arg)
{
	int null = open("/dev/null", O_RDONLY);
	int fds[] = { 3, 4, 5, 6, 9, 200 };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		CHECK(dup2(null, fds[i]) == fds[i]);
	/* A preserved fd that had the flag loses it. */
	CHECK(fcntl(4, F_SETFD, FD_CLOEXEC) == 0);

	CHECK(process_prepare_fds(2, NULL) == 0);
	CHECK(!cloexec(3) && !cloexec(4));
	CHECK(cloexec(5) && cloexec(6) && cloexec(9) && cloexec(200));
	/* Nothing is closed, only marked. */
	CHECK(fcntl(200, F_GETFD) >= 0);
	/* stdio untouched. */
	CHECK(!cloexec(0) || fcntl(0, F_GETFD) < 0);

	CHECK(process_prepare_fds(0, NULL) == 0);
	CHECK(cloexec(3) && cloexec(4));
}

TEST(prepare_fds_marks_all_but_the_preserved)
{
	IN_CHILD(fds_child, NULL);
}

/* ---- user and capabilities ---- */

static uint64_t status_caps(const char *field)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long v = ~0ULL;
	size_t len = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			sscanf(line + len + 1, "%llx", &v);
	if (f)
		fclose(f);
	return v;
}

#define BIT(c) (1ULL << (c))

static void user_caps_child(void *arg)
{
	uint32_t groups[] = { 1001, 1002 };
	struct hull_process p = {
		.uid = 1000,
		.gid = 1000,
		.additional_gids = groups,
		.n_additional_gids = 2,
		.has_caps = true,
	};
	p.caps[HULL_CAP_BOUNDING] = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL) | BIT(CAP_SYS_TIME);
	p.caps[HULL_CAP_PERMITTED] = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL) | BIT(CAP_SYS_TIME);
	p.caps[HULL_CAP_EFFECTIVE] = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_TIME);
	p.caps[HULL_CAP_INHERITABLE] = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_TIME);
	p.caps[HULL_CAP_AMBIENT] = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL) | BIT(CAP_SYS_TIME);

	/* This "host" lacks CAP_SYS_TIME: asking for it is no failure, it is
	 * only left out. */
	CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0) == 0);

	struct hull_error *err = NULL;
	int r = process_set_user_and_caps(&p, false, &err);
	CHECK(r == 0);
	if (r < 0)
		fprintf(stderr, "  %s\n", err ? err->msg : "?");
	hull_error_free(err);

	uid_t ru, eu, su;
	gid_t rg, eg, sg, list[8];
	CHECK(getresuid(&ru, &eu, &su) == 0 && ru == 1000 && eu == 1000 && su == 1000);
	CHECK(getresgid(&rg, &eg, &sg) == 0 && rg == 1000 && eg == 1000 && sg == 1000);
	int n = getgroups(8, list);
	CHECK(n == 2 && list[0] == 1001 && list[1] == 1002);

	CHECK(status_caps("CapBnd") == (BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL)));
	CHECK(status_caps("CapPrm") == (BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL)));
	CHECK(status_caps("CapEff") == (BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE)));
	CHECK(status_caps("CapInh") == BIT(CAP_NET_BIND_SERVICE));
	/* Ambient only where permitted and inheritable: KILL is not. */
	CHECK(status_caps("CapAmb") == BIT(CAP_NET_BIND_SERVICE));
	CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
}

TEST(user_groups_and_caps)
{
	REQUIRE_ROOT();
	IN_CHILD(user_caps_child, NULL);
}

static void user_no_caps_child(void *arg)
{
	uint64_t bnd = status_caps("CapBnd");
	struct hull_process p = { .uid = 0, .gid = 4242 };

	/* No "capabilities" in the spec: the sets stay as they are. */
	CHECK(process_set_user_and_caps(&p, false, NULL) == 0);
	CHECK(getgid() == 4242 && getegid() == 4242 && getuid() == 0);
	CHECK(getgroups(0, NULL) == 0);
	CHECK(status_caps("CapBnd") == bnd);

	/* And a uid change then drops every capability, as setuid does. */
	struct hull_process q = { .uid = 4242, .gid = 4242 };
	CHECK(process_set_user_and_caps(&q, false, NULL) == 0);
	CHECK(getuid() == 4242 && geteuid() == 4242);
	CHECK(status_caps("CapEff") == 0 && status_caps("CapPrm") == 0);

	/* Unprivileged now: going back is refused. */
	struct hull_process back = { .uid = 0, .gid = 4242 };
	struct hull_error *err = NULL;
	CHECK(process_set_user_and_caps(&back, false, &err) == -EPERM);
	CHECK(err && strstr(err->msg, "cannot set"));
	hull_error_free(err);
}

TEST(user_without_caps)
{
	REQUIRE_ROOT();
	IN_CHILD(user_no_caps_child, NULL);
}
