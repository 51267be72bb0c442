/* unit-child.h - running a test's body in a forked child, for what must
 * not touch the test process itself (uid, capabilities, namespaces,
 * chroot, rlimits), and a check that no mount was left behind.
 * Include after unit.h. */
#ifndef HULL_UNIT_CHILD_H
#define HULL_UNIT_CHILD_H

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "spec.h"

/* Runs fn(arg) in a child; the child's failed CHECKs print there and make
 * it exit 1.  The child ends with _exit: nothing of the parent's (atexit,
 * stdio buffers) runs twice.  Counts a failure here unless it exited 0. */
__attribute__((unused)) static bool unit_in_child(void (*fn)(void *), void *arg, const char *what)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "  %s: fork failed\n", what);
		unit_failed_checks++;
		return false;
	}
	if (pid == 0) {
		int before = unit_failed_checks;
		fn(arg);
		fflush(NULL);
		_exit(unit_failed_checks != before ? 1 : 0);
	}
	int status = -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			break;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "  %s: child failed (status 0x%x)\n", what, status);
		unit_failed_checks++;
		return false;
	}
	return true;
}
#define IN_CHILD(fn, arg) unit_in_child(fn, arg, #fn)

/* For tests that mount, mknod, chroot or change ids: skip, saying why. */
#define REQUIRE_ROOT()                                                                 \
	do {                                                                           \
		if (geteuid() != 0) {                                                  \
			fprintf(stderr, "  %s: skipped: needs root\n", __func__);     \
			return;                                                        \
		}                                                                      \
	} while (0)

/* How many mounts of this process's namespace are at or below dir.  The
 * host namespace is shared with other tests running at the same time, so
 * only what is under a test's own temporary directory can be checked. */
__attribute__((unused)) static int unit_mounts_under(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], mp[4096];
	size_t len = strlen(dir);
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strncmp(mp, dir, len) == 0 &&
		    (mp[len] == '\0' || mp[len] == '/'))
			n++;
	if (f)
		fclose(f);
	return f ? n : -1;
}

/* Parses the config text with every "@" replaced by dir. */
static inline struct hull_spec *unit_spec_from(const char *tmpl, const char *dir)
{
	char json[16384], *o = json;
	struct hull_spec *spec = NULL;
	struct hull_error *err = NULL;

	for (const char *t = tmpl; *t && o < json + sizeof(json) - PATH_MAX; t++)
		if (*t == '@')
			o += sprintf(o, "%s", dir);
		else
			*o++ = *t;
	*o = '\0';
	if (hull_spec_parse(json, strlen(json), &spec, &err) < 0)
		fprintf(stderr, "  spec: %s\n", err ? err->msg : "?");
	CHECK(spec != NULL);
	hull_error_free(err);
	return spec;
}

#endif
