/* cgroup.h - a container's cgroup: one interface, two backends.
 *
 * Backends: cgroup v1 (one hierarchy per controller, including the
 * "hybrid" layout: v1 controllers plus a cgroup2 mount at
 * <root>/unified that may hold only some controllers, e.g. hugetlb) and
 * cgroup v2 (one unified hierarchy).  The backend is a struct of function
 * pointers (cgroup-v1.c, cgroup-v2.c) chosen by hull_cgroup_detect().
 *
 * Placement.  cgroupsPath absolute ("/a/b") is used as given below each
 * hierarchy's mount point.  cgroupsPath relative ("a/b") or absent is put
 * under hull's own parent: "<caller's own cgroup>/hull/<path or id>", so
 * that hull creates cgroups only under a parent of its own.
 * Only directories that hull created are ever removed.
 *
 * root is "/sys/fs/cgroup" in production; unit tests pass a fake tree.
 */
#ifndef HULL_CGROUP_H
#define HULL_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

enum hull_cgroup_mode {
	HULL_CGROUP_V1,     /* v1 controllers only */
	HULL_CGROUP_HYBRID, /* v1 controllers + a cgroup2 mount at <root>/unified */
	HULL_CGROUP_V2,     /* unified only */
};

struct hull_cgroup;

/* Detects the layout of the cgroup filesystem mounted at root. */
int hull_cgroup_detect(const char *root, enum hull_cgroup_mode *ret_mode, struct hull_error **err);

/* Creates (mkdir) the container's cgroup in every hierarchy, initialising
 * what the kernel leaves empty (cpuset.cpus/mems in v1).  cgroups_path is
 * the spec's linux.cgroupsPath or NULL; id is the container id.
 * "The caller's own cgroup" for relative placement is read from
 * /proc/self/cgroup.  On failure nothing created is left. */
int hull_cgroup_create(const char *root, const char *cgroups_path, const char *id,
		       struct hull_cgroup **ret, struct hull_error **err);

/* Writes the resource limits into the cgroup files.  Fields not given are
 * left as the kernel set them.  A limit the layout cannot express
 * (e.g. hugetlb with no hugetlb controller) is an error naming it. */
int hull_cgroup_apply(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err);

/* Moves pid (a process hull started) into the cgroup in every hierarchy. */
int hull_cgroup_enter(struct hull_cgroup *cg, pid_t pid, struct hull_error **err);

/* Moves the calling process, which must be single-threaded, into the
 * cgroup in every hierarchy (all but the cgroup2 one if skip_unified: the
 * caller was cloned into it with CLONE_INTO_CGROUP).  Cheaper than
 * hull_cgroup_enter(): see cgroup.c. */
int hull_cgroup_enter_self(struct hull_cgroup *cg, bool skip_unified, struct hull_error **err);

/* An O_RDONLY|O_DIRECTORY fd of the container's cgroup2 directory (the
 * unified hierarchy of v2 or hybrid), for clone3(CLONE_INTO_CGROUP);
 * -ENOENT if it has none. */
int hull_cgroup_open_unified(const struct hull_cgroup *cg);

/* Returns the pids in the cgroup (cgroup.procs), a malloc'd array. */
int hull_cgroup_pids(struct hull_cgroup *cg, pid_t **ret_pids, size_t *ret_n, struct hull_error **err);

/* Freezes (true) or thaws (false): v1 freezer.state, v2 cgroup.freeze.
 * Waits until the kernel reports the new state. */
int hull_cgroup_freeze(struct hull_cgroup *cg, bool frozen, struct hull_error **err);

/* *ret = true if the cgroup is frozen (or freezing). */
int hull_cgroup_is_frozen(struct hull_cgroup *cg, bool *ret, struct hull_error **err);

/* Removes the cgroup directories hull created (the container's and any
 * parents it made that are now empty).  Fails with -EBUSY if processes are
 * still inside.  Removing what is already gone is not an error. */
int hull_cgroup_destroy(struct hull_cgroup *cg, struct hull_error **err);

/* A single-line text that hull_cgroup_load() turns back into the same
 * cgroup; stored in the container's state.json.  Caller frees. */
char *hull_cgroup_serialize(const struct hull_cgroup *cg);
int hull_cgroup_load(const char *root, const char *serialized, struct hull_cgroup **ret, struct hull_error **err);

/* The container's path inside hierarchy "controller" (e.g. "memory",
 * "" for the unified one), for tests and messages; NULL if not there. */
const char *hull_cgroup_path(const struct hull_cgroup *cg, const char *controller);

void hull_cgroup_free(struct hull_cgroup *cg);

#endif
