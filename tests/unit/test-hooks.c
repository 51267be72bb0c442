/* Unit tests for hooks.c: a hook gets the state on stdin, exactly its args
 * and env; failure, signal, timeout and a missing binary are errors naming
 * the hook. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks.h"
#include "path.h"
#include "unit.h"

static char dir[PATH_MAX];

static void setup(void)
{
	char tmpl[] = "/tmp/hull-unit-hooks-XXXXXX";
	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(dir, sizeof(dir), "%s", tmpl);
}

static void teardown(void)
{
	CHECK(path_remove_tree(dir) == 0);
}

/* Reads <dir>/<name> whole into a static buffer ("" when missing). */
static const char *slurp(const char *name)
{
	static char buf[1 << 16];
	char p[PATH_MAX + 64];
	ssize_t n = 0;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* Writes an executable script <dir>/<name>; returns its path (static). */
static char *script(const char *name, const char *body)
{
	static char paths[8][PATH_MAX + 64];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, PATH_MAX + 64, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fprintf(f, "#!/bin/sh\n%s\n", body);
		fclose(f);
	}
	chmod(p, 0755);
	return p;
}

TEST(kind_names)
{
	CHECK_STREQ(hooks_kind_name(HULL_HOOK_PRESTART), "prestart");
	CHECK_STREQ(hooks_kind_name(HULL_HOOK_CREATE_RUNTIME), "createRuntime");
	CHECK_STREQ(hooks_kind_name(HULL_HOOK_CREATE_CONTAINER), "createContainer");
	CHECK_STREQ(hooks_kind_name(HULL_HOOK_START_CONTAINER), "startContainer");
	CHECK_STREQ(hooks_kind_name(HULL_HOOK_POSTSTART), "poststart");
	CHECK_STREQ(hooks_kind_name(HULL_HOOK_POSTSTOP), "poststop");
	CHECK_STREQ(hooks_kind_name(HULL_HOOK__MAX), "unknown");
}

TEST(hook_gets_state_on_stdin_args_and_only_its_env)
{
	setup();
	char outenv[PATH_MAX + 8], cmd[PATH_MAX * 2];
	snprintf(outenv, sizeof(outenv), "OUT=%s", dir);
	snprintf(cmd, sizeof(cmd), "/bin/cat > \"$OUT/stdin\"; echo \"$0|$1|$2\" > \"$OUT/args\"; /usr/bin/env > \"$OUT/env\"");
	char *args[] = { "sh", "-c", cmd, "first", "second arg", NULL };
	char *env[] = { outenv, "FOO=bar baz", NULL };
	struct hull_hook h = { .path = "/bin/sh", .args = args, .env = env, .timeout = 10 };
	const char *state = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42}";
	struct hull_error *err = NULL;

	setenv("HULL_UNIT_HOST_ONLY", "1", 1);
	CHECK(hooks_run(HULL_HOOK_PRESTART, &h, 1, state, &err) == 0);
	CHECK(err == NULL);
	CHECK_STREQ(slurp("stdin"), state);
	CHECK_STREQ(slurp("args"), "first|second arg|\n");
	const char *e = slurp("env");
	CHECK(strstr(e, "FOO=bar baz\n") != NULL);
	CHECK(strstr(e, outenv) != NULL);
	CHECK(strstr(e, "HULL_UNIT_HOST_ONLY") == NULL);
	unsetenv("HULL_UNIT_HOST_ONLY");
	hull_error_free(err);
	teardown();
}

TEST(no_args_means_argv0_is_the_path_no_env_an_empty_one)
{
	setup();
	char body[PATH_MAX * 2 + 64];
	snprintf(body, sizeof(body), "echo \"$0 $#\" > %s/argv; /usr/bin/env > %s/env", dir, dir);
	struct hull_hook h = { .path = script("h", body) };

	setenv("HULL_UNIT_HOST_ONLY", "1", 1);
	CHECK(hooks_run(HULL_HOOK_POSTSTOP, &h, 1, "{}", NULL) == 0);
	unsetenv("HULL_UNIT_HOST_ONLY");
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s 0\n", h.path);
	CHECK_STREQ(slurp("argv"), want);
	/* No env given: an empty one (the shell adds only PWD), not ours. */
	const char *e = slurp("env");
	CHECK(strstr(e, "HULL_UNIT_HOST_ONLY") == NULL && strstr(e, "PATH=") == NULL);
	teardown();
}

TEST(hooks_run_in_order_and_stop_at_the_first_failure)
{
	setup();
	char b1[PATH_MAX + 64], b3[PATH_MAX + 64];
	snprintf(b1, sizeof(b1), "echo one >> %s/log", dir);
	snprintf(b3, sizeof(b3), "echo three >> %s/log", dir);
	struct hull_hook hs[] = {
		{ .path = script("one", b1) },
		{ .path = script("two", "exit 3") },
		{ .path = script("three", b3) },
	};
	struct hull_error *err = NULL;

	int r = hooks_run(HULL_HOOK_CREATE_RUNTIME, hs, 3, "{}", &err);
	CHECK(r < 0);
	CHECK_STREQ(slurp("log"), "one\n");
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "createRuntime hook '%s': exited with status 3", hs[1].path);
	CHECK_STREQ(err ? err->msg : NULL, want);
	hull_error_free(err);

	/* All three succeed: all three ran, in order. */
	hs[1].path = script("two-ok", b1);
	CHECK(hooks_run(HULL_HOOK_POSTSTART, hs, 3, "{}", NULL) == 0);
	CHECK_STREQ(slurp("log"), "one\none\none\nthree\n");
	CHECK(hooks_run(HULL_HOOK_POSTSTART, hs, 0, "{}", NULL) == 0);
	teardown();
}

TEST(killed_by_a_signal)
{
	setup();
	struct hull_hook h = { .path = script("sig", "kill -TERM $$") };
	struct hull_error *err = NULL;

	CHECK(hooks_run(HULL_HOOK_POSTSTOP, &h, 1, "{}", &err) < 0);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "poststop hook '%s': killed by signal %d", h.path, SIGTERM);
	CHECK_STREQ(err ? err->msg : NULL, want);
	hull_error_free(err);
	teardown();
}

TEST(timeout_kills_the_hook)
{
	setup();
	char body[PATH_MAX + 64];
	/* exec: the hook process itself sleeps, so killing it leaves nothing. */
	snprintf(body, sizeof(body), "echo $$ > %s/pid; exec sleep 60", dir);
	struct hull_hook h = { .path = script("slow", body), .timeout = 1 };
	struct hull_error *err = NULL;

	CHECK(hooks_run(HULL_HOOK_PRESTART, &h, 1, "{}", &err) < 0);
	CHECK(err && strstr(err->msg, h.path) && strstr(err->msg, "timed out after 1 s"));
	pid_t pid = (pid_t)atoi(slurp("pid"));
	CHECK(pid > 0);
	/* Killed and reaped: the pid names no process any more. */
	CHECK(pid > 0 && kill(pid, 0) < 0 && errno == ESRCH);
	hull_error_free(err);
	teardown();
}

TEST(missing_binary_is_an_error_naming_it)
{
	struct hull_hook h = { .path = "/nonexistent/hull-hook" };
	struct hull_error *err = NULL;

	CHECK(hooks_run(HULL_HOOK_START_CONTAINER, &h, 1, "{}", &err) < 0);
	CHECK(err && strstr(err->msg, "startContainer hook '/nonexistent/hull-hook'"));
	hull_error_free(err);
}

TEST(hook_not_reading_a_big_state_is_no_sigpipe)
{
	setup();
	size_t len = 4 << 20;
	char *state = malloc(len + 1);
	memset(state, ' ', len);
	state[0] = '{';
	state[len - 1] = '}';
	state[len] = '\0';
	struct hull_hook h = { .path = script("noread", "exit 0"), .timeout = 10 };

	/* The hook exits at once; a SIGPIPE would end this test binary. */
	CHECK(hooks_run(HULL_HOOK_PRESTART, &h, 1, state, NULL) == 0);
	free(state);
	teardown();
}
