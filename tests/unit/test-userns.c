/* Unit tests for userns.c: the mapping checks and the rootless cgroup
 * decision (what runs without a cgroup, what is refused). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "spec.h"
#include "unit.h"
#include "userns.h"
#include "util.h"

/* Parses a config whose "linux" object is the given text. */
static struct hull_spec *spec_with(const char *linux_json)
{
	char buf[4096];
	struct hull_spec *spec = NULL;

	snprintf(buf, sizeof(buf), "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"linux\": %s}",
		 linux_json);
	if (hull_spec_parse(buf, strlen(buf), &spec, NULL) < 0)
		return NULL;
	return spec;
}

/* The message userns_check_spec() gives, or "" when it accepts. */
static char *check(const char *linux_json)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_spec *spec = spec_with(linux_json);
	char *out;

	if (!spec)
		return strdup("(unparsable)");
	int r = userns_check_spec(spec, &err);
	hull_spec_free(spec);
	out = strdup(r < 0 ? (err && err->msg ? err->msg : "(no message)") : "");
	return out;
}

#define USERNS "\"namespaces\": [{\"type\": \"user\"}, {\"type\": \"mount\"}]"
#define MAP(c, h, s) "{\"containerID\": " #c ", \"hostID\": " #h ", \"size\": " #s "}"

TEST(accepts_several_disjoint_ranges)
{
	_cleanup_free_ char *m = check("{" USERNS ", \"uidMappings\": [" MAP(0, 100000, 1000) ", " MAP(1000, 300000, 10)
				       "], \"gidMappings\": [" MAP(0, 100000, 65536) "]}");
	CHECK_STREQ(m, "");
}

TEST(no_user_namespace_no_mappings_is_fine)
{
	_cleanup_free_ char *m = check("{\"namespaces\": [{\"type\": \"mount\"}]}");
	CHECK_STREQ(m, "");
}

TEST(mappings_without_user_namespace)
{
	_cleanup_free_ char *m = check("{\"namespaces\": [{\"type\": \"mount\"}], \"gidMappings\": [" MAP(0, 1, 1) "]}");
	CHECK(strstr(m, "linux.gidMappings") && strstr(m, "need a user namespace"));
}

TEST(user_namespace_without_mappings)
{
	_cleanup_free_ char *m = check("{" USERNS ", \"uidMappings\": [" MAP(0, 1, 1) "]}");
	CHECK(strstr(m, "linux.gidMappings") && strstr(m, "needs mappings"));
}

TEST(joined_user_namespace_needs_no_mappings)
{
	_cleanup_free_ char *m = check("{\"namespaces\": [{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}]}");
	CHECK_STREQ(m, "");
}

TEST(overlaps_and_bad_sizes)
{
	_cleanup_free_ char *host = check("{" USERNS ", \"uidMappings\": [" MAP(0, 100, 10) ", " MAP(10, 105, 10)
					  "], \"gidMappings\": [" MAP(0, 1, 1) "]}");
	_cleanup_free_ char *cont = check("{" USERNS ", \"uidMappings\": [" MAP(0, 1, 1) "], \"gidMappings\": ["
					  MAP(5, 100, 10) ", " MAP(0, 200, 6) "]}");
	_cleanup_free_ char *zero = check("{" USERNS ", \"uidMappings\": [" MAP(0, 1, 0) "], \"gidMappings\": ["
					  MAP(0, 1, 1) "]}");
	_cleanup_free_ char *wrap = check("{" USERNS ", \"uidMappings\": [" MAP(4294967295, 1, 2)
					  "], \"gidMappings\": [" MAP(0, 1, 1) "]}");

	CHECK(strstr(host, "linux.uidMappings[1]") && strstr(host, "host ids 105-114 overlap"));
	CHECK(strstr(cont, "linux.gidMappings[1]") && strstr(cont, "container ids 0-5 overlap"));
	CHECK(strstr(zero, "linux.uidMappings[0].size"));
	CHECK(strstr(wrap, "linux.uidMappings[0]") && strstr(wrap, "4294967295"));
}

static int rootless_cgroup(const char *linux_json, int create_r, char **ret_warning, char **ret_msg)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_spec *spec = spec_with(linux_json);
	struct hull_error *create_err = NULL;

	hull_error_set(&create_err, -create_r, "cannot create cgroup /x/hull");
	int r = userns_rootless_cgroup(spec, create_r, create_err, ret_warning, &err);
	*ret_msg = strdup(err && err->msg ? err->msg : "");
	hull_spec_free(spec);
	return r;
}

TEST(rootless_cgroup_skipped_without_limits)
{
	_cleanup_free_ char *warning = NULL, *msg = NULL;
	int r = rootless_cgroup("{\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}}", -EACCES,
				&warning, &msg);

	CHECK(r == 0);
	CHECK(warning && strstr(warning, "without a cgroup") && strstr(warning, "/x/hull"));
}

TEST(rootless_cgroup_limit_refused)
{
	_cleanup_free_ char *warning = NULL, *msg = NULL;
	int r = rootless_cgroup("{\"resources\": {\"pids\": {\"limit\": 10}}}", -EACCES, &warning, &msg);

	CHECK(r == -EACCES && !warning);
	CHECK(strstr(msg, "pids limit") && strstr(msg, "rootless"));
}

TEST(rootless_cgroup_explicit_path_refused)
{
	_cleanup_free_ char *warning = NULL, *msg = NULL;
	int r = rootless_cgroup("{\"cgroupsPath\": \"/mine\"}", -EPERM, &warning, &msg);

	CHECK(r == -EPERM && !warning && strstr(msg, "'/mine'"));
}

TEST(rootless_cgroup_other_errors_kept)
{
	_cleanup_free_ char *warning = NULL, *msg = NULL;
	int r = rootless_cgroup("{}", -ENOSPC, &warning, &msg);

	CHECK(r == -ENOSPC && !warning && strstr(msg, "cannot create cgroup /x/hull"));
}
