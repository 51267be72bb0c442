/* container-cgroup.c - see container-cgroup.h. */
#include "container-cgroup.h"

#include <errno.h>

#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

HULL_EXPORT int hull_container_cgroup(const char *root, const char *id, const char *what, struct hull_state **ret_st,
				      struct hull_cgroup **ret_cg, struct hull_error **err)
{
	struct hull_state *st = NULL;
	int r = hull_state_load(root, id, &st, err);

	*ret_cg = NULL;
	if (ret_st)
		*ret_st = NULL;
	if (r < 0)
		return r;
	if (st->status == HULL_STATUS_STOPPED)
		r = hull_error_plain(err, EINVAL, "cannot %s container '%s': it is stopped", what, id);
	else if (!st->cgroup)
		r = hull_error_plain(err, ENOENT, "cannot %s container '%s': it has no cgroup", what, id);
	else {
		r = hull_cgroup_load(CGROUP_ROOT, st->cgroup, ret_cg, err);
		if (r < 0)
			r = hull_error_wrap(err, r, "cannot %s container '%s'", what, id);
	}
	if (r < 0 || !ret_st)
		hull_state_free(st);
	else
		*ret_st = st;
	return r;
}

HULL_EXPORT int hull_container_update(const char *root, const char *id, const struct hull_resources *res,
				      struct hull_error **err)
{
	struct hull_cgroup *cg = NULL;
	int r = hull_container_cgroup(root, id, "update", NULL, &cg, err);

	if (r < 0)
		return r;
	r = hull_cgroup_update(cg, res, err);
	if (r < 0)
		r = hull_error_wrap(err, r, "cannot update container '%s'", id);
	hull_cgroup_free(cg);
	return r;
}

HULL_EXPORT int hull_container_stats(const char *root, const char *id, struct hull_cgroup_stats *ret,
				     struct hull_error **err)
{
	struct hull_cgroup *cg = NULL;
	int r;

	*ret = (struct hull_cgroup_stats){ 0 };
	r = hull_container_cgroup(root, id, "read the statistics of", NULL, &cg, err);
	if (r < 0)
		return r;
	r = hull_cgroup_stats(cg, ret, err);
	hull_cgroup_free(cg);
	return r;
}

HULL_EXPORT int hull_container_pids(const char *root, const char *id, pid_t **ret_pids, size_t *ret_n,
				    struct hull_error **err)
{
	struct hull_cgroup *cg = NULL;
	int r;

	*ret_pids = NULL;
	*ret_n = 0;
	r = hull_container_cgroup(root, id, "list the processes of", NULL, &cg, err);
	if (r < 0)
		return r;
	r = hull_cgroup_pids(cg, ret_pids, ret_n, err);
	if (r < 0)
		r = hull_error_wrap(err, r, "cannot list the processes of container '%s'", id);
	hull_cgroup_free(cg);
	return r;
}
