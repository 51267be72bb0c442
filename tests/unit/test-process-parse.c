/* test-process-parse.c - hull_process_parse(): the standalone process
 * object `hullrt exec --process FILE` reads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spec.h"
#include "unit.h"

static struct hull_process *parse(const char *json, struct hull_error **err)
{
	struct hull_process *p = NULL;

	if (hull_process_parse(json, strlen(json), "process file 'p.json'", &p, err) < 0)
		return NULL;
	return p;
}

TEST(minimal_defaults)
{
	struct hull_error *err = NULL;
	struct hull_process *p = parse("{\"args\": [\"/bin/true\"]}", &err);

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK(p->n_args == 1);
	CHECK_STREQ(p->args[0], "/bin/true");
	CHECK(p->args[1] == NULL);
	CHECK_STREQ(p->cwd, "/");
	CHECK(p->env != NULL && p->env[0] == NULL);
	CHECK(p->uid == 0 && p->gid == 0);
	CHECK(!p->has_caps && !p->terminal && !p->no_new_privileges);
	hull_process_free(p);
}

TEST(full_process)
{
	struct hull_error *err = NULL;
	struct hull_process *p = parse(
		"{\"terminal\": true, \"consoleSize\": {\"height\": 24, \"width\": 80},"
		" \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6]},"
		" \"args\": [\"sh\", \"-c\", \"echo hi\"], \"env\": [\"A=1\", \"PATH=/bin\"], \"cwd\": \"/work\","
		" \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\", \"CAP_CHOWN\"]},"
		" \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 20}],"
		" \"noNewPrivileges\": true, \"oomScoreAdj\": -5, \"apparmorProfile\": \"x\"}",
		&err);

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "  %s\n", err ? err->msg : "?");
		hull_error_free(err);
		return;
	}
	CHECK(p->terminal && p->console_height == 24 && p->console_width == 80);
	CHECK(p->uid == 1000 && p->gid == 100 && p->has_umask && p->umask == 18);
	CHECK(p->n_additional_gids == 2 && p->additional_gids[1] == 6);
	CHECK(p->n_args == 3);
	CHECK_STREQ(p->args[2], "echo hi");
	CHECK(p->n_env == 2);
	CHECK_STREQ(p->env[1], "PATH=/bin");
	CHECK_STREQ(p->cwd, "/work");
	CHECK(p->has_caps);
	CHECK(p->caps[HULL_CAP_BOUNDING] == (1ULL << 5));
	CHECK(p->caps[HULL_CAP_EFFECTIVE] == ((1ULL << 5) | (1ULL << 0)));
	CHECK(p->n_rlimits == 1 && p->rlimits[0].soft == 10 && p->rlimits[0].hard == 20);
	CHECK(p->no_new_privileges);
	CHECK(p->has_oom_score_adj && p->oom_score_adj == -5);
	hull_process_free(p);
}

TEST(errors_name_the_file)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{ "{\"args\": []}", "process file 'p.json': process.args: must be a non-empty array of strings" },
		{ "{}", "process file 'p.json': process.args: must be a non-empty array of strings" },
		{ "{\"args\": [\"x\"], \"cwd\": \"rel\"}", "process file 'p.json': process.cwd" },
		{ "{\"args\": [\"x\"], \"capabilities\": {\"effective\": [\"CAP_NOPE\"]}}", "unknown capability 'CAP_NOPE'" },
		{ "{\"args\": [\"x\"],", "process file 'p.json': invalid JSON" },
		{ "[1]", "process file 'p.json': invalid JSON: the top level must be an object" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hull_error *err = NULL;
		struct hull_process *p = parse(cases[i].json, &err);

		CHECK(p == NULL);
		CHECK(err && err->msg && strstr(err->msg, cases[i].want));
		if (err && err->msg && !strstr(err->msg, cases[i].want))
			fprintf(stderr, "  case %zu: got '%s'\n", i, err->msg);
		CHECK(err && strncmp(err->msg, "process file 'p.json': ", 23) == 0);
		hull_process_free(p);
		hull_error_free(err);
	}
}

TEST(load_missing_file)
{
	struct hull_error *err = NULL;
	struct hull_process *p = NULL;
	int r = hull_process_load("/nonexistent/p.json", &p, &err);

	CHECK(r == -ENOENT);
	CHECK(p == NULL);
	CHECK(err && strstr(err->msg, "cannot open process file '/nonexistent/p.json'"));
	hull_error_free(err);
}

TEST(load_file)
{
	char path[] = "/tmp/hull-process-XXXXXX";
	int fd = mkstemp(path);
	const char *json = "{\"args\": [\"a\", \"b\"], \"user\": {\"uid\": 3}}";
	struct hull_error *err = NULL;
	struct hull_process *p = NULL;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, json, strlen(json)) == (ssize_t)strlen(json));
	close(fd);
	CHECK(hull_process_load(path, &p, &err) == 0);
	CHECK(p && p->n_args == 2 && p->uid == 3);
	hull_process_free(p);
	hull_error_free(err);
	unlink(path);
}
