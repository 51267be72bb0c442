/* container-cgroup.h - a live container's cgroup: `hullrt update`,
 * `events` and `ps`.
 *
 * Each call loads <root>/<id>/state.json, refuses a stopped container
 * (its cgroup is gone or about to be) and works on the cgroup recorded
 * there.
 */
#ifndef HULL_CONTAINER_CGROUP_H
#define HULL_CONTAINER_CGROUP_H

#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"
#include "state.h"

/* The container's state and cgroup, for callers that keep them (the
 * `events` loop); what = the action named in a refusal ("update"). */
int hull_container_cgroup(const char *root, const char *id, const char *what, struct hull_state **ret_st,
			  struct hull_cgroup **ret_cg, struct hull_error **err);

/* New limits (see hull_cgroup_update() for which fields count). */
int hull_container_update(const char *root, const char *id, const struct hull_resources *res,
			  struct hull_error **err);

/* The container's cgroup statistics; hull_cgroup_stats_done() frees. */
int hull_container_stats(const char *root, const char *id, struct hull_cgroup_stats *ret, struct hull_error **err);

/* Every pid in the container's cgroup (host pids), a malloc'd array. */
int hull_container_pids(const char *root, const char *id, pid_t **ret_pids, size_t *ret_n, struct hull_error **err);

#endif
