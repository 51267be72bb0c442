/* state.h - a container's state on disk: <root>/<id>/state.json.
 *
 * Written with write-then-rename so a reader never sees half a file.
 * hull_state_status() tells the live status from the saved one, the init
 * pid (checked against its start time, so a reused pid is not taken for
 * the container), the exec fifo and the freezer.
 */
#ifndef HULL_STATE_H
#define HULL_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

enum hull_status {
	HULL_STATUS_CREATING,
	HULL_STATUS_CREATED,
	HULL_STATUS_RUNNING,
	HULL_STATUS_PAUSED,
	HULL_STATUS_STOPPED,
};

struct hull_state {
	char *oci_version;
	char *id;
	enum hull_status status; /* live status, filled by hull_state_load() */
	pid_t pid;
	unsigned long long pid_start; /* field 22 of /proc/<pid>/stat */
	char *bundle;
	char *rootfs;  /* absolute */
	char *created; /* RFC 3339, UTC */
	char *cgroup;  /* hull_cgroup_serialize() text or NULL */
	char *owner;   /* user name or "" */
	struct hull_kv *annotations;
	size_t n_annotations;
};

const char *hull_status_name(enum hull_status s); /* "created", ... */

/* Validates a container id: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 1024 bytes. */
int hull_state_check_id(const char *id, struct hull_error **err);

/* Path of <root>/<id> (malloc'd). */
char *hull_state_dir(const char *root, const char *id);

/* Writes <root>/<id>/state.json. */
int hull_state_save(const char *root, const struct hull_state *st, struct hull_error **err);

/* Reads <root>/<id>/state.json and fills st->status with the live status.
 * -ENOENT with "container 'ID' does not exist" if there is none. */
int hull_state_load(const char *root, const char *id, struct hull_state **ret, struct hull_error **err);

/* Ids of all containers under root (sorted), NULL-terminated. */
int hull_state_list(const char *root, char ***ret_ids, struct hull_error **err);

/* OCI state JSON (ociVersion, id, status, pid, bundle, annotations), one
 * line unless pretty.  Caller frees. */
char *hull_state_to_json(const struct hull_state *st, bool pretty);

void hull_state_free(struct hull_state *st);

/* Live status of a pid recorded with its start time: true if the same
 * process still exists (and is not a zombie). */
bool hull_pid_alive(pid_t pid, unsigned long long start);
unsigned long long hull_pid_start_time(pid_t pid);

#endif
