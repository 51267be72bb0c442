/* cgroup-update.c - hull_cgroup_update(): new limits on a live cgroup.
 *
 * The request is first cut down to what `runc update` takes (with its
 * "0 = unchanged" rules), then every file the backend may write is read,
 * the backend writes the new values, and if one write fails the files
 * that changed are written back.  Putting back also has an order problem
 * (v1 memory.limit_in_bytes must stay below memory.memsw.limit_in_bytes):
 * the files are restored in reverse order, and those the kernel refuses
 * are tried again once the others are back.
 */
#include <errno.h>

#include "cgroup-internal.h"
#include "util.h"

struct saved_file {
	const char *dir; /* borrowed from the hierarchy */
	const char *file;
	char *value;
};

struct snapshot {
	struct saved_file *files;
	size_t n;
};

static void snapshot_done(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i].value);
	free(s->files);
}

static int snapshot_add(struct snapshot *s, const char *dir, const char *file)
{
	_cleanup_free_ char *v = NULL;
	struct saved_file *nf;

	/* A file the kernel does not have is one update cannot write. */
	if (cgroup_read(dir, file, &v, NULL) < 0)
		return 0;
	nf = reallocarray(s->files, s->n + 1, sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	s->files = nf;
	nf[s->n++] = (struct saved_file){ dir, file, TAKE_PTR(v) };
	return 0;
}

static int snapshot_take(struct hull_cgroup *cg, const struct hull_resources *res, struct snapshot *s)
{
	struct cgroup_hier *u = cgroup_find_hier(cg, "");
	int r;

	for (size_t i = 0; i < cg->ops->n_update_files; i++) {
		const struct cgroup_file_ref *f = &cg->ops->update_files[i];
		struct cgroup_hier *h = cgroup_find_hier(cg, f->controller);

		if (h && (r = snapshot_add(s, h->full, f->file)) < 0)
			return r;
	}
	for (size_t i = 0; u && i < res->n_unified; i++) {
		const char *key = res->unified[i].key;

		if (key && *key && !strchr(key, '/') && !strstr(key, "..") && (r = snapshot_add(s, u->full, key)) < 0)
			return r;
	}
	return 0;
}

static void snapshot_restore(struct hull_cgroup *cg, const struct snapshot *s)
{
	for (int pass = 0; pass < 3; pass++) {
		bool again = false;

		for (size_t i = s->n; i-- > 0;) {
			const struct saved_file *f = &s->files[i];
			_cleanup_free_ char *now = NULL;

			if (cgroup_read(f->dir, f->file, &now, NULL) == 0 && streq(now, f->value))
				continue;
			/* An empty value (v2 cpuset.cpus) is written as a newline:
			 * a zero-length write does not reach the kernel. */
			if (cgroup_write(cg, f->dir, f->file, *f->value ? f->value : "\n", NULL) < 0)
				again = true;
		}
		if (!again)
			break;
	}
}

/* The fields of res that `runc update` sets, with its meaning of 0. */
static void reduce(const struct hull_resources *in, struct hull_resources *out)
{
	*out = (struct hull_resources){ 0 };
	out->has_memory_limit = in->has_memory_limit && in->memory_limit != 0;
	out->memory_limit = in->memory_limit;
	out->has_memory_swap = in->has_memory_swap && in->memory_swap != 0;
	out->memory_swap = in->memory_swap;
	out->has_memory_reservation = in->has_memory_reservation && in->memory_reservation != 0;
	out->memory_reservation = in->memory_reservation;
	/* "set both memory and swap to unlimited", as runc reads it */
	if (out->has_memory_limit && out->memory_limit == -1 && !out->has_memory_swap) {
		out->has_memory_swap = true;
		out->memory_swap = -1;
	}
	out->has_cpu_shares = in->has_cpu_shares && in->cpu_shares != 0;
	out->cpu_shares = in->cpu_shares;
	out->has_cpu_quota = in->has_cpu_quota && in->cpu_quota != 0;
	out->cpu_quota = in->cpu_quota;
	out->has_cpu_period = in->has_cpu_period && in->cpu_period != 0;
	out->cpu_period = in->cpu_period;
	out->has_cpu_rt_runtime = in->has_cpu_rt_runtime && in->cpu_rt_runtime != 0;
	out->cpu_rt_runtime = in->cpu_rt_runtime;
	out->has_cpu_rt_period = in->has_cpu_rt_period && in->cpu_rt_period != 0;
	out->cpu_rt_period = in->cpu_rt_period;
	out->cpu_cpus = in->cpu_cpus && *in->cpu_cpus ? in->cpu_cpus : NULL;
	out->cpu_mems = in->cpu_mems && *in->cpu_mems ? in->cpu_mems : NULL;
	out->has_pids_limit = in->has_pids_limit && in->pids_limit != 0;
	out->pids_limit = in->pids_limit;
	out->has_blkio_weight = in->has_blkio_weight && in->blkio_weight != 0;
	out->blkio_weight = in->blkio_weight;
	out->unified = in->unified;
	out->n_unified = in->n_unified;
}

HULL_EXPORT int hull_cgroup_update(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	struct snapshot snap = { 0 };
	struct hull_resources want;
	int r;

	if (!res)
		return 0;
	reduce(res, &want);
	r = snapshot_take(cg, &want, &snap);
	if (r < 0) {
		snapshot_done(&snap);
		return hull_error_set(err, -r, "cannot read the cgroup's current limits");
	}
	r = cg->ops->update(cg, &want, err);
	if (r < 0)
		snapshot_restore(cg, &snap);
	snapshot_done(&snap);
	return r;
}
