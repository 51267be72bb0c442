/* cgroup-v1.c - the cgroup v1 backend, hybrid layout included.
 *
 * v1 has one hierarchy per controller (or per group of co-mounted ones);
 * the front end has made the container's directory in each.  Hybrid
 * adds a cgroup2 mount at <root>/unified, which hull also joins (so that
 * tools that read the process's cgroup2 path see the container) and uses
 * for what v1 lacks there: hugetlb limits and linux.resources.unified.
 *
 * The name=systemd hierarchy is joined like the others, as runc does:
 * every hierarchy then shows the same "<own>/hull/<id>", and systemd's
 * own bookkeeping of the caller's unit does not count the container's
 * processes as the caller's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <time.h>

#include "cgroup-internal.h"
#include "util.h"

/* The hierarchy of controller, or an error naming the spec field that
 * needs it. */
static int need(struct hull_cgroup *cg, const char *controller, const char *field, struct cgroup_hier **ret,
		struct hull_error **err)
{
	*ret = cgroup_find_hier(cg, controller);
	if (!*ret)
		return hull_error_set(err, EOPNOTSUPP, "%s: no '%s' cgroup v1 hierarchy under %s", field, controller,
				      cg->root);
	return 0;
}

/* ---- setup ---- */

/* A new v1 cpuset cgroup starts with empty cpuset.cpus and cpuset.mems,
 * and the kernel refuses to move a task into it (ENOSPC) until both are
 * set: copy them down from the nearest ancestor that has them into every
 * directory hull made, top-down (a child cannot exceed its parent). */
static int cpuset_copy_down(struct hull_cgroup *cg, struct cgroup_hier *h, const char *file, struct hull_error **err)
{
	_cleanup_free_ char *top = strdup(h->full);
	_cleanup_free_ char *hroot = NULL, *value = NULL;
	int r;

	if (!top || asprintf(&hroot, "%s/%s", cg->root, h->dir) < 0)
		return -ENOMEM;
	/* top = the highest directory hull made. */
	for (unsigned i = 1; i < h->created; i++)
		*strrchr(top, '/') = '\0';
	_cleanup_free_ char *anc = strdup(top);
	if (!anc)
		return -ENOMEM;
	while (!value && strlen(anc) > strlen(hroot)) {
		*strrchr(anc, '/') = '\0';
		_cleanup_free_ char *v = NULL;
		if (cgroup_read(anc, file, &v, NULL) == 0 && *v)
			value = TAKE_PTR(v);
	}
	if (!value)
		return hull_error_set(err, ENOENT, "cannot initialise cpuset: no ancestor of %s has %s set", h->full, file);
	for (unsigned depth = h->created; depth > 0; depth--) {
		_cleanup_free_ char *dir = strdup(h->full), *cur = NULL;
		if (!dir)
			return -ENOMEM;
		for (unsigned i = 1; i < depth; i++)
			*strrchr(dir, '/') = '\0';
		/* A fake tree has no file yet; the kernel's is empty. */
		if (cgroup_read(dir, file, &cur, NULL) == 0 && *cur)
			continue;
		if ((r = cgroup_write(cg, dir, file, value, err)) < 0)
			return r;
	}
	return 0;
}

static int v1_setup(struct hull_cgroup *cg, struct hull_error **err)
{
	struct cgroup_hier *cpuset = cgroup_find_hier(cg, "cpuset");
	struct cgroup_hier *unified = cgroup_find_hier(cg, "");
	int r;

	if (cpuset) {
		if ((r = cpuset_copy_down(cg, cpuset, "cpuset.cpus", err)) < 0 ||
		    (r = cpuset_copy_down(cg, cpuset, "cpuset.mems", err)) < 0)
			return r;
	}
	return unified ? cgroup_v2_setup_hier(cg, unified, err) : 0;
}

/* ---- memory ---- */

static int write_i64(struct hull_cgroup *cg, const char *dir, const char *file, int64_t v, struct hull_error **err)
{
	return cgroup_writef(cg, dir, file, err, "%" PRId64, v);
}

static int set_swap(struct hull_cgroup *cg, const char *dir, int64_t swap, struct hull_error **err)
{
	int r = write_i64(cg, dir, "memory.memsw.limit_in_bytes", swap, err);

	if (r == -ENOENT)
		return hull_error_wrap(err, r, "linux.resources.memory.swap: swap accounting is off (boot with swapaccount=1)");
	return r;
}

/* memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes at every
 * step, so the order of the two writes depends on the direction: raising,
 * memsw first; lowering, the limit first.  As runc, the current limit
 * decides; should the kernel still say EINVAL, the other order is tried. */
static int v1_memory_and_swap(struct hull_cgroup *cg, const char *dir, const struct hull_resources *res,
			      struct hull_error **err)
{
	_cleanup_free_ char *cur = NULL;
	bool swap_first = false;
	int r;

	if (!res->has_memory_swap)
		return write_i64(cg, dir, "memory.limit_in_bytes", res->memory_limit, err);
	if (!res->has_memory_limit)
		return set_swap(cg, dir, res->memory_swap, err);
	if (res->memory_swap == -1)
		swap_first = true;
	else if (cgroup_read(dir, "memory.limit_in_bytes", &cur, NULL) == 0)
		swap_first = strtoull(cur, NULL, 10) < (uint64_t)res->memory_swap;
	for (int attempt = 0; attempt < 2; attempt++, swap_first = !swap_first) {
		r = swap_first ? set_swap(cg, dir, res->memory_swap, err)
			       : write_i64(cg, dir, "memory.limit_in_bytes", res->memory_limit, err);
		if (r == -EINVAL && attempt == 0)
			continue;
		if (r < 0)
			return r;
		return swap_first ? write_i64(cg, dir, "memory.limit_in_bytes", res->memory_limit, err)
				  : set_swap(cg, dir, res->memory_swap, err);
	}
	return r;
}

static int v1_memory(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct cgroup_hier *h;
	int r;

	if (!res->has_memory_limit && !res->has_memory_swap && !res->has_memory_reservation &&
	    !res->has_memory_swappiness && !res->disable_oom_killer)
		return 0;
	if ((r = need(cg, "memory", "linux.resources.memory", &h, err)) < 0)
		return r;
	if ((res->has_memory_limit || res->has_memory_swap) && (r = v1_memory_and_swap(cg, h->full, res, err)) < 0)
		return r;
	if (res->has_memory_reservation &&
	    (r = write_i64(cg, h->full, "memory.soft_limit_in_bytes", res->memory_reservation, err)) < 0)
		return r;
	if (res->has_memory_swappiness &&
	    (r = cgroup_writef(cg, h->full, "memory.swappiness", err, "%" PRIu64, res->memory_swappiness)) < 0)
		return r;
	if (res->disable_oom_killer && (r = cgroup_write(cg, h->full, "memory.oom_control", "1", err)) < 0)
		return r;
	return 0;
}

/* ---- cpu, cpuset, pids ---- */

/* Real-time bandwidth (CONFIG_RT_GROUP_SCHED): the same order problem as
 * the CFS period and quota below, solved the same way as runc does. */
static int v1_cpu_rt(struct hull_cgroup *cg, const char *dir, const struct hull_resources *res,
		     struct hull_error **err)
{
	bool runtime = res->has_cpu_rt_runtime && res->cpu_rt_runtime != 0, pending = false;
	int r;

	if (res->has_cpu_rt_period && res->cpu_rt_period) {
		r = cgroup_writef(cg, dir, "cpu.rt_period_us", err, "%" PRIu64, res->cpu_rt_period);
		if (r == -EINVAL && runtime)
			pending = true;
		else if (r < 0)
			return r;
	}
	if (runtime && (r = write_i64(cg, dir, "cpu.rt_runtime_us", res->cpu_rt_runtime, err)) < 0)
		return r;
	if (pending)
		return cgroup_writef(cg, dir, "cpu.rt_period_us", err, "%" PRIu64, res->cpu_rt_period);
	return 0;
}

static int v1_cpu(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	bool period_pending = false;
	struct cgroup_hier *h;
	int r;

	if (!res->has_cpu_shares && !res->has_cpu_quota && !res->has_cpu_period && !res->has_cpu_rt_period &&
	    !res->has_cpu_rt_runtime)
		return 0;
	if ((r = need(cg, "cpu", "linux.resources.cpu", &h, err)) < 0)
		return r;
	if ((r = v1_cpu_rt(cg, h->full, res, err)) < 0)
		return r;
	if (res->has_cpu_shares && res->cpu_shares &&
	    (r = cgroup_writef(cg, h->full, "cpu.shares", err, "%" PRIu64, res->cpu_shares)) < 0)
		return r;
	if (res->has_cpu_period && res->cpu_period) {
		r = cgroup_writef(cg, h->full, "cpu.cfs_period_us", err, "%" PRIu64, res->cpu_period);
		/* A shorter period may be refused (EINVAL) while the old quota
		 * would then exceed the parent's bandwidth; as runc, retry it
		 * after the new quota is in. */
		if (r == -EINVAL && res->has_cpu_quota)
			period_pending = true;
		else if (r < 0)
			return r;
	}
	if (res->has_cpu_quota && (r = write_i64(cg, h->full, "cpu.cfs_quota_us", res->cpu_quota, err)) < 0)
		return r;
	if (period_pending)
		return cgroup_writef(cg, h->full, "cpu.cfs_period_us", err, "%" PRIu64, res->cpu_period);
	return 0;
}

static int v1_cpuset(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct cgroup_hier *h;
	int r;

	if (!res->cpu_cpus && !res->cpu_mems)
		return 0;
	if ((r = need(cg, "cpuset", "linux.resources.cpu.cpus/mems", &h, err)) < 0)
		return r;
	if (res->cpu_cpus && (r = cgroup_write(cg, h->full, "cpuset.cpus", res->cpu_cpus, err)) < 0)
		return r;
	if (res->cpu_mems && (r = cgroup_write(cg, h->full, "cpuset.mems", res->cpu_mems, err)) < 0)
		return r;
	return 0;
}

static int v1_pids(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct cgroup_hier *h;
	int r;

	if (!res->has_pids_limit)
		return 0;
	if ((r = need(cg, "pids", "linux.resources.pids", &h, err)) < 0)
		return r;
	/* The spec's -1 and 0 both mean no limit. */
	if (res->pids_limit <= 0)
		return cgroup_write(cg, h->full, "pids.max", "max", err);
	return write_i64(cg, h->full, "pids.max", res->pids_limit, err);
}

/* ---- blkio ---- */

static int write_devices(struct hull_cgroup *cg, const char *dir, const char *file,
			 const struct hull_blkio_device *devs, size_t n, struct hull_error **err)
{
	/* One "maj:min value" line per write: the kernel parses one. */
	for (size_t i = 0; i < n; i++) {
		int r = cgroup_writef(cg, dir, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, devs[i].major,
				      devs[i].minor, devs[i].rate);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_blkio(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct cgroup_hier *h;
	const char *weight = "blkio.weight", *weight_dev = "blkio.weight_device";
	int r;

	if (!res->has_blkio_weight && !res->has_blkio_leaf_weight && !res->n_blkio_weight_device &&
	    !res->n_throttle_read_bps && !res->n_throttle_write_bps && !res->n_throttle_read_iops &&
	    !res->n_throttle_write_iops)
		return 0;
	if ((r = need(cg, "blkio", "linux.resources.blockIO", &h, err)) < 0)
		return r;
	/* blkio.weight is CFQ's; with BFQ (CFQ is gone since 5.0) the
	 * kernel names it blkio.bfq.weight; with neither, no weights. */
	if ((res->has_blkio_weight || res->n_blkio_weight_device) && !cgroup_file_exists(h->full, weight)) {
		if (!cgroup_file_exists(h->full, "blkio.bfq.weight"))
			return hull_error_set(err, EOPNOTSUPP,
					      "linux.resources.blockIO: neither blkio.weight nor blkio.bfq.weight "
					      "exists in %s (no CFQ or BFQ I/O scheduler)",
					      h->full);
		weight = "blkio.bfq.weight";
		weight_dev = "blkio.bfq.weight_device";
	}
	if (res->has_blkio_weight && (r = cgroup_writef(cg, h->full, weight, err, "%u", res->blkio_weight)) < 0)
		return r;
	if (res->has_blkio_leaf_weight &&
	    (r = cgroup_writef(cg, h->full, "blkio.leaf_weight", err, "%u", res->blkio_leaf_weight)) < 0)
		return r;
	for (size_t i = 0; i < res->n_blkio_weight_device; i++) {
		const struct hull_blkio_device *d = &res->blkio_weight_device[i];
		if (d->weight && (r = cgroup_writef(cg, h->full, weight_dev, err, "%" PRId64 ":%" PRId64 " %u",
						    d->major, d->minor, d->weight)) < 0)
			return r;
		if (d->leaf_weight &&
		    (r = cgroup_writef(cg, h->full, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %u",
				       d->major, d->minor, d->leaf_weight)) < 0)
			return r;
	}
	if ((r = write_devices(cg, h->full, "blkio.throttle.read_bps_device", res->throttle_read_bps,
			       res->n_throttle_read_bps, err)) < 0 ||
	    (r = write_devices(cg, h->full, "blkio.throttle.write_bps_device", res->throttle_write_bps,
			       res->n_throttle_write_bps, err)) < 0 ||
	    (r = write_devices(cg, h->full, "blkio.throttle.read_iops_device", res->throttle_read_iops,
			       res->n_throttle_read_iops, err)) < 0 ||
	    (r = write_devices(cg, h->full, "blkio.throttle.write_iops_device", res->throttle_write_iops,
			       res->n_throttle_write_iops, err)) < 0)
		return r;
	return 0;
}

/* ---- hugetlb, devices, unified ---- */

static int v1_hugetlb(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct cgroup_hier *h = cgroup_find_hier(cg, "hugetlb");
	struct cgroup_hier *u = cgroup_find_hier(cg, "");
	bool v2 = false;

	if (!res->n_hugepage_limits)
		return 0;
	/* Hybrid systems may have hugetlb only in the cgroup2 mount. */
	if (!h && u && cgroup_v2_has_controller(u->full, "hugetlb")) {
		h = u;
		v2 = true;
	}
	if (!h)
		return hull_error_set(err, EOPNOTSUPP,
				      "linux.resources.hugepageLimits: no hugetlb controller (no v1 hierarchy under %s%s)",
				      cg->root, u ? ", and not enabled for the container in the cgroup2 mount" : "");
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const char *size = res->hugepage_limits[i].page_size;
		_cleanup_free_ char *file = NULL;
		int r;

		if (!size || !*size || strchr(size, '/') || strstr(size, ".."))
			return hull_error_set(err, EINVAL, "linux.resources.hugepageLimits: invalid pageSize '%s'",
					      size ? size : "");
		if (asprintf(&file, v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", size) < 0)
			return -ENOMEM;
		r = cgroup_writef(cg, h->full, file, err, "%" PRIu64, res->hugepage_limits[i].limit);
		if (r < 0)
			return r;
	}
	return 0;
}

static void device_rule_text(const struct hull_device_rule *d, char *buf, size_t size)
{
	char maj[24] = "*", min[24] = "*";

	if (d->major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, d->minor);
	snprintf(buf, size, "%c %s:%s %s", d->type ? d->type : 'a', maj, min, d->access[0] ? d->access : "rwm");
}

/* The rules are written in order, deny to devices.deny and allow to
 * devices.allow, which gives the spec's "last matching rule wins" for
 * the usual list ("deny all", then allow some). */
static int v1_devices(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct cgroup_hier *h;
	int r;

	if (!res->n_devices)
		return 0;
	if ((r = need(cg, "devices", "linux.resources.devices", &h, err)) < 0)
		return r;
	for (size_t i = 0; i < res->n_devices; i++) {
		char rule[80];

		device_rule_text(&res->devices[i], rule, sizeof(rule));
		r = cgroup_write(cg, h->full, res->devices[i].allow ? "devices.allow" : "devices.deny", rule, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_apply(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct cgroup_hier *u = cgroup_find_hier(cg, "");
	int r;

	if ((r = v1_memory(cg, res, err)) < 0 || (r = v1_cpu(cg, res, err)) < 0 || (r = v1_cpuset(cg, res, err)) < 0 ||
	    (r = v1_pids(cg, res, err)) < 0 || (r = v1_blkio(cg, res, err)) < 0 ||
	    (r = v1_hugetlb(cg, res, err)) < 0 || (r = v1_devices(cg, res, err)) < 0)
		return hull_error_wrap(err, r, "cannot apply cgroup limits");
	if (!res->n_unified)
		return 0;
	if (!u)
		return hull_error_set(err, EOPNOTSUPP,
				      "cannot apply cgroup limits: linux.resources.unified needs cgroup v2, "
				      "and %s has only v1 hierarchies",
				      cg->root);
	r = cgroup_apply_unified(cg, u->full, res, err);
	return r < 0 ? hull_error_wrap(err, r, "cannot apply cgroup limits") : 0;
}

/* ---- update ---- */

/* What hull_cgroup_update() passes on: the limits runc's update sets;
 * the front end restores these files if a write fails. */
static int v1_update(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct cgroup_hier *u = cgroup_find_hier(cg, "");
	int r;

	if ((r = v1_memory(cg, res, err)) < 0 || (r = v1_cpu(cg, res, err)) < 0 || (r = v1_cpuset(cg, res, err)) < 0 ||
	    (r = v1_pids(cg, res, err)) < 0 || (r = v1_blkio(cg, res, err)) < 0)
		return r;
	if (!res->n_unified)
		return 0;
	if (!u)
		return hull_error_set(err, EOPNOTSUPP, "unified: needs cgroup v2, and %s has only v1 hierarchies", cg->root);
	return cgroup_apply_unified(cg, u->full, res, err);
}

static const struct cgroup_file_ref v1_update_files[] = {
	{ "memory", "memory.limit_in_bytes" }, { "memory", "memory.memsw.limit_in_bytes" },
	{ "memory", "memory.soft_limit_in_bytes" }, { "cpu", "cpu.shares" },
	{ "cpu", "cpu.cfs_period_us" }, { "cpu", "cpu.cfs_quota_us" },
	{ "cpu", "cpu.rt_period_us" }, { "cpu", "cpu.rt_runtime_us" },
	{ "cpuset", "cpuset.cpus" }, { "cpuset", "cpuset.mems" },
	{ "pids", "pids.max" }, { "blkio", "blkio.weight" }, { "blkio", "blkio.bfq.weight" },
};

/* ---- processes and freezer ---- */

static int v1_pids_list(struct hull_cgroup *cg, pid_t **ret_pids, size_t *ret_n, struct hull_error **err)
{
	static const char *const prefer[] = { "pids", "freezer", "memory", "systemd", "" };
	struct cgroup_hier *h = NULL;

	/* Any hierarchy holds every process; these are the usual ones. */
	for (size_t i = 0; i < ARRAY_SIZE(prefer) && !h; i++)
		h = cgroup_find_hier(cg, prefer[i]);
	if (!h)
		h = cg->n_hiers ? &cg->hiers[0] : NULL;
	if (!h)
		return hull_error_set(err, ENOENT, "cannot list the cgroup's processes: no hierarchy");
	return cgroup_read_pids(h->full, ret_pids, ret_n, err);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Writes the state and waits until freezer.state reads it back: the
 * kernel reports FREEZING while tasks are still on their way, and, as
 * runc found, a freeze sometimes needs to be asked for again. */
static int v1_freeze(struct hull_cgroup *cg, bool frozen, struct hull_error **err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	struct cgroup_hier *h = cgroup_find_hier(cg, "freezer");
	struct cgroup_hier *u = cgroup_find_hier(cg, "");
	_cleanup_free_ char *state = NULL;
	int r;

	if (!h && u)
		return cgroup_v2_freeze_dir(cg, u->full, frozen, err);
	if (!h)
		return hull_error_set(err, EOPNOTSUPP, "cannot %s the container: no freezer cgroup hierarchy under %s",
				      frozen ? "freeze" : "thaw", cg->root);
	for (int i = 0; i < 200; i++) {
		if (i % 10 == 0 && (r = cgroup_write(cg, h->full, "freezer.state", want, err)) < 0)
			return r;
		free(state);
		state = NULL;
		if ((r = cgroup_read(h->full, "freezer.state", &state, err)) < 0)
			return r;
		if (streq(state, want))
			return 0;
		sleep_ms(10);
	}
	/* Do not leave a half-frozen container behind. */
	if (frozen)
		cgroup_write(cg, h->full, "freezer.state", "THAWED", NULL);
	return hull_error_set(err, ETIMEDOUT, "cannot freeze %s: freezer.state still '%s' after 2 s", h->full,
			      state ? state : "");
}

static int v1_is_frozen(struct hull_cgroup *cg, bool *ret, struct hull_error **err)
{
	struct cgroup_hier *h = cgroup_find_hier(cg, "freezer");
	struct cgroup_hier *u = cgroup_find_hier(cg, "");
	_cleanup_free_ char *state = NULL;
	int r;

	if (!h && u)
		return cgroup_v2_is_frozen_dir(u->full, ret, err);
	if (!h) {
		*ret = false;
		return 0;
	}
	if ((r = cgroup_read(h->full, "freezer.state", &state, err)) < 0)
		return r;
	*ret = !streq(state, "THAWED");
	return 0;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "cgroupfs-v1",
	.setup = v1_setup,
	.apply = v1_apply,
	.enter = cgroup_enter_all,
	.pids = v1_pids_list,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.update = v1_update,
	.update_files = v1_update_files,
	.n_update_files = ARRAY_SIZE(v1_update_files),
	.stats = cgroup_v1_stats,
	.oom_watch = cgroup_v1_oom_watch,
};
