/* Unit tests for path.c: resolution inside a rootfs never leaves it. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "unit.h"
#include "util.h"

static char root[PATH_MAX], outside[PATH_MAX];

static void setup(void)
{
	char tmpl[] = "/tmp/hull-unit-path-XXXXXX";
	char *base = mkdtemp(tmpl);
	snprintf(root, sizeof(root), "%s/rootfs", base);
	snprintf(outside, sizeof(outside), "%s/host", base);
	mkdir(root, 0755);
	mkdir(outside, 0755);
}

static void teardown(void)
{
	char base[PATH_MAX];
	snprintf(base, sizeof(base), "%s", root);
	*strrchr(base, '/') = '\0';
	path_remove_tree(base);
}

static bool exists_at(const char *dir, const char *rel)
{
	char p[PATH_MAX * 2];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

TEST(creates_missing_dirs_inside_root)
{
	setup();
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct hull_error *err = NULL;
	int fd = path_open_in_root(rootfd, "/a/b/c", true, false, &err);
	CHECK(fd >= 0);
	CHECK(exists_at(root, "a/b/c"));
	close(fd);
	fd = path_open_in_root(rootfd, "/a/file", true, true, &err);
	CHECK(fd >= 0);
	struct stat st;
	char p[PATH_MAX + 16];
	snprintf(p, sizeof(p), "%s/a/file", root);
	CHECK(stat(p, &st) == 0 && S_ISREG(st.st_mode));
	close(fd);
	close(rootfd);
	hull_error_free(err);
	teardown();
}

TEST(absolute_symlink_stays_inside)
{
	setup();
	char link[PATH_MAX + 16];
	/* /evil -> <outside>: must resolve to <root><outside>, not the host dir. */
	snprintf(link, sizeof(link), "%s/evil", root);
	CHECK(symlink(outside, link) == 0);
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = path_open_in_root(rootfd, "/evil/x", true, false, NULL);
	CHECK(fd >= 0);
	CHECK(!exists_at(outside, "x"));
	char inside[PATH_MAX * 2];
	snprintf(inside, sizeof(inside), "%s%s", root, outside);
	CHECK(exists_at(inside, "x"));
	close(fd);
	close(rootfd);
	teardown();
}

TEST(dotdot_symlink_stays_inside)
{
	setup();
	char link[PATH_MAX + 16];
	/* /up -> ../../../../host: ".." stops at the rootfs's "/". */
	snprintf(link, sizeof(link), "%s/up", root);
	CHECK(symlink("../../../../../../host", link) == 0);
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = path_open_in_root(rootfd, "/up", true, false, NULL);
	CHECK(fd >= 0);
	CHECK(exists_at(root, "host"));
	close(fd);
	fd = path_open_in_root(rootfd, "/../../etc/x", true, true, NULL);
	CHECK(fd >= 0);
	CHECK(exists_at(root, "etc/x"));
	close(fd);
	close(rootfd);
	teardown();
}

TEST(no_create_reports_enoent)
{
	setup();
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct hull_error *err = NULL;
	int fd = path_open_in_root(rootfd, "/missing", false, false, &err);
	CHECK(fd == -ENOENT);
	CHECK(err && strstr(err->msg, "/missing"));
	hull_error_free(err);
	close(rootfd);
	teardown();
}

TEST(remove_tree)
{
	setup();
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = path_open_in_root(rootfd, "/d1/d2/f", true, true, NULL);
	close(fd);
	close(rootfd);
	CHECK(path_remove_tree(root) == 0);
	CHECK(access(root, F_OK) < 0);
	CHECK(path_remove_tree(root) == 0);
	teardown();
}
