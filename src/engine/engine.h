/* engine.h - what the containers side of the `hull` engine shares:
 * global options, error printing, paths, the container record.
 *
 * Layout on disk:
 *   <root>/containers/<id>/config.json     the container record (Docker-inspect-like JSON)
 *   <root>/containers/<id>/<id>-json.log   its json-file log
 *   <root>/containers/<id>/{diff,work,init,merged}
 *                                          overlay upper, work dir, init layer
 *                                          (/etc/hosts, hostname, resolv.conf), mount point
 *   <root>/volumes/<name>/_data            volumes
 *   <runroot>/containers/<id>/             the OCI bundle (config.json), the monitor's
 *                                          attach socket and pid file
 *   <runroot>/runtime/<id>/                libhull's state
 */
#ifndef HULL_ENGINE_H
#define HULL_ENGINE_H

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define HULL_ENGINE_VERSION "0.1.0"
#define ENG_DEFAULT_ROOT "/var/lib/hull"
#define ENG_DEFAULT_RUNROOT "/run/hull"

/* Docker's exit statuses for the CLI's own failures. */
#define EXIT_ENGINE 125
#define EXIT_CANNOT_INVOKE 126
#define EXIT_NOT_FOUND 127

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif
#define ENG_JSON_PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

struct eng_globals {
	const char *root;    /* absolute */
	const char *runroot; /* absolute */
	const char *runtime; /* --runtime PATH of an external OCI runtime, or NULL (libhull) */
};
extern struct eng_globals eng;

/* ---- engine-util.c ---- */

/* "hull: <message>" on stderr; returns EXIT_ENGINE. */
int eng_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints err->msg (or "<what>: strerror(-r)"); returns EXIT_ENGINE. */
int eng_fail(struct hull_error *err, int r, const char *what);
/* "hull: <cmd>: <message>\nSee 'hull <cmd> --help'."; returns EXIT_ENGINE. */
int eng_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt_long for a command (argv[0] = its name); prints unknown options
 * and missing arguments as usage errors and returns '?' then. */
int eng_getopt(const char *cmd, int argc, char **argv, const char *optstring, const struct option *longopts);
/* Prints a command's --help text; returns 0. */
int eng_help(const char *cmd);
/* For a command whose only option is --help: parses the options; returns
 * -1 to go on, else the exit status (0 after the help, 125 after a usage
 * error). */
int eng_help_only(const char *cmd, int argc, char **argv);

char *eng_now(void);                         /* RFC 3339 with nanoseconds, UTC, malloc'd */
int64_t eng_parse_time(const char *rfc3339); /* seconds since the epoch, or -1 */
/* Docker's "About a minute", "3 seconds", ... into buf. */
const char *eng_human_duration(int64_t secs, char *buf, size_t size);
/* "3 minutes ago" from an RFC 3339 time ("N/A" if there is none) into buf. */
const char *eng_human_since(const char *rfc3339, char *buf, size_t size);
/* "1.5MB" (decimal units, as docker) into buf. */
const char *eng_human_size(long long bytes, char *buf, size_t size);
void eng_random_hex(char *out, size_t n_bytes); /* 2*n_bytes hex digits + NUL */

/* Reads a JSON file (NULL and *err set if missing or bad). */
struct json_object *eng_json_read(const char *path, struct hull_error **err);
/* Writes obj to path with write-then-rename. */
int eng_json_write(const char *path, struct json_object *obj, struct hull_error **err);
/* write(2) of all len bytes (again after EINTR); 0 or -errno. */
int eng_write_all(int fd, const void *buf, size_t len);
/* Writes text to path through "<path>.tmp-<pid>" and rename: a reader
 * sees the old file or the new one, never half of it; durable: fsync'd
 * before the rename, so that a crash of the machine too leaves either. */
int eng_write_file(const char *path, const char *text, size_t len, mode_t mode, bool durable,
		   struct hull_error **err);

/* Object lookups that tolerate NULL and absent keys. */
struct json_object *jget(struct json_object *o, const char *key);
const char *jstr(struct json_object *o, const char *key);
int64_t jint(struct json_object *o, const char *key);
bool jbool(struct json_object *o, const char *key);
/* The value at a dotted path ".State.Pid" (leading dot optional). */
struct json_object *jpath(struct json_object *o, const char *path);
/* Sets o[key] (the object, or NULL) and returns o. */
void jset(struct json_object *o, const char *key, struct json_object *v);
struct json_object *jstrv(char **v); /* NULL-terminated vector -> array (NULL -> null) */

/* Expands a Go-template-like format: "{{.A.B}}" and "{{json .A}}"; "\t"
 * and "\n" escapes; `table` prefixes ignored.  Returns malloc'd text or
 * NULL after printing an error. */
char *eng_format(const char *fmt, struct json_object *o);
/* What an inspect command prints: each object of arr through format, or
 * (format NULL) the array as pretty JSON.  Returns 0, or 125 after a bad
 * format was reported. */
int eng_print_objects(const char *format, struct json_object *arr);

/* The exit status for a failed create or exec: 127 when the command is
 * not found, 126 when it cannot be run, else 125; *ret_msg and *ret_len the
 * part of err's message to print. */
int eng_exec_status(const struct hull_error *err, int r, const char **ret_msg, int *ret_len);

/* A whole decimal number in [min, max], all of s; false if it is not. */
bool eng_parse_int(const char *s, long long min, long long max, long long *ret);
/* Parses "10m", "512k", "1g", "1024" (bytes); -1 on error. */
int64_t eng_parse_bytes(const char *s);

/* ---- container.c: the record ---- */

char *ctr_dir(const char *id);     /* <root>/containers/<id> */
char *ctr_run_dir(const char *id); /* <runroot>/containers/<id> */
char *ctr_file(const char *id, const char *name); /* <root>/containers/<id>/<name> */
char *eng_runtime_root(void);      /* <runroot>/runtime */

/* Finds a container by name, full id or unique id prefix; on failure
 * prints "hull: no such container: 'X'" (or ambiguity) and returns NULL. */
char *ctr_resolve(const char *ref);
/* As ctr_resolve() but silent; *ret_err gets the message. */
char *ctr_lookup(const char *ref, struct hull_error **err);
/* flock(<root>/containers) (made if missing), held while a name is
 * checked and taken (create, rename) and while a record is being made:
 * the fd to close, or -errno. */
int ctr_names_lock(void);
/* For a command on CONTAINER...: calls fn(ref, id, data) for each of
 * argv[optind..] (a usage error if there is none), printing those not
 * found.  fn returns 0 or an exit status, its error printed; after a 0
 * the name given is printed when echo is set.  Returns 0, or 125 if any
 * failed. */
int ctr_each(const char *cmd, int argc, char **argv, bool echo,
	     int (*fn)(const char *ref, const char *id, void *data), void *data);
/* ctr_load() that prints "hull: <why>" when the record cannot be read. */
struct json_object *ctr_load_or_fail(const char *id);

/* Loads the record, with State refreshed from the live processes (a
 * container whose monitor and init are gone is reported exited). */
struct json_object *ctr_load(const char *id, struct hull_error **err);
/* Loads the record as saved (no refresh). */
struct json_object *ctr_load_raw(const char *id, struct hull_error **err);
int ctr_save(const char *id, struct json_object *rec, struct hull_error **err);
/* Locks the container's record (flock on its directory <root>/containers/<id>);
 * returns the fd. */
int ctr_lock(const char *id);

/* Sorted ids of every container (NULL-terminated). */
char **ctr_list(void);
/* The id owning name, or NULL. */
char *ctr_name_owner(const char *name);
/* A random "adjective_name" not in use (malloc'd). */
char *ctr_random_name(void);
/* Names are [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
bool ctr_valid_name(const char *name);

/* State.Status of a (refreshed) record. */
const char *ctr_status(struct json_object *rec);
bool ctr_is_running(struct json_object *rec); /* running or paused */

/* Marks the record's state (fields given; NULL strings left as they are). */
/* Sets State's Status, Running, Paused, Restarting, OOMKilled, Dead, Pid
 * and ExitCode as they are for that status. */
void ctr_state_set(struct json_object *st, const char *status, pid_t pid, int exit_code, bool oom);
void ctr_state_set_exited(struct json_object *rec, int exit_code, bool oom, const char *finished);

/* Removes everything of a stopped container: unmounts the rootfs, deletes
 * libhull's state and cgroup (force), the run dir, the container dir and,
 * if volumes, its anonymous volumes. */
int ctr_remove(const char *id, struct json_object *rec, bool volumes, struct hull_error **err);
/* Kills the container (signal to its init); -ESRCH if not running. */
int ctr_signal(const char *id, struct json_object *rec, int sig, struct hull_error **err);
/* Tears down a container that ended: libhull delete (force), unmount. */
void ctr_cleanup_runtime(const char *id, struct json_object *rec);

/* ---- rootfs.c ---- */

/* Makes diff/, work/, init/ (with etc/hosts, etc/hostname, etc/resolv.conf)
 * and merged/ in the container dir; fills GraphDriver. */
int rootfs_prepare(const char *id, struct json_object *rec, char **layers, struct hull_error **err);
/* Mounts the overlay at MergedDir (no-op if mounted). */
int rootfs_mount(struct json_object *rec, struct hull_error **err);
/* Unmounts MergedDir (detaching if busy); a missing mount is fine. */
int rootfs_umount(struct json_object *rec);
bool rootfs_is_mounted(const char *dir);

/* ---- specgen.c ---- */

/* The OCI spec of a container from its record, as JSON text (malloc'd).
 * Joins of container:NAME namespaces are resolved now. */
char *specgen(const char *id, struct json_object *rec, struct hull_error **err);
/* USER[:GROUP] (names looked up in rootfs's /etc/passwd and /etc/group). */
int specgen_user(const char *rootfs, const char *user, uint32_t *ret_uid, uint32_t *ret_gid, struct hull_error **err);
/* "CAP_CHOWN" for 0, ... (the capabilities hull knows, by number); NULL
 * past the last. */
const char *specgen_cap_name(unsigned int cap);
/* What specgen() would refuse that can be told at create time (unknown
 * capabilities, container:NAME of no container). */
int specgen_validate(struct json_object *rec, struct hull_error **err);

/* ---- ctr-image.c: the images, through the store (store.h) ---- */

struct image;
/* Resolves ref in the store under eng.root. */
int eng_image_get(const char *ref, struct image **ret, struct hull_error **err);

/* ---- container-cp.c ---- */

/* Copies srcdir/name to dstdir/dstname, recursively, never following a
 * symlink (they are copied as symlinks); keep_owner copies uid/gid too. */
int cp_entry(int srcdir, const char *name, int dstdir, const char *dstname, bool keep_owner);
/* Fills the container's empty volumes with what the image has at their
 * mount points (Docker's copy-up), from the mounted rootfs. */
void volume_copy_up(struct json_object *rec);

/* ---- volume.c ---- */

/* Adds one -v SPEC / --mount SPEC to the record's Mounts (creating named
 * and anonymous volumes); prints the error and returns EXIT_ENGINE. */
int volume_add_bind_spec(struct json_object *mounts, const char *spec);
int volume_add_mount_spec(struct json_object *mounts, const char *spec);
/* Removes the anonymous volumes of a container's Mounts. */
void volume_remove_anonymous(struct json_object *rec);

/* ---- ext-runtime.c: --runtime PATH (runc, crun) ---- */

char *extrt_root(void); /* <runroot>/ext-runtime */
/* RUNTIME create --bundle B --pid-file B/init.pid [--console-socket S] ID:
 * *ret_pid is the init. */
int extrt_create(const char *runtime, const char *id, const char *bundle, const char *console_socket, pid_t *ret_pid,
		 struct hull_error **err);
int extrt_start(const char *runtime, const char *id, const char *bundle, struct hull_error **err);
void extrt_delete(const char *runtime, const char *id); /* delete --force, errors ignored */
/* Calls fn with "<hierarchy><our own cgroup>/hull[/<id>]" (runc places a
 * relative cgroupsPath "hull/<id>" under its caller's cgroup) and the
 * hierarchy's controllers ("" for cgroup2) for each hierarchy this
 * process is in, until fn returns true. */
void extrt_cgroup_dirs(const char *id, bool (*fn)(const char *dir, const char *controllers, void *data), void *data);
/* RUNTIME pause / resume ID. */
int extrt_pause(const char *runtime, const char *id, bool pause, struct hull_error **err);
/* RUNTIME update --resources FILE ID (FILE: linux.resources as JSON). */
int extrt_update(const char *runtime, const char *id, const char *resources_file, struct hull_error **err);
/* The console socket a runtime sends a pty master to (--console-socket),
 * as to conmon: listening at c->path, in a short /tmp dir (sun_path is
 * short).  0 or -errno. */
struct extrt_console {
	char dir[32], path[64];
	int fd;
};
int extrt_console_open(struct extrt_console *c, struct hull_error **err);
/* The pty master sent to it, waiting up to timeout_ms, and no longer than
 * the runtime pid lives if pid > 0 (without reaping it); -1 if none came. */
int extrt_console_master(struct extrt_console *c, pid_t pid, int timeout_ms);
void extrt_console_close(struct extrt_console *c); /* and removes it */

/* ---- monitor.c ---- */

struct monitor_opts {
	const char *id;
	bool attach;      /* wait for one attach client before starting */
	bool tty, stdin_open;
	const char *runtime; /* HostConfig.Runtime: an external OCI runtime, or NULL */
};
/* The hull-monitor binary next to ours (malloc'd), or NULL after
 * printing why it cannot be run. */
char *monitor_binary(void);
/* Starts bin, the monitor, detached (own session, not its leader), which
 * creates and starts the container and supervises it.  Returns 0 once the
 * container runs, with *ret_pid; else prints the error and returns the
 * exit status (125, or 126/127 when the command cannot be run).  With
 * o->attach, *ret_attach_fd is the attach socket, connected before the
 * container started (so no output is missed). */
int monitor_spawn(const struct monitor_opts *o, const char *bin, pid_t *ret_pid, int *ret_attach_fd);
/* The monitor itself (monitor.c): supervises the container, reporting to
 * status_fd; never returns.  build/hull-monitor runs it (main in
 * src/monitor/main.c). */
_Noreturn void monitor_run(const struct monitor_opts *o, int status_fd);
/* Connects to a running container's attach socket; fd or -errno. */
int monitor_attach_connect(const char *id);
/* <runroot>/containers/<id>/attach */
char *monitor_socket_path(const char *id);

/* Frames on the attach socket, monitor -> client: 1 byte stream (1 stdout,
 * 2 stderr, 3 exit: payload is the status in decimal), 3 zero bytes, 4
 * bytes big-endian length.  Client -> monitor: raw stdin, half-close = EOF. */
enum { ATTACH_STDOUT = 1, ATTACH_STDERR = 2, ATTACH_EXIT = 3 };

/* attach.c: relays the container's output (and our stdin if stdin) until it
 * exits; returns its exit status, or -1 if the monitor went away. */
int attach_run(int fd, bool stdin, bool tty, pid_t pid);

/* container-run.c: starts a created or exited container in the background. */
int ctr_start_detached(const char *id);

/* ---- logs ---- */
int logs_print(const char *id, bool follow, long tail, bool timestamps);

#endif
