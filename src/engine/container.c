/* container.c - the container record: <root>/containers/<id>/config.json,
 * finding a container by name or id, its live state, removing it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "engine.h"
#include "path.h"
#include "state.h"
#include "util.h"

char *ctr_dir(const char *id)
{
	char *p;
	if (asprintf(&p, "%s/containers/%s", eng.root, id) < 0)
		abort();
	return p;
}

char *ctr_run_dir(const char *id)
{
	char *p;
	if (asprintf(&p, "%s/containers/%s", eng.runroot, id) < 0)
		abort();
	return p;
}

char *ctr_file(const char *id, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/containers/%s/%s", eng.root, id, name) < 0)
		abort();
	return p;
}

char *eng_runtime_root(void)
{
	char *p;
	if (asprintf(&p, "%s/runtime", eng.runroot) < 0)
		abort();
	return p;
}

static bool is_hex_id(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Removes a container directory that has no record and what it made
 * under <runroot>. */
static void sweep_partial(const char *id)
{
	_cleanup_free_ char *dir = ctr_dir(id), *run = ctr_run_dir(id), *merged = ctr_file(id, "merged");

	umount2(merged, MNT_DETACH);
	path_remove_tree(run);
	path_remove_tree(dir);
}

/* Whether <containers>/<id> holds a record.  A directory without one is
 * what a create killed before saving the record, or an rm killed while
 * removing the directory, left: the create holds the containers lock
 * until the record is saved, so with the lock free nobody is at work on
 * it, and it goes.  Either way it is not listed: no command could use it. */
static bool record_or_sweep(DIR *d, const char *id)
{
	_cleanup_free_ char *rec = NULL;

	if (asprintf(&rec, "%s/config.json", id) < 0)
		abort();
	if (faccessat(dirfd(d), rec, F_OK, 0) == 0)
		return true;
	/* A lock on our own open file description: not ours if another
	 * command (or this one, through another fd) holds it. */
	if (flock(dirfd(d), LOCK_EX | LOCK_NB) < 0)
		return false;
	if (faccessat(dirfd(d), rec, F_OK, 0) < 0)
		sweep_partial(id);
	flock(dirfd(d), LOCK_UN);
	return false;
}

char **ctr_list(void)
{
	_cleanup_free_ char *dir = NULL;
	char **ids = NULL;
	size_t n = 0;

	if (asprintf(&dir, "%s/containers", eng.root) < 0)
		abort();
	_cleanup_closedir_ DIR *d = opendir(dir);
	ids = calloc(1, sizeof(char *));
	if (!d)
		return ids;
	for (struct dirent *e; (e = readdir(d));) {
		if (!is_hex_id(e->d_name) || !record_or_sweep(d, e->d_name))
			continue;
		ids = realloc(ids, (n + 2) * sizeof(char *));
		ids[n++] = strdup(e->d_name);
		ids[n] = NULL;
	}
	return ids;
}

struct json_object *ctr_load_raw(const char *id, struct hull_error **err)
{
	_cleanup_free_ char *f = ctr_file(id, "config.json");
	return eng_json_read(f, err);
}

int ctr_save(const char *id, struct json_object *rec, struct hull_error **err)
{
	_cleanup_free_ char *f = ctr_file(id, "config.json");
	return eng_json_write(f, rec, err);
}

int ctr_names_lock(void)
{
	_cleanup_free_ char *all = NULL;
	int r, fd;

	if (asprintf(&all, "%s/containers", eng.root) < 0)
		abort();
	if ((r = path_mkdir_p(all, 0700)) < 0)
		return r;
	fd = open(all, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			r = -errno;
			close(fd);
			return r;
		}
	return fd;
}

/* The lock is on the container's directory itself: a lock file would be
 * one more inode to allocate per container, which costs 50-200 us on an
 * ext4 without a journal that just freed many (bench/RESULTS.md). */
int ctr_lock(const char *id)
{
	_cleanup_free_ char *dir = ctr_dir(id);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		flock(fd, LOCK_EX);
	return fd;
}

int ctr_each(const char *cmd, int argc, char **argv, bool echo,
	     int (*fn)(const char *ref, const char *id, void *data), void *data)
{
	int ret = 0;

	if (optind >= argc)
		return eng_usage_error(cmd, "requires at least 1 argument");
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *id = ctr_resolve(argv[i]);
		if (!id || fn(argv[i], id, data) != 0) {
			ret = EXIT_ENGINE;
			continue;
		}
		if (echo)
			printf("%s\n", argv[i]);
	}
	return ret;
}

struct json_object *ctr_load_or_fail(const char *id)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct json_object *rec = ctr_load(id, &err);

	if (!rec)
		eng_fail(err, -ENOENT, "cannot load the container");
	return rec;
}

char *ctr_name_owner(const char *name)
{
	_cleanup_strv_ char **ids = ctr_list();

	for (char **i = ids; *i; i++) {
		struct json_object *rec = ctr_load_raw(*i, NULL);
		const char *n = jstr(rec, "Name");
		bool match = n && (streq(n, name) || (n[0] == '/' && streq(n + 1, name)));
		json_object_put(rec);
		if (match)
			return strdup(*i);
	}
	return NULL;
}

char *ctr_lookup(const char *ref, struct hull_error **err)
{
	_cleanup_strv_ char **ids = ctr_list();
	char *found = NULL;
	int n_prefix = 0;

	if (!ref || !*ref) {
		hull_error_plain(err, EINVAL, "container name or id must not be empty");
		return NULL;
	}
	for (char **i = ids; *i; i++)
		if (streq(*i, ref))
			return strdup(*i);
	if ((found = ctr_name_owner(ref)))
		return found;
	for (char **i = ids; *i; i++)
		if (startswith(*i, ref)) {
			if (!found)
				found = strdup(*i);
			n_prefix++;
		}
	if (n_prefix > 1) {
		free(found);
		hull_error_plain(err, EINVAL, "container id prefix '%s' is ambiguous (%d containers match)", ref, n_prefix);
		return NULL;
	}
	if (!found)
		hull_error_plain(err, ENOENT, "no such container: '%s'", ref);
	return found;
}

char *ctr_resolve(const char *ref)
{
	_cleanup_error_ struct hull_error *err = NULL;
	char *id = ctr_lookup(ref, &err);

	if (!id)
		eng_error("%s", err->msg);
	return id;
}

bool ctr_valid_name(const char *name)
{
	if (!name || strlen(name) < 2 || strlen(name) > 128)
		return false;
	for (const char *p = name; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (!alnum && (p == name || !strchr("_.-", *p)))
			return false;
	}
	return true;
}

char *ctr_random_name(void)
{
	static const char *const adj[] = {
		"admiring", "bold", "brave", "busy", "calm", "clever", "cool", "dazzling", "eager", "elastic",
		"epic", "focused", "gallant", "happy", "hopeful", "jolly", "keen", "kind", "lucid", "modest",
		"nifty", "peaceful", "quirky", "relaxed", "serene", "sharp", "stoic", "tender", "vibrant", "zen",
	};
	static const char *const who[] = {
		"babbage", "bell", "curie", "darwin", "dijkstra", "einstein", "euclid", "fermat", "feynman", "galileo",
		"gauss", "hopper", "hypatia", "kepler", "knuth", "lamport", "lovelace", "mccarthy", "newton", "noether",
		"pascal", "ritchie", "shannon", "thompson", "torvalds", "turing", "wilson", "wozniak", "yalow", "zuse",
	};
	for (int attempt = 0;; attempt++) {
		char hex[5], *name;
		eng_random_hex(hex, 2);
		unsigned v = (unsigned)strtoul(hex, NULL, 16);
		if (asprintf(&name, attempt < 10 ? "%s_%s" : "%s_%s%u", adj[v % ARRAY_SIZE(adj)],
			     who[(v / ARRAY_SIZE(adj)) % ARRAY_SIZE(who)], v % 100) < 0)
			abort();
		_cleanup_free_ char *owner = ctr_name_owner(name);
		if (!owner)
			return name;
		free(name);
	}
}

/* The monitor's pid and start time from <runroot>/containers/<id>/monitor.pid. */
static bool monitor_alive(const char *id)
{
	_cleanup_free_ char *dir = ctr_run_dir(id), *f = NULL;
	unsigned long long start = 0;
	int pid = 0;

	if (asprintf(&f, "%s/monitor.pid", dir) < 0)
		abort();
	_cleanup_fclose_ FILE *fp = fopen(f, "re");
	if (!fp || fscanf(fp, "%d %llu", &pid, &start) != 2)
		return false;
	return hull_pid_alive(pid, start);
}

const char *ctr_status(struct json_object *rec)
{
	const char *s = jstr(jget(rec, "State"), "Status");
	return s ? s : "created";
}

bool ctr_is_running(struct json_object *rec)
{
	const char *s = ctr_status(rec);
	return streq(s, "running") || streq(s, "paused") || streq(s, "restarting");
}

void ctr_state_set(struct json_object *st, const char *status, pid_t pid, int exit_code, bool oom)
{
	jset(st, "Status", json_object_new_string(status));
	jset(st, "Running", json_object_new_boolean(streq(status, "running")));
	jset(st, "Paused", json_object_new_boolean(false));
	jset(st, "Restarting", json_object_new_boolean(false));
	jset(st, "OOMKilled", json_object_new_boolean(oom));
	jset(st, "Dead", json_object_new_boolean(false));
	jset(st, "Pid", json_object_new_int(pid));
	jset(st, "ExitCode", json_object_new_int(exit_code));
}

void ctr_state_set_exited(struct json_object *rec, int exit_code, bool oom, const char *finished)
{
	struct json_object *st = jget(rec, "State");

	ctr_state_set(st, "exited", 0, exit_code, oom);
	if (finished)
		jset(st, "FinishedAt", json_object_new_string(finished));
}

static bool frozen_in(const char *dir, const char *controllers, void *data)
{
	char path[4200], state[32] = "";

	if (!streq(controllers, "freezer"))
		return false;
	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	*(bool *)data = f && fgets(state, sizeof(state), f) && startswith(state, "FROZEN");
	return true;
}

/* A freeze no record tells of: a pause or commit killed between freezing
 * the container and saving (or thawing) it.  That command held the
 * container's lock; with the lock free nobody is at it any more, and the
 * container is thawed, as its record (running) says it should be. */
static void thaw_stale_freeze(const char *id, struct json_object *rec)
{
	const char *runtime = jstr(jget(rec, "HostConfig"), "Runtime");
	_cleanup_free_ char *rt = eng_runtime_root(), *dir = ctr_dir(id);
	bool frozen = false;

	if (!streq(ctr_status(rec), "running"))
		return;
	if (runtime)
		extrt_cgroup_dirs(id, frozen_in, &frozen);
	else {
		struct hull_state *st = NULL;
		if (hull_state_load(rt, id, &st, NULL) < 0)
			return;
		frozen = st->status == HULL_STATUS_PAUSED;
		hull_state_free(st);
	}
	if (!frozen)
		return;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	if (runtime)
		extrt_pause(runtime, id, false, NULL);
	else
		hull_container_resume(rt, id, NULL);
}

struct json_object *ctr_load(const char *id, struct hull_error **err)
{
	struct json_object *rec = ctr_load_raw(id, err);
	struct json_object *st = jget(rec, "State");

	if (!rec || !st || !ctr_is_running(rec))
		return rec;
	/* The saved state says running: believe it only while the init (pid
	 * and start time, so a reused pid does not count) is there. */
	pid_t pid = (pid_t)jint(st, "Pid");
	unsigned long long start = (unsigned long long)jint(st, "PidStartTime");
	if (pid > 0 && hull_pid_alive(pid, start)) {
		thaw_stale_freeze(id, rec);
		return rec;
	}
	/* The monitor records the exit as soon as it reaps the init; if it
	 * is gone too, nobody will: the status is unknown. */
	if (monitor_alive(id) && streq(ctr_status(rec), "restarting"))
		return rec;
	if (monitor_alive(id)) {
		/* Reaped but not yet written: wait for the monitor a little. */
		for (int i = 0; i < 200; i++) {
			usleep(10000);
			json_object_put(rec);
			rec = ctr_load_raw(id, err);
			if (!rec || !ctr_is_running(rec) || !monitor_alive(id))
				break;
		}
		if (!rec || !ctr_is_running(rec))
			return rec;
		st = jget(rec, "State");
	}
	ctr_state_set_exited(rec, -1, false, NULL);
	jset(st, "Error", json_object_new_string("the container's monitor is gone: exit status unknown"));
	return rec;
}

int ctr_signal(const char *id, struct json_object *rec, int sig, struct hull_error **err)
{
	struct json_object *st = jget(rec, "State");
	pid_t pid = (pid_t)jint(st, "Pid");

	if (!ctr_is_running(rec) || pid <= 0 || !hull_pid_alive(pid, (unsigned long long)jint(st, "PidStartTime")))
		return hull_error_plain(err, ESRCH, "container '%s' is not running", id);
	if (kill(pid, sig) < 0)
		return hull_error_set(err, errno, "cannot signal container '%s'", id);
	return 0;
}

void ctr_cleanup_runtime(const char *id, struct json_object *rec)
{
	const char *runtime = jstr(jget(rec, "HostConfig"), "Runtime");
	_cleanup_free_ char *rt_root = runtime ? extrt_root() : eng_runtime_root(), *state = NULL;

	if (asprintf(&state, "%s/%s", rt_root, id) < 0)
		abort();
	if (access(state, F_OK) == 0) {
		if (runtime)
			extrt_delete(runtime, id);
		else
			hull_container_delete(rt_root, id, true, NULL);
	}
	rootfs_umount(rec);
}

int ctr_remove(const char *id, struct json_object *rec, bool volumes, struct hull_error **err)
{
	_cleanup_free_ char *dir = ctr_dir(id), *run = ctr_run_dir(id);

	/* A monitor still finishing its cleanup (after a kill) goes first. */
	for (int i = 0; i < 500 && monitor_alive(id); i++)
		usleep(10000);
	ctr_cleanup_runtime(id, rec);
	if (volumes)
		volume_remove_anonymous(rec);
	path_remove_tree(run);
	int r = path_remove_tree(dir);
	if (r < 0)
		return hull_error_set(err, -r, "cannot remove '%s'", dir);
	return 0;
}
