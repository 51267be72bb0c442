/* Unit tests for cgroup.c, cgroup-v1.c and cgroup-v2.c.
 *
 * Most tests build a fake cgroup tree under a mkdtemp() directory (plain
 * directories and files: v1, hybrid, v2) and check placement, the exact
 * text written to each file, serialization and what destroy removes.
 * One test uses this machine's real /sys/fs/cgroup when run as root on a
 * hybrid layout, and removes everything it made even when a check fails.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cgroup.h"
#include "unit.h"
#include "util.h"

static char base[256];

static const char *SELF = "9:name=systemd:/user.slice/u1\n"
			  "4:memory:/process_api/abc\n"
			  "3:cpuset:/\n"
			  "2:cpu,cpuacct:/\n"
			  "0::/\n";

/* ---- fake tree helpers ---- */

static void put(const char *rel, const char *content)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	f = fopen(p, "we");
	if (!f) {
		fprintf(stderr, "  cannot create %s: %m\n", p);
		return;
	}
	fputs(content, f);
	fclose(f);
}

static void mkd(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	mkdir(p, 0755);
}

/* Contents of base/rel without trailing newlines, or NULL; static buffer. */
static const char *get(const char *rel)
{
	static char buf[4096];
	char p[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	f = fopen(p, "re");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

static bool exists(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	return access(p, F_OK) == 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(p); /* best effort: what fails stays for a look */
	return 0;
}

static void teardown(void)
{
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_base(void)
{
	char tmpl[] = "/tmp/hull-unit-cgroup-XXXXXX";

	snprintf(base, sizeof(base), "%s", mkdtemp(tmpl));
}

static const char *const v1_controllers[] = { "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd" };

/* v1: cpu and cpuacct co-mounted behind symlinks (the common layout),
 * the rest one per directory; memory has the caller's own cgroup. */
static void setup_v1(void)
{
	setup_base();
	for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++)
		mkd(v1_controllers[i]);
	mkd("cpu,cpuacct");
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/cpu", base);
	CHECK(symlink("cpu,cpuacct", p) == 0);
	snprintf(p, sizeof(p), "%s/cpuacct", base);
	CHECK(symlink("cpu,cpuacct", p) == 0);
	put("cpuset/cpuset.cpus", "0-3\n");
	put("cpuset/cpuset.mems", "0\n");
	mkd("memory/process_api");
	mkd("memory/process_api/abc");
}

static void setup_hybrid(void)
{
	setup_v1();
	mkd("unified");
	put("unified/cgroup.controllers", "hugetlb\n");
	put("unified/cgroup.subtree_control", "hugetlb\n");
}

static void setup_v2(void)
{
	setup_base();
	put("cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	/* Not hugetlb nor cpuset: those must fail with a clear message. */
	put("cgroup.subtree_control", "cpu io memory pids\n");
}

static struct hull_cgroup *create(const char *path, const char *id, struct hull_error **err)
{
	struct hull_cgroup *cg = NULL;
	int r = cgroup_create_with_self(base, path, id, SELF, &cg, err);

	if (r < 0)
		return NULL;
	return cg;
}

/* ---- detection ---- */

TEST(detect_fake_layouts)
{
	enum hull_cgroup_mode m = -1;

	setup_v1();
	CHECK(hull_cgroup_detect(base, &m, NULL) == 0 && m == HULL_CGROUP_V1);
	teardown();
	setup_hybrid();
	CHECK(hull_cgroup_detect(base, &m, NULL) == 0 && m == HULL_CGROUP_HYBRID);
	teardown();
	setup_v2();
	CHECK(hull_cgroup_detect(base, &m, NULL) == 0 && m == HULL_CGROUP_V2);
	teardown();

	setup_base();
	struct hull_error *err = NULL;
	CHECK(hull_cgroup_detect(base, &m, &err) == -ENOENT);
	CHECK(err && strstr(err->msg, "no cgroup hierarchy found at"));
	hull_error_free(err);
	teardown();
}

/* ---- placement ---- */

TEST(placement_absent_relative_absolute)
{
	struct hull_error *err = NULL;
	struct hull_cgroup *cg;

	setup_v1();
	cg = create(NULL, "c1", &err);
	CHECK(cg);
	if (cg) {
		CHECK_STREQ(hull_cgroup_path(cg, "memory"), "/process_api/abc/hull/c1");
		CHECK_STREQ(hull_cgroup_path(cg, "cpuset"), "/hull/c1");
		CHECK_STREQ(hull_cgroup_path(cg, "systemd"), "/user.slice/u1/hull/c1");
		/* Co-mounted: both names find the one hierarchy. */
		CHECK_STREQ(hull_cgroup_path(cg, "cpu"), "/hull/c1");
		CHECK_STREQ(hull_cgroup_path(cg, "cpuacct"), "/hull/c1");
		CHECK(hull_cgroup_path(cg, "") == NULL);
		CHECK(hull_cgroup_path(cg, "hugetlb") == NULL);
		CHECK(exists("cpu,cpuacct/hull/c1"));
		CHECK(exists("memory/process_api/abc/hull/c1"));
		CHECK(hull_cgroup_destroy(cg, &err) == 0);
		hull_cgroup_free(cg);
	}

	cg = create("pods/p1", "c2", &err);
	CHECK(cg);
	if (cg) {
		CHECK_STREQ(hull_cgroup_path(cg, "memory"), "/process_api/abc/hull/pods/p1");
		CHECK_STREQ(hull_cgroup_path(cg, "freezer"), "/hull/pods/p1");
		CHECK(hull_cgroup_destroy(cg, &err) == 0);
		hull_cgroup_free(cg);
	}

	cg = create("/abs/x", "c3", &err);
	CHECK(cg);
	if (cg) {
		CHECK_STREQ(hull_cgroup_path(cg, "memory"), "/abs/x");
		CHECK_STREQ(hull_cgroup_path(cg, "pids"), "/abs/x");
		CHECK(exists("pids/abs/x"));
		CHECK(hull_cgroup_destroy(cg, &err) == 0);
		CHECK(!exists("pids/abs"));
		hull_cgroup_free(cg);
	}
	/* Nothing but the caller's own cgroup is left. */
	CHECK(!exists("memory/process_api/abc/hull"));
	CHECK(exists("memory/process_api/abc"));
	CHECK(!exists("cpuset/hull"));
	hull_error_free(err);
	teardown();
}

TEST(placement_rejects_escapes)
{
	struct hull_error *err = NULL;

	setup_v1();
	CHECK(create("../../etc", "c", &err) == NULL);
	CHECK(err && strstr(err->msg, "invalid cgroup path '../../etc'"));
	CHECK(create("/a/../../b", "c", &err) == NULL);
	CHECK(create("/", "c", &err) == NULL);
	CHECK(err && strstr(err->msg, "hierarchy's root"));
	CHECK(create(NULL, "a/b", &err) == NULL);
	CHECK(err && strstr(err->msg, "invalid container id 'a/b'"));
	CHECK(!exists("cpuset/hull") && !exists("pids/a"));
	hull_error_free(err);
	teardown();
}

TEST(create_refuses_existing_leaf_and_leaves_nothing)
{
	struct hull_error *err = NULL;

	setup_v1();
	mkd("pids/hull");
	mkd("pids/hull/taken");
	CHECK(create(NULL, "taken", &err) == NULL);
	CHECK(err && err->code == EEXIST && strstr(err->msg, "pids/hull/taken"));
	/* What this create made in the other hierarchies is gone again. */
	CHECK(!exists("cpuset/hull"));
	CHECK(!exists("memory/process_api/abc/hull"));
	CHECK(exists("pids/hull/taken"));
	hull_error_free(err);
	teardown();
}

TEST(v1_cpuset_copied_down)
{
	struct hull_cgroup *cg;

	setup_v1();
	cg = create("a/b", "x", NULL);
	CHECK(cg);
	CHECK_STREQ(get("cpuset/hull/cpuset.cpus"), "0-3");
	CHECK_STREQ(get("cpuset/hull/a/cpuset.mems"), "0");
	CHECK_STREQ(get("cpuset/hull/a/b/cpuset.cpus"), "0-3");
	CHECK_STREQ(get("cpuset/hull/a/b/cpuset.mems"), "0");
	if (cg) {
		CHECK(hull_cgroup_destroy(cg, NULL) == 0);
		hull_cgroup_free(cg);
	}
	teardown();
}

/* ---- v1 resources ---- */

TEST(v1_apply_writes_files)
{
	struct hull_error *err = NULL;
	struct hull_blkio_device rbps = { .major = 8, .minor = 0, .rate = 1048576 };
	struct hull_blkio_device wdev = { .major = 8, .minor = 16, .weight = 300 };
	struct hull_device_rule rules[] = {
		{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 136, .minor = -1, .access = "rw" },
	};
	struct hull_resources res = {
		.has_memory_limit = true, .memory_limit = 64 << 20,
		.has_memory_swap = true, .memory_swap = 128 << 20,
		.has_memory_reservation = true, .memory_reservation = 32 << 20,
		.has_memory_swappiness = true, .memory_swappiness = 10,
		.disable_oom_killer = true,
		.has_cpu_shares = true, .cpu_shares = 512,
		.has_cpu_quota = true, .cpu_quota = 20000,
		.has_cpu_period = true, .cpu_period = 100000,
		.cpu_cpus = "0-1", .cpu_mems = "0",
		.has_pids_limit = true, .pids_limit = -1,
		.has_blkio_weight = true, .blkio_weight = 500,
		.blkio_weight_device = &wdev, .n_blkio_weight_device = 1,
		.throttle_read_bps = &rbps, .n_throttle_read_bps = 1,
		.devices = rules, .n_devices = ARRAY_SIZE(rules),
	};
	struct hull_cgroup *cg;

	setup_v1();
	cg = create(NULL, "c", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	/* BFQ only, as on this machine's kernel: blkio.weight is missing. */
	put("blkio/hull/c/blkio.bfq.weight", "100\n");
	CHECK(hull_cgroup_apply(cg, &res, &err) == 0);
	if (err)
		fprintf(stderr, "  %s\n", err->msg);
	const char *m = "memory/process_api/abc/hull/c";
	char p[256];
#define AT(dir, file) (snprintf(p, sizeof(p), "%s/%s", dir, file), p)
	CHECK_STREQ(get(AT(m, "memory.limit_in_bytes")), "67108864");
	CHECK_STREQ(get(AT(m, "memory.memsw.limit_in_bytes")), "134217728");
	CHECK_STREQ(get(AT(m, "memory.soft_limit_in_bytes")), "33554432");
	CHECK_STREQ(get(AT(m, "memory.swappiness")), "10");
	CHECK_STREQ(get(AT(m, "memory.oom_control")), "1");
	CHECK_STREQ(get("cpu,cpuacct/hull/c/cpu.shares"), "512");
	CHECK_STREQ(get("cpu,cpuacct/hull/c/cpu.cfs_quota_us"), "20000");
	CHECK_STREQ(get("cpu,cpuacct/hull/c/cpu.cfs_period_us"), "100000");
	CHECK_STREQ(get("cpuset/hull/c/cpuset.cpus"), "0-1");
	CHECK_STREQ(get("cpuset/hull/c/cpuset.mems"), "0");
	CHECK_STREQ(get("pids/hull/c/pids.max"), "max");
	CHECK_STREQ(get("blkio/hull/c/blkio.bfq.weight"), "500");
	CHECK_STREQ(get("blkio/hull/c/blkio.bfq.weight_device"), "8:16 300");
	CHECK_STREQ(get("blkio/hull/c/blkio.throttle.read_bps_device"), "8:0 1048576");
	CHECK(!exists("blkio/hull/c/blkio.weight"));
	/* A fake file keeps the last write only. */
	CHECK_STREQ(get("devices/hull/c/devices.deny"), "a *:* rwm");
	CHECK_STREQ(get("devices/hull/c/devices.allow"), "c 136:* rw");
#undef AT

	/* Lowering memory below the current limit: memory first, then
	 * memsw, which the fake tree cannot tell apart; values must match. */
	res.memory_limit = 32 << 20;
	res.memory_swap = 32 << 20;
	CHECK(hull_cgroup_apply(cg, &res, &err) == 0);
	CHECK_STREQ(get("memory/process_api/abc/hull/c/memory.memsw.limit_in_bytes"), "33554432");
	struct hull_resources pl = { .has_pids_limit = true, .pids_limit = 10 };
	CHECK(hull_cgroup_apply(cg, &pl, &err) == 0);
	CHECK_STREQ(get("pids/hull/c/pids.max"), "10");

	CHECK(hull_cgroup_destroy(cg, &err) == 0);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

TEST(v1_apply_errors)
{
	struct hull_error *err = NULL;
	struct hull_cgroup *cg;

	setup_v1();
	cg = create(NULL, "c", &err);
	CHECK(cg);
	if (!cg)
		goto out;

	struct hull_resources w = { .has_blkio_weight = true, .blkio_weight = 500 };
	CHECK(hull_cgroup_apply(cg, &w, &err) == -EOPNOTSUPP);
	CHECK(err && strstr(err->msg, "neither blkio.weight nor blkio.bfq.weight exists in"));

	struct hull_hugepage_limit hp = { .page_size = "2MB", .limit = 4194304 };
	struct hull_resources h = { .hugepage_limits = &hp, .n_hugepage_limits = 1 };
	CHECK(hull_cgroup_apply(cg, &h, &err) == -EOPNOTSUPP);
	CHECK(err && strstr(err->msg, "hugepageLimits: no hugetlb controller"));

	struct hull_kv kv = { .key = "memory.high", .value = "1M" };
	struct hull_resources u = { .unified = &kv, .n_unified = 1 };
	CHECK(hull_cgroup_apply(cg, &u, &err) == -EOPNOTSUPP);
	CHECK(err && strstr(err->msg, "linux.resources.unified needs cgroup v2"));

	/* The cgroup went away under hull: the message names file and value. */
	CHECK(hull_cgroup_destroy(cg, NULL) == 0);
	struct hull_resources m = { .has_memory_limit = true, .memory_limit = 64 << 20 };
	char want[1024];
	snprintf(want, sizeof(want),
		 "cannot apply cgroup limits: cannot write '67108864' to %s/memory/process_api/abc/hull/c/"
		 "memory.limit_in_bytes: No such file or directory",
		 base);
	CHECK(hull_cgroup_apply(cg, &m, &err) == -ENOENT);
	CHECK_STREQ(err ? err->msg : NULL, want);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

/* ---- serialize, load, destroy ---- */

TEST(serialize_load_destroy_only_created)
{
	struct hull_error *err = NULL;
	struct hull_cgroup *a, *b, *loaded = NULL;
	char *text, *again;

	setup_v1();
	a = create(NULL, "a b%c", &err); /* a space and a '%' survive */
	b = create(NULL, "b", &err);
	CHECK(a && b);
	if (!a || !b)
		goto out;
	/* b found hull/ made by a: b's destroy leaves it, a's removes it. */
	CHECK(hull_cgroup_destroy(b, &err) == 0);
	CHECK(!exists("memory/process_api/abc/hull/b"));
	CHECK(exists("memory/process_api/abc/hull"));
	text = hull_cgroup_serialize(a);
	CHECK(text && !strchr(text, '\n'));
	CHECK(text && strstr(text, "hull-cgroup-1 v1 "));
	CHECK(text && strstr(text, " memory:2:/process_api/abc/hull/a%20b%25c"));
	CHECK(hull_cgroup_load(base, text, &loaded, &err) == 0);
	if (loaded) {
		again = hull_cgroup_serialize(loaded);
		CHECK_STREQ(again, text);
		free(again);
		CHECK_STREQ(hull_cgroup_path(loaded, "cpuacct"), "/hull/a b%c");
		CHECK(hull_cgroup_destroy(loaded, &err) == 0);
		CHECK(!exists("memory/process_api/abc/hull"));
		CHECK(!exists("cpuset/hull"));
		CHECK(exists("memory/process_api/abc"));
		/* Destroying what is gone is fine. */
		CHECK(hull_cgroup_destroy(loaded, &err) == 0);
		hull_cgroup_free(loaded);
	}
	free(text);

	/* The other order: the shared "hull" parent stays while b is in
	 * it, and as hull's own directory goes with the last one out. */
	hull_cgroup_free(a);
	hull_cgroup_free(b);
	a = create(NULL, "a", &err);
	b = create(NULL, "b", &err);
	CHECK(a && b && hull_cgroup_destroy(a, &err) == 0);
	CHECK(exists("pids/hull/b"));
	CHECK(b && hull_cgroup_destroy(b, &err) == 0);
	CHECK(!exists("pids/hull/b") && !exists("pids/hull"));
out:
	hull_cgroup_free(a);
	hull_cgroup_free(b);

	/* Bad state text is refused, never followed outside root. */
	loaded = NULL;
	CHECK(hull_cgroup_load(base, "hull-cgroup-1 v1 memory:1:/../../etc", &loaded, &err) == -EINVAL);
	CHECK(hull_cgroup_load(base, "hull-cgroup-1 v1 ..:1:/x", &loaded, &err) == -EINVAL);
	CHECK(hull_cgroup_load(base, "hull-cgroup-1 v1 memory:3:/x/y", &loaded, &err) == -EINVAL);
	CHECK(hull_cgroup_load(base, "hull-cgroup-1 v9 memory:1:/x", &loaded, &err) == -EINVAL);
	CHECK(hull_cgroup_load(base, "something else", &loaded, &err) == -EINVAL);
	CHECK(loaded == NULL);
	hull_error_free(err);
	teardown();
}

/* ---- freezer, processes ---- */

TEST(v1_freeze_and_pids)
{
	struct hull_cgroup *cg;
	bool frozen = true;

	setup_v1();
	cg = create(NULL, "f", NULL);
	CHECK(cg);
	if (!cg)
		goto out;
	CHECK(hull_cgroup_freeze(cg, true, NULL) == 0);
	CHECK_STREQ(get("freezer/hull/f/freezer.state"), "FROZEN");
	CHECK(hull_cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen);
	CHECK(hull_cgroup_freeze(cg, false, NULL) == 0);
	CHECK(hull_cgroup_is_frozen(cg, &frozen, NULL) == 0 && !frozen);

	CHECK(hull_cgroup_enter(cg, 4242, NULL) == 0);
	CHECK_STREQ(get("memory/process_api/abc/hull/f/cgroup.procs"), "4242");
	CHECK_STREQ(get("systemd/user.slice/u1/hull/f/cgroup.procs"), "4242");
	put("pids/hull/f/cgroup.procs", "12\n34\n");
	pid_t *pids = NULL;
	size_t n = 0;
	CHECK(hull_cgroup_pids(cg, &pids, &n, NULL) == 0);
	CHECK(n == 2 && pids && pids[0] == 12 && pids[1] == 34);
	free(pids);
	CHECK(hull_cgroup_destroy(cg, NULL) == 0);
	hull_cgroup_free(cg);
out:
	teardown();
}

/* ---- hybrid ---- */

TEST(hybrid_unified_joined_and_used_for_hugetlb)
{
	struct hull_error *err = NULL;
	struct hull_hugepage_limit hp = { .page_size = "2MB", .limit = 4194304 };
	struct hull_kv kv = { .key = "hugetlb.2MB.rsvd.max", .value = "2097152" };
	struct hull_resources res = { .hugepage_limits = &hp, .n_hugepage_limits = 1, .unified = &kv, .n_unified = 1 };
	struct hull_cgroup *cg;

	setup_hybrid();
	cg = create(NULL, "h", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	CHECK_STREQ(hull_cgroup_path(cg, ""), "/hull/h");
	CHECK_STREQ(get("unified/hull/cgroup.subtree_control"), "+hugetlb");
	CHECK(hull_cgroup_apply(cg, &res, &err) == 0);
	CHECK_STREQ(get("unified/hull/h/hugetlb.2MB.max"), "4194304");
	CHECK_STREQ(get("unified/hull/h/hugetlb.2MB.rsvd.max"), "2097152");
	CHECK(hull_cgroup_enter(cg, 777, &err) == 0);
	CHECK_STREQ(get("unified/hull/h/cgroup.procs"), "777");
	CHECK_STREQ(get("freezer/hull/h/cgroup.procs"), "777");

	char *text = hull_cgroup_serialize(cg);
	CHECK(text && strstr(text, "hull-cgroup-1 hybrid ") && strstr(text, " unified:2:/hull/h"));
	free(text);
	CHECK(hull_cgroup_destroy(cg, &err) == 0);
	CHECK(!exists("unified/hull"));
	CHECK(exists("unified/cgroup.controllers"));
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

/* ---- v2 ---- */

TEST(v2_subtree_control_and_apply)
{
	struct hull_error *err = NULL;
	struct hull_blkio_device rbps = { .major = 8, .minor = 0, .rate = 1048576 };
	struct hull_blkio_device wiops = { .major = 8, .minor = 0, .rate = 100 };
	struct hull_device_rule deny = { .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" };
	struct hull_kv kv = { .key = "memory.high", .value = "50000000" };
	struct hull_resources res = {
		.has_memory_limit = true, .memory_limit = 64 << 20,
		.has_memory_swap = true, .memory_swap = 128 << 20,
		.has_memory_reservation = true, .memory_reservation = 32 << 20,
		.has_memory_swappiness = true, .memory_swappiness = 10, /* no v2 file: ignored */
		.has_cpu_shares = true, .cpu_shares = 1024,
		.has_cpu_quota = true, .cpu_quota = 20000,
		.has_cpu_period = true, .cpu_period = 100000,
		.has_pids_limit = true, .pids_limit = 0,
		.has_blkio_weight = true, .blkio_weight = 500,
		.throttle_read_bps = &rbps, .n_throttle_read_bps = 1,
		.throttle_write_iops = &wiops, .n_throttle_write_iops = 1,
		.devices = &deny, .n_devices = 1, /* needs eBPF: ignored */
		.unified = &kv, .n_unified = 1,
	};
	struct hull_cgroup *cg;

	setup_v2();
	cg = create("pod/c", "id", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	CHECK_STREQ(hull_cgroup_path(cg, ""), "/hull/pod/c");
	CHECK(hull_cgroup_path(cg, "memory") == NULL);
	/* Enabled in the parents hull made, as far as the root delegates. */
	CHECK_STREQ(get("hull/cgroup.subtree_control"), "+cpu +io +memory +pids");
	CHECK_STREQ(get("hull/pod/cgroup.subtree_control"), "+cpu +io +memory +pids");
	CHECK(!exists("hull/pod/c/cgroup.subtree_control"));
	CHECK_STREQ(get("cgroup.subtree_control"), "cpu io memory pids");

	CHECK(hull_cgroup_apply(cg, &res, &err) == 0);
	if (err)
		fprintf(stderr, "  %s\n", err->msg);
	CHECK_STREQ(get("hull/pod/c/memory.max"), "67108864");
	CHECK_STREQ(get("hull/pod/c/memory.swap.max"), "67108864"); /* swap - limit */
	CHECK_STREQ(get("hull/pod/c/memory.low"), "33554432");
	CHECK_STREQ(get("hull/pod/c/cpu.weight"), "39"); /* 1 + (1024-2)*9999/262142 */
	CHECK_STREQ(get("hull/pod/c/cpu.max"), "20000 100000");
	CHECK_STREQ(get("hull/pod/c/pids.max"), "max");
	CHECK_STREQ(get("hull/pod/c/io.weight"), "4950"); /* 1 + (500-10)*9999/990 */
	CHECK_STREQ(get("hull/pod/c/io.max"), "8:0 rbps=1048576 wiops=100");
	CHECK_STREQ(get("hull/pod/c/memory.high"), "50000000");
	CHECK(!exists("hull/pod/c/memory.swappiness"));

	struct hull_resources unl = {
		.has_memory_limit = true, .memory_limit = -1,
		.has_memory_swap = true, .memory_swap = -1,
		.has_cpu_quota = true, .cpu_quota = -1,
		.has_cpu_period = true, .cpu_period = 50000,
		.has_cpu_shares = true, .cpu_shares = 2,
	};
	CHECK(hull_cgroup_apply(cg, &unl, &err) == 0);
	CHECK_STREQ(get("hull/pod/c/memory.max"), "max");
	CHECK_STREQ(get("hull/pod/c/memory.swap.max"), "max");
	CHECK_STREQ(get("hull/pod/c/cpu.max"), "max 50000");
	CHECK_STREQ(get("hull/pod/c/cpu.weight"), "1");

	/* BFQ present: its own 1-1000 range, unconverted. */
	put("hull/pod/c/io.bfq.weight", "100\n");
	struct hull_resources bw = { .has_blkio_weight = true, .blkio_weight = 500 };
	CHECK(hull_cgroup_apply(cg, &bw, &err) == 0);
	CHECK_STREQ(get("hull/pod/c/io.bfq.weight"), "500");

	struct hull_resources badswap = { .has_memory_limit = true, .memory_limit = 64 << 20,
					  .has_memory_swap = true, .memory_swap = 32 << 20 };
	CHECK(hull_cgroup_apply(cg, &badswap, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "is below the memory limit"));

	struct hull_hugepage_limit hp = { .page_size = "2MB", .limit = 4194304 };
	struct hull_resources h = { .hugepage_limits = &hp, .n_hugepage_limits = 1 };
	CHECK(hull_cgroup_apply(cg, &h, &err) == -EOPNOTSUPP);
	CHECK(err && strstr(err->msg, "controller 'hugetlb' is not enabled for"));
	struct hull_resources cs = { .cpu_cpus = "0" };
	CHECK(hull_cgroup_apply(cg, &cs, &err) == -EOPNOTSUPP);
	CHECK(err && strstr(err->msg, "'cpuset'"));

	struct hull_kv bad = { .key = "../cgroup.procs", .value = "1" };
	struct hull_resources ub = { .unified = &bad, .n_unified = 1 };
	CHECK(hull_cgroup_apply(cg, &ub, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "invalid key '../cgroup.procs'"));
	CHECK(!exists("hull/pod/cgroup.procs"));

	char *text = hull_cgroup_serialize(cg);
	CHECK_STREQ(text, "hull-cgroup-1 v2 .:3:/hull/pod/c");
	struct hull_cgroup *loaded = NULL;
	CHECK(hull_cgroup_load(base, text, &loaded, &err) == 0);
	free(text);
	if (loaded) {
		CHECK(hull_cgroup_destroy(loaded, &err) == 0);
		hull_cgroup_free(loaded);
	}
	CHECK(!exists("hull"));
	CHECK(exists("cgroup.controllers"));
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

TEST(v2_freeze_waits_for_events)
{
	struct hull_error *err = NULL;
	struct hull_cgroup *cg;
	bool frozen = false;

	setup_v2();
	cg = create(NULL, "z", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	/* A fake tree's cgroup.events does not change by itself: set what
	 * the kernel would report. */
	put("hull/z/cgroup.events", "populated 1\nfrozen 1\n");
	CHECK(hull_cgroup_freeze(cg, true, &err) == 0);
	CHECK_STREQ(get("hull/z/cgroup.freeze"), "1");
	CHECK(hull_cgroup_is_frozen(cg, &frozen, &err) == 0 && frozen);
	put("hull/z/cgroup.events", "populated 1\nfrozen 0\n");
	CHECK(hull_cgroup_freeze(cg, false, &err) == 0);
	CHECK(hull_cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen);
	CHECK(hull_cgroup_destroy(cg, &err) == 0);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

/* ---- update, stats, OOM watch (v2 fake tree) ---- */

/* The files a v2 kernel gives a new cgroup, with their defaults. */
static void put_v2_defaults(const char *dir)
{
	static const char *const files[][2] = {
		{ "memory.max", "max\n" },   { "memory.swap.max", "max\n" }, { "memory.low", "0\n" },
		{ "cpu.weight", "100\n" },   { "cpu.max", "max 100000\n" },  { "pids.max", "max\n" },
		{ "io.weight", "default 100\n" },
	};
	char p[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i][0]);
		put(p, files[i][1]);
	}
}

TEST(v2_update)
{
	struct hull_error *err = NULL;
	struct hull_cgroup *cg;

	setup_v2();
	cg = create(NULL, "u", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	put_v2_defaults("hull/u");

	/* Only what is given changes. */
	struct hull_resources mem = { .has_memory_limit = true, .memory_limit = 64 << 20 };
	CHECK(hull_cgroup_update(cg, &mem, &err) == 0);
	CHECK_STREQ(get("hull/u/memory.max"), "67108864");
	CHECK_STREQ(get("hull/u/memory.swap.max"), "max");
	CHECK_STREQ(get("hull/u/cpu.max"), "max 100000");

	/* A period alone keeps the quota the cgroup has ("max" here). */
	struct hull_resources period = { .has_cpu_period = true, .cpu_period = 50000 };
	CHECK(hull_cgroup_update(cg, &period, &err) == 0);
	CHECK_STREQ(get("hull/u/cpu.max"), "max 50000");
	put("hull/u/cpu.max", "20000 50000\n");
	struct hull_resources period2 = { .has_cpu_period = true, .cpu_period = 40000 };
	CHECK(hull_cgroup_update(cg, &period2, &err) == 0);
	CHECK_STREQ(get("hull/u/cpu.max"), "20000 40000");

	/* Swap alone: memory+swap against the limit the cgroup has. */
	struct hull_resources swap = { .has_memory_swap = true, .memory_swap = 96 << 20 };
	CHECK(hull_cgroup_update(cg, &swap, &err) == 0);
	if (err)
		fprintf(stderr, "  %s\n", err->msg);
	CHECK_STREQ(get("hull/u/memory.swap.max"), "33554432");
	CHECK_STREQ(get("hull/u/memory.max"), "67108864");

	/* runc's 0 = unchanged; -1 memory without swap = both unlimited. */
	struct hull_resources zeros = { .has_memory_limit = true, .memory_limit = 0,
					.has_pids_limit = true, .pids_limit = 0,
					.has_cpu_quota = true, .cpu_quota = 0 };
	CHECK(hull_cgroup_update(cg, &zeros, &err) == 0);
	CHECK_STREQ(get("hull/u/memory.max"), "67108864");
	CHECK_STREQ(get("hull/u/pids.max"), "max");
	CHECK_STREQ(get("hull/u/cpu.max"), "20000 40000");
	struct hull_resources unl = { .has_memory_limit = true, .memory_limit = -1 };
	CHECK(hull_cgroup_update(cg, &unl, &err) == 0);
	CHECK_STREQ(get("hull/u/memory.max"), "max");
	CHECK_STREQ(get("hull/u/memory.swap.max"), "max");

	/* What update does not take is ignored, not applied. */
	struct hull_hugepage_limit hp = { .page_size = "2MB", .limit = 4194304 };
	struct hull_resources ign = { .hugepage_limits = &hp, .n_hugepage_limits = 1,
				      .has_pids_limit = true, .pids_limit = 5 };
	CHECK(hull_cgroup_update(cg, &ign, &err) == 0);
	CHECK_STREQ(get("hull/u/pids.max"), "5");
	CHECK(!exists("hull/u/hugetlb.2MB.max"));

	/* A refused write puts back what was already written: cpu.weight
	 * goes in before cpuset (not delegated here) fails. */
	struct hull_resources bad = { .has_cpu_shares = true, .cpu_shares = 512, .cpu_cpus = "0" };
	CHECK(hull_cgroup_update(cg, &bad, &err) == -EOPNOTSUPP);
	CHECK(err && strstr(err->msg, "'cpuset'"));
	CHECK_STREQ(get("hull/u/cpu.weight"), "100");

	/* The same with a write the "kernel" refuses (a directory in the
	 * way of a unified key): pids.max and memory.max come back. */
	mkd("hull/u/memory.high");
	struct hull_kv kv = { .key = "memory.high", .value = "1000000" };
	struct hull_resources bad2 = { .has_pids_limit = true, .pids_limit = 50,
				       .has_memory_limit = true, .memory_limit = 1 << 20,
				       .unified = &kv, .n_unified = 1 };
	CHECK(hull_cgroup_update(cg, &bad2, &err) < 0);
	CHECK(err && strstr(err->msg, "memory.high"));
	CHECK_STREQ(get("hull/u/pids.max"), "5");
	CHECK_STREQ(get("hull/u/memory.max"), "max");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/hull/u/memory.high", base);
	rmdir(p);

	CHECK(hull_cgroup_destroy(cg, &err) == 0);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

TEST(v2_stats)
{
	struct hull_error *err = NULL;
	struct hull_cgroup_stats s;
	struct hull_cgroup *cg;

	setup_v2();
	cg = create(NULL, "s", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	put("hull/s/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"
			       "nr_periods 10\nnr_throttled 2\nthrottled_usec 300\n");
	put("hull/s/memory.current", "4096\n");
	put("hull/s/memory.max", "1048576\n");
	put("hull/s/memory.peak", "8192\n");
	put("hull/s/memory.swap.current", "100\n");
	put("hull/s/memory.swap.max", "max\n");
	put("hull/s/memory.stat", "anon 1000\nfile 200\n");
	put("hull/s/pids.current", "3\n");
	put("hull/s/pids.max", "max\n");
	put("hull/s/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
	put("hull/s/hugetlb.2MB.current", "2097152\n");
	put("hull/s/hugetlb.2MB.max", "max\n");
	put("hull/s/hugetlb.2MB.events", "max 4\n");

	CHECK(hull_cgroup_stats(cg, &s, &err) == 0);
	CHECK(s.cpu_total == 1500000 && s.cpu_user == 1000000 && s.cpu_kernel == 500000);
	CHECK(s.cpu_periods == 10 && s.cpu_throttled_periods == 2 && s.cpu_throttled_time == 300000);
	CHECK(s.memory_usage.usage == 4096 && s.memory_usage.limit == 1048576 && s.memory_usage.max == 8192);
	CHECK(s.memory_swap.usage == 4196 && s.memory_swap.limit == UINT64_MAX);
	CHECK(s.memory_cache == 200 && s.n_memory_raw == 2);
	CHECK(s.n_memory_raw == 2 && streq(s.memory_raw[0].key, "anon") && s.memory_raw[0].value == 1000);
	CHECK(s.pids_current == 3 && s.pids_limit == 0);
	CHECK(s.n_io_service_bytes == 3 && s.n_io_serviced == 3);
	if (s.n_io_service_bytes == 3)
		CHECK(s.io_service_bytes[1].major == 8 && streq(s.io_service_bytes[1].op, "Write") &&
		      s.io_service_bytes[1].value == 20);
	if (s.n_io_serviced == 3)
		CHECK(streq(s.io_serviced[0].op, "Read") && s.io_serviced[0].value == 1);
	CHECK(s.n_hugetlb == 1 && streq(s.hugetlb[0].page_size, "2MB") && s.hugetlb[0].usage == 2097152 &&
	      s.hugetlb[0].failcnt == 4);
	hull_cgroup_stats_done(&s);

	/* No memory files (controller not enabled): zeros, not an error. */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/hull/s/memory.current", base);
	unlink(p);
	CHECK(hull_cgroup_stats(cg, &s, &err) == 0);
	CHECK(s.memory_usage.usage == 0 && s.n_memory_raw == 0 && s.pids_current == 3);
	hull_cgroup_stats_done(&s);

	CHECK(hull_cgroup_destroy(cg, &err) == 0);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

TEST(v2_oom_watch)
{
	struct hull_error *err = NULL;
	struct hull_oom_watch *w = NULL;
	struct hull_cgroup *cg;
	uint64_t kills = 99;

	setup_v2();
	cg = create(NULL, "o", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	/* No memory.events: a clear refusal. */
	CHECK(hull_cgroup_oom_watch(cg, &w, &err) == -EOPNOTSUPP);
	CHECK(err && strstr(err->msg, "memory.events"));
	/* Kills before the watch do not count. */
	put("hull/o/memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");
	CHECK(hull_cgroup_oom_watch(cg, &w, &err) == 0);
	if (!w)
		goto destroy;
	struct pollfd pfd = { .fd = hull_oom_watch_fd(w), .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0);
	/* The kernel rewrites memory.events (a modify event) on a kill. */
	put("hull/o/memory.events", "low 0\nhigh 0\nmax 5\noom 3\noom_kill 3\n");
	CHECK(poll(&pfd, 1, 5000) == 1);
	CHECK(hull_oom_watch_check(w, &kills, &err) == 0 && kills == 1);
	CHECK(poll(&pfd, 1, 0) == 0);
	CHECK(hull_oom_watch_check(w, &kills, &err) == 0 && kills == 0);
	/* Other counters moving is not a kill. */
	put("hull/o/memory.events", "low 0\nhigh 9\nmax 5\noom 3\noom_kill 3\n");
	CHECK(poll(&pfd, 1, 5000) == 1);
	CHECK(hull_oom_watch_check(w, &kills, &err) == 0 && kills == 0);
	hull_oom_watch_free(w);
destroy:
	CHECK(hull_cgroup_destroy(cg, &err) == 0);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

TEST(v1_stats_and_update_order)
{
	struct hull_error *err = NULL;
	struct hull_cgroup_stats s;
	struct hull_cgroup *cg;

	setup_v1();
	cg = create(NULL, "v", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	put("cpu,cpuacct/hull/v/cpuacct.usage", "5000\n");
	put("cpu,cpuacct/hull/v/cpuacct.usage_percpu", "3000 2000 \n");
	put("cpu,cpuacct/hull/v/cpuacct.usage_user", "4000\n");
	put("cpu,cpuacct/hull/v/cpuacct.usage_sys", "1000\n");
	put("cpu,cpuacct/hull/v/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 777\n");
	put("memory/process_api/abc/hull/v/memory.usage_in_bytes", "65536\n");
	put("memory/process_api/abc/hull/v/memory.limit_in_bytes", "9223372036854771712\n");
	put("memory/process_api/abc/hull/v/memory.memsw.limit_in_bytes", "9223372036854771712\n");
	put("memory/process_api/abc/hull/v/memory.failcnt", "2\n");
	put("memory/process_api/abc/hull/v/memory.stat", "cache 4096\nrss 8192\n");
	put("pids/hull/v/pids.current", "2\n");
	put("pids/hull/v/pids.max", "7\n");
	put("blkio/hull/v/blkio.throttle.io_service_bytes_recursive", "8:0 Read 512\n8:0 Write 0\nTotal 512\n");
	CHECK(hull_cgroup_stats(cg, &s, &err) == 0);
	CHECK(s.cpu_total == 5000 && s.cpu_user == 4000 && s.cpu_kernel == 1000);
	CHECK(s.n_cpu_percpu == 2 && s.cpu_percpu[0] == 3000);
	CHECK(s.cpu_periods == 4 && s.cpu_throttled_time == 777);
	CHECK(s.memory_usage.usage == 65536 && s.memory_usage.failcnt == 2 &&
	      s.memory_usage.limit == 9223372036854771712ull);
	CHECK(s.memory_cache == 4096 && s.pids_current == 2 && s.pids_limit == 7);
	CHECK(s.n_io_service_bytes == 2 && streq(s.io_service_bytes[0].op, "Read") && s.io_service_bytes[0].value == 512);
	hull_cgroup_stats_done(&s);

	/* A failed update puts memory and memsw back (both were written). */
	put("memory/process_api/abc/hull/v/memory.limit_in_bytes", "1048576\n");
	put("memory/process_api/abc/hull/v/memory.memsw.limit_in_bytes", "2097152\n");
	put("cpu,cpuacct/hull/v/cpu.shares", "1024\n");
	struct hull_resources res = { .has_memory_limit = true, .memory_limit = 4 << 20,
				      .has_memory_swap = true, .memory_swap = 8 << 20,
				      .has_cpu_shares = true, .cpu_shares = 256 };
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/cpuset/hull/v/cpuset.cpus", base);
	unlink(p);
	mkdir(p, 0755); /* cpuset.cpus cannot be written */
	res.cpu_cpus = "1";
	CHECK(hull_cgroup_update(cg, &res, &err) < 0);
	CHECK(err && strstr(err->msg, "cpuset.cpus"));
	CHECK_STREQ(get("memory/process_api/abc/hull/v/memory.limit_in_bytes"), "1048576");
	CHECK_STREQ(get("memory/process_api/abc/hull/v/memory.memsw.limit_in_bytes"), "2097152");
	CHECK_STREQ(get("cpu,cpuacct/hull/v/cpu.shares"), "1024");
	rmdir(p);
	res.cpu_cpus = NULL;
	CHECK(hull_cgroup_update(cg, &res, &err) == 0);
	CHECK_STREQ(get("memory/process_api/abc/hull/v/memory.limit_in_bytes"), "4194304");
	CHECK_STREQ(get("memory/process_api/abc/hull/v/memory.memsw.limit_in_bytes"), "8388608");
	CHECK_STREQ(get("cpu,cpuacct/hull/v/cpu.shares"), "256");

	CHECK(hull_cgroup_destroy(cg, &err) == 0);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}

/* ---- the real /sys/fs/cgroup ---- */

static bool real_read_eq(struct hull_cgroup *cg, const char *controller, const char *file, const char *want)
{
	const struct cgroup_hier *h = cgroup_find_hier(cg, controller);
	_cleanup_free_ char *v = NULL;

	if (!h || cgroup_read(h->full, file, &v, NULL) < 0)
		return false;
	if (!streq(v, want))
		fprintf(stderr, "  %s/%s: '%s', want '%s'\n", h->full, file, v, want);
	return streq(v, want);
}

static bool pid_listed(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

TEST(real_hybrid_cgroup)
{
	struct hull_error *err = NULL;
	enum hull_cgroup_mode mode;
	struct hull_cgroup *cg = NULL, *loaded = NULL;
	char id[64], **dirs = NULL, *cpus = NULL;
	size_t n_dirs = 0;
	pid_t child = -1;

	if (getuid() != 0 || hull_cgroup_detect("/sys/fs/cgroup", &mode, NULL) < 0 || mode != HULL_CGROUP_HYBRID) {
		fprintf(stderr, "  SKIP real_hybrid_cgroup: needs root and a hybrid /sys/fs/cgroup\n");
		return;
	}
	snprintf(id, sizeof(id), "hull-unit-%d", (int)getpid());
	CHECK(hull_cgroup_create("/sys/fs/cgroup", NULL, id, &cg, &err) == 0);
	if (!cg) {
		fprintf(stderr, "  %s\n", err ? err->msg : "?");
		goto out;
	}
	/* Remember every directory to check that they are gone at the end. */
	dirs = calloc(cg->n_hiers * 2, sizeof(char *));
	for (size_t i = 0; dirs && i < cg->n_hiers; i++) {
		dirs[n_dirs++] = strdup(cg->hiers[i].full);
		if (cg->hiers[i].created > 1) {
			char *parent = strdup(cg->hiers[i].full);
			*strrchr(parent, '/') = '\0';
			dirs[n_dirs++] = parent;
		}
	}
	CHECK(cgroup_find_hier(cg, "memory") && cgroup_find_hier(cg, "systemd") && cgroup_find_hier(cg, ""));
	CHECK(strstr(hull_cgroup_path(cg, "memory"), "/hull/hull-unit-") != NULL);

	struct hull_resources res = { .has_memory_limit = true, .memory_limit = 64 << 20,
				      .has_pids_limit = true, .pids_limit = 10 };
	CHECK(hull_cgroup_apply(cg, &res, &err) == 0);
	CHECK(real_read_eq(cg, "memory", "memory.limit_in_bytes", "67108864"));
	CHECK(real_read_eq(cg, "pids", "pids.max", "10"));
	/* Copied down from the nearest ancestor, or no process could enter. */
	CHECK(cgroup_read(cgroup_find_hier(cg, "cpuset")->full, "cpuset.cpus", &cpus, NULL) == 0 && cpus && *cpus);

	child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	CHECK(child > 0);
	if (child <= 0)
		goto cleanup;
	CHECK(hull_cgroup_enter(cg, child, &err) == 0);
	if (err)
		fprintf(stderr, "  %s\n", err->msg);
	pid_t *pids = NULL;
	size_t n = 0;
	CHECK(hull_cgroup_pids(cg, &pids, &n, &err) == 0);
	CHECK(n == 1 && pid_listed(pids, n, child));
	free(pids);
	pids = NULL;
	CHECK(cgroup_read_pids(cgroup_find_hier(cg, "")->full, &pids, &n, NULL) == 0 && pid_listed(pids, n, child));
	free(pids);
	/* The caller stays where it was. */
	pids = NULL;
	CHECK(cgroup_read_pids(cgroup_find_hier(cg, "memory")->full, &pids, &n, NULL) == 0 &&
	      !pid_listed(pids, n, getpid()));
	free(pids);

	bool frozen = false;
	CHECK(hull_cgroup_freeze(cg, true, &err) == 0);
	CHECK(real_read_eq(cg, "freezer", "freezer.state", "FROZEN"));
	CHECK(hull_cgroup_is_frozen(cg, &frozen, &err) == 0 && frozen);
	CHECK(hull_cgroup_freeze(cg, false, &err) == 0);
	CHECK(hull_cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen);

	/* A cgroup with a process in it is not removed. */
	CHECK(hull_cgroup_destroy(cg, NULL) == -EBUSY);

	/* `delete` runs in another process: go through the state text. */
	char *text = hull_cgroup_serialize(cg);
	CHECK(text && hull_cgroup_load("/sys/fs/cgroup", text, &loaded, &err) == 0);
	free(text);

cleanup:
	hull_cgroup_freeze(cg, false, NULL);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	int r = -EBUSY;
	for (int i = 0; i < 100 && r == -EBUSY; i++) {
		r = hull_cgroup_destroy(loaded ? loaded : cg, &err);
		if (r == -EBUSY)
			usleep(10000);
	}
	CHECK(r == 0);
	if (r < 0) {
		fprintf(stderr, "  %s\n", err ? err->msg : "?");
		hull_cgroup_destroy(cg, NULL);
	}
	for (size_t i = 0; i < n_dirs; i++) {
		if (dirs[i] && access(dirs[i], F_OK) == 0) {
			fprintf(stderr, "  left behind: %s\n", dirs[i]);
			CHECK(!"cgroup directory left behind");
		}
		free(dirs[i]);
	}
	free(dirs);
	free(cpus);
	hull_cgroup_free(loaded);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
}

/* ---- entering from the new process itself (exec) ---- */

TEST(hybrid_enter_self_writes_tasks)
{
	struct hull_error *err = NULL;
	struct hull_cgroup *cg;

	setup_hybrid();
	cg = create(NULL, "s", &err);
	CHECK(cg);
	if (!cg)
		goto out;
	/* v1: "0" into tasks (the calling thread, no threadgroup lock), not
	 * cgroup.procs; cgroup2 has only cgroup.procs. */
	CHECK(hull_cgroup_enter_self(cg, false, &err) == 0);
	CHECK_STREQ(get("freezer/hull/s/tasks"), "0");
	CHECK_STREQ(get("memory/process_api/abc/hull/s/tasks"), "0");
	CHECK(!exists("freezer/hull/s/cgroup.procs"));
	CHECK_STREQ(get("unified/hull/s/cgroup.procs"), "0");
	/* skip_unified: born there with CLONE_INTO_CGROUP, nothing to write */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/unified/hull/s/cgroup.procs", base);
	CHECK(unlink(p) == 0);
	CHECK(hull_cgroup_enter_self(cg, true, &err) == 0);
	CHECK(!exists("unified/hull/s/cgroup.procs"));
	CHECK_STREQ(get("pids/hull/s/tasks"), "0");
	/* a fake tree is no cgroupfs: no fd for clone3 */
	CHECK(hull_cgroup_open_unified(cg) == -ENOENT);
	CHECK(hull_cgroup_destroy(cg, &err) == 0);
	hull_cgroup_free(cg);
out:
	hull_error_free(err);
	teardown();
}
