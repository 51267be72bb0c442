/* Unit tests for seccomp-filter.c: linux.seccomp in, a BPF program (or an
 * error naming the field) and warnings out; one filter loaded for real in a
 * child process. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "seccomp-filter.h"
#include "unit.h"
#include "util.h"

struct result {
	int r;
	struct hull_seccomp *sc;
	char **warnings;
	struct hull_error *err;
};

static struct result compile(const char *json)
{
	struct result res = { 0 };
	struct json_object *o = json_tokener_parse(json);

	if (!o) {
		fprintf(stderr, "  bad test JSON: %s\n", json);
		res.r = -999;
		return res;
	}
	res.r = hull_seccomp_compile(o, &res.sc, &res.warnings, &res.err);
	json_object_put(o);
	return res;
}

static void result_done(struct result *res)
{
	hull_seccomp_free(res->sc);
	strv_free(res->warnings);
	hull_error_free(res->err);
}

/* Compiles json and checks it fails with exactly msg. */
static bool fails_with(const char *json, const char *msg)
{
	struct result res = compile(json);
	bool ok = res.r == -EINVAL && res.sc == NULL && res.warnings == NULL && res.err && streq(res.err->msg, msg);

	if (!ok)
		fprintf(stderr, "  %s\n    -> r=%d msg=%s\n    want %s\n", json, res.r,
			res.err ? res.err->msg : "(none)", msg);
	result_done(&res);
	return ok;
}

TEST(no_profile_is_no_filter)
{
	struct hull_seccomp *sc = (struct hull_seccomp *)1;
	char **w = (char **)1;

	CHECK(hull_seccomp_compile(NULL, &sc, &w, NULL) == 0);
	CHECK(sc == NULL && w == NULL);
	CHECK(hull_seccomp_load(NULL, NULL) == 0);
}

TEST(valid_profile_compiles)
{
	struct result res = compile(
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
		" \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
		" \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
		" \"syscalls\": ["
		"  {\"names\": [\"read\", \"write\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"},"
		"  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
		"   \"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]},"
		"  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
		"   \"args\": [{\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]},"
		"  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\","
		"   \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
		"  {\"names\": [\"dup\"], \"action\": \"SCMP_ACT_ALLOW\","
		"   \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
		"            {\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]},"
		"  {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
		"  {\"names\": [\"tkill\"], \"action\": \"SCMP_ACT_TRAP\"},"
		"  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7},"
		"  {\"names\": [\"uname\"], \"action\": \"SCMP_ACT_LOG\"},"
		"  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 95},"
		"  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}"
		" ]}");

	CHECK(res.r == 0);
	CHECK(res.sc != NULL && hull_seccomp_length(res.sc) > 10);
	CHECK(res.warnings == NULL);
	result_done(&res);
}

TEST(unknown_syscall_names_warn)
{
	struct result res = compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
				    " {\"names\": [\"getppid\", \"no_such_call\"], \"action\": \"SCMP_ACT_ERRNO\"},"
				    " {\"names\": [\"another_fake\"], \"action\": \"SCMP_ACT_KILL\"}]}");

	CHECK(res.r == 0 && res.sc != NULL);
	CHECK(res.warnings != NULL);
	if (res.warnings) {
		CHECK_STREQ(res.warnings[0],
			    "config.json: linux.seccomp.syscalls[0].names[1]: unknown syscall 'no_such_call', ignoring");
		CHECK_STREQ(res.warnings[1],
			    "config.json: linux.seccomp.syscalls[1].names[0]: unknown syscall 'another_fake', ignoring");
		CHECK(res.warnings[2] == NULL);
	}
	result_done(&res);
}

TEST(bad_profiles_name_the_field)
{
	CHECK(fails_with("{}", "config.json: linux.seccomp.defaultAction: is required"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_NOPE\"}",
			 "config.json: linux.seccomp.defaultAction: unknown action 'SCMP_ACT_NOPE'"));
	CHECK(fails_with("{\"defaultAction\": 3}", "config.json: linux.seccomp.defaultAction: must be a string"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
			 "config.json: linux.seccomp.defaultErrnoRet: must not be negative"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_Z80\"]}",
			 "config.json: linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_Z80'"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]}",
			 "config.json: linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_FAST'"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
			 "config.json: linux.seccomp.syscalls: must be an array"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [7]}",
			 "config.json: linux.seccomp.syscalls[0]: must be an object"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_KILL\"}]}",
			 "config.json: linux.seccomp.syscalls[0].names: is required"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": \"read\", \"action\": \"SCMP_ACT_KILL\"}]}",
			 "config.json: linux.seccomp.syscalls[0].names: must be an array"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", 4], \"action\": \"SCMP_ACT_KILL\"}]}",
			 "config.json: linux.seccomp.syscalls[0].names[1]: must be a string"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			 " {\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\"},"
			 " {\"names\": [\"read\"], \"action\": \"X\"}]}",
			 "config.json: linux.seccomp.syscalls[1].action: unknown action 'X'"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 1}]}",
			 "config.json: linux.seccomp.syscalls[0].errnoRet: is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 70000}]}",
			 "config.json: linux.seccomp.syscalls[0].errnoRet: must be at most 65535"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
			 "config.json: linux.seccomp.listenerPath: is required with SCMP_ACT_NOTIFY"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/run/agent.sock\"}",
			 "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/agent.sock\", \"syscalls\": ["
			 " {\"names\": [\"mkdir\", \"sendmsg\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
			 "config.json: linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for 'sendmsg': the runtime needs it to hand the listener fd over"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": 5}",
			 "config.json: linux.seccomp.listenerPath: must be a string"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\","
			 " \"args\": [{\"index\": 6, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
			 "config.json: linux.seccomp.syscalls[0].args[0].index: must be at most 5"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\","
			 " \"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 1, \"value\": 0, \"op\": \"SCMP_CMP_ALMOST\"}]}]}",
			 "config.json: linux.seccomp.syscalls[0].args[1].op: unknown operator 'SCMP_CMP_ALMOST'"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\","
			 " \"args\": [{\"index\": 0, \"value\": \"0\", \"op\": \"SCMP_CMP_EQ\"}]}]}",
			 "config.json: linux.seccomp.syscalls[0].args[0].value: must be an integer"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\","
			 " \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
			 "config.json: linux.seccomp.syscalls[0].args[0].value: is required"));
	CHECK(fails_with("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\","
			 " \"args\": [1]}]}",
			 "config.json: linux.seccomp.syscalls[0].args[0]: must be an object"));
}

TEST(names_match_the_parser)
{
	/* Every listed action, operator and arch is accepted by compile. */
	for (size_t i = 0; hull_seccomp_action_name(i); i++) {
		char json[256];
		struct result res;

		/* NOTIFY cannot be the default: as a rule's action, with a listener. */
		if (streq(hull_seccomp_action_name(i), "SCMP_ACT_NOTIFY"))
			snprintf(json, sizeof(json),
				 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/x.sock\","
				 " \"syscalls\": [{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}");
		else
			snprintf(json, sizeof(json), "{\"defaultAction\": \"%s\"}", hull_seccomp_action_name(i));
		res = compile(json);
		CHECK(res.r == 0);
		CHECK(hull_seccomp_notify(res.sc) == streq(hull_seccomp_action_name(i), "SCMP_ACT_NOTIFY"));
		result_done(&res);
	}
	for (size_t i = 0; hull_seccomp_operator_name(i); i++) {
		char json[512];
		struct result res;

		snprintf(json, sizeof(json),
			 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup\"], \"action\": \"SCMP_ACT_ERRNO\","
			 " \"args\": [{\"index\": 0, \"value\": 1, \"valueTwo\": 1, \"op\": \"%s\"}]}]}",
			 hull_seccomp_operator_name(i));
		res = compile(json);
		CHECK(res.r == 0);
		result_done(&res);
	}
	for (size_t i = 0; hull_seccomp_arch_name(i); i++) {
		char json[256];
		struct result res;

		snprintf(json, sizeof(json), "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"%s\"]}",
			 hull_seccomp_arch_name(i));
		res = compile(json);
		if (res.r != 0)
			fprintf(stderr, "  %s: %s\n", hull_seccomp_arch_name(i), res.err ? res.err->msg : "?");
		CHECK(res.r == 0);
		/* Arches of the other byte order are skipped with a warning. */
		CHECK(!res.warnings || strstr(res.warnings[0], "(other byte order), ignoring"));
		result_done(&res);
	}
	CHECK(hull_seccomp_action_name(0) && hull_seccomp_operator_name(6) && !hull_seccomp_operator_name(7));
	CHECK(hull_seccomp_flag_supported("SECCOMP_FILTER_FLAG_LOG"));
	CHECK(hull_seccomp_flag_supported("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")); /* kernel >= 6.0 */
	CHECK(!hull_seccomp_flag_supported("nope"));
}

/* Forks, loads the filter and reports what getppid() and dup(fd) gave. */
static int child_errno(const struct hull_seccomp *sc, long nr, long arg)
{
	int pfd[2], e = -1;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1000;
	pid = fork();
	if (pid == 0) {
		int res;

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (hull_seccomp_load(sc, NULL) < 0)
			_exit(3);
		res = syscall(nr, arg) < 0 ? errno : 0;
		if (write(pfd[1], &res, sizeof(res)) != sizeof(res))
			_exit(4);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
		e = -1;
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	return e;
}

TEST(loaded_filter_acts)
{
	struct result res = compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
				    " {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 95},"
				    " {\"names\": [\"dup\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,"
				    "  \"args\": [{\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]}]}");

	CHECK(res.r == 0);
	CHECK(child_errno(res.sc, SYS_getppid, 0) == 95);
	CHECK(child_errno(res.sc, SYS_getpid, 0) == 0);
	CHECK(child_errno(res.sc, SYS_dup, 2) == 13);
	CHECK(child_errno(res.sc, SYS_dup, 1) == 0);
	/* Without a filter, nothing is denied. */
	CHECK(child_errno(NULL, SYS_getppid, 0) == 0);
	result_done(&res);
}

static int count_files(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* The one cache file in dir, its path into buf. */
static bool only_file(const char *dir, char *buf, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(buf, size, "%s/%s", dir, e->d_name);
			found = true;
		}
	if (d)
		closedir(d);
	return found && count_files(dir) == 1;
}

static struct result compile_cached(const char *json, const char *dir)
{
	struct result res = { 0 };
	struct json_object *o = json_tokener_parse(json);

	res.r = hull_seccomp_compile_cached(o, dir, &res.sc, &res.warnings, &res.err);
	json_object_put(o);
	return res;
}

static const char profile_a[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"],"
				" \"syscalls\": [{\"names\": [\"getppid\", \"fake_call\"], \"action\": \"SCMP_ACT_ERRNO\"}]}";
static const char profile_b[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\","
				" \"syscalls\": [{\"names\": [\"dup\"], \"action\": \"SCMP_ACT_KILL\"}]}";

TEST(cache_gives_back_the_same_filter_and_warnings)
{
	char tmpl[] = "/tmp/hull-sc-cache-XXXXXX", dir[64], file[512];
	struct result plain, first, second;

	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(dir, sizeof(dir), "%s/cache", tmpl); /* made by the call */
	plain = compile(profile_a);
	first = compile_cached(profile_a, dir);
	CHECK(first.r == 0 && hull_seccomp_equal(plain.sc, first.sc));
	CHECK(only_file(dir, file, sizeof(file)));
	second = compile_cached(profile_a, dir);
	CHECK(second.r == 0 && hull_seccomp_equal(plain.sc, second.sc));
	CHECK(second.warnings && first.warnings && streq(second.warnings[0], first.warnings[0]) && !second.warnings[1]);
	CHECK(streq(first.warnings ? first.warnings[0] : NULL,
		    "config.json: linux.seccomp.syscalls[0].names[1]: unknown syscall 'fake_call', ignoring"));
	result_done(&second);

	/* A truncated file is a miss, compiled again and rewritten. */
	CHECK(truncate(file, 40) == 0);
	second = compile_cached(profile_a, dir);
	CHECK(second.r == 0 && hull_seccomp_equal(plain.sc, second.sc) && second.warnings);
	CHECK(only_file(dir, file, sizeof(file)));
	result_done(&second);

	/* Another profile's file under this name (a hash collision) is a
	 * miss: the filter is B's, never A's. */
	struct result plain_b = compile(profile_b), b;
	char file_b[512];
	b = compile_cached(profile_b, dir);
	CHECK(b.r == 0 && count_files(dir) == 2);
	result_done(&b);
	snprintf(file_b, sizeof(file_b), "%s", file);
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && !strstr(file, e->d_name))
				snprintf(file_b, sizeof(file_b), "%s/%s", dir, e->d_name);
		if (d)
			closedir(d);
	}
	CHECK(rename(file, file_b) == 0); /* A's content under B's name */
	b = compile_cached(profile_b, dir);
	CHECK(b.r == 0 && hull_seccomp_equal(plain_b.sc, b.sc) && !hull_seccomp_equal(plain.sc, b.sc));
	CHECK(b.warnings == NULL);
	result_done(&b);
	result_done(&plain_b);

	/* Errors are not cached. */
	int before = count_files(dir);
	b = compile_cached("{\"defaultAction\": \"SCMP_ACT_NOPE\"}", dir);
	CHECK(b.r == -EINVAL && b.sc == NULL && count_files(dir) == before);
	result_done(&b);

	result_done(&first);
	result_done(&plain);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	CHECK(system(cmd) == 0);
}

static bool kills(const char *json)
{
	struct json_object *o = json_tokener_parse(json);
	bool r = hull_seccomp_profile_kills(o);

	json_object_put(o);
	return r;
}

/* What keeps an init from sharing hull's memory (container.c). */
TEST(profile_kills_by_default_or_rule)
{
	CHECK(!kills("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}"));
	CHECK(!kills("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"));
	CHECK(kills("{\"defaultAction\": \"SCMP_ACT_KILL\"}"));
	CHECK(kills("{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\"}"));
	CHECK(kills("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ERRNO\"},"
		    " {\"names\": [\"brk\"], \"action\": \"SCMP_ACT_TRAP\"}]}"));
	CHECK(kills("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mmap\"], \"action\": \"SCMP_ACT_KILL_THREAD\"}]}"));
	CHECK(!hull_seccomp_profile_kills(NULL));
}
