/* Unit tests for state.c: state.json round trip, live status, ids, list. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path.h"
#include "state.h"
#include "unit.h"
#include "util.h"

static char root[PATH_MAX];

static void setup(void)
{
	char tmpl[] = "/tmp/hull-unit-state-XXXXXX";
	char *base = mkdtemp(tmpl);

	snprintf(root, sizeof(root), "%s", base ? base : "/nonexistent");
}

static void teardown(void)
{
	path_remove_tree(root);
}

static struct hull_kv annotations[] = {
	{ (char *)"org.example.key", (char *)"value with / and \"quotes\"" },
	{ (char *)"empty", (char *)"" },
};

/* A state with borrowed strings, as container.c fills one. */
static struct hull_state sample(const char *id, pid_t pid, unsigned long long start)
{
	return (struct hull_state){
		.oci_version = (char *)"1.2.0",
		.id = (char *)id,
		.status = HULL_STATUS_CREATED,
		.pid = pid,
		.pid_start = start,
		.bundle = (char *)"/tmp/bundle dir",
		.rootfs = (char *)"/tmp/bundle dir/rootfs",
		.created = (char *)"2024-05-01T10:20:30.123456789Z",
		.cgroup = NULL,
		.owner = (char *)"someone",
		.annotations = annotations,
		.n_annotations = ARRAY_SIZE(annotations),
	};
}

static int write_text(const char *path, const char *text, void *unused)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

static void touch_fifo(const char *id)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s/exec.fifo", root, id);
	CHECK(mkfifo(p, 0600) == 0);
}

/* A pid that certainly is gone: a child we forked and reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

TEST(save_load_roundtrip)
{
	struct hull_error *err = NULL;
	struct hull_state in = sample("c1", getpid(), hull_pid_start_time(getpid())), *out = NULL;

	setup();
	in.cgroup = NULL;
	CHECK(hull_state_save(root, &in, &err) == 0);
	CHECK(hull_state_load(root, "c1", &out, &err) == 0);
	CHECK(out != NULL);
	if (out) {
		CHECK_STREQ(out->oci_version, "1.2.0");
		CHECK_STREQ(out->id, "c1");
		CHECK(out->pid == getpid());
		CHECK(out->pid_start == in.pid_start);
		CHECK_STREQ(out->bundle, "/tmp/bundle dir");
		CHECK_STREQ(out->rootfs, "/tmp/bundle dir/rootfs");
		CHECK_STREQ(out->created, "2024-05-01T10:20:30.123456789Z");
		CHECK_STREQ(out->owner, "someone");
		CHECK(out->cgroup == NULL);
		CHECK(out->n_annotations == 2);
		for (size_t i = 0; i < out->n_annotations && i < 2; i++) {
			/* json-c keeps insertion order */
			CHECK_STREQ(out->annotations[i].key, annotations[i].key);
			CHECK_STREQ(out->annotations[i].value, annotations[i].value);
		}
	}
	hull_state_free(out);
	hull_error_free(err);
	teardown();
}

TEST(save_replaces_and_leaves_no_temp_files)
{
	struct hull_error *err = NULL;
	struct hull_state in = sample("c2", 1234, 99), *out = NULL;
	char dir[PATH_MAX + 8];

	setup();
	CHECK(hull_state_save(root, &in, &err) == 0);
	in.pid = 4321;
	CHECK(hull_state_save(root, &in, &err) == 0);
	CHECK(hull_state_load(root, "c2", &out, &err) == 0);
	CHECK(out && out->pid == 4321);
	hull_state_free(out);

	snprintf(dir, sizeof(dir), "%s/c2", root);
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
			n++;
	if (d)
		closedir(d);
	CHECK(n == 1); /* state.json only */
	hull_error_free(err);
	teardown();
}

TEST(load_missing_is_enoent_with_message)
{
	struct hull_error *err = NULL;
	struct hull_state *out = NULL;

	setup();
	CHECK(hull_state_load(root, "nope", &out, &err) == -ENOENT);
	CHECK(out == NULL);
	CHECK(err && err->msg && strcmp(err->msg, "container 'nope' does not exist") == 0);
	hull_error_free(err);
	teardown();
}

TEST(load_rejects_garbage)
{
	struct hull_error *err = NULL;
	struct hull_state *out = NULL;
	char p[PATH_MAX + 64];

	setup();
	snprintf(p, sizeof(p), "%s/bad", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/bad/state.json", root);
	CHECK(write_text(p, "{\"id\":\"bad\",\"pid\":\"x\"}", NULL) == 0);
	CHECK(hull_state_load(root, "bad", &out, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "not a valid state file"));
	CHECK(write_text(p, "{\"id\":\"bad\",\"pid\":1,\"bundle\":\"/b\"} trailing", NULL) == 0);
	CHECK(hull_state_load(root, "bad", &out, &err) == -EINVAL);
	/* an id that does not match its directory */
	CHECK(write_text(p, "{\"id\":\"other\",\"pid\":1,\"bundle\":\"/b\"}\n", NULL) == 0);
	CHECK(hull_state_load(root, "bad", &out, &err) == -EINVAL);
	CHECK(write_text(p, "{\"id\":\"bad\",\"pid\":1,\"bundle\":\"/b\"}\n", NULL) == 0);
	CHECK(hull_state_load(root, "bad", &out, &err) == 0);
	hull_state_free(out);
	hull_error_free(err);
	teardown();
}

TEST(status_of_dead_pid_is_stopped)
{
	struct hull_error *err = NULL;
	pid_t pid = dead_pid();
	struct hull_state in = sample("dead", pid, 12345), *out = NULL;

	setup();
	CHECK(hull_state_save(root, &in, &err) == 0);
	touch_fifo("dead"); /* a leftover fifo does not make a dead init "created" */
	CHECK(hull_state_load(root, "dead", &out, &err) == 0);
	CHECK(out && out->status == HULL_STATUS_STOPPED);
	if (out) {
		_cleanup_free_ char *json = hull_state_to_json(out, false);
		CHECK(json && strstr(json, "\"pid\":0,") && strstr(json, "\"status\":\"stopped\""));
	}
	hull_state_free(out);
	hull_error_free(err);
	teardown();
}

TEST(status_of_own_pid_is_running_then_created_with_fifo)
{
	struct hull_error *err = NULL;
	struct hull_state in = sample("me", getpid(), hull_pid_start_time(getpid())), *out = NULL;

	setup();
	CHECK(in.pid_start != 0);
	CHECK(hull_state_save(root, &in, &err) == 0);
	CHECK(hull_state_load(root, "me", &out, &err) == 0);
	CHECK(out && out->status == HULL_STATUS_RUNNING);
	hull_state_free(out);

	touch_fifo("me");
	CHECK(hull_state_load(root, "me", &out, &err) == 0);
	CHECK(out && out->status == HULL_STATUS_CREATED);
	hull_state_free(out);

	/* A cgroup that cannot be loaded is not a frozen one. */
	char fifo[PATH_MAX + 64];
	snprintf(fifo, sizeof(fifo), "%s/me/exec.fifo", root);
	CHECK(unlink(fifo) == 0);
	in.cgroup = (char *)"no such cgroup";
	CHECK(hull_state_save(root, &in, &err) == 0);
	CHECK(hull_state_load(root, "me", &out, &err) == 0);
	CHECK(out && out->status == HULL_STATUS_RUNNING);
	CHECK(out && streq(out->cgroup, "no such cgroup"));
	hull_state_free(out);

	/* Same pid, another start time: a reused pid, not our init. */
	in.pid_start += 1;
	CHECK(hull_state_save(root, &in, &err) == 0);
	CHECK(hull_state_load(root, "me", &out, &err) == 0);
	CHECK(out && out->status == HULL_STATUS_STOPPED);
	hull_state_free(out);
	hull_error_free(err);
	teardown();
}

TEST(pid_alive)
{
	CHECK(hull_pid_alive(getpid(), hull_pid_start_time(getpid())));
	CHECK(!hull_pid_alive(getpid(), hull_pid_start_time(getpid()) + 1));
	CHECK(!hull_pid_alive(0, 0));
	CHECK(!hull_pid_alive(-1, 0));
	CHECK(!hull_pid_alive(dead_pid(), 0));

	/* A zombie is dead. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	unsigned long long start = hull_pid_start_time(pid);
	for (int i = 0; i < 1000; i++) {
		char p[64], buf[512];
		snprintf(p, sizeof(p), "/proc/%d/stat", pid);
		FILE *f = fopen(p, "re");
		bool zombie = f && fgets(buf, sizeof(buf), f) && strstr(strrchr(buf, ')'), ") Z ");
		if (f)
			fclose(f);
		if (zombie)
			break;
		usleep(1000);
	}
	CHECK(start != 0);
	CHECK(!hull_pid_alive(pid, start));
	waitpid(pid, NULL, 0);
}

TEST(pid_start_time_with_hostile_comm)
{
	/* A comm with spaces and ')' must not shift the fields. */
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, ") Z 1 2 3 (x", 0, 0, 0);
		close(pfd[0]);
		close(pfd[1]); /* tells the parent the name is set */
		pause();
		_exit(0);
	}
	close(pfd[1]);
	char c;
	CHECK(read(pfd[0], &c, 1) == 0);
	close(pfd[0]);
	char p[64], buf[512];
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	FILE *f = fopen(p, "re");
	CHECK(f && fgets(buf, sizeof(buf), f));
	if (f)
		fclose(f);
	CHECK(strstr(buf, " () Z 1 2 3 (x) "));
	unsigned long long start = hull_pid_start_time(pid);
	CHECK(start != 0);
	CHECK(hull_pid_alive(pid, start));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(!hull_pid_alive(pid, start));
}

TEST(check_id)
{
	struct hull_error *err = NULL;
	char longid[1100];

	CHECK(hull_state_check_id("abc", &err) == 0);
	CHECK(hull_state_check_id("A1_b.c+d-e", &err) == 0);
	CHECK(hull_state_check_id("0", &err) == 0);
	CHECK(hull_state_check_id("", &err) == -EINVAL);
	CHECK(hull_state_check_id(NULL, &err) == -EINVAL);
	CHECK(hull_state_check_id("..", &err) == -EINVAL);
	CHECK(hull_state_check_id(".hidden", &err) == -EINVAL);
	CHECK(hull_state_check_id("-flag", &err) == -EINVAL);
	CHECK(hull_state_check_id("a b", &err) == -EINVAL);
	CHECK(hull_state_check_id("a\n", &err) == -EINVAL);
	CHECK(hull_state_check_id("../etc", &err) == -EINVAL);
	CHECK(hull_state_check_id("a/b", &err) == -EINVAL);
	CHECK(err && strcmp(err->msg, "invalid container id 'a/b': it must not contain '/'") == 0);

	memset(longid, 'a', 1024);
	longid[1024] = '\0';
	CHECK(hull_state_check_id(longid, &err) == 0);
	longid[1024] = 'a';
	longid[1025] = '\0';
	CHECK(hull_state_check_id(longid, &err) == -EINVAL);
	CHECK(err && strlen(err->msg) < 200);
	hull_error_free(err);
}

TEST(load_checks_id)
{
	struct hull_error *err = NULL;
	struct hull_state *out = NULL;

	CHECK(hull_state_load("/tmp", "../etc", &out, &err) == -EINVAL);
	CHECK(out == NULL);
	hull_error_free(err);
}

TEST(list)
{
	struct hull_error *err = NULL;
	char **ids = NULL, p[PATH_MAX + 64];

	setup();
	struct hull_state a = sample("b-two", 1, 1), b = sample("a-one", 1, 1);
	CHECK(hull_state_save(root, &a, &err) == 0);
	CHECK(hull_state_save(root, &b, &err) == 0);
	/* neither a dir without state.json nor a stray file is a container */
	snprintf(p, sizeof(p), "%s/half", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/file", root);
	write_text(p, "x", NULL);

	CHECK(hull_state_list(root, &ids, &err) == 0);
	CHECK(ids && ids[0] && ids[1] && !ids[2]);
	if (ids && ids[0] && ids[1]) {
		CHECK_STREQ(ids[0], "a-one");
		CHECK_STREQ(ids[1], "b-two");
	}
	strv_free(ids);
	teardown();

	/* A missing root is an empty list. */
	CHECK(hull_state_list(root, &ids, &err) == 0);
	CHECK(ids && !ids[0]);
	strv_free(ids);
	hull_error_free(err);
}

TEST(to_json)
{
	struct hull_state st = sample("j", 42, 1);

	st.status = HULL_STATUS_RUNNING;
	_cleanup_free_ char *one = hull_state_to_json(&st, false);
	CHECK_STREQ(one, "{\"ociVersion\":\"1.2.0\",\"id\":\"j\",\"pid\":42,\"status\":\"running\","
			 "\"bundle\":\"/tmp/bundle dir\",\"rootfs\":\"/tmp/bundle dir/rootfs\","
			 "\"created\":\"2024-05-01T10:20:30.123456789Z\",\"owner\":\"someone\","
			 "\"annotations\":{\"org.example.key\":\"value with / and \\\"quotes\\\"\",\"empty\":\"\"}}");

	st.n_annotations = 0;
	st.created = NULL;
	_cleanup_free_ char *pretty = hull_state_to_json(&st, true);
	CHECK_STREQ(pretty, "{\n"
			    "  \"ociVersion\": \"1.2.0\",\n"
			    "  \"id\": \"j\",\n"
			    "  \"pid\": 42,\n"
			    "  \"status\": \"running\",\n"
			    "  \"bundle\": \"/tmp/bundle dir\",\n"
			    "  \"rootfs\": \"/tmp/bundle dir/rootfs\",\n"
			    "  \"owner\": \"someone\"\n"
			    "}");
	CHECK_STREQ(hull_status_name(HULL_STATUS_PAUSED), "paused");
	CHECK_STREQ(hull_status_name(HULL_STATUS_CREATING), "creating");
}
