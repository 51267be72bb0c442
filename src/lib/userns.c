/* userns.c - see userns.h */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path.h"
#include "util.h"

HULL_EXPORT bool hull_in_userns(void)
{
	/* Asked on every create: read once (a process that setns()es into
	 * another user namespace itself would need a fresh answer; libhull
	 * only does so in children). */
	static int cached = -1;
	unsigned long long inside, outside, size;

	if (cached >= 0)
		return cached;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/uid_map", "re");
	/* The initial namespace maps every id onto itself in one line. */
	cached = f && fscanf(f, "%llu %llu %llu", &inside, &outside, &size) == 3 &&
		 !(inside == 0 && outside == 0 && size == 4294967295ULL);
	return cached;
}

HULL_EXPORT bool hull_rootless(void)
{
	return geteuid() != 0 || hull_in_userns();
}

static int check_ranges(const char *key, const struct hull_id_map *m, size_t n, struct hull_error **err)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].size == 0)
			return hull_error_plain(err, EINVAL, "config.json: linux.%s[%zu].size: must be at least 1", key, i);
		if ((uint64_t)m[i].container_id + m[i].size > (uint64_t)UINT32_MAX + 1 ||
		    (uint64_t)m[i].host_id + m[i].size > (uint64_t)UINT32_MAX + 1)
			return hull_error_plain(err, EINVAL, "config.json: linux.%s[%zu]: the range goes past id 4294967295",
						key, i);
		for (size_t j = 0; j < i; j++) {
			bool c = m[i].container_id < (uint64_t)m[j].container_id + m[j].size &&
				 m[j].container_id < (uint64_t)m[i].container_id + m[i].size;
			bool h = m[i].host_id < (uint64_t)m[j].host_id + m[j].size &&
				 m[j].host_id < (uint64_t)m[i].host_id + m[i].size;
			if (c || h)
				return hull_error_plain(err, EINVAL,
							"config.json: linux.%s[%zu]: its %s ids %u-%u overlap those of linux.%s[%zu]",
							key, i, c ? "container" : "host", c ? m[i].container_id : m[i].host_id,
							(c ? m[i].container_id : m[i].host_id) + (m[i].size - 1), key, j);
		}
	}
	/* The kernel takes at most 340 lines (5 before Linux 4.15). */
	if (n > 340)
		return hull_error_plain(err, EINVAL, "config.json: linux.%s: at most 340 ranges, not %zu", key, n);
	return 0;
}

int userns_check_spec(const struct hull_spec *spec, struct hull_error **err)
{
	const struct hull_linux *l = &spec->linux;
	const struct hull_namespace *ns = hull_spec_namespace(spec, CLONE_NEWUSER);
	int r;

	if (!ns) {
		if (l->n_uid_mappings || l->n_gid_mappings)
			return hull_error_plain(err, EINVAL, "config.json: linux.%s: mappings need a user namespace (add "
							     "{\"type\": \"user\"} to linux.namespaces)",
						l->n_uid_mappings ? "uidMappings" : "gidMappings");
		return 0;
	}
	if (ns->path)
		return 0;
	if (!l->n_uid_mappings || !l->n_gid_mappings)
		return hull_error_plain(err, EINVAL, "config.json: linux.%s: a new user namespace needs mappings (none given)",
					!l->n_uid_mappings ? "uidMappings" : "gidMappings");
	if ((r = check_ranges("uidMappings", l->uid_mappings, l->n_uid_mappings, err)) < 0)
		return r;
	return check_ranges("gidMappings", l->gid_mappings, l->n_gid_mappings, err);
}

static char *map_text(const struct hull_id_map *m, size_t n)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Runs newuidmap / newgidmap PID C H S ...; their stderr becomes the
 * error message. */
static int run_helper(const char *helper, pid_t pid, const struct hull_id_map *m, size_t n, struct hull_error **err)
{
	_cleanup_free_ char **argv = calloc(3 * n + 3, sizeof(char *));
	_cleanup_free_ char *nums = malloc((3 * n + 1) * 12);
	int p[2], status;

	if (!argv || !nums)
		return -ENOMEM;
	argv[0] = (char *)helper;
	argv[1] = nums;
	snprintf(nums, 12, "%d", (int)pid);
	for (size_t i = 0; i < n; i++) {
		uint32_t v[3] = { m[i].container_id, m[i].host_id, m[i].size };
		for (int k = 0; k < 3; k++) {
			char *slot = nums + (1 + 3 * i + (size_t)k) * 12;
			snprintf(slot, 12, "%u", v[k]);
			argv[2 + 3 * i + (size_t)k] = slot;
		}
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return hull_error_set(err, errno, "%s", helper);
	pid_t child = fork();
	if (child < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return hull_error_set(err, e, "cannot run %s", helper);
	}
	if (child == 0) {
		dup2(p[1], STDERR_FILENO);
		dup2(p[1], STDOUT_FILENO);
		execvp(helper, argv);
		dprintf(p[1], "%s", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	/* Read to EOF (the helper must not block on a full pipe), keep the start. */
	char msg[512], chunk[512];
	size_t len = 0;
	ssize_t k;
	while ((k = read(p[0], chunk, sizeof(chunk))) > 0 || (k < 0 && errno == EINTR))
		for (ssize_t i = 0; i < k && len < sizeof(msg) - 1; i++)
			msg[len++] = chunk[i];
	msg[len] = '\0';
	close(p[0]);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return hull_error_set(err, errno, "%s", helper);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	msg[strcspn(msg, "\n")] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return hull_error_plain(err, ENOENT, "cannot run %s (package uidmap): %s", helper, msg);
	return hull_error_plain(err, EPERM, "%s failed (are the ranges in /etc/sub%cid?): %s", helper,
				helper[3] == 'u' ? 'u' : 'g', msg[0] ? msg : "no message");
}

/* uid (gid = false) or gid mappings of pid. */
static int write_one(pid_t pid, bool uid, const struct hull_id_map *m, size_t n, struct hull_error **err)
{
	const char *file = uid ? "uid_map" : "gid_map";
	bool privileged = geteuid() == 0;
	bool own_only = n == 1 && m[0].size == 1 && m[0].host_id == (uid ? geteuid() : getegid());
	char path[64];
	int r;

	if (!privileged && !own_only)
		return run_helper(uid ? "newuidmap" : "newgidmap", pid, m, n, err);
	/* Without CAP_SETGID over the parent namespace, the kernel takes a
	 * gid_map only once setgroups is denied in the new namespace, so
	 * no process there can drop a supplementary group it holds. */
	if (!uid && !privileged) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if ((r = path_write_file(path, "deny", err)) < 0)
			return r;
	}
	_cleanup_free_ char *text = map_text(m, n);
	if (!text)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return path_write_file(path, text, err);
}

int userns_write_mappings(pid_t pid, const struct hull_spec *spec, struct hull_error **err)
{
	const struct hull_linux *l = &spec->linux;
	int r = write_one(pid, false, l->gid_mappings, l->n_gid_mappings, err);

	if (r < 0)
		return hull_error_wrap(err, r, "user namespace: gidMappings");
	r = write_one(pid, true, l->uid_mappings, l->n_uid_mappings, err);
	if (r < 0)
		return hull_error_wrap(err, r, "user namespace: uidMappings");
	return 0;
}

/* The first limit set in res that needs a cgroup, or NULL.  Device rules
 * are not in the list: rootless, they are ignored (runc does the same;
 * the kernel would not let an unprivileged user restrict devices). */
static const char *first_limit(const struct hull_resources *res)
{
	if (res->has_memory_limit || res->has_memory_reservation || res->has_memory_swap ||
	    res->has_memory_swappiness || res->disable_oom_killer)
		return "memory";
	if (res->has_cpu_shares || res->has_cpu_quota || res->has_cpu_period)
		return "cpu";
	if (res->cpu_cpus || res->cpu_mems)
		return "cpuset";
	if (res->has_pids_limit)
		return "pids";
	if (res->has_blkio_weight || res->has_blkio_leaf_weight || res->n_blkio_weight_device ||
	    res->n_throttle_read_bps || res->n_throttle_write_bps || res->n_throttle_read_iops ||
	    res->n_throttle_write_iops)
		return "blkio";
	if (res->n_hugepage_limits)
		return "hugetlb";
	if (res->n_unified)
		return "unified";
	return NULL;
}

int userns_rootless_cgroup(const struct hull_spec *spec, int create_r, struct hull_error *create_err,
			   char **ret_warning, struct hull_error **err)
{
	const char *why = create_err && create_err->msg ? create_err->msg : strerror(-create_r);
	const char *limit = spec->linux.has_resources ? first_limit(&spec->linux.resources) : NULL;
	int r = 0;

	*ret_warning = NULL;
	if (create_r != -EACCES && create_r != -EPERM && create_r != -EROFS) {
		/* not a question of rights: report it as it is */
		r = hull_error_plain(err, -create_r, "%s", why);
	} else if (spec->linux.cgroups_path) {
		r = hull_error_plain(err, -create_r,
				     "rootless: cannot create the cgroup of linux.cgroupsPath '%s' (is it delegated to "
				     "this user?): %s",
				     spec->linux.cgroups_path, why);
	} else if (limit) {
		r = hull_error_plain(err, -create_r,
				     "rootless: cannot set the %s limit of linux.resources: the container could not "
				     "create its cgroup (not delegated to this user): %s",
				     limit, why);
	} else if (asprintf(ret_warning,
			    "rootless: %s; the container runs without a cgroup of its own (not delegated to this user)",
			    why) < 0) {
		*ret_warning = NULL;
		r = -ENOMEM;
	}
	hull_error_free(create_err);
	return r;
}
