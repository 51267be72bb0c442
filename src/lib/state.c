/* state.c - see state.h: <root>/<id>/state.json and the live status. */
#include "state.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

#define STATE_FILE "state.json"
#define FIFO_NAME "exec.fifo"
#define ID_MAX 1024
#define STATE_MAX (1024 * 1024) /* a state file is a few hundred bytes */

/* json-c escapes '/' by default: paths would read "\/run\/...". */
#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

static void json_putp(struct json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)


HULL_EXPORT const char *hull_status_name(enum hull_status s)
{
	switch (s) {
	case HULL_STATUS_CREATING:
		return "creating";
	case HULL_STATUS_CREATED:
		return "created";
	case HULL_STATUS_RUNNING:
		return "running";
	case HULL_STATUS_PAUSED:
		return "paused";
	case HULL_STATUS_STOPPED:
		return "stopped";
	}
	return "unknown";
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '+' || c == '-';
}

HULL_EXPORT int hull_state_check_id(const char *id, struct hull_error **err)
{
	const char *why = NULL;

	if (!id || !*id)
		return hull_error_plain(err, EINVAL, "invalid container id '': it is empty");
	size_t len = strnlen(id, ID_MAX + 1);
	char first = id[0];

	if (len > ID_MAX)
		why = "longer than 1024 bytes";
	else if (strchr(id, '/'))
		why = "it must not contain '/'";
	else if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || (first >= '0' && first <= '9')))
		why = "it must start with a letter or a digit";
	else
		for (const char *p = id; *p; p++)
			if (!id_char(*p)) {
				why = "only letters, digits and '_', '.', '+', '-' are allowed";
				break;
			}
	if (!why)
		return 0;
	/* The id may be huge or hostile: quote at most 100 bytes of it. */
	return hull_error_plain(err, EINVAL, "invalid container id '%.100s%s': %s", id, len > 100 ? "..." : "", why);
}

HULL_EXPORT char *hull_state_dir(const char *root, const char *id)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", root, id) < 0)
		return NULL;
	return p;
}

/* Adds key: string, skipping NULL values. */
static int add_str(struct json_object *o, const char *key, const char *v)
{
	if (!v)
		return 0;
	struct json_object *s = json_object_new_string(v);
	if (!s || json_object_object_add(o, key, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static int add_int(struct json_object *o, const char *key, int64_t v)
{
	struct json_object *i = json_object_new_int64(v);
	if (!i || json_object_object_add(o, key, i) < 0) {
		json_object_put(i);
		return -ENOMEM;
	}
	return 0;
}

static int add_annotations(struct json_object *o, const struct hull_state *st)
{
	if (!st->n_annotations)
		return 0;
	struct json_object *a = json_object_new_object();
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_annotations; i++)
		if (add_str(a, st->annotations[i].key, st->annotations[i].value ? st->annotations[i].value : "") < 0) {
			json_object_put(a);
			return -ENOMEM;
		}
	if (json_object_object_add(o, "annotations", a) < 0) {
		json_object_put(a);
		return -ENOMEM;
	}
	return 0;
}

HULL_EXPORT int hull_state_save(const char *root, const struct hull_state *st, struct hull_error **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	int r;

	r = hull_state_check_id(st->id, err);
	if (r < 0)
		return r;
	dir = hull_state_dir(root, st->id);
	if (!o || !dir || asprintf(&path, "%s/" STATE_FILE, dir) < 0 ||
	    asprintf(&tmp, "%s/." STATE_FILE ".XXXXXX", dir) < 0)
		return hull_error_set(err, ENOMEM, "cannot save the state of container '%s'", st->id);

	/* What the OCI state holds, plus what hull needs to tell the live
	 * status later: the init's start time and the cgroup. */
	if (add_str(o, "ociVersion", st->oci_version ? st->oci_version : "") < 0 || add_str(o, "id", st->id) < 0 ||
	    add_str(o, "status", hull_status_name(st->status)) < 0 || add_int(o, "pid", st->pid) < 0 ||
	    add_int(o, "pidStart", (int64_t)st->pid_start) < 0 || add_str(o, "bundle", st->bundle ? st->bundle : "") < 0 ||
	    add_str(o, "rootfs", st->rootfs) < 0 || add_str(o, "created", st->created) < 0 ||
	    add_str(o, "owner", st->owner) < 0 || add_str(o, "cgroup", st->cgroup) < 0 || add_annotations(o, st) < 0)
		return hull_error_set(err, ENOMEM, "cannot save the state of container '%s'", st->id);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return hull_error_set(err, ENOMEM, "cannot save the state of container '%s'", st->id);

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return hull_error_set(err, errno, "cannot create '%s'", dir);

	/* Write a temporary file, then rename it over state.json: a reader
	 * sees the old file or the new one, never half of one.  No fsync: the
	 * state lives on a tmpfs (/run) and does not outlive a reboot. */
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hull_error_set(err, errno, "cannot write '%s'", path);
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = hull_error_set(err, n < 0 ? errno : EIO, "cannot write '%s'", path);
			unlink(tmp);
			return r;
		}
		done += (size_t)n;
	}
	if (rename(tmp, path) < 0) {
		r = hull_error_set(err, errno, "cannot write '%s'", path);
		unlink(tmp);
		return r;
	}
	return 0;
}

/* Reads a whole small file; NUL-terminated, *ret_len without the NUL. */
static int read_small_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	return path_read_fd(fd, STATE_MAX, ret, ret_len);
}

/* A copy of o[key] if it is a string; NULL if absent.  -EINVAL if it is
 * there but not a string. */
static int get_str(struct json_object *o, const char *key, char **ret)
{
	struct json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static int get_annotations(struct json_object *o, struct hull_state *st)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, "annotations", &a) || json_object_is_type(a, json_type_null))
		return 0;
	if (!json_object_is_type(a, json_type_object))
		return -EINVAL;
	size_t n = (size_t)json_object_object_length(a);
	if (!n)
		return 0;
	st->annotations = calloc(n, sizeof(*st->annotations));
	if (!st->annotations)
		return -ENOMEM;
	json_object_object_foreach(a, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return -EINVAL;
		struct hull_kv *kv = &st->annotations[st->n_annotations];
		kv->key = strdup(key);
		kv->value = strdup(json_object_get_string(val));
		st->n_annotations++;
		if (!kv->key || !kv->value)
			return -ENOMEM;
	}
	return 0;
}

static int parse_state(struct json_object *o, struct hull_state *st)
{
	struct json_object *v;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	if ((r = get_str(o, "ociVersion", &st->oci_version)) < 0 || (r = get_str(o, "id", &st->id)) < 0 ||
	    (r = get_str(o, "bundle", &st->bundle)) < 0 || (r = get_str(o, "rootfs", &st->rootfs)) < 0 ||
	    (r = get_str(o, "created", &st->created)) < 0 || (r = get_str(o, "cgroup", &st->cgroup)) < 0 ||
	    (r = get_str(o, "owner", &st->owner)) < 0 || (r = get_annotations(o, st)) < 0)
		return r;
	if (!st->id || !st->bundle)
		return -EINVAL;
	if (!json_object_object_get_ex(o, "pid", &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	int64_t pid = json_object_get_int64(v);
	if (pid < 0 || pid > INT32_MAX)
		return -EINVAL;
	st->pid = (pid_t)pid;
	if (json_object_object_get_ex(o, "pidStart", &v)) {
		if (!json_object_is_type(v, json_type_int))
			return -EINVAL;
		st->pid_start = (unsigned long long)json_object_get_int64(v);
	}
	return 0;
}

/* runc's owner: the name of the state directory's owner, or "#uid". */
static char *owner_of(const char *dir)
{
	struct stat sb;
	struct passwd *pw;
	char *out = NULL;

	if (stat(dir, &sb) < 0)
		return strdup("");
	/* /etc/passwd itself, not NSS: hullrt is linked statically, and
	 * runc's owner column reads the same file. */
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid == sb.st_uid)
			return strdup(pw->pw_name);
	if (asprintf(&out, "#%u", (unsigned int)sb.st_uid) < 0)
		return NULL;
	return out;
}

static enum hull_status live_status(const char *dir, const struct hull_state *st)
{
	char fifo[4096];
	struct stat sb;

	if (!hull_pid_alive(st->pid, st->pid_start))
		return HULL_STATUS_STOPPED;
	/* The fifo is removed by start: while it is there, the init is still
	 * waiting to exec the user's program. */
	snprintf(fifo, sizeof(fifo), "%s/" FIFO_NAME, dir);
	if (lstat(fifo, &sb) == 0)
		return HULL_STATUS_CREATED;
	if (st->cgroup) {
		struct hull_cgroup *cg = NULL;
		bool frozen = false;
		if (hull_cgroup_load("/sys/fs/cgroup", st->cgroup, &cg, NULL) == 0) {
			if (hull_cgroup_is_frozen(cg, &frozen, NULL) < 0)
				frozen = false;
			hull_cgroup_free(cg);
			if (frozen)
				return HULL_STATUS_PAUSED;
		}
	}
	return HULL_STATUS_RUNNING;
}

HULL_EXPORT int hull_state_load(const char *root, const char *id, struct hull_state **ret, struct hull_error **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
	size_t len = 0;
	int r = hull_state_check_id(id, err);

	*ret = NULL;
	if (r < 0)
		return r;
	dir = hull_state_dir(root, id);
	if (!dir || asprintf(&path, "%s/" STATE_FILE, dir) < 0)
		return -ENOMEM;
	r = read_small_file(path, &text, &len);
	if (r == -ENOENT || r == -ENOTDIR)
		return hull_error_plain(err, ENOENT, "container '%s' does not exist", id);
	if (r < 0)
		return hull_error_set(err, -r, "cannot read '%s'", path);

	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	bool complete = o && json_tokener_get_error(tok) == json_tokener_success;
	/* Nothing but white space after the object. */
	for (size_t i = complete ? json_tokener_get_parse_end(tok) : len; i < len; i++)
		if (!text[i] || !strchr(" \t\r\n", text[i]))
			complete = false;
	json_tokener_free(tok);

	struct hull_state *st = calloc(1, sizeof(*st));
	if (!st) {
		json_object_put(o);
		return -ENOMEM;
	}
	r = complete ? parse_state(o, st) : -EINVAL;
	json_object_put(o);
	if (r == 0 && !streq(st->id, id))
		r = -EINVAL;
	if (r == 0 && (!st->owner || !*st->owner)) {
		free(st->owner);
		st->owner = owner_of(dir);
		if (!st->owner)
			r = -ENOMEM;
	}
	if (r < 0) {
		hull_state_free(st);
		if (r == -ENOMEM)
			return hull_error_set(err, ENOMEM, "cannot load '%s'", path);
		return hull_error_plain(err, EINVAL, "container '%s': '%s' is not a valid state file", id, path);
	}
	st->status = live_status(dir, st);
	*ret = st;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

HULL_EXPORT int hull_state_list(const char *root, char ***ret_ids, struct hull_error **err)
{
	_cleanup_closedir_ DIR *d = opendir(root);
	_cleanup_strv_ char **ids = NULL;
	size_t n = 0, size = 0;
	struct dirent *de;

	*ret_ids = NULL;
	if (!d && errno != ENOENT)
		return hull_error_set(err, errno, "cannot list '%s'", root);
	ids = calloc(1, sizeof(char *));
	if (!ids)
		return -ENOMEM;
	size = 1;
	while (d && (errno = 0, de = readdir(d))) {
		struct stat sb;
		char rel[ID_MAX + sizeof("/" STATE_FILE) + 1];

		/* Only directories holding a state file are containers: a
		 * half-made or half-removed one, or foreign files, are not. */
		if (hull_state_check_id(de->d_name, NULL) < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/" STATE_FILE, de->d_name);
		if (fstatat(dirfd(d), rel, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (n + 2 > size) {
			char **nv = realloc(ids, sizeof(char *) * size * 2);
			if (!nv)
				return -ENOMEM;
			ids = nv;
			size *= 2;
		}
		if (!(ids[n] = strdup(de->d_name)))
			return -ENOMEM;
		ids[++n] = NULL;
	}
	if (d && errno)
		return hull_error_set(err, errno, "cannot list '%s'", root);
	qsort(ids, n, sizeof(char *), cmp_str);
	*ret_ids = TAKE_PTR(ids);
	return 0;
}

HULL_EXPORT char *hull_state_to_json(const struct hull_state *st, bool pretty)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	bool stopped = st->status == HULL_STATUS_STOPPED;

	/* runc's field order; pid 0 once stopped (runc does the same: the
	 * pid may belong to another process by now). */
	if (!o || add_str(o, "ociVersion", st->oci_version ? st->oci_version : "") < 0 ||
	    add_str(o, "id", st->id ? st->id : "") < 0 || add_int(o, "pid", stopped ? 0 : st->pid) < 0 ||
	    add_str(o, "status", hull_status_name(st->status)) < 0 ||
	    add_str(o, "bundle", st->bundle ? st->bundle : "") < 0 || add_str(o, "rootfs", st->rootfs) < 0 ||
	    add_str(o, "created", st->created) < 0 || add_str(o, "owner", st->owner) < 0 || add_annotations(o, st) < 0)
		return NULL;
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
	const char *text = json_object_to_json_string_ext(o, flags);
	return text ? strdup(text) : NULL;
}

HULL_EXPORT void hull_state_free(struct hull_state *st)
{
	if (!st)
		return;
	free(st->oci_version);
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->cgroup);
	free(st->owner);
	for (size_t i = 0; i < st->n_annotations; i++) {
		free(st->annotations[i].key);
		free(st->annotations[i].value);
	}
	free(st->annotations);
	free(st);
}

/* Fields of /proc/<pid>/stat after the command name: the name is in
 * parentheses and may itself hold spaces and ')', so parsing starts after
 * the last ')'.  Returns false if the process is gone. */
static bool read_proc_stat(pid_t pid, char *ret_state, unsigned long long *ret_start)
{
	char path[64], buf[4096];
	ssize_t n;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	buf[n] = '\0';

	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return false;
	p += 2;
	*ret_state = *p;
	/* p is field 3 (state); starttime is field 22. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	char *end;
	errno = 0;
	*ret_start = strtoull(p, &end, 10);
	return errno == 0 && end != p;
}

HULL_EXPORT bool hull_pid_alive(pid_t pid, unsigned long long start)
{
	char state;
	unsigned long long t;

	if (!read_proc_stat(pid, &state, &t))
		return false;
	if (state == 'Z' || state == 'X' || state == 'x')
		return false;
	return t == start;
}

HULL_EXPORT unsigned long long hull_pid_start_time(pid_t pid)
{
	char state;
	unsigned long long t;

	return read_proc_stat(pid, &state, &t) ? t : 0;
}
