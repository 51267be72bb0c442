/* Unit tests for the engine's helpers (src/engine/engine-util.c): the
 * {{.Field}} formats, sizes, Docker's durations, dotted JSON paths, and
 * the 126/127 mapping of exec errors. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "engine.h"
#include "unit.h"
#include "util.h"

struct eng_globals eng = { .root = "/nonexistent", .runroot = "/nonexistent" };

int eng_help(const char *cmd)
{
	(void)cmd;
	return 0;
}

TEST(format_paths_and_json)
{
	struct json_object *o = json_tokener_parse(
		"{\"Name\":\"/web\",\"State\":{\"Status\":\"running\",\"Pid\":42},\"Cmd\":[\"sleep\",\"9\"],\"L\":{\"a\":\"b\"}}");
	char *s = eng_format("{{.Name}} {{ .State.Status }} {{.State.Pid}}\\t{{.Cmd}}", o);
	CHECK_STREQ(s, "/web running 42\t[sleep 9]");
	free(s);
	s = eng_format("{{json .Cmd}}|{{.Missing.X}}|{{.L}}", o);
	CHECK_STREQ(s, "[\"sleep\",\"9\"]|<no value>|map[a:b]");
	free(s);
	s = eng_format("table {{.Name}}", o);
	CHECK_STREQ(s, "/web");
	free(s);
	/* bad formats are refused (the error is printed) */
	CHECK(eng_format("{{.Name", o) == NULL);
	CHECK(eng_format("{{Name}}", o) == NULL);
	CHECK(jpath(o, ".State.Pid") && json_object_get_int(jpath(o, "State.Pid")) == 42);
	CHECK(jpath(o, ".State.Nope") == NULL);
	json_object_put(o);
}

TEST(parse_bytes)
{
	CHECK(eng_parse_bytes("1024") == 1024);
	CHECK(eng_parse_bytes("64m") == 64LL << 20);
	CHECK(eng_parse_bytes("64MB") == 64LL << 20);
	CHECK(eng_parse_bytes("1g") == 1LL << 30);
	CHECK(eng_parse_bytes("1.5k") == 1536);
	CHECK(eng_parse_bytes("2KiB") == 2048);
	CHECK(eng_parse_bytes("") == -1);
	CHECK(eng_parse_bytes("lots") == -1);
	CHECK(eng_parse_bytes("-5m") == -1);
	CHECK(eng_parse_bytes("5q") == -1);
	CHECK(eng_parse_bytes("5mm") == -1);
}

TEST(human_duration_as_docker)
{
	char b[64];
	CHECK_STREQ(eng_human_duration(0, b, sizeof(b)), "Less than a second");
	CHECK_STREQ(eng_human_duration(1, b, sizeof(b)), "1 second");
	CHECK_STREQ(eng_human_duration(59, b, sizeof(b)), "59 seconds");
	CHECK_STREQ(eng_human_duration(60, b, sizeof(b)), "About a minute");
	CHECK_STREQ(eng_human_duration(45 * 60, b, sizeof(b)), "45 minutes");
	CHECK_STREQ(eng_human_duration(3600, b, sizeof(b)), "About an hour");
	CHECK_STREQ(eng_human_duration(5 * 3600, b, sizeof(b)), "5 hours");
	CHECK_STREQ(eng_human_duration(3 * 86400, b, sizeof(b)), "3 days");
}

TEST(time_roundtrip)
{
	char *now = eng_now();
	CHECK(now && strlen(now) == 30 && now[29] == 'Z');
	CHECK(eng_parse_time(now) > 1700000000);
	CHECK(eng_parse_time("2020-01-02T03:04:05.123Z") == 1577934245);
	CHECK(eng_parse_time("garbage") == -1);
	free(now);
}

TEST(random_hex)
{
	char a[65], b[65];
	eng_random_hex(a, 32);
	eng_random_hex(b, 32);
	CHECK(strlen(a) == 64 && strspn(a, "0123456789abcdef") == 64);
	CHECK(strcmp(a, b) != 0);
}

TEST(exec_status)
{
	struct hull_error e1 = { ENOENT, (char *)"init: exec: exec: 'x': executable file not found in $PATH: No such file" };
	struct hull_error e2 = { EACCES, (char *)"exec: '/etc/passwd': Permission denied" };
	struct hull_error e3 = { ENOENT, (char *)"rootfs '/x': No such file or directory" };
	const char *m;
	int len;
	CHECK(eng_exec_status(&e1, -ENOENT, &m, &len) == 127);
	CHECK(len > 0 && strncmp(m, "exec: 'x': executable file not found in $PATH", (size_t)len) == 0 &&
	      (size_t)len == strlen("exec: 'x': executable file not found in $PATH"));
	CHECK(eng_exec_status(&e2, -EACCES, &m, &len) == 126);
	CHECK(eng_exec_status(&e3, -ENOENT, &m, &len) == 125);
	CHECK(eng_exec_status(NULL, -EIO, &m, &len) == 125 && m == NULL);
}
