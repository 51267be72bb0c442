/* cgroup-stats.c - what a cgroup has used (hull_cgroup_stats), for both
 * backends.
 *
 * The numbers are the kernel's, with the units and meanings runc's
 * "events" gives them (containerd parses that JSON): nanoseconds for cpu,
 * bytes for memory, v1's memsw-style "swap" (memory + swap) also on v2.
 * A file that is missing (a controller the cgroup is not in, a kernel
 * without the feature) leaves its fields at 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "cgroup-internal.h"
#include "util.h"

/* ---- reading ---- */

/* dir/file as one unsigned number; "max" is UINT64_MAX.  -ENOENT etc. */
static int read_u64(const char *dir, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *v = NULL;
	char *end = NULL;

	if (!dir || cgroup_read(dir, file, &v, NULL) < 0)
		return -ENOENT;
	if (streq(v, "max")) {
		*ret = UINT64_MAX;
		return 0;
	}
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v || (*end && *end != '\n'))
		return -EINVAL;
	*ret = n;
	return 0;
}

/* As read_u64, but 0 when absent or unreadable. */
static uint64_t u64_or_0(const char *dir, const char *file)
{
	uint64_t v = 0;

	return read_u64(dir, file, &v) == 0 ? v : 0;
}

static void kv_free(struct hull_stat_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++)
		free(kv[i].key);
	free(kv);
}

/* A flat keyed file ("key value" lines: memory.stat, cpu.stat,
 * memory.events) into *ret.  Missing file: 0 entries. */
static int read_keyed(const char *dir, const char *file, struct hull_stat_kv **ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	struct hull_stat_kv *kv = NULL;
	size_t n = 0;
	char *save = NULL;

	*ret = NULL;
	*ret_n = 0;
	if (!dir || cgroup_read(dir, file, &text, NULL) < 0)
		return 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		unsigned long long v;
		char *end = NULL;

		if (!sp)
			continue;
		*sp = '\0';
		errno = 0;
		v = strtoull(sp + 1, &end, 10);
		if (errno || end == sp + 1)
			continue;
		struct hull_stat_kv *nk = reallocarray(kv, n + 1, sizeof(*kv));
		if (!nk) {
			kv_free(kv, n);
			return -ENOMEM;
		}
		kv = nk;
		kv[n].key = strdup(line);
		if (!kv[n].key) {
			kv_free(kv, n);
			return -ENOMEM;
		}
		kv[n++].value = v;
	}
	*ret = kv;
	*ret_n = n;
	return 0;
}

static uint64_t kv_get(const struct hull_stat_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (streq(kv[i].key, key))
			return kv[i].value;
	return 0;
}

int cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
	struct hull_stat_kv *kv = NULL;
	size_t n = 0;
	int r = read_keyed(dir, file, &kv, &n);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (streq(kv[i].key, key)) {
			*ret = kv[i].value;
			r = 0;
		}
	kv_free(kv, n);
	return r;
}

static const char *hier_dir(struct hull_cgroup *cg, const char *controller)
{
	struct cgroup_hier *h = cgroup_find_hier(cg, controller);

	return h ? h->full : NULL;
}

static int add_blkio(struct hull_blkio_entry **list, size_t *n, uint64_t major, uint64_t minor, const char *op,
		     uint64_t value)
{
	struct hull_blkio_entry *nl = reallocarray(*list, *n + 1, sizeof(**list));

	if (!nl)
		return -ENOMEM;
	*list = nl;
	nl[*n] = (struct hull_blkio_entry){ .major = major, .minor = minor, .value = value };
	snprintf(nl[*n].op, sizeof(nl[*n].op), "%s", op);
	(*n)++;
	return 0;
}

/* v1 blkio "MAJ:MIN Op value" lines (the "Total N" summary is dropped). */
static int read_blkio_v1(const char *dir, const char *file, struct hull_blkio_entry **list, size_t *n)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;

	if (!dir || cgroup_read(dir, file, &text, NULL) < 0)
		return 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long major, minor, value;
		char op[16];
		int r;

		if (sscanf(line, "%llu:%llu %15s %llu", &major, &minor, op, &value) != 4)
			continue;
		if ((r = add_blkio(list, n, major, minor, op, value)) < 0)
			return r;
	}
	return 0;
}

/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static int read_io_stat_v2(const char *dir, struct hull_cgroup_stats *s)
{
	static const struct {
		const char *key, *op;
		bool bytes;
	} map[] = {
		{ "rbytes", "Read", true }, { "wbytes", "Write", true }, { "dbytes", "Discard", true },
		{ "rios", "Read", false },  { "wios", "Write", false },  { "dios", "Discard", false },
	};
	_cleanup_free_ char *text = NULL;
	char *save = NULL;

	if (!dir || cgroup_read(dir, "io.stat", &text, NULL) < 0)
		return 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long major, minor;
		char *save2 = NULL;
		int used = 0;

		if (sscanf(line, "%llu:%llu%n", &major, &minor, &used) != 2)
			continue;
		for (char *tok = strtok_r(line + used, " ", &save2); tok; tok = strtok_r(NULL, " ", &save2)) {
			char *eq = strchr(tok, '=');
			if (!eq)
				continue;
			*eq = '\0';
			for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
				if (!streq(tok, map[i].key))
					continue;
				uint64_t v = strtoull(eq + 1, NULL, 10);
				int r = map[i].bytes
						? add_blkio(&s->io_service_bytes, &s->n_io_service_bytes, major, minor, map[i].op, v)
						: add_blkio(&s->io_serviced, &s->n_io_serviced, major, minor, map[i].op, v);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

/* hugetlb.<size>.<suffix> files: one entry per page size. */
static int read_hugetlb(const char *dir, bool v2, struct hull_cgroup_stats *s)
{
	const char *usage_suffix = v2 ? ".current" : ".usage_in_bytes";
	_cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), sl = strlen(usage_suffix);
		_cleanup_free_ char *size = NULL, *f = NULL;

		if (!startswith(de->d_name, "hugetlb.") || len <= 8 + sl || !streq(de->d_name + len - sl, usage_suffix) ||
		    strstr(de->d_name, ".rsvd."))
			continue;
		size = strndup(de->d_name + 8, len - 8 - sl);
		if (!size)
			return -ENOMEM;
		struct hull_hugetlb_stats *nh = reallocarray(s->hugetlb, s->n_hugetlb + 1, sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		s->hugetlb = nh;
		struct hull_hugetlb_stats *h = &nh[s->n_hugetlb];
		*h = (struct hull_hugetlb_stats){ 0 };
		h->usage = u64_or_0(dir, de->d_name);
		if (v2) {
			if (asprintf(&f, "hugetlb.%s.events", size) < 0)
				return -ENOMEM;
			cgroup_read_key(dir, f, "max", &h->failcnt);
		} else {
			if (asprintf(&f, "hugetlb.%s.max_usage_in_bytes", size) < 0)
				return -ENOMEM;
			h->max = u64_or_0(dir, f);
			free(f);
			if (asprintf(&f, "hugetlb.%s.failcnt", size) < 0)
				f = NULL;
			h->failcnt = f ? u64_or_0(dir, f) : 0;
		}
		h->page_size = TAKE_PTR(size);
		s->n_hugetlb++;
	}
	return 0;
}

/* Space-separated numbers (cpuacct.usage_percpu). */
static int read_u64_list(const char *dir, const char *file, uint64_t **ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	uint64_t *list = NULL;
	size_t n = 0;
	char *save = NULL;

	if (!dir || cgroup_read(dir, file, &text, NULL) < 0)
		return 0;
	for (char *tok = strtok_r(text, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		uint64_t *nl = reallocarray(list, n + 1, sizeof(*nl));
		if (!nl) {
			free(list);
			return -ENOMEM;
		}
		list = nl;
		list[n++] = strtoull(tok, NULL, 10);
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static void memory_entry_v1(const char *dir, const char *prefix, struct hull_memory_entry *e)
{
	char f[64];

	snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
	e->usage = u64_or_0(dir, f);
	snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
	e->max = u64_or_0(dir, f);
	snprintf(f, sizeof(f), "%s.failcnt", prefix);
	e->failcnt = u64_or_0(dir, f);
	snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
	e->limit = u64_or_0(dir, f);
}

/* ---- v1 ---- */

int cgroup_v1_stats(struct hull_cgroup *cg, struct hull_cgroup_stats *s, struct hull_error **err)
{
	const char *acct = hier_dir(cg, "cpuacct"), *cpu = hier_dir(cg, "cpu"), *mem = hier_dir(cg, "memory");
	const char *pids = hier_dir(cg, "pids"), *blkio = hier_dir(cg, "blkio");
	struct hull_stat_kv *kv = NULL;
	size_t n = 0;
	int r;

	/* cpu: cpuacct.usage* are nanoseconds; cpuacct.stat's USER_HZ
	 * ticks only where the kernel lacks usage_user/usage_sys. */
	s->cpu_total = u64_or_0(acct, "cpuacct.usage");
	if (read_u64(acct, "cpuacct.usage_user", &s->cpu_user) < 0 ||
	    read_u64(acct, "cpuacct.usage_sys", &s->cpu_kernel) < 0) {
		long hz = sysconf(_SC_CLK_TCK);
		uint64_t tick = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull, v = 0;
		s->cpu_user = cgroup_read_key(acct, "cpuacct.stat", "user", &v) == 0 ? v * tick : 0;
		s->cpu_kernel = cgroup_read_key(acct, "cpuacct.stat", "system", &v) == 0 ? v * tick : 0;
	}
	if ((r = read_u64_list(acct, "cpuacct.usage_percpu", &s->cpu_percpu, &s->n_cpu_percpu)) < 0)
		goto oom;
	if ((r = read_keyed(cpu, "cpu.stat", &kv, &n)) < 0)
		goto oom;
	s->cpu_periods = kv_get(kv, n, "nr_periods");
	s->cpu_throttled_periods = kv_get(kv, n, "nr_throttled");
	s->cpu_throttled_time = kv_get(kv, n, "throttled_time");
	kv_free(kv, n);

	if (mem) {
		memory_entry_v1(mem, "memory", &s->memory_usage);
		memory_entry_v1(mem, "memory.memsw", &s->memory_swap);
		memory_entry_v1(mem, "memory.kmem", &s->memory_kernel);
		memory_entry_v1(mem, "memory.kmem.tcp", &s->memory_kernel_tcp);
		if ((r = read_keyed(mem, "memory.stat", &s->memory_raw, &s->n_memory_raw)) < 0)
			goto oom;
		s->memory_cache = kv_get(s->memory_raw, s->n_memory_raw, "cache");
	}

	s->pids_current = u64_or_0(pids, "pids.current");
	s->pids_limit = u64_or_0(pids, "pids.max");
	if (s->pids_limit == UINT64_MAX)
		s->pids_limit = 0;

	/* CFQ's files, else BFQ's, else the throttle ones, as runc reads. */
	if (blkio) {
		const char *prefix = cgroup_file_exists(blkio, "blkio.io_service_bytes_recursive") ? "blkio"
				     : cgroup_file_exists(blkio, "blkio.bfq.io_service_bytes_recursive")
					     ? "blkio.bfq"
					     : "blkio.throttle";
		char f[96];

		snprintf(f, sizeof(f), "%s.io_service_bytes_recursive", prefix);
		if ((r = read_blkio_v1(blkio, f, &s->io_service_bytes, &s->n_io_service_bytes)) < 0)
			goto oom;
		snprintf(f, sizeof(f), "%s.io_serviced_recursive", prefix);
		if ((r = read_blkio_v1(blkio, f, &s->io_serviced, &s->n_io_serviced)) < 0)
			goto oom;
	}
	if ((r = read_hugetlb(hier_dir(cg, "hugetlb"), false, s)) < 0)
		goto oom;
	/* Hybrid: hugetlb may live in the cgroup2 mount instead. */
	if (!s->n_hugetlb && !hier_dir(cg, "hugetlb") && (r = read_hugetlb(hier_dir(cg, ""), true, s)) < 0)
		goto oom;
	return 0;
oom:
	return hull_error_set(err, -r, "cannot read the cgroup's statistics");
}

/* ---- v2 ---- */

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int cgroup_v2_stats(struct hull_cgroup *cg, struct hull_cgroup_stats *s, struct hull_error **err)
{
	const char *dir = cg->hiers[0].full;
	struct hull_stat_kv *kv = NULL;
	uint64_t v;
	size_t n = 0;
	int r;

	/* cpu.stat is there with or without the cpu controller. */
	if ((r = read_keyed(dir, "cpu.stat", &kv, &n)) < 0)
		goto oom;
	s->cpu_total = kv_get(kv, n, "usage_usec") * 1000;
	s->cpu_user = kv_get(kv, n, "user_usec") * 1000;
	s->cpu_kernel = kv_get(kv, n, "system_usec") * 1000;
	s->cpu_periods = kv_get(kv, n, "nr_periods");
	s->cpu_throttled_periods = kv_get(kv, n, "nr_throttled");
	s->cpu_throttled_time = kv_get(kv, n, "throttled_usec") * 1000;
	kv_free(kv, n);

	if (read_u64(dir, "memory.current", &s->memory_usage.usage) == 0) {
		s->memory_usage.limit = u64_or_0(dir, "memory.max");
		s->memory_usage.max = u64_or_0(dir, "memory.peak");
		/* v1's "swap" is memory + swap: the same sums here. */
		if (read_u64(dir, "memory.swap.current", &v) == 0) {
			s->memory_swap.usage = add_sat(v, s->memory_usage.usage);
			s->memory_swap.limit = add_sat(u64_or_0(dir, "memory.swap.max"), s->memory_usage.limit);
			s->memory_swap.max = u64_or_0(dir, "memory.swap.peak");
		}
		if ((r = read_keyed(dir, "memory.stat", &s->memory_raw, &s->n_memory_raw)) < 0)
			goto oom;
		s->memory_cache = kv_get(s->memory_raw, s->n_memory_raw, "file");
	}

	s->pids_current = u64_or_0(dir, "pids.current");
	s->pids_limit = u64_or_0(dir, "pids.max");
	if (s->pids_limit == UINT64_MAX)
		s->pids_limit = 0;

	if ((r = read_io_stat_v2(dir, s)) < 0 || (r = read_hugetlb(dir, true, s)) < 0)
		goto oom;
	return 0;
oom:
	return hull_error_set(err, -r, "cannot read the cgroup's statistics");
}

/* ---- front end ---- */

HULL_EXPORT int hull_cgroup_stats(struct hull_cgroup *cg, struct hull_cgroup_stats *ret, struct hull_error **err)
{
	int r;

	*ret = (struct hull_cgroup_stats){ 0 };
	r = cg->ops->stats(cg, ret, err);
	if (r < 0)
		hull_cgroup_stats_done(ret);
	return r;
}

HULL_EXPORT void hull_cgroup_stats_done(struct hull_cgroup_stats *s)
{
	free(s->cpu_percpu);
	kv_free(s->memory_raw, s->n_memory_raw);
	free(s->io_service_bytes);
	free(s->io_serviced);
	for (size_t i = 0; s->hugetlb && i < s->n_hugetlb; i++)
		free(s->hugetlb[i].page_size);
	free(s->hugetlb);
	*s = (struct hull_cgroup_stats){ 0 };
}
