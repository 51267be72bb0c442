/* cgroup-internal.h - what cgroup.c shares with its backends.
 *
 * cgroup.c (the front end) detects the layout, places the container's
 * cgroup in every hierarchy, makes and removes the directories and
 * (de)serializes them.  A backend (cgroup-v1.c, cgroup-v2.c) knows the
 * files of one cgroup version: a struct cgroup_ops of function pointers,
 * as crun's cgroup manager and LXC's cgroup_ops, so that a systemd
 * backend can be added later without touching the callers.
 */
#ifndef HULL_CGROUP_INTERNAL_H
#define HULL_CGROUP_INTERNAL_H

#include <stdarg.h>

#include "cgroup.h"

/* One hierarchy the container's cgroup lives in. */
struct cgroup_hier {
	char *dir;        /* below root: "memory", "cpu,cpuacct", "systemd"; "unified" (hybrid) or "." (v2) */
	char *path;       /* the container's cgroup inside the hierarchy, absolute: "/hull/<id>" */
	char *full;       /* root/dir/path, the directory itself */
	unsigned created; /* trailing components of path that hull mkdir'ed (the leaf at least) */
	unsigned owned;   /* relative placement: trailing components from hull's own "hull" dir down */
	bool unified;     /* a cgroup2 hierarchy */
};

struct hull_cgroup {
	char *root;
	enum hull_cgroup_mode mode;
	bool fake; /* a test tree of plain files, not a cgroup filesystem */
	const struct cgroup_ops *ops;
	struct cgroup_hier *hiers;
	size_t n_hiers;
};

struct cgroup_ops {
	const char *name;
	/* Initialises the directories create() just made (v1: cpuset copy
	 * down; v2: cgroup.subtree_control of the parents hull made). */
	int (*setup)(struct hull_cgroup *cg, struct hull_error **err);
	int (*apply)(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err);
	int (*enter)(struct hull_cgroup *cg, pid_t pid, struct hull_error **err);
	int (*pids)(struct hull_cgroup *cg, pid_t **ret_pids, size_t *ret_n, struct hull_error **err);
	int (*freeze)(struct hull_cgroup *cg, bool frozen, struct hull_error **err);
	int (*is_frozen)(struct hull_cgroup *cg, bool *ret, struct hull_error **err);
	/* Writes an update (already reduced to what update takes, see
	 * hull_cgroup_update()); the front end puts files back on failure. */
	int (*update)(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err);
	/* The files update may write: (controller, file), "" = cgroup2. */
	const struct cgroup_file_ref *update_files;
	size_t n_update_files;
	int (*stats)(struct hull_cgroup *cg, struct hull_cgroup_stats *ret, struct hull_error **err);
	/* Sets w->fd, w->dir, w->file (holding an "oom_kill N" line). */
	int (*oom_watch)(struct hull_cgroup *cg, struct hull_oom_watch *w, struct hull_error **err);
};

struct cgroup_file_ref {
	const char *controller;
	const char *file;
};

struct hull_oom_watch {
	int fd;           /* what the caller polls */
	int event_fd;     /* v1: the eventfd (== fd); -1 for inotify */
	int control_fd;   /* v1: memory.oom_control kept open while registered */
	char *dir;        /* the cgroup directory */
	const char *file; /* the file with the "oom_kill N" counter */
	uint64_t last;    /* the counter at the last check */
};

/* cgroup-stats.c: the backends' stats. */
int cgroup_v1_stats(struct hull_cgroup *cg, struct hull_cgroup_stats *ret, struct hull_error **err);
int cgroup_v2_stats(struct hull_cgroup *cg, struct hull_cgroup_stats *ret, struct hull_error **err);

/* The value of key in a flat keyed file ("key N" lines: memory.events,
 * memory.oom_control, cpu.stat), or -ENOENT. */
int cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *ret);

/* cgroup-oom.c: the backends' OOM watches. */
int cgroup_v1_oom_watch(struct hull_cgroup *cg, struct hull_oom_watch *w, struct hull_error **err);
int cgroup_v2_oom_watch(struct hull_cgroup *cg, struct hull_oom_watch *w, struct hull_error **err);

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* hull_cgroup_create() with the caller's own cgroups given as the text of
 * /proc/<pid>/cgroup ("4:memory:/a\n0::/\n") instead of read from
 * /proc/self/cgroup; unit tests use it to place cgroups in a fake tree. */
int cgroup_create_with_self(const char *root, const char *cgroups_path, const char *id, const char *self_cgroup,
			    struct hull_cgroup **ret, struct hull_error **err);

/* The hierarchy holding controller ("memory", "cpuacct", "systemd"; ""
 * for the cgroup2 one), or NULL. */
struct cgroup_hier *cgroup_find_hier(const struct hull_cgroup *cg, const char *controller);

/* Writes value to dir/file in one write(2).  On failure *err says
 * "cannot write '<value>' to <dir>/<file>: <reason>".  In a fake tree a
 * missing file is created, as the kernel would have provided it. */
int cgroup_write(const struct hull_cgroup *cg, const char *dir, const char *file, const char *value,
		 struct hull_error **err);
int cgroup_writef(const struct hull_cgroup *cg, const char *dir, const char *file, struct hull_error **err,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Reads dir/file into a new string without its trailing newlines. */
int cgroup_read(const char *dir, const char *file, char **ret, struct hull_error **err);

bool cgroup_file_exists(const char *dir, const char *file);

/* Writes pid to cgroup.procs of every hierarchy. */
int cgroup_enter_all(struct hull_cgroup *cg, pid_t pid, struct hull_error **err);

/* Parses dir/cgroup.procs into a malloc'd array. */
int cgroup_read_pids(const char *dir, pid_t **ret_pids, size_t *ret_n, struct hull_error **err);

/* Enables the controllers hull uses (those available) in
 * cgroup.subtree_control of the cgroup2 directories hull made above the
 * container's own; never in a directory hull did not make. */
int cgroup_v2_setup_hier(struct hull_cgroup *cg, struct cgroup_hier *h, struct hull_error **err);

/* cgroup2's freezer on one directory (used by v2, and by v1 on a hybrid
 * layout that has no v1 freezer hierarchy). */
int cgroup_v2_freeze_dir(const struct hull_cgroup *cg, const char *dir, bool frozen, struct hull_error **err);
int cgroup_v2_is_frozen_dir(const char *dir, bool *ret, struct hull_error **err);

/* Whether the cgroup2 directory dir may use controller: that is, whether
 * its parent lists it in cgroup.subtree_control (which is exactly what
 * the kernel shows in dir/cgroup.controllers, also in a fake tree). */
bool cgroup_v2_has_controller(const char *dir, const char *controller);

/* Shared by both backends' apply(): linux.resources.unified, written as
 * given into dir; keys naming other directories are refused. */
int cgroup_apply_unified(const struct hull_cgroup *cg, const char *dir, const struct hull_resources *res,
			 struct hull_error **err);

#endif
