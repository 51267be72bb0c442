/* spec.h - the OCI runtime spec (config.json, runtime-spec 1.0 - 1.2) as
 * plain C data.
 *
 * hull_spec_load() parses and validates a config.json; everything the rest
 * of libhull needs is then read from struct hull_spec, never from JSON.
 * Mount options, capability names, rlimit names, namespace types and
 * propagation names are translated here, once, so that the start path only
 * makes syscalls.
 *
 * Ownership: a struct hull_spec owns every string and array under it;
 * hull_spec_free() releases it all.  Arrays are (pointer, n_) pairs;
 * string vectors (char **) are also NULL-terminated.
 */
#ifndef HULL_SPEC_H
#define HULL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* gnu11 predefines "linux" as 1; the spec's linux section needs the name. */
#undef linux

struct json_object;

/* A mount, its options already split into mount(2) arguments. */
struct hull_mount {
	char *destination; /* absolute path inside the container */
	char *source;      /* may be NULL (e.g. tmpfs, proc) */
	char *type;        /* may be NULL for bind mounts */
	char **options;    /* the options as written, NULL-terminated */
	size_t n_options;
	unsigned long flags;       /* MS_* set by options (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...) */
	unsigned long propagation; /* MS_PRIVATE|MS_SHARED|MS_SLAVE|MS_UNBINDABLE (| MS_REC), 0 if none */
	char *data;                /* options mount(2) does not know as flags, comma-joined ("size=65536k,mode=755"), or NULL */
	bool bind;                 /* type "bind" or option bind/rbind */
	uint64_t rec_attr_set;     /* MOUNT_ATTR_* to set on the whole tree (rro, rnosuid, ...) */
	uint64_t rec_attr_clr;     /* MOUNT_ATTR_* to clear on the whole tree (rrw, rsuid, ...) */
};

struct hull_id_map {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct hull_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft;
	uint64_t hard;
};

enum {
	HULL_CAP_BOUNDING,
	HULL_CAP_EFFECTIVE,
	HULL_CAP_INHERITABLE,
	HULL_CAP_PERMITTED,
	HULL_CAP_AMBIENT,
	HULL_CAP__MAX,
};

struct hull_process {
	bool terminal;
	unsigned int console_height, console_width; /* 0 if not given */
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char **args; /* NULL-terminated, n_args >= 1 */
	size_t n_args;
	char **env; /* NULL-terminated, may be empty */
	size_t n_env;
	char *cwd; /* absolute; "/" if not given */
	bool has_caps;               /* "capabilities" present */
	uint64_t caps[HULL_CAP__MAX]; /* bit n set = capability n in that set */
	struct hull_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	struct json_object *seccomp; /* not in process: see hull_linux.seccomp */
};

enum hull_hook_kind {
	HULL_HOOK_PRESTART,
	HULL_HOOK_CREATE_RUNTIME,
	HULL_HOOK_CREATE_CONTAINER,
	HULL_HOOK_START_CONTAINER,
	HULL_HOOK_POSTSTART,
	HULL_HOOK_POSTSTOP,
	HULL_HOOK__MAX,
};

struct hull_hook {
	char *path;
	char **args; /* NULL-terminated, may be NULL */
	char **env;  /* NULL-terminated, may be NULL */
	int timeout; /* seconds, 0 = none */
};

struct hull_namespace {
	int type;   /* CLONE_NEWNS, CLONE_NEWPID, ..., CLONE_NEWTIME */
	char *path; /* join this one instead of making a new one, or NULL */
};

struct hull_device {
	char type; /* 'c', 'b', 'u' or 'p' */
	char *path;
	int64_t major, minor;
	bool has_mode;
	uint32_t file_mode;
	bool has_uid, has_gid;
	uint32_t uid, gid;
};

/* linux.resources.devices[] */
struct hull_device_rule {
	bool allow;
	char type;            /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1 = any */
	char access[4];       /* subset of "rwm" */
};

/* A per-device throttle or weight: blockIO.throttle* and weightDevice. */
struct hull_blkio_device {
	int64_t major, minor;
	uint64_t rate;   /* throttle: bytes or ops per second */
	uint16_t weight; /* weightDevice: weight (0 if not given) */
	uint16_t leaf_weight;
};

struct hull_hugepage_limit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct hull_kv {
	char *key;
	char *value;
};

/* linux.resources; each has_* says whether the field was given. */
struct hull_resources {
	bool has_memory_limit, has_memory_reservation, has_memory_swap, has_memory_swappiness;
	int64_t memory_limit, memory_reservation, memory_swap; /* -1 = unlimited */
	uint64_t memory_swappiness;
	bool disable_oom_killer;

	bool has_cpu_shares, has_cpu_quota, has_cpu_period;
	uint64_t cpu_shares;
	int64_t cpu_quota; /* -1 = unlimited */
	uint64_t cpu_period;
	char *cpu_cpus; /* cpuset, NULL if not given */
	char *cpu_mems;

	bool has_pids_limit;
	int64_t pids_limit; /* -1 or 0 = unlimited */

	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct hull_blkio_device *blkio_weight_device;
	size_t n_blkio_weight_device;
	struct hull_blkio_device *throttle_read_bps, *throttle_write_bps;
	struct hull_blkio_device *throttle_read_iops, *throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps;
	size_t n_throttle_read_iops, n_throttle_write_iops;

	struct hull_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;

	struct hull_device_rule *devices;
	size_t n_devices;

	struct hull_kv *unified; /* cgroup v2 file -> value */
	size_t n_unified;
};

struct hull_time_offset {
	int clock; /* CLOCK_MONOTONIC or CLOCK_BOOTTIME */
	int64_t secs;
	uint32_t nanosecs;
};

struct hull_linux {
	struct hull_namespace *namespaces;
	size_t n_namespaces;
	struct hull_id_map *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct hull_device *devices;
	size_t n_devices;
	struct hull_kv *sysctl;
	size_t n_sysctl;
	char **masked_paths; /* NULL-terminated, may be NULL */
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	unsigned long rootfs_propagation; /* MS_* propagation, 0 = default (MS_REC|MS_PRIVATE) */
	struct hull_time_offset *time_offsets;
	size_t n_time_offsets;
	char *cgroups_path; /* NULL if not given */
	bool has_resources;
	struct hull_resources resources;
	struct json_object *seccomp; /* linux.seccomp as given (a reference held), or NULL */
};

struct hull_spec {
	char *oci_version;
	char *root_path; /* as written: relative to the bundle, or absolute */
	bool root_readonly;
	struct hull_mount *mounts;
	size_t n_mounts;
	bool has_process;
	struct hull_process process;
	char *hostname; /* NULL if not given */
	char *domainname;
	struct hull_hook *hooks[HULL_HOOK__MAX];
	size_t n_hooks[HULL_HOOK__MAX];
	struct hull_kv *annotations;
	size_t n_annotations;
	struct hull_linux linux;
};

/* Parses config.json text.  On success *ret_spec is a new spec the caller
 * frees with hull_spec_free().  On failure returns -EINVAL (or another
 * -errno) and *err names the field and the reason, e.g.
 * "config.json: linux.namespaces[2].type: unknown namespace type 'foo'". */
int hull_spec_parse(const char *json, size_t len, struct hull_spec **ret_spec, struct hull_error **err);

/* Reads and parses <bundle>/config.json. */
int hull_spec_load(const char *bundle, struct hull_spec **ret_spec, struct hull_error **err);

void hull_spec_free(struct hull_spec *spec);

/* A standalone process object (runtime-spec "process", as `exec --process
 * FILE` gets it from containerd or conmon), with the same rules and
 * defaults as config.json's.  name replaces "config.json" in messages
 * ("process file '/x': args: ...").  *ret is freed with hull_process_free(). */
int hull_process_parse(const char *json, size_t len, const char *name, struct hull_process **ret,
		       struct hull_error **err);
/* Reads and parses file. */
int hull_process_load(const char *file, struct hull_process **ret, struct hull_error **err);
void hull_process_free(struct hull_process *p);

/* Returns the namespace entry of the given CLONE_NEW* type, or NULL. */
const struct hull_namespace *hull_spec_namespace(const struct hull_spec *spec, int type);

/* Translations used by the parser, exported for the CLIs and tests. */
int hull_namespace_type_from_name(const char *name);        /* "pid" -> CLONE_NEWPID, -1 if unknown */
const char *hull_namespace_type_to_name(int type);          /* CLONE_NEWPID -> "pid", NULL if unknown */
int hull_signal_from_name(const char *name);               /* "TERM", "SIGTERM", "15" -> 15; -1 if unknown */
int hull_capability_from_name(const char *name);           /* "CAP_SYS_ADMIN" -> 21; -1 if unknown */

#endif
