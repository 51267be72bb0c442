/* cgroup-v2.c - the cgroup v2 (unified) backend.
 *
 * One hierarchy; a controller is usable in a cgroup only if its parent
 * lists it in cgroup.subtree_control, and a cgroup with processes cannot
 * enable controllers for children ("no internal processes").  So hull
 * enables them only in the parents it made itself, never in the
 * container's own directory, and never in a directory it did not make:
 * what the caller's own cgroup does not delegate stays unavailable, and
 * a limit that needs it fails with a message naming the controller.
 *
 * Values follow runc's conversions from the v1-shaped OCI fields, so a
 * config.json means the same under runc, crun and hull.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <time.h>

#include "cgroup-internal.h"
#include "util.h"

static const char *const wanted_controllers[] = { "cpu", "cpuset", "io", "memory", "pids", "hugetlb" };

/* Whether a space-separated list ("cpu memory", or "+cpu" as written in a
 * fake tree) holds name. */
static bool words_have(const char *list, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == '+' || *p == '\n')
			p++;
		const char *end = p + strcspn(p, " \n");
		if ((size_t)(end - p) == nl && strncmp(p, name, nl) == 0)
			return true;
		p = end;
	}
	return false;
}

bool cgroup_v2_has_controller(const char *dir, const char *controller)
{
	_cleanup_free_ char *parent = strdup(dir), *list = NULL;
	char *slash = parent ? strrchr(parent, '/') : NULL;

	if (!slash || slash == parent)
		return false;
	*slash = '\0';
	return cgroup_read(parent, "cgroup.subtree_control", &list, NULL) == 0 && words_have(list, controller);
}

int cgroup_v2_setup_hier(struct hull_cgroup *cg, struct cgroup_hier *h, struct hull_error **err)
{
	/* Top-down over the parents hull made (created - 1 of them): each
	 * can pass on only what its own parent passed to it. */
	for (unsigned depth = h->created; depth > 1; depth--) {
		_cleanup_free_ char *dir = strdup(h->full), *line = NULL;
		size_t len = 0;
		FILE *f;

		if (!dir)
			return -ENOMEM;
		for (unsigned i = 1; i < depth; i++)
			*strrchr(dir, '/') = '\0';
		f = open_memstream(&line, &len);
		if (!f)
			return -ENOMEM;
		bool first = true;
		for (size_t i = 0; i < ARRAY_SIZE(wanted_controllers); i++)
			if (cgroup_v2_has_controller(dir, wanted_controllers[i])) {
				fprintf(f, "%s+%s", first ? "" : " ", wanted_controllers[i]);
				first = false;
			}
		if (fclose(f) != 0)
			return -ENOMEM;
		/* One write for all: a fake tree then keeps them all, and the
		 * kernel takes a space-separated list. */
		if (*line) {
			int r = cgroup_write(cg, dir, "cgroup.subtree_control", line, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int v2_setup(struct hull_cgroup *cg, struct hull_error **err)
{
	return cgroup_v2_setup_hier(cg, &cg->hiers[0], err);
}

/* An error naming the controller a field needs when the parent does not
 * delegate it (the files would simply be missing). */
static int need(const char *dir, const char *controller, const char *field, struct hull_error **err)
{
	if (cgroup_v2_has_controller(dir, controller))
		return 0;
	return hull_error_set(err, EOPNOTSUPP,
			      "%s: the cgroup v2 controller '%s' is not enabled for %s "
			      "(not in its parent's cgroup.subtree_control)",
			      field, controller, dir);
}

/* -1 is "max", else the number. */
static int write_limit(struct hull_cgroup *cg, const char *dir, const char *file, int64_t v, struct hull_error **err)
{
	if (v < 0)
		return cgroup_write(cg, dir, file, "max", err);
	return cgroup_writef(cg, dir, file, err, "%" PRId64, v);
}

/* memory.swap.max is swap alone, the OCI field memory+swap: convert as
 * runc's ConvertMemorySwapToCgroupV2Value does. */
static int swap_v2(const struct hull_resources *res, int64_t *ret, struct hull_error **err)
{
	int64_t mem = res->has_memory_limit ? res->memory_limit : 0;
	int64_t swap = res->memory_swap;

	if (swap == -1) {
		*ret = -1;
		return 0;
	}
	if (swap == 0) {
		*ret = 0;
		return 0;
	}
	if (mem == 0 || mem == -1)
		return hull_error_set(err, EINVAL, "linux.resources.memory.swap: cannot set a swap limit without a memory limit");
	if (swap < mem)
		return hull_error_set(err, EINVAL,
				      "linux.resources.memory.swap: memory+swap (%" PRId64 ") is below the memory limit (%" PRId64 ")",
				      swap, mem);
	*ret = swap - mem;
	return 0;
}

static int v2_memory(struct hull_cgroup *cg, const char *dir, const struct hull_resources *res, struct hull_error **err)
{
	int r;

	/* memory.swappiness and the OOM killer switch have no cgroup v2
	 * file; as runc, they are ignored there. */
	if (!res->has_memory_limit && !res->has_memory_swap && !res->has_memory_reservation)
		return 0;
	if ((r = need(dir, "memory", "linux.resources.memory", err)) < 0)
		return r;
	if (res->has_memory_swap) {
		int64_t swap = 0;
		if ((r = swap_v2(res, &swap, err)) < 0)
			return r;
		r = write_limit(cg, dir, "memory.swap.max", swap, err);
		/* No swap on the host: "max" and "0" ask for nothing. */
		if (r == -ENOENT && swap <= 0)
			r = 0;
		if (r < 0)
			return r;
	}
	if (res->has_memory_limit && (r = write_limit(cg, dir, "memory.max", res->memory_limit, err)) < 0)
		return r;
	if (res->has_memory_reservation &&
	    (r = write_limit(cg, dir, "memory.low", res->memory_reservation, err)) < 0)
		return r;
	return 0;
}

/* cpu.shares (2-262144, default 1024) to cpu.weight (1-10000, default 100),
 * runc's ConvertCPUSharesToCgroupV2Value. */
static uint64_t shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static int v2_cpu(struct hull_cgroup *cg, const char *dir, const struct hull_resources *res, struct hull_error **err)
{
	bool quota = res->has_cpu_quota && res->cpu_quota != 0, period = res->has_cpu_period && res->cpu_period;
	int r;

	if (res->has_cpu_shares && res->cpu_shares) {
		if ((r = need(dir, "cpu", "linux.resources.cpu.shares", err)) < 0 ||
		    (r = cgroup_writef(cg, dir, "cpu.weight", err, "%" PRIu64, shares_to_weight(res->cpu_shares))) < 0)
			return r;
	}
	if (quota || period) {
		char q[24] = "max";

		if ((r = need(dir, "cpu", "linux.resources.cpu.quota/period", err)) < 0)
			return r;
		if (quota && res->cpu_quota > 0)
			snprintf(q, sizeof(q), "%" PRId64, res->cpu_quota);
		/* "quota period"; without a period the kernel keeps its own. */
		r = period ? cgroup_writef(cg, dir, "cpu.max", err, "%s %" PRIu64, q, res->cpu_period)
			   : cgroup_write(cg, dir, "cpu.max", q, err);
		if (r < 0)
			return r;
	}
	if (res->cpu_cpus || res->cpu_mems) {
		if ((r = need(dir, "cpuset", "linux.resources.cpu.cpus/mems", err)) < 0)
			return r;
		if (res->cpu_cpus && (r = cgroup_write(cg, dir, "cpuset.cpus", res->cpu_cpus, err)) < 0)
			return r;
		if (res->cpu_mems && (r = cgroup_write(cg, dir, "cpuset.mems", res->cpu_mems, err)) < 0)
			return r;
	}
	return 0;
}

static int v2_pids(struct hull_cgroup *cg, const char *dir, const struct hull_resources *res, struct hull_error **err)
{
	int r;

	if (!res->has_pids_limit)
		return 0;
	if ((r = need(dir, "pids", "linux.resources.pids", err)) < 0)
		return r;
	return write_limit(cg, dir, "pids.max", res->pids_limit <= 0 ? -1 : res->pids_limit, err);
}

/* blkio.weight (10-1000) to io.weight (1-10000), runc's
 * ConvertBlkIOToIOWeightValue. */
static uint64_t blkio_to_io_weight(uint64_t w)
{
	if (w < 10)
		w = 10;
	return 1 + (w - 10) * 9999 / 990;
}

struct io_max {
	int64_t major, minor;
	uint64_t v[4]; /* rbps, wbps, riops, wiops */
	bool set[4];
};

static int io_max_add(struct io_max **list, size_t *n, const struct hull_blkio_device *devs, size_t n_devs, int which)
{
	for (size_t i = 0; i < n_devs; i++) {
		size_t k = 0;

		while (k < *n && ((*list)[k].major != devs[i].major || (*list)[k].minor != devs[i].minor))
			k++;
		if (k == *n) {
			struct io_max *nl = reallocarray(*list, *n + 1, sizeof(**list));
			if (!nl)
				return -ENOMEM;
			*list = nl;
			nl[(*n)++] = (struct io_max){ .major = devs[i].major, .minor = devs[i].minor };
		}
		(*list)[k].v[which] = devs[i].rate;
		(*list)[k].set[which] = true;
	}
	return 0;
}

/* The four throttle lists become one io.max line per device:
 * "maj:min rbps=N wbps=N riops=N wiops=N" with only the keys given. */
static int v2_io_max(struct hull_cgroup *cg, const char *dir, const struct hull_resources *res, struct hull_error **err)
{
	static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
	_cleanup_free_ struct io_max *list = NULL;
	size_t n = 0;
	int r;

	if ((r = io_max_add(&list, &n, res->throttle_read_bps, res->n_throttle_read_bps, 0)) < 0 ||
	    (r = io_max_add(&list, &n, res->throttle_write_bps, res->n_throttle_write_bps, 1)) < 0 ||
	    (r = io_max_add(&list, &n, res->throttle_read_iops, res->n_throttle_read_iops, 2)) < 0 ||
	    (r = io_max_add(&list, &n, res->throttle_write_iops, res->n_throttle_write_iops, 3)) < 0)
		return hull_error_set(err, -r, "cannot write io.max");
	for (size_t i = 0; i < n; i++) {
		char line[256];
		int len = snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64, list[i].major, list[i].minor);

		for (int k = 0; k < 4; k++)
			if (list[i].set[k])
				len += snprintf(line + len, sizeof(line) - (size_t)len, " %s=%" PRIu64, keys[k], list[i].v[k]);
		if ((r = cgroup_write(cg, dir, "io.max", line, err)) < 0)
			return r;
	}
	return 0;
}

static int v2_io(struct hull_cgroup *cg, const char *dir, const struct hull_resources *res, struct hull_error **err)
{
	bool bfq;
	int r;

	if (!res->has_blkio_weight && !res->n_blkio_weight_device && !res->n_throttle_read_bps &&
	    !res->n_throttle_write_bps && !res->n_throttle_read_iops && !res->n_throttle_write_iops)
		return 0;
	if ((r = need(dir, "io", "linux.resources.blockIO", err)) < 0)
		return r;
	/* BFQ's io.bfq.weight takes the v1 range (1-1000) as is; io.weight
	 * (the io.cost controller) wants 1-10000.  leafWeight has no v2
	 * equivalent and is ignored, as runc does. */
	bfq = cgroup_file_exists(dir, "io.bfq.weight");
	if (res->has_blkio_weight && res->blkio_weight) {
		r = bfq ? cgroup_writef(cg, dir, "io.bfq.weight", err, "%u", res->blkio_weight)
			: cgroup_writef(cg, dir, "io.weight", err, "%" PRIu64, blkio_to_io_weight(res->blkio_weight));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < res->n_blkio_weight_device; i++) {
		const struct hull_blkio_device *d = &res->blkio_weight_device[i];
		if (!d->weight)
			continue;
		r = bfq ? cgroup_writef(cg, dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
					d->weight)
			: cgroup_writef(cg, dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major,
					d->minor, blkio_to_io_weight(d->weight));
		if (r < 0)
			return r;
	}
	return v2_io_max(cg, dir, res, err);
}

static int v2_hugetlb(struct hull_cgroup *cg, const char *dir, const struct hull_resources *res,
		      struct hull_error **err)
{
	int r;

	if (!res->n_hugepage_limits)
		return 0;
	if ((r = need(dir, "hugetlb", "linux.resources.hugepageLimits", err)) < 0)
		return r;
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const char *size = res->hugepage_limits[i].page_size;
		_cleanup_free_ char *file = NULL;

		if (!size || !*size || strchr(size, '/') || strstr(size, ".."))
			return hull_error_set(err, EINVAL, "linux.resources.hugepageLimits: invalid pageSize '%s'",
					      size ? size : "");
		if (asprintf(&file, "hugetlb.%s.max", size) < 0)
			return -ENOMEM;
		if ((r = cgroup_writef(cg, dir, file, err, "%" PRIu64, res->hugepage_limits[i].limit)) < 0)
			return r;
	}
	return 0;
}

static int v2_apply(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	const char *dir = cg->hiers[0].full;
	int r;

	/* linux.resources.devices: the device cgroup needs an eBPF program
	 * on v2 (not yet); the rules are ignored here, not refused, so that
	 * the default rules every config.json carries do not fail. */
	if ((r = v2_memory(cg, dir, res, err)) < 0 || (r = v2_cpu(cg, dir, res, err)) < 0 ||
	    (r = v2_pids(cg, dir, res, err)) < 0 || (r = v2_io(cg, dir, res, err)) < 0 ||
	    (r = v2_hugetlb(cg, dir, res, err)) < 0 || (r = cgroup_apply_unified(cg, dir, res, err)) < 0)
		return hull_error_wrap(err, r, "cannot apply cgroup limits");
	return 0;
}

/* ---- update ---- */

/* A value of dir/file: a number, or -1 for "max"; the first word only
 * ("max 100000" -> -1). */
static int read_limit(const char *dir, const char *file, int64_t *ret)
{
	_cleanup_free_ char *v = NULL;
	char *end = NULL;

	if (cgroup_read(dir, file, &v, NULL) < 0)
		return -ENOENT;
	if (startswith(v, "max")) {
		*ret = -1;
		return 0;
	}
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v)
		return -EINVAL;
	*ret = n;
	return 0;
}

/* v2 files hold two OCI fields at once (cpu.max: quota and period) or
 * derive one from another (memory.swap.max from swap and limit): what the
 * update leaves out is taken from the cgroup, as runc takes it from its
 * saved config. */
static int v2_update(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	const char *dir = cg->hiers[0].full;
	struct hull_resources r = *res;
	int q;

	if (r.has_cpu_period && r.cpu_period && !r.has_cpu_quota && read_limit(dir, "cpu.max", &r.cpu_quota) == 0)
		r.has_cpu_quota = true;
	if (r.has_memory_swap && r.memory_swap > 0 && !r.has_memory_limit &&
	    read_limit(dir, "memory.max", &r.memory_limit) == 0)
		r.has_memory_limit = true;
	if ((q = v2_memory(cg, dir, &r, err)) < 0 || (q = v2_cpu(cg, dir, &r, err)) < 0 ||
	    (q = v2_pids(cg, dir, &r, err)) < 0 || (q = v2_io(cg, dir, &r, err)) < 0 ||
	    (q = cgroup_apply_unified(cg, dir, &r, err)) < 0)
		return q;
	return 0;
}

static const struct cgroup_file_ref v2_update_files[] = {
	{ "", "memory.max" },  { "", "memory.swap.max" }, { "", "memory.low" },    { "", "cpu.weight" },
	{ "", "cpu.max" },     { "", "cpuset.cpus" },     { "", "cpuset.mems" },   { "", "pids.max" },
	{ "", "io.weight" },   { "", "io.bfq.weight" },
};

static int v2_pids_list(struct hull_cgroup *cg, pid_t **ret_pids, size_t *ret_n, struct hull_error **err)
{
	return cgroup_read_pids(cg->hiers[0].full, ret_pids, ret_n, err);
}

/* Reads "frozen N" from dir/cgroup.events. */
static int events_frozen(const char *dir, bool *ret, struct hull_error **err)
{
	_cleanup_free_ char *ev = NULL;
	int r = cgroup_read(dir, "cgroup.events", &ev, err);

	if (r < 0)
		return r;
	for (char *p = ev; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (startswith(p, "frozen ")) {
			*ret = p[7] == '1';
			return 0;
		}
	return hull_error_set(err, EOPNOTSUPP, "%s/cgroup.events has no 'frozen' line (kernel before 5.2?)", dir);
}

int cgroup_v2_freeze_dir(const struct hull_cgroup *cg, const char *dir, bool frozen, struct hull_error **err)
{
	struct timespec ts = { .tv_nsec = 10 * 1000000L };
	bool now = !frozen;
	int r;

	if ((r = cgroup_write(cg, dir, "cgroup.freeze", frozen ? "1" : "0", err)) < 0)
		return r;
	/* The write only asks: the cgroup is frozen once every task has
	 * stopped, which cgroup.events reports. */
	for (int i = 0; i < 200; i++) {
		if ((r = events_frozen(dir, &now, err)) < 0)
			return r;
		if (now == frozen)
			return 0;
		nanosleep(&ts, NULL);
	}
	if (frozen)
		cgroup_write(cg, dir, "cgroup.freeze", "0", NULL);
	return hull_error_set(err, ETIMEDOUT, "cannot %s %s: cgroup.events did not report 'frozen %d' after 2 s",
			      frozen ? "freeze" : "thaw", dir, frozen);
}

int cgroup_v2_is_frozen_dir(const char *dir, bool *ret, struct hull_error **err)
{
	_cleanup_free_ char *v = NULL;
	int r = cgroup_read(dir, "cgroup.freeze", &v, err);

	if (r < 0)
		return r;
	/* cgroup.freeze is what was asked: frozen or on the way there. */
	*ret = streq(v, "1");
	return 0;
}

static int v2_freeze(struct hull_cgroup *cg, bool frozen, struct hull_error **err)
{
	return cgroup_v2_freeze_dir(cg, cg->hiers[0].full, frozen, err);
}

static int v2_is_frozen(struct hull_cgroup *cg, bool *ret, struct hull_error **err)
{
	return cgroup_v2_is_frozen_dir(cg->hiers[0].full, ret, err);
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "cgroupfs-v2",
	.setup = v2_setup,
	.apply = v2_apply,
	.enter = cgroup_enter_all,
	.pids = v2_pids_list,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.update = v2_update,
	.update_files = v2_update_files,
	.n_update_files = ARRAY_SIZE(v2_update_files),
	.stats = cgroup_v2_stats,
	.oom_watch = cgroup_v2_oom_watch,
};
