/* Unit tests for spec.c: config.json in, struct hull_spec (or an error
 * naming the field) out. */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "spec.h"
#include "unit.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* `runc spec` output plus what a real engine adds: resources, hooks,
 * devices, user namespace mappings, time offsets, seccomp. */
static const char full_config[] =
	"{\n"
	"  \"ociVersion\": \"1.0.2-dev\",\n"
	"  \"process\": {\n"
	"    \"terminal\": true,\n"
	"    \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
	"    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6, 4294967295]},\n"
	"    \"args\": [\"sh\", \"-c\", \"echo hi\"],\n"
	"    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],\n"
	"    \"cwd\": \"/work\",\n"
	"    \"capabilities\": {\n"
	"      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\", \"CAP_CHECKPOINT_RESTORE\"],\n"
	"      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
	"      \"inheritable\": [],\n"
	"      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
	"      \"ambient\": [\"CAP_NET_BIND_SERVICE\"]\n"
	"    },\n"
	"    \"rlimits\": [\n"
	"      {\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024},\n"
	"      {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615, \"soft\": 18446744073709551615}\n"
	"    ],\n"
	"    \"noNewPrivileges\": true,\n"
	"    \"oomScoreAdj\": -500,\n"
	"    \"apparmorProfile\": \"docker-default\",\n"
	"    \"selinuxLabel\": \"system_u:system_r:container_t:s0\"\n"
	"  },\n"
	"  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
	"  \"hostname\": \"runc\",\n"
	"  \"domainname\": \"example.org\",\n"
	"  \"mounts\": [\n"
	"    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	"    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
	"     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
	"    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"]},\n"
	"    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
	"    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
	"    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
	"    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]},\n"
	"    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv/data\",\n"
	"     \"options\": [\"rbind\", \"rprivate\", \"rro\", \"tmpcopyup\"]}\n"
	"  ],\n"
	"  \"hooks\": {\n"
	"    \"prestart\": [{\"path\": \"/usr/bin/fix-mounts\", \"args\": [\"fix-mounts\", \"arg1\"],\n"
	"                  \"env\": [\"key1=value1\"]}],\n"
	"    \"createRuntime\": [{\"path\": \"/usr/bin/setup-network\", \"timeout\": 5}],\n"
	"    \"poststop\": [{\"path\": \"/usr/sbin/cleanup.sh\", \"args\": [\"cleanup.sh\", \"-f\"]},\n"
	"                 {\"path\": \"/bin/true\"}]\n"
	"  },\n"
	"  \"annotations\": {\"com.example.key1\": \"value1\", \"com.example.key2\": \"value2\"},\n"
	"  \"linux\": {\n"
	"    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
	"    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536},\n"
	"                    {\"containerID\": 65536, \"hostID\": 300000, \"size\": 1}],\n"
	"    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
	"    \"devices\": [\n"
	"      {\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,\n"
	"       \"fileMode\": 438, \"uid\": 0, \"gid\": 0},\n"
	"      {\"path\": \"/dev/sda\", \"type\": \"b\", \"major\": 8, \"minor\": 0},\n"
	"      {\"path\": \"/dev/myfifo\", \"type\": \"p\"}\n"
	"    ],\n"
	"    \"resources\": {\n"
	"      \"devices\": [\n"
	"        {\"allow\": false, \"access\": \"rwm\"},\n"
	"        {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rw\"},\n"
	"        {\"allow\": true, \"type\": \"b\", \"major\": 8}\n"
	"      ],\n"
	"      \"memory\": {\"limit\": 9223372036854775807, \"reservation\": 268435456, \"swap\": -1,\n"
	"                 \"kernel\": -1, \"kernelTCP\": -1, \"swappiness\": 0, \"disableOOMKiller\": true},\n"
	"      \"cpu\": {\"shares\": 1024, \"quota\": 100000, \"period\": 500000,\n"
	"              \"realtimeRuntime\": 950000, \"realtimePeriod\": 1000000, \"cpus\": \"2-3\", \"mems\": \"0-7\"},\n"
	"      \"pids\": {\"limit\": 32771},\n"
	"      \"blockIO\": {\"weight\": 10, \"leafWeight\": 10,\n"
	"                  \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 500, \"leafWeight\": 300},\n"
	"                                   {\"major\": 8, \"minor\": 16, \"weight\": 500}],\n"
	"                  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 600}],\n"
	"                  \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 300}]},\n"
	"      \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 9223372036854772000}],\n"
	"      \"unified\": {\"io.weight\": \"100\", \"memory.high\": \"max\"}\n"
	"    },\n"
	"    \"cgroupsPath\": \"/myRuntime/myContainer\",\n"
	"    \"namespaces\": [\n"
	"      {\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/var/run/netns/neta\"},\n"
	"      {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"user\"},\n"
	"      {\"type\": \"cgroup\"}, {\"type\": \"time\"}\n"
	"    ],\n"
	"    \"timeOffsets\": {\"monotonic\": {\"secs\": -86400, \"nanosecs\": 5},\n"
	"                    \"boottime\": {\"secs\": 3600}},\n"
	"    \"maskedPaths\": [\"/proc/kcore\", \"/proc/latency_stats\", \"/sys/firmware\"],\n"
	"    \"readonlyPaths\": [\"/proc/asound\", \"/proc/bus\", \"/proc/sys\"],\n"
	"    \"rootfsPropagation\": \"rslave\",\n"
	"    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": []},\n"
	"    \"mountLabel\": \"system_u:object_r:container_file_t:s0\"\n"
	"  },\n"
	"  \"futureKey\": {\"anything\": [1, 2, 3]}\n"
	"}\n";

static struct hull_spec *parse_ok(const char *json)
{
	struct hull_spec *spec = NULL;
	struct hull_error *err = NULL;
	int r = hull_spec_parse(json, strlen(json), &spec, &err);

	if (r < 0)
		fprintf(stderr, "  unexpected error: %s\n", err && err->msg ? err->msg : "(none)");
	hull_error_free(err);
	return spec;
}

/* Parses json, expecting failure; returns whether the message contains
 * want (and reports it if not). */
static bool fails_with(const char *json, const char *want)
{
	struct hull_spec *spec = NULL;
	struct hull_error *err = NULL;
	int r = hull_spec_parse(json, strlen(json), &spec, &err);
	bool ok = r == -EINVAL && !spec && err && err->msg && strstr(err->msg, want);

	if (!ok)
		fprintf(stderr, "  want error containing \"%s\", got r=%d \"%s\"\n", want, r,
			err && err->msg ? err->msg : "(none)");
	hull_spec_free(spec);
	hull_error_free(err);
	return ok;
}

/* A minimal valid config with `extra` spliced in after root. */
static char *config_with(const char *extra)
{
	char *s = NULL;

	if (asprintf(&s, "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}%s%s}", extra[0] ? ", " : "",
		     extra) < 0)
		abort();
	return s;
}

static bool fails_with_extra(const char *extra, const char *want)
{
	_cleanup_free_ char *json = config_with(extra);

	return fails_with(json, want);
}

static const struct hull_mount *find_mount(const struct hull_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (streq(s->mounts[i].destination, dest))
			return &s->mounts[i];
	return NULL;
}

TEST(full_config_top_level)
{
	struct hull_spec *s = parse_ok(full_config);

	CHECK(s);
	if (!s)
		return;
	CHECK_STREQ(s->oci_version, "1.0.2-dev");
	CHECK_STREQ(s->root_path, "rootfs");
	CHECK(s->root_readonly);
	CHECK_STREQ(s->hostname, "runc");
	CHECK_STREQ(s->domainname, "example.org");
	CHECK(s->n_annotations == 2);
	for (size_t i = 0; i < s->n_annotations; i++)
		CHECK(streq(s->annotations[i].key, "com.example.key1") ? streq(s->annotations[i].value, "value1")
									: streq(s->annotations[i].value, "value2"));
	CHECK(s->n_hooks[HULL_HOOK_PRESTART] == 1);
	CHECK_STREQ(s->hooks[HULL_HOOK_PRESTART][0].path, "/usr/bin/fix-mounts");
	CHECK_STREQ(s->hooks[HULL_HOOK_PRESTART][0].args[1], "arg1");
	CHECK(s->hooks[HULL_HOOK_PRESTART][0].args[2] == NULL);
	CHECK_STREQ(s->hooks[HULL_HOOK_PRESTART][0].env[0], "key1=value1");
	CHECK(s->hooks[HULL_HOOK_PRESTART][0].timeout == 0);
	CHECK(s->n_hooks[HULL_HOOK_CREATE_RUNTIME] == 1);
	CHECK(s->hooks[HULL_HOOK_CREATE_RUNTIME][0].timeout == 5);
	CHECK(s->hooks[HULL_HOOK_CREATE_RUNTIME][0].args == NULL);
	CHECK(s->n_hooks[HULL_HOOK_CREATE_CONTAINER] == 0 && s->hooks[HULL_HOOK_CREATE_CONTAINER] == NULL);
	CHECK(s->n_hooks[HULL_HOOK_POSTSTOP] == 2);
	CHECK_STREQ(s->hooks[HULL_HOOK_POSTSTOP][1].path, "/bin/true");
	hull_spec_free(s);
}

TEST(full_config_process)
{
	struct hull_spec *s = parse_ok(full_config);

	CHECK(s);
	if (!s)
		return;
	const struct hull_process *p = &s->process;
	CHECK(s->has_process);
	CHECK(p->terminal);
	CHECK(p->console_height == 24 && p->console_width == 80);
	CHECK(p->uid == 1000 && p->gid == 1001);
	CHECK(p->has_umask && p->umask == 18);
	CHECK(p->n_additional_gids == 3 && p->additional_gids[0] == 5 && p->additional_gids[2] == UINT32_MAX);
	CHECK(p->n_args == 3);
	CHECK_STREQ(p->args[2], "echo hi");
	CHECK(p->args[3] == NULL);
	CHECK(p->n_env == 2);
	CHECK_STREQ(p->env[1], "TERM=xterm");
	CHECK(p->env[2] == NULL);
	CHECK_STREQ(p->cwd, "/work");
	CHECK(p->has_caps);
	CHECK(p->caps[HULL_CAP_BOUNDING] == ((1ULL << 29) | (1ULL << 5) | (1ULL << 10) | (1ULL << 40)));
	CHECK(p->caps[HULL_CAP_EFFECTIVE] == ((1ULL << 29) | (1ULL << 5) | (1ULL << 10)));
	CHECK(p->caps[HULL_CAP_PERMITTED] == p->caps[HULL_CAP_EFFECTIVE]);
	CHECK(p->caps[HULL_CAP_INHERITABLE] == 0);
	CHECK(p->caps[HULL_CAP_AMBIENT] == (1ULL << 10));
	CHECK(p->n_rlimits == 2);
	CHECK(p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 1024);
	CHECK(p->rlimits[1].resource == RLIMIT_CORE);
	CHECK(p->rlimits[1].soft == UINT64_MAX && p->rlimits[1].hard == UINT64_MAX);
	CHECK(p->no_new_privileges);
	CHECK(p->has_oom_score_adj && p->oom_score_adj == -500);
	hull_spec_free(s);
}

TEST(full_config_mounts)
{
	struct hull_spec *s = parse_ok(full_config);
	const struct hull_mount *m;

	CHECK(s);
	if (!s)
		return;
	CHECK(s->n_mounts == 8);
	m = find_mount(s, "/proc");
	CHECK(m && m->flags == 0 && m->data == NULL && !m->bind && m->propagation == 0);
	CHECK(m && m->options && m->options[0] == NULL && m->n_options == 0);
	CHECK(m && streq(m->type, "proc") && streq(m->source, "proc"));
	m = find_mount(s, "/dev");
	CHECK(m && m->flags == (MS_NOSUID | MS_STRICTATIME));
	CHECK(m && streq(m->data, "mode=755,size=65536k"));
	CHECK(m && m->n_options == 4 && streq(m->options[2], "mode=755") && m->options[4] == NULL);
	m = find_mount(s, "/dev/pts");
	CHECK(m && m->flags == (MS_NOSUID | MS_NOEXEC));
	CHECK(m && streq(m->data, "newinstance,ptmxmode=0666,mode=0620,gid=5"));
	m = find_mount(s, "/sys/fs/cgroup");
	CHECK(m && m->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY));
	m = find_mount(s, "/data");
	CHECK(m && m->bind && m->flags == (MS_BIND | MS_REC));
	CHECK(m && m->propagation == (MS_PRIVATE | MS_REC));
	CHECK(m && m->data == NULL); /* rro is a recursive attribute, tmpcopyup dropped */
	CHECK(m && m->rec_attr_set == 0x1 && m->rec_attr_clr == 0);
	CHECK(m && m->n_options == 4);
	hull_spec_free(s);
}

/* The atime mode is one field: mount_setattr wants all of _ATIME (0x70)
 * cleared whenever one of its values is set. */
TEST(recursive_atime_options)
{
	static const struct {
		const char *opts;
		uint64_t set, clr;
	} cases[] = {
		{ "\"rnoatime\"", 0x10, 0x70 },
		{ "\"rstrictatime\"", 0x20, 0x70 },
		{ "\"rrelatime\"", 0, 0x70 },
		{ "\"rnoatime\", \"rrelatime\"", 0, 0x70 },
		{ "\"rro\", \"rnoatime\", \"rrw\"", 0x10, 0x71 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char extra[256];
		_cleanup_free_ char *json = NULL;
		struct hull_spec *s;

		snprintf(extra, sizeof(extra),
			 "\"mounts\": [{\"destination\": \"/m\", \"type\": \"tmpfs\", \"options\": [%s]}]", cases[i].opts);
		json = config_with(extra);
		s = parse_ok(json);
		CHECK(s && s->n_mounts == 1);
		if (s && s->n_mounts == 1) {
			if (s->mounts[0].rec_attr_set != cases[i].set || s->mounts[0].rec_attr_clr != cases[i].clr)
				fprintf(stderr, "  [%s]: set %#llx clr %#llx\n", cases[i].opts,
					(unsigned long long)s->mounts[0].rec_attr_set,
					(unsigned long long)s->mounts[0].rec_attr_clr);
			CHECK(s->mounts[0].rec_attr_set == cases[i].set && s->mounts[0].rec_attr_clr == cases[i].clr);
		}
		hull_spec_free(s);
	}
}

TEST(full_config_linux)
{
	struct hull_spec *s = parse_ok(full_config);

	CHECK(s);
	if (!s)
		return;
	const struct hull_linux *l = &s->linux;
	CHECK(l->n_namespaces == 8);
	CHECK(l->namespaces[0].type == CLONE_NEWPID && l->namespaces[0].path == NULL);
	CHECK(l->namespaces[1].type == CLONE_NEWNET && streq(l->namespaces[1].path, "/var/run/netns/neta"));
	CHECK(hull_spec_namespace(s, CLONE_NEWTIME) == &l->namespaces[7]);
	CHECK(hull_spec_namespace(s, CLONE_NEWCGROUP) != NULL);
	CHECK(l->n_uid_mappings == 1 && l->uid_mappings[0].host_id == 100000 && l->uid_mappings[0].size == 65536);
	CHECK(l->n_gid_mappings == 2 && l->gid_mappings[1].container_id == 65536 && l->gid_mappings[1].size == 1);
	CHECK(l->n_devices == 3);
	CHECK(l->devices[0].type == 'c' && l->devices[0].major == 10 && l->devices[0].minor == 229);
	CHECK(l->devices[0].has_mode && l->devices[0].file_mode == 0666 && l->devices[0].has_uid);
	CHECK(l->devices[1].type == 'b' && !l->devices[1].has_mode && !l->devices[1].has_gid);
	CHECK(l->devices[2].type == 'p' && streq(l->devices[2].path, "/dev/myfifo"));
	CHECK(l->n_sysctl == 1 && streq(l->sysctl[0].key, "net.ipv4.ip_forward") && streq(l->sysctl[0].value, "1"));
	CHECK(l->n_masked_paths == 3 && streq(l->masked_paths[2], "/sys/firmware") && !l->masked_paths[3]);
	CHECK(l->n_readonly_paths == 3 && streq(l->readonly_paths[0], "/proc/asound"));
	CHECK(l->rootfs_propagation == (MS_SLAVE | MS_REC));
	CHECK(l->n_time_offsets == 2);
	for (size_t i = 0; i < l->n_time_offsets; i++) {
		const struct hull_time_offset *t = &l->time_offsets[i];
		CHECK(t->clock == CLOCK_MONOTONIC ? t->secs == -86400 && t->nanosecs == 5
						  : t->clock == CLOCK_BOOTTIME && t->secs == 3600 && t->nanosecs == 0);
	}
	CHECK_STREQ(l->cgroups_path, "/myRuntime/myContainer");
	CHECK(l->seccomp != NULL);
	hull_spec_free(s);
}

TEST(full_config_resources)
{
	struct hull_spec *s = parse_ok(full_config);

	CHECK(s);
	if (!s)
		return;
	const struct hull_resources *r = &s->linux.resources;
	CHECK(s->linux.has_resources);
	CHECK(r->has_memory_limit && r->memory_limit == INT64_MAX);
	CHECK(r->has_memory_reservation && r->memory_reservation == 268435456);
	CHECK(r->has_memory_swap && r->memory_swap == -1);
	CHECK(r->has_memory_swappiness && r->memory_swappiness == 0);
	CHECK(r->disable_oom_killer);
	CHECK(r->has_cpu_shares && r->cpu_shares == 1024);
	CHECK(r->has_cpu_quota && r->cpu_quota == 100000);
	CHECK(r->has_cpu_period && r->cpu_period == 500000);
	CHECK_STREQ(r->cpu_cpus, "2-3");
	CHECK_STREQ(r->cpu_mems, "0-7");
	CHECK(r->has_pids_limit && r->pids_limit == 32771);
	CHECK(r->has_blkio_weight && r->blkio_weight == 10 && r->has_blkio_leaf_weight);
	CHECK(r->n_blkio_weight_device == 2 && r->blkio_weight_device[0].leaf_weight == 300);
	CHECK(r->blkio_weight_device[1].minor == 16 && r->blkio_weight_device[1].leaf_weight == 0);
	CHECK(r->n_throttle_read_bps == 1 && r->throttle_read_bps[0].rate == 600);
	CHECK(r->n_throttle_write_iops == 1 && r->throttle_write_iops[0].major == 8);
	CHECK(r->n_throttle_write_bps == 0 && r->n_throttle_read_iops == 0);
	CHECK(r->n_hugepage_limits == 1 && streq(r->hugepage_limits[0].page_size, "2MB"));
	CHECK(r->hugepage_limits[0].limit == 9223372036854772000ULL);
	CHECK(r->n_devices == 3);
	CHECK(!r->devices[0].allow && r->devices[0].type == 'a' && r->devices[0].major == -1 &&
	      r->devices[0].minor == -1 && streq(r->devices[0].access, "rwm"));
	CHECK(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].minor == 229 &&
	      streq(r->devices[1].access, "rw"));
	CHECK(r->devices[2].type == 'b' && r->devices[2].major == 8 && r->devices[2].minor == -1);
	CHECK(r->n_unified == 2);
	hull_spec_free(s);
}

TEST(minimal_config_defaults)
{
	struct hull_spec *s = parse_ok("{\"ociVersion\": \"1.1.0-rc.1\", \"root\": {\"path\": \"/abs/rootfs\"},"
				       " \"process\": {\"args\": [\"/bin/true\"]}}");

	CHECK(s);
	if (!s)
		return;
	CHECK(!s->root_readonly && s->n_mounts == 0 && s->mounts == NULL);
	CHECK(s->has_process && !s->process.has_caps && !s->process.has_umask && !s->process.has_oom_score_adj);
	CHECK_STREQ(s->process.cwd, "/");
	CHECK(s->process.env && s->process.env[0] == NULL && s->process.n_env == 0);
	CHECK(s->hostname == NULL && s->linux.cgroups_path == NULL && s->linux.seccomp == NULL);
	CHECK(!s->linux.has_resources && s->linux.rootfs_propagation == 0);
	CHECK(hull_spec_namespace(s, CLONE_NEWPID) == NULL);
	hull_spec_free(s);

	/* No process at all is fine (hooks-only bundles, "create" checks). */
	s = parse_ok("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {\"resources\": {}}}");
	CHECK(s && !s->has_process && s->linux.has_resources && !s->linux.resources.has_memory_limit);
	hull_spec_free(s);
}

TEST(versions)
{
	static const char *const good[] = { "1.0.0", "1.0.2-dev", "1.1.0-rc.1", "1.2.0", "1.2.1", "1.0", "1.2.0+dirty" };
	static const char *const bad[] = { "2.0.0", "0.9", "", "1.3.0", "1", "1.0.0.0", "v1.0.0", "1.0.x", "1.10.0" };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		_cleanup_free_ char *json = NULL;
		CHECK(asprintf(&json, "{\"ociVersion\": \"%s\", \"root\": {\"path\": \"r\"}}", good[i]) > 0);
		struct hull_spec *s = parse_ok(json);
		CHECK(s);
		hull_spec_free(s);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *json = NULL, *want = NULL;
		CHECK(asprintf(&json, "{\"ociVersion\": \"%s\", \"root\": {\"path\": \"r\"}}", bad[i]) > 0);
		CHECK(asprintf(&want, "config.json: ociVersion: unsupported version '%s' (hull supports 1.0 to 1.2)",
			       bad[i]) > 0);
		CHECK(fails_with(json, want));
	}
	CHECK(fails_with("{\"root\": {\"path\": \"r\"}}", "config.json: ociVersion: is required"));
	CHECK(fails_with("{\"ociVersion\": 1, \"root\": {\"path\": \"r\"}}", "config.json: ociVersion: must be a string"));
}

TEST(bad_json)
{
	CHECK(fails_with("", "config.json: invalid JSON: unexpected end of input at offset 0"));
	CHECK(fails_with("{\"ociVersion\": \"1.0.0\",", "config.json: invalid JSON: unexpected end of input"));
	CHECK(fails_with("{\"ociVersion\": \"1.0.0\",}", "config.json: invalid JSON: unexpected character at offset 23"));
	CHECK(fails_with("{\"a\": 1} {}", "config.json: invalid JSON:"));
	CHECK(fails_with("{\"a\": 1} x", "config.json: invalid JSON:"));
	CHECK(fails_with("[1, 2]", "config.json: invalid JSON: the top level must be an object"));
	CHECK(fails_with("\"str\"", "config.json: invalid JSON: the top level must be an object"));
	CHECK(fails_with("null", "config.json: invalid JSON: the top level must be an object"));
	CHECK(fails_with("5", "config.json: invalid JSON: the top level must be an object"));

	/* A NUL byte inside the given length is not the end of the input. */
	struct hull_spec *s = NULL;
	struct hull_error *err = NULL;
	CHECK(hull_spec_parse("{\"a\":\0 1}", 9, &s, &err) == -EINVAL);
	CHECK(err && err->msg && startswith(err->msg, "config.json: invalid JSON:"));
	CHECK(s == NULL);
	hull_error_free(err);

	/* Trailing whitespace is fine. */
	_cleanup_free_ char *json = config_with("");
	char *padded = NULL;
	CHECK(asprintf(&padded, "%s \n\t\n", json) > 0);
	s = parse_ok(padded);
	CHECK(s);
	hull_spec_free(s);
	free(padded);
}

TEST(error_paths)
{
	CHECK(fails_with("{\"ociVersion\": \"1.0.0\"}", "config.json: root: is required"));
	CHECK(fails_with("{\"ociVersion\": \"1.0.0\", \"root\": {}}", "config.json: root.path: is required"));
	CHECK(fails_with("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"\"}}", "config.json: root.path: must not be empty"));
	CHECK(fails_with("{\"ociVersion\": \"1.0.0\", \"root\": []}", "config.json: root: must be an object"));
	CHECK(fails_with_extra("\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"foo\"}]}",
			       "config.json: linux.namespaces[2].type: unknown namespace type 'foo'"));
	CHECK(fails_with_extra("\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]}",
			       "config.json: linux.namespaces[1].type: duplicate namespace type 'pid'"));
	CHECK(fails_with_extra("\"linux\": {\"namespaces\": [{}]}", "config.json: linux.namespaces[0].type: is required"));
	CHECK(fails_with_extra("\"linux\": {\"namespaces\": [{\"type\": \"net\"}]}", "unknown namespace type 'net'"));
	CHECK(fails_with_extra("\"linux\": {\"namespaces\": [{\"type\": \"network\", \"path\": \"run/netns/a\"}]}",
			       "config.json: linux.namespaces[0].path: must be an absolute path"));
	CHECK(fails_with_extra("\"linux\": {\"namespaces\": [\"pid\"]}", "config.json: linux.namespaces[0]: must be an object"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_FOO\"]}}",
			       "config.json: process.capabilities.bounding[1]: unknown capability 'CAP_FOO'"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"capabilities\": {\"ambient\": \"CAP_KILL\"}}",
			       "config.json: process.capabilities.ambient: must be an array"));
	CHECK(fails_with_extra("\"mounts\": [{\"destination\": \"/proc\"}, {\"destination\": \"tmp\", \"type\": \"tmpfs\"}]",
			       "config.json: mounts[1].destination: must be an absolute path"));
	CHECK(fails_with_extra("\"mounts\": [{\"type\": \"tmpfs\"}]", "config.json: mounts[0].destination: is required"));
	CHECK(fails_with_extra("\"mounts\": [{\"destination\": \"/x\", \"options\": [\"ro\", 5]}]",
			       "config.json: mounts[0].options[1]: must be a string"));
	CHECK(fails_with_extra("\"mounts\": {}", "config.json: mounts: must be an array"));
	CHECK(fails_with_extra("\"process\": {}", "config.json: process.args: must be a non-empty array of strings"));
	CHECK(fails_with_extra("\"process\": {\"args\": []}", "config.json: process.args: must be a non-empty array of strings"));
	CHECK(fails_with_extra("\"process\": {\"args\": \"sh\"}", "config.json: process.args: must be a non-empty array of strings"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\", 1]}", "config.json: process.args[1]: must be a string"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"cwd\": \"work\"}",
			       "config.json: process.cwd: must be an absolute path"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"env\": [\"A=1\", null]}",
			       "config.json: process.env[1]: must be a string"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"terminal\": \"yes\"}",
			       "config.json: process.terminal: must be a boolean"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"user\": {\"uid\": -1}}",
			       "config.json: process.user.uid: must not be negative"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"user\": {\"uid\": 4294967296}}",
			       "config.json: process.user.uid: must be at most 4294967295"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"user\": {\"uid\": 1.5}}",
			       "config.json: process.user.uid: must be an integer"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"user\": {\"additionalGids\": [1, \"2\"]}}",
			       "config.json: process.user.additionalGids[1]: must be an integer"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"oomScoreAdj\": 1001}",
			       "config.json: process.oomScoreAdj: must be between -1000 and 1000"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}",
			       "config.json: process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_CPU\", \"soft\": 1, \"hard\": 1},"
			       " {\"type\": \"RLIMIT_CPU\", \"soft\": 2, \"hard\": 2}]}",
			       "config.json: process.rlimits[1].type: duplicate rlimit 'RLIMIT_CPU'"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_CPU\", \"soft\": -1, \"hard\": 1}]}",
			       "config.json: process.rlimits[0].soft: must not be negative"));
	CHECK(fails_with_extra("\"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_CPU\", \"hard\": 1}]}",
			       "config.json: process.rlimits[0].soft: is required"));
	CHECK(fails_with_extra("\"hostname\": 5", "config.json: hostname: must be a string"));
	CHECK(fails_with_extra("\"hooks\": {\"prestart\": [{\"path\": \"hook.sh\"}]}",
			       "config.json: hooks.prestart[0].path: must be an absolute path"));
	CHECK(fails_with_extra("\"hooks\": {\"poststop\": [{\"path\": \"/x\", \"timeout\": 0}]}",
			       "config.json: hooks.poststop[0].timeout: must be greater than zero"));
	CHECK(fails_with_extra("\"hooks\": {\"createContainer\": [{\"args\": []}]}",
			       "config.json: hooks.createContainer[0].path: is required"));
	CHECK(fails_with_extra("\"annotations\": {\"a\": \"b\", \"c\": 1}", "config.json: annotations[\"c\"]: must be a string"));
	CHECK(fails_with_extra("\"linux\": {\"sysctl\": {\"net.core.somaxconn\": 1024}}",
			       "config.json: linux.sysctl[\"net.core.somaxconn\"]: must be a string"));
	CHECK(fails_with_extra("\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000}]}",
			       "config.json: linux.uidMappings[0].size: is required"));
	CHECK(fails_with_extra("\"linux\": {\"devices\": [{\"type\": \"x\", \"path\": \"/dev/x\"}]}",
			       "config.json: linux.devices[0].type: unknown device type 'x'"));
	CHECK(fails_with_extra("\"linux\": {\"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\", \"minor\": 1}]}",
			       "config.json: linux.devices[0].major: is required for device type 'c'"));
	CHECK(fails_with_extra("\"linux\": {\"devices\": [{\"type\": \"c\", \"path\": \"dev/x\", \"major\": 1, \"minor\": 1}]}",
			       "config.json: linux.devices[0].path: must be an absolute path"));
	CHECK(fails_with_extra("\"linux\": {\"maskedPaths\": [\"/proc/kcore\", \"proc/x\"]}",
			       "config.json: linux.maskedPaths[1]: must be an absolute path"));
	CHECK(fails_with_extra("\"linux\": {\"rootfsPropagation\": \"sideways\"}",
			       "config.json: linux.rootfsPropagation: unknown propagation 'sideways'"));
	CHECK(fails_with_extra("\"linux\": {\"timeOffsets\": {\"realtime\": {\"secs\": 1}}}",
			       "config.json: linux.timeOffsets.realtime: unknown clock 'realtime'"));
	CHECK(fails_with_extra("\"linux\": {\"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}}",
			       "config.json: linux.timeOffsets.boottime.nanosecs: must be at most 999999999"));
	CHECK(fails_with_extra("\"linux\": {\"seccomp\": []}", "config.json: linux.seccomp: must be an object"));
	CHECK(fails_with_extra("\"linux\": []", "config.json: linux: must be an object"));
}

TEST(resource_errors)
{
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"memory\": {\"limit\": -2}}}",
			       "config.json: linux.resources.memory.limit: must be between -1 and"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"memory\": {\"limit\": 9223372036854775808}}}",
			       "config.json: linux.resources.memory.limit: must be between -1 and 9223372036854775807"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"memory\": {\"swappiness\": 101}}}",
			       "config.json: linux.resources.memory.swappiness: must be at most 100"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"cpu\": {\"shares\": -5}}}",
			       "config.json: linux.resources.cpu.shares: must not be negative"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"cpu\": {\"cpus\": 3}}}",
			       "config.json: linux.resources.cpu.cpus: must be a string"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"blockIO\": {\"weight\": 65536}}}",
			       "config.json: linux.resources.blockIO.weight: must be at most 65535"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}}}",
			       "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"hugepageLimits\": [{\"limit\": 1}]}}",
			       "config.json: linux.resources.hugepageLimits[0].pageSize: is required"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, \"type\": \"p\"}]}}",
			       "config.json: linux.resources.devices[0].type: unknown device type 'p'"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}}",
			       "config.json: linux.resources.devices[0].access: invalid access 'rwx'"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rr\"}]}}",
			       "invalid access 'rr'"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"devices\": [{\"access\": \"r\"}]}}",
			       "config.json: linux.resources.devices[0].allow: is required"));
	CHECK(fails_with_extra("\"linux\": {\"resources\": {\"unified\": {\"memory.max\": 5}}}",
			       "config.json: linux.resources.unified[\"memory.max\"]: must be a string"));

	/* Negative pids limits all mean "unlimited". */
	_cleanup_free_ char *json = config_with("\"linux\": {\"resources\": {\"pids\": {\"limit\": -5}}}");
	struct hull_spec *s = parse_ok(json);
	CHECK(s && s->linux.resources.has_pids_limit && s->linux.resources.pids_limit == -1);
	hull_spec_free(s);
}

/* A linux.resources object on its own (`hullrt update -r`). */
static bool resources_fail(const char *json, const char *want)
{
	struct hull_resources r;
	struct hull_error *err = NULL;
	bool ok = hull_resources_parse(json, strlen(json), &r, &err) < 0 && err && startswith(err->msg, want);

	if (!ok)
		fprintf(stderr, "  %s: got '%s', want '%s'\n", json, err ? err->msg : "(success)", want);
	hull_error_free(err);
	return ok;
}

TEST(standalone_resources)
{
	const char *json = "{\"memory\": {\"limit\": 1048576, \"swap\": -1}, \"cpu\": {\"shares\": 512, "
			   "\"realtimeRuntime\": 950000, \"realtimePeriod\": 1000000, \"cpus\": \"0-1\"}, "
			   "\"pids\": {\"limit\": 10}, \"blockIO\": {\"weight\": 300}, \"unified\": {\"memory.high\": \"5\"}}\n";
	struct hull_resources r;
	struct hull_error *err = NULL;

	CHECK(hull_resources_parse(json, strlen(json), &r, &err) == 0);
	CHECK(r.has_memory_limit && r.memory_limit == 1048576 && r.has_memory_swap && r.memory_swap == -1);
	CHECK(!r.has_memory_reservation && r.has_cpu_shares && r.cpu_shares == 512);
	CHECK(r.has_cpu_rt_runtime && r.cpu_rt_runtime == 950000 && r.has_cpu_rt_period && r.cpu_rt_period == 1000000);
	CHECK(!r.has_cpu_quota && streq(r.cpu_cpus, "0-1") && r.has_pids_limit && r.pids_limit == 10);
	CHECK(r.has_blkio_weight && r.blkio_weight == 300 && r.n_unified == 1);
	hull_resources_done(&r);
	CHECK(!r.cpu_cpus && !r.unified);

	CHECK(hull_resources_parse("{}", 2, &r, &err) == 0 && !r.has_memory_limit && !r.has_pids_limit);
	hull_resources_done(&r);
	/* Errors name the field inside the object, not a config.json path. */
	CHECK(resources_fail("{\"memory\": {\"limit\": \"1g\"}}", "memory.limit: must be an integer"));
	CHECK(resources_fail("{\"cpu\": {\"quota\": -2}}", "cpu.quota: must be between -1 and"));
	CHECK(resources_fail("{\"pids\": 5}", "pids: must be an object"));
	CHECK(resources_fail("{\"memory\": {}", "invalid JSON"));
	CHECK(resources_fail("{} x", "invalid JSON"));
	CHECK(resources_fail("", "invalid JSON"));
	CHECK(resources_fail("[1]", "must be a JSON object"));
	hull_error_free(err);
}

/* Returns the parsed mount of a config with one mount of these options. */
static struct hull_spec *with_options(const char *type, const char *options)
{
	_cleanup_free_ char *extra = NULL, *json = NULL;

	if (asprintf(&extra, "\"mounts\": [{\"destination\": \"/m\", \"type\": \"%s\", \"options\": [%s]}]", type,
		     options) < 0)
		abort();
	json = config_with(extra);
	return parse_ok(json);
}

TEST(mount_option_table)
{
	static const struct {
		const char *options;
		unsigned long flags, propagation;
		const char *data;
		bool bind;
	} cases[] = {
		{ "\"ro\"", MS_RDONLY, 0, NULL, false },
		{ "\"ro\", \"rw\"", 0, 0, NULL, false },
		{ "\"nosuid\", \"suid\"", 0, 0, NULL, false },
		{ "\"nodev\", \"noexec\", \"dev\"", MS_NOEXEC, 0, NULL, false },
		{ "\"noexec\", \"exec\"", 0, 0, NULL, false },
		{ "\"sync\"", MS_SYNCHRONOUS, 0, NULL, false },
		{ "\"sync\", \"async\"", 0, 0, NULL, false },
		{ "\"dirsync\", \"remount\"", MS_DIRSYNC | MS_REMOUNT, 0, NULL, false },
		{ "\"mand\"", MS_MANDLOCK, 0, NULL, false },
		{ "\"mand\", \"nomand\"", 0, 0, NULL, false },
		{ "\"noatime\", \"nodiratime\"", MS_NOATIME | MS_NODIRATIME, 0, NULL, false },
		{ "\"noatime\", \"atime\", \"nodiratime\", \"diratime\"", 0, 0, NULL, false },
		{ "\"relatime\"", MS_RELATIME, 0, NULL, false },
		{ "\"relatime\", \"norelatime\"", 0, 0, NULL, false },
		{ "\"strictatime\"", MS_STRICTATIME, 0, NULL, false },
		{ "\"strictatime\", \"nostrictatime\"", 0, 0, NULL, false },
		{ "\"bind\"", MS_BIND, 0, NULL, true },
		{ "\"rbind\"", MS_BIND | MS_REC, 0, NULL, true },
		{ "\"defaults\"", 0, 0, NULL, false },
		{ "\"private\"", 0, MS_PRIVATE, NULL, false },
		{ "\"rprivate\"", 0, MS_PRIVATE | MS_REC, NULL, false },
		{ "\"shared\"", 0, MS_SHARED, NULL, false },
		{ "\"rshared\"", 0, MS_SHARED | MS_REC, NULL, false },
		{ "\"slave\"", 0, MS_SLAVE, NULL, false },
		{ "\"rslave\"", 0, MS_SLAVE | MS_REC, NULL, false },
		{ "\"unbindable\"", 0, MS_UNBINDABLE, NULL, false },
		{ "\"runbindable\"", 0, MS_UNBINDABLE | MS_REC, NULL, false },
		{ "\"rshared\", \"private\"", 0, MS_PRIVATE, NULL, false },
		{ "\"size=65536k\"", 0, 0, "size=65536k", false },
		{ "\"ro\", \"size=1m\", \"nosuid\", \"mode=755\", \"uid=1\", \"gid=2\"", MS_RDONLY | MS_NOSUID, 0,
		  "size=1m,mode=755,uid=1,gid=2", false },
		{ "\"newinstance\", \"ptmxmode=0666\"", 0, 0, "newinstance,ptmxmode=0666", false },
		{ "\"rro\", \"rrw\", \"rnosuid\", \"rnodev\", \"rnoexec\", \"ratime\", \"tmpcopyup\", \"idmap\", \"ridmap\"",
		  0, 0, NULL, false },
		{ "\"\", \"lowerdir=/a:/b\"", 0, 0, "lowerdir=/a:/b", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hull_spec *s = with_options("tmpfs", cases[i].options);
		CHECK(s && s->n_mounts == 1);
		if (!s || s->n_mounts != 1)
			continue;
		const struct hull_mount *m = &s->mounts[0];
		if (m->flags != cases[i].flags || m->propagation != cases[i].propagation ||
		    !(cases[i].data ? streq(m->data, cases[i].data) : m->data == NULL) || m->bind != cases[i].bind) {
			fprintf(stderr, "  options [%s]: flags %#lx propagation %#lx data '%s' bind %d\n", cases[i].options,
				m->flags, m->propagation, m->data ? m->data : "(null)", m->bind);
			CHECK(!"mount option case");
		}
		hull_spec_free(s);
	}

	/* type "bind" is a bind mount without any option. */
	struct hull_spec *s = with_options("bind", "\"ro\"");
	CHECK(s && s->mounts[0].bind && s->mounts[0].flags == MS_RDONLY);
	hull_spec_free(s);
}

TEST(signal_names)
{
	CHECK(hull_signal_from_name("TERM") == SIGTERM);
	CHECK(hull_signal_from_name("SIGTERM") == SIGTERM);
	CHECK(hull_signal_from_name("term") == SIGTERM);
	CHECK(hull_signal_from_name("sigkill") == SIGKILL);
	CHECK(hull_signal_from_name("SigHup") == SIGHUP);
	CHECK(hull_signal_from_name("15") == 15);
	CHECK(hull_signal_from_name("9") == 9);
	CHECK(hull_signal_from_name("1") == 1);
	CHECK(hull_signal_from_name("64") == 64);
	CHECK(hull_signal_from_name("USR1") == SIGUSR1);
	CHECK(hull_signal_from_name("SIGWINCH") == SIGWINCH);
	CHECK(hull_signal_from_name("CHLD") == SIGCHLD && hull_signal_from_name("CLD") == SIGCHLD);
	CHECK(hull_signal_from_name("RTMIN") == SIGRTMIN);
	CHECK(hull_signal_from_name("SIGRTMIN+3") == SIGRTMIN + 3);
	CHECK(hull_signal_from_name("rtmax-2") == SIGRTMAX - 2);
	CHECK(hull_signal_from_name("RTMAX") == SIGRTMAX);
	CHECK(hull_signal_from_name("0") == -1);
	CHECK(hull_signal_from_name("65") == -1);
	CHECK(hull_signal_from_name("-9") == -1);
	CHECK(hull_signal_from_name("9x") == -1);
	CHECK(hull_signal_from_name("") == -1);
	CHECK(hull_signal_from_name(NULL) == -1);
	CHECK(hull_signal_from_name("SIG") == -1);
	CHECK(hull_signal_from_name("FOO") == -1);
	CHECK(hull_signal_from_name("RTMIN-1") == -1);
	CHECK(hull_signal_from_name("RTMIN+99") == -1);
	CHECK(hull_signal_from_name("RTMAX+1") == -1);
}

TEST(capability_names)
{
	CHECK(hull_capability_from_name("CAP_CHOWN") == 0);
	CHECK(hull_capability_from_name("CAP_SYS_ADMIN") == 21);
	CHECK(hull_capability_from_name("cap_sys_admin") == 21);
	CHECK(hull_capability_from_name("SYS_ADMIN") == 21);
	CHECK(hull_capability_from_name("net_raw") == 13);
	CHECK(hull_capability_from_name("CAP_AUDIT_READ") == 37);
	CHECK(hull_capability_from_name("CAP_BPF") == 39);
	CHECK(hull_capability_from_name("CAP_CHECKPOINT_RESTORE") == 40);
	CHECK(hull_capability_from_name("CAP_FOO") == -1);
	CHECK(hull_capability_from_name("CAP_") == -1);
	CHECK(hull_capability_from_name("") == -1);
	CHECK(hull_capability_from_name(NULL) == -1);
}

TEST(namespace_names)
{
	static const char *const names[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };
	static const int types[] = { CLONE_NEWPID,  CLONE_NEWNET,  CLONE_NEWNS,	    CLONE_NEWIPC,
				     CLONE_NEWUTS, CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		CHECK(hull_namespace_type_from_name(names[i]) == types[i]);
		CHECK_STREQ(hull_namespace_type_to_name(types[i]), names[i]);
	}
	CHECK(hull_namespace_type_from_name("net") == -1);
	CHECK(hull_namespace_type_from_name("PID") == -1);
	CHECK(hull_namespace_type_from_name(NULL) == -1);
	CHECK(hull_namespace_type_to_name(0) == NULL);
}

TEST(load_from_bundle)
{
	char tmpl[] = "/tmp/hull-unit-spec-XXXXXX";
	char *dir = mkdtemp(tmpl), path[PATH_MAX];
	struct hull_spec *s = NULL;
	struct hull_error *err = NULL;

	CHECK(dir);
	if (!dir)
		return;
	CHECK(hull_spec_load(dir, &s, &err) == -ENOENT);
	CHECK(err && err->code == ENOENT);
	snprintf(path, sizeof(path), "cannot open '%s/config.json': No such file or directory", dir);
	CHECK(err && streq(err->msg, path));
	hull_error_free(err);
	err = NULL;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	FILE *f = fopen(path, "w");
	CHECK(f);
	if (f) {
		fputs(full_config, f);
		fclose(f);
	}
	CHECK(hull_spec_load(dir, &s, &err) == 0);
	CHECK(s && s->n_mounts == 8 && streq(s->process.args[0], "sh"));
	CHECK(err == NULL);
	hull_spec_free(s);
	unlink(path);
	rmdir(dir);
}

/* Every prefix of a valid config, and every single-byte corruption of a
 * smaller one, must fail cleanly or parse; never crash or leak. */
TEST(truncated_and_corrupted_input)
{
	size_t len = strlen(full_config);
	int ok = 0;

	for (size_t n = 0; n <= len; n++) {
		struct hull_spec *s = NULL;
		struct hull_error *err = NULL;
		char *copy = malloc(n ? n : 1); /* exact size: ASan sees reads past n */

		memcpy(copy, full_config, n);
		int r = hull_spec_parse(copy, n, &s, &err);
		CHECK(r == 0 ? s != NULL && err == NULL : s == NULL && err != NULL && err->msg != NULL);
		ok += r == 0;
		hull_spec_free(s);
		hull_error_free(err);
		free(copy);
	}
	CHECK(ok >= 1); /* the whole thing, with or without the final newline */

	static const char chars[] = "\"{}[],:0-\\ x\0";
	for (size_t i = 0; i < len; i += 7) {
		for (size_t c = 0; c < sizeof(chars) - 1; c++) {
			struct hull_spec *s = NULL;
			struct hull_error *err = NULL;
			char *copy = malloc(len);

			memcpy(copy, full_config, len);
			copy[i] = chars[c];
			int r = hull_spec_parse(copy, len, &s, &err);
			CHECK(r == 0 ? s != NULL : s == NULL && err != NULL);
			hull_spec_free(s);
			hull_error_free(err);
			free(copy);
		}
	}
}

TEST(null_err_is_allowed)
{
	struct hull_spec *s = NULL;

	CHECK(hull_spec_parse("{", 1, &s, NULL) == -EINVAL && s == NULL);
	CHECK(hull_spec_parse(full_config, strlen(full_config), &s, NULL) == 0 && s);
	hull_spec_free(s);
	hull_spec_free(NULL);
}
