/* store.c - see store.h.
 *
 * images.json holds {"images": [record...], "layers": {"<diffid hex>":
 * {"size": N}}}, a record being {"Id", "Names", "Manifest", "Created",
 * "Size", "Layers" (diff_id hexes, bottom first), "Blobs" (the layer blob
 * digests, same order)}.  Every change is made under an exclusive flock on
 * <root>/lock and lands by rename(2): readers (shared lock) never see a
 * half-written index, and a killed command leaves only its directory in
 * <root>/tmp, which holds a flock while its owner lives.
 */
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "image.h"
#include "layer.h"
#include "path.h"
#include "syscalls.h"
#include "util.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_LAYER "application/vnd.oci.image.layer.v1.tar"

struct store {
	char *root;
	int lockfd;
};

static void jsonp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(jsonp)

static const char *json_text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* ------------------------------------------------------------------ */
/* open, lock, temp dirs */

const char *store_root(const struct store *s)
{
	return s->root;
}

static char *store_path(const struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *store_path(const struct store *s, const char *fmt, ...)
{
	_cleanup_free_ char *rel = NULL;
	char *p = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		rel = NULL;
	va_end(ap);
	if (!rel || asprintf(&p, "%s/%s", s->root, rel) < 0)
		return NULL;
	return p;
}

static int store_lock(struct store *s, int how, struct hull_error **err)
{
	while (flock(s->lockfd, how) < 0)
		if (errno != EINTR)
			return hull_error_set(err, errno, "locking '%s/lock'", s->root);
	return 0;
}

static void store_unlock(struct store *s)
{
	flock(s->lockfd, LOCK_UN);
}

/* Removes what killed commands left in tmp/: a directory whose flock we
 * can take has no living owner. */
static void gc_orphans(struct store *s);

static void clean_tmp(struct store *s)
{
	_cleanup_free_ char *tmp = store_path(s, "tmp");
	_cleanup_closedir_ DIR *d = tmp ? opendir(tmp) : NULL;
	struct dirent *de;
	bool locked = false, removed = false;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		/* work_new() makes and flocks its directory under a shared
		 * store lock: with the exclusive one, an unlocked directory
		 * is one whose owner died. */
		if (!locked) {
			if (store_lock(s, LOCK_EX, NULL) < 0)
				return;
			locked = true;
		}
		_cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", tmp, de->d_name) >= 0 && path_remove_tree(p) == 0)
			removed = true;
	}
	/* a command died: it may have died between moving its layer or
	 * blobs in and saving the index */
	if (removed)
		gc_orphans(s);
	if (locked)
		store_unlock(s);
}

int store_open(const char *root, struct store **ret, struct hull_error **err)
{
	struct store *s;
	static const char *const dirs[] = { "", "blobs/sha256", "layers", "tmp", "containers" };

	if (!root || root[0] != '/')
		return hull_error_plain(err, EINVAL, "the store's root '%s' must be an absolute path", root ?: "");
	s = calloc(1, sizeof(*s));
	if (!s || !(s->root = strdup(root))) {
		free(s);
		return hull_error_set(err, ENOMEM, "opening the image store");
	}
	s->lockfd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = store_path(s, "%s", dirs[i]);
		int r = p ? path_mkdir_p(p, 0700) : -ENOMEM;
		if (r < 0) {
			store_close(s);
			return hull_error_set(err, -r, "creating '%s'", p ? p : root);
		}
	}
	_cleanup_free_ char *lock = store_path(s, "lock");
	s->lockfd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (s->lockfd < 0) {
		int e = errno;
		store_close(s);
		return hull_error_set(err, e, "opening '%s/lock'", root);
	}
	clean_tmp(s);
	*ret = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->root);
	free(s);
}

/* A work directory under tmp/ holding its own flock until closed. */
struct work {
	char *dir;
	int fd;
};

static int work_new(struct store *s, const char *what, struct work *w, struct hull_error **err)
{
	int r;

	w->fd = -1;
	w->dir = store_path(s, "tmp/%s-XXXXXX", what);
	if (!w->dir)
		return -ENOMEM;
	/* made and locked under the store lock, so that clean_tmp() never
	 * takes it for a dead command's */
	r = store_lock(s, LOCK_SH, err);
	if (r < 0)
		goto fail;
	if (!mkdtemp(w->dir)) {
		r = hull_error_set(err, errno, "creating a work directory in '%s/tmp'", s->root);
		store_unlock(s);
		goto fail;
	}
	w->fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->fd < 0 || flock(w->fd, LOCK_EX) < 0)
		r = hull_error_set(err, errno, "locking '%s'", w->dir);
	store_unlock(s);
	return r;
fail:
	free(w->dir);
	w->dir = NULL;
	return r;
}

static void work_done(struct work *w)
{
	if (w->dir)
		path_remove_tree(w->dir);
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	w->dir = NULL;
	w->fd = -1;
}

/* ------------------------------------------------------------------ */
/* the index */

static int index_load(struct store *s, struct json_object **ret, struct hull_error **err)
{
	_cleanup_free_ char *p = store_path(s, "images.json");
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	struct json_object *o;
	int r;

	if (!p)
		return -ENOMEM;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return hull_error_set(err, errno, "opening '%s'", p);
	if (fd >= 0) {
		r = path_read_fd(fd, 64 << 20, &text, &len);
		if (r < 0)
			return hull_error_set(err, -r, "reading '%s'", p);
		o = json_tokener_parse(text);
		if (!o || !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			return hull_error_plain(err, EINVAL, "'%s' is not valid JSON", p);
		}
	} else
		o = json_object_new_object();
	if (!jget(o, "images") || !json_object_is_type(jget(o, "images"), json_type_array))
		json_object_object_add(o, "images", json_object_new_array());
	if (!jget(o, "layers") || !json_object_is_type(jget(o, "layers"), json_type_object))
		json_object_object_add(o, "layers", json_object_new_object());
	*ret = o;
	return 0;
}

/* Writes text to path by a temp file, fsync and rename. */
static int write_atomic(const char *path, const char *text, size_t len, struct hull_error **err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t done = 0;

	if (asprintf(&tmp, "%s.tmp-%d", path, getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return hull_error_set(err, errno, "creating '%s'", tmp);
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			unlink(tmp);
			return hull_error_set(err, e, "writing '%s'", tmp);
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return hull_error_set(err, e, "writing '%s'", path);
	}
	return 0;
}

static int index_save(struct store *s, struct json_object *idx, struct hull_error **err)
{
	_cleanup_free_ char *p = store_path(s, "images.json");
	const char *text = json_object_to_json_string_ext(idx, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!p || !text)
		return -ENOMEM;
	return write_atomic(p, text, strlen(text), err);
}

/* Removes layers and blobs no image refers to, and temp index files: what
 * a command killed in the middle of recording an image leaves.  Called
 * with the store locked exclusively. */
static void gc_orphans(struct store *s)
{
	_cleanup_json_ struct json_object *idx = NULL;
	static const char *const kinds[] = { "layers", "blobs/sha256", "" };

	if (index_load(s, &idx, NULL) < 0)
		return;
	struct json_object *imgs = jget(idx, "images");
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		_cleanup_free_ char *dir = store_path(s, "%s", kinds[k]);
		_cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
		struct dirent *de;

		while (d && (de = readdir(d))) {
			const char *n = de->d_name;
			_cleanup_free_ char *p = NULL;
			bool used = false;

			if (k == 2) {
				/* the root: only write_atomic()'s leftovers */
				if (startswith(n, "images.json.tmp-") && asprintf(&p, "%s/%s", dir, n) >= 0)
					unlink(p);
				continue;
			}
			if (strlen(n) != 64 || strspn(n, "0123456789abcdef") != 64)
				continue;
			for (size_t i = 0; !used && i < json_object_array_length(imgs); i++) {
				struct json_object *rec = json_object_array_get_idx(imgs, i);
				if (k == 0) {
					struct json_object *ls = jget(rec, "Layers");
					for (size_t j = 0; !used && ls && j < json_object_array_length(ls); j++)
						used = streq(json_object_get_string(json_object_array_get_idx(ls, j)), n);
				} else {
					const char *id = jstr(rec, "Id"), *man = jstr(rec, "Manifest");
					struct json_object *bs = jget(rec, "Blobs");
					used = (id && streq(id + 7, n)) || (man && streq(man + 7, n));
					for (size_t j = 0; !used && bs && j < json_object_array_length(bs); j++) {
						const char *b = json_object_get_string(json_object_array_get_idx(bs, j));
						used = b && startswith(b, "sha256:") && streq(b + 7, n);
					}
				}
			}
			if (used || asprintf(&p, "%s/%s", dir, n) < 0)
				continue;
			if (k == 0)
				path_remove_tree(p);
			else
				unlink(p);
		}
	}
}

/* ------------------------------------------------------------------ */
/* references */

static bool is_hex(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isdigit((unsigned char)s[n]) && !(s[n] >= 'a' && s[n] <= 'f'))
			return false;
	return n >= min && n <= max;
}

/* A name component: lowercase letters and digits, separated by one '.',
 * one or two '_', or dashes. */
static bool valid_component(const char *c, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)c[0]) || !isalnum((unsigned char)c[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c[i];
		if (islower(ch) || isdigit(ch) || ch == '-')
			continue;
		if (ch == '.' || ch == '_') {
			if (c[i + 1] == '.' || (ch == '.' && c[i + 1] == '_') ||
			    (ch == '_' && c[i + 1] == '_' && c[i + 2] == '_'))
				return false;
			continue;
		}
		return false;
	}
	return true;
}

int store_parse_ref(const char *ref, char **ret, struct hull_error **err)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(slash ? slash : ref, ':');
	_cleanup_free_ char *name = strndup(ref, colon ? (size_t)(colon - ref) : strlen(ref));
	const char *tag = colon ? colon + 1 : "latest";

	if (!name)
		return -ENOMEM;
	if (strchr(ref, '@'))
		return hull_error_plain(err, EINVAL, "invalid reference format: '%s': digests are not supported", ref);
	if (!*name || strlen(ref) > 255)
		return hull_error_plain(err, EINVAL, "invalid reference format: '%s'", ref);
	if (is_hex(name, 64, 64))
		return hull_error_plain(err, EINVAL,
					"invalid repository name '%s': cannot be a 64-character hexadecimal string", name);
	/* components separated by '/'; the first may be a registry host[:port] */
	for (const char *c = name; *c;) {
		size_t n = strcspn(c, "/");
		bool host = c == name && c[n] == '/' && (memchr(c, '.', n) || memchr(c, ':', n) ||
							  (n == 9 && !strncmp(c, "localhost", 9)));
		if (!host && !valid_component(c, n))
			return hull_error_plain(err, EINVAL,
						"invalid reference format: '%s': repository name must be lowercase "
						"letters, digits and separators", ref);
		c += n;
		if (*c == '/' && !*++c)
			return hull_error_plain(err, EINVAL, "invalid reference format: '%s'", ref);
	}
	size_t tl = strlen(tag);
	bool ok = tl >= 1 && tl <= 128 && (isalnum((unsigned char)tag[0]) || tag[0] == '_');
	for (size_t i = 0; ok && i < tl; i++)
		ok = isalnum((unsigned char)tag[i]) || tag[i] == '_' || tag[i] == '.' || tag[i] == '-';
	if (!ok)
		return hull_error_plain(err, EINVAL, "invalid reference format: '%s': bad tag '%s'", ref, tag);
	if (asprintf(ret, "%s:%s", name, tag) < 0)
		return -ENOMEM;
	return 0;
}

static bool names_have(struct json_object *rec, const char *name)
{
	struct json_object *names = jget(rec, "Names");

	for (size_t i = 0; names && i < json_object_array_length(names); i++)
		if (streq(json_object_get_string(json_object_array_get_idx(names, i)), name))
			return true;
	return false;
}

/* Finds the record ref names.  *ret_by_name tells a name from an id. */
static int index_resolve(struct json_object *idx, const char *ref, size_t *ret_i, bool *ret_by_name,
			 struct hull_error **err)
{
	struct json_object *imgs = jget(idx, "images");
	size_t n = json_object_array_length(imgs);
	_cleanup_free_ char *norm = NULL;
	const char *hex = startswith(ref, "sha256:") ? ref + 7 : ref;
	size_t found = SIZE_MAX, matches = 0;

	if (!*ref)
		return hull_error_plain(err, ENOENT, "No such image: %s", ref);
	/* a name first, as docker: "abc" may be both a name and an id prefix */
	if (!startswith(ref, "sha256:") && store_parse_ref(ref, &norm, NULL) == 0) {
		for (size_t i = 0; i < n; i++)
			if (names_have(json_object_array_get_idx(imgs, i), norm)) {
				*ret_i = i;
				if (ret_by_name)
					*ret_by_name = true;
				return 0;
			}
	}
	if (is_hex(hex, 1, 64)) {
		for (size_t i = 0; i < n; i++) {
			const char *id = jstr(json_object_array_get_idx(imgs, i), "Id");
			if (id && startswith(id + 7, hex)) {
				found = i;
				matches++;
			}
		}
	}
	if (matches > 1)
		return hull_error_plain(err, EINVAL, "ambiguous image reference '%s': it matches %zu images", ref, matches);
	if (matches == 0)
		return hull_error_plain(err, ENOENT, "No such image: %s", ref);
	*ret_i = found;
	if (ret_by_name)
		*ret_by_name = false;
	return 0;
}

/* ------------------------------------------------------------------ */
/* reading images */

void image_free(struct image *img)
{
	if (!img)
		return;
	strv_free(img->names);
	strv_free(img->layer_dirs);
	strv_free(img->diff_ids);
	strv_free(img->env);
	strv_free(img->cmd);
	strv_free(img->entrypoint);
	strv_free(img->labels);
	strv_free(img->exposed_ports);
	strv_free(img->volumes);
	free(img->workdir);
	free(img->user);
	free(img->stop_signal);
	free(img->created);
	free(img->author);
	free(img->comment);
	free(img->architecture);
	free(img->os);
	free(img->layer_sizes);
	for (size_t i = 0; i < img->n_history; i++) {
		free(img->history[i].created);
		free(img->history[i].created_by);
		free(img->history[i].comment);
	}
	free(img->history);
	free(img);
}

void image_list_free(struct image **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		image_free(v[i]);
	free(v);
}

static int read_blob(struct store *s, const char *digest, char **ret, struct hull_error **err)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	if (!startswith(digest, "sha256:") || !is_hex(digest + 7, 64, 64))
		return hull_error_plain(err, EINVAL, "bad digest '%s' in the index", digest);
	p = store_path(s, "blobs/sha256/%s", digest + 7);
	if (!p)
		return -ENOMEM;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hull_error_set(err, errno, "opening blob '%s'", p);
	r = path_read_fd(fd, 16 << 20, ret, &len);
	if (r < 0)
		return hull_error_set(err, -r, "reading blob '%s'", p);
	return 0;
}

static int image_from_record(struct store *s, struct json_object *idx, struct json_object *rec, struct image **ret,
			     struct hull_error **err)
{
	struct image *img = calloc(1, sizeof(*img));
	struct json_object *names = jget(rec, "Names"), *layers = jget(rec, "Layers");
	size_t nn = names ? json_object_array_length(names) : 0;
	size_t nl = layers ? json_object_array_length(layers) : 0;
	_cleanup_free_ char *cfg = NULL;
	int r;

	if (!img)
		return -ENOMEM;
	snprintf(img->id, sizeof(img->id), "%s", jstr(rec, "Id") ?: "");
	img->names = calloc(nn + 1, sizeof(char *));
	img->layer_dirs = calloc(nl + 1, sizeof(char *));
	img->diff_ids = calloc(nl + 1, sizeof(char *));
	img->layer_sizes = calloc(nl + 1, sizeof(int64_t));
	img->n_layers = nl;
	img->size = json_object_get_int64(jget(rec, "Size"));
	if (!img->names || !img->layer_dirs || !img->diff_ids || !img->layer_sizes) {
		image_free(img);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nn; i++)
		img->names[i] = strdup(json_object_get_string(json_object_array_get_idx(names, i)) ?: "");
	for (size_t i = 0; i < nl; i++) {
		const char *hex = json_object_get_string(json_object_array_get_idx(layers, i)) ?: "";
		img->layer_dirs[nl - 1 - i] = store_path(s, "layers/%s", hex);
		if (asprintf(&img->diff_ids[i], "sha256:%s", hex) < 0)
			img->diff_ids[i] = NULL;
		img->layer_sizes[i] = json_object_get_int64(jget(jget(jget(idx, "layers"), hex), "size"));
	}
	r = read_blob(s, img->id, &cfg, err);
	if (r == 0)
		r = image_fill_from_config(img, cfg, err);
	if (r < 0) {
		image_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

int store_image_get(struct store *s, const char *ref, struct image **ret, struct hull_error **err)
{
	_cleanup_json_ struct json_object *idx = NULL;
	size_t i;
	int r;

	r = store_lock(s, LOCK_SH, err);
	if (r < 0)
		return r;
	r = index_load(s, &idx, err);
	if (r == 0)
		r = index_resolve(idx, ref, &i, NULL, err);
	if (r == 0)
		r = image_from_record(s, idx, json_object_array_get_idx(jget(idx, "images"), i), ret, err);
	store_unlock(s);
	return r;
}

int store_image_list(struct store *s, struct image ***ret, size_t *ret_n, struct hull_error **err)
{
	_cleanup_json_ struct json_object *idx = NULL;
	struct image **v = NULL;
	size_t n = 0;
	int r;

	r = store_lock(s, LOCK_SH, err);
	if (r < 0)
		return r;
	r = index_load(s, &idx, err);
	if (r == 0) {
		struct json_object *imgs = jget(idx, "images");
		size_t total = json_object_array_length(imgs);
		v = calloc(total + 1, sizeof(*v));
		if (!v)
			r = -ENOMEM;
		/* newest last in the index: list newest first */
		for (size_t i = total; r == 0 && i-- > 0;) {
			r = image_from_record(s, idx, json_object_array_get_idx(imgs, i), &v[n], err);
			if (r == 0)
				n++;
		}
	}
	store_unlock(s);
	if (r < 0) {
		image_list_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* containers using images */

bool store_image_in_use(struct store *s, const char *id, char **ret_container)
{
	_cleanup_free_ char *dir = store_path(s, "containers");
	_cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s/config.json", dir, de->d_name) < 0)
			continue;
		_cleanup_json_ struct json_object *c = json_object_from_file(p);
		if (c && streq(jstr(c, "Image"), id)) {
			if (ret_container)
				*ret_container = strdup(jstr(c, "Id") ?: de->d_name);
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* adding images */

static const char *arch_name(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	if (streq(u.machine, "x86_64"))
		return "amd64";
	if (streq(u.machine, "aarch64"))
		return "arm64";
	if (streq(u.machine, "armv7l"))
		return "arm";
	return u.machine;
}

/* Writes text as a blob file in the work dir; its digest to ret_hex. */
static int work_blob(struct work *w, const char *name, const char *text, char ret_hex[LAYER_HEX_SIZE],
		     struct hull_error **err)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&p, "%s/%s", w->dir, name) < 0)
		return -ENOMEM;
	r = write_atomic(p, text, strlen(text), err);
	if (r < 0)
		return r;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hull_error_set(err, errno, "opening '%s'", p);
	return layer_sha256_fd(fd, ret_hex, NULL, err);
}

/* What an import or a commit brings: a work dir with "layer.tar" (the
 * blob), maybe "layer" (unpacked), "config.json" and "manifest.json". */
struct pending {
	struct work w;
	char blob_hex[LAYER_HEX_SIZE];
	int64_t blob_size;
	char diff_hex[LAYER_HEX_SIZE];
	int64_t layer_size;
	bool unpacked;
	const char *source;
};

static bool layer_present(struct store *s, const char *hex)
{
	_cleanup_free_ char *p = store_path(s, "layers/%s", hex);
	struct stat st;

	return p && lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Digests the layer blob and unpacks it unless the store has it. */
static int pending_prepare(struct store *s, struct pending *pd, bool force_unpack, struct hull_error **err)
{
	_cleanup_free_ char *blob = NULL, *dest = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&blob, "%s/layer.tar", pd->w.dir) < 0 || asprintf(&dest, "%s/layer", pd->w.dir) < 0)
		return -ENOMEM;
	fd = open(blob, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hull_error_set(err, errno, "opening '%s'", blob);
	r = layer_sha256_fd(fd, pd->blob_hex, &pd->blob_size, err);
	if (r < 0)
		return r;
	r = layer_diff_id(blob, pd->source, pd->blob_hex, pd->diff_hex, err);
	if (r < 0)
		return r;
	if (!force_unpack && layer_present(s, pd->diff_hex))
		return 0;
	if (mkdir(dest, 0755) < 0 && errno != EEXIST)
		return hull_error_set(err, errno, "creating '%s'", dest);
	r = layer_unpack(blob, pd->source, dest, &pd->layer_size, err);
	if (r < 0)
		return r;
	pd->unpacked = true;
	return 0;
}

static int move_blob(struct store *s, struct work *w, const char *name, const char *hex, struct hull_error **err)
{
	_cleanup_free_ char *from = NULL, *to = store_path(s, "blobs/sha256/%s", hex);

	if (!to || asprintf(&from, "%s/%s", w->dir, name) < 0)
		return -ENOMEM;
	if (rename(from, to) < 0)
		return hull_error_set(err, errno, "moving blob into '%s'", to);
	return 0;
}

/* Moves a name from whatever image has it to rec. */
static void index_take_name(struct json_object *idx, struct json_object *rec, const char *name)
{
	struct json_object *imgs = jget(idx, "images");

	for (size_t i = 0; i < json_object_array_length(imgs); i++) {
		struct json_object *names = jget(json_object_array_get_idx(imgs, i), "Names");
		for (size_t j = 0; names && j < json_object_array_length(names); j++)
			if (streq(json_object_get_string(json_object_array_get_idx(names, j)), name)) {
				json_object_array_del_idx(names, j, 1);
				break;
			}
	}
	json_object_array_add(jget(rec, "Names"), json_object_new_string(name));
}

/* Builds config + manifest for the pending layer on top of base_cfg (NULL
 * for an import) and records the image under the store lock. */
static int pending_commit(struct store *s, struct pending *pd, struct json_object *base_rec,
			  const char *base_cfg_text, const char *const *changes, const char *author,
			  const char *created_by, const char *comment, const char *name, char ret_id[STORE_ID_SIZE],
			  struct hull_error **err)
{
	_cleanup_json_ struct json_object *cfg = NULL, *man = NULL, *idx = NULL;
	char now[64], cfg_hex[LAYER_HEX_SIZE], man_hex[LAYER_HEX_SIZE], diff_id[80];
	struct json_object *c, *hist, *rootfs, *layers, *blobs, *mlayers, *rec;
	int r;

	image_now(now, sizeof(now));
	snprintf(diff_id, sizeof(diff_id), "sha256:%s", pd->diff_hex);
	cfg = base_cfg_text ? json_tokener_parse(base_cfg_text) : json_object_new_object();
	if (!cfg || !json_object_is_type(cfg, json_type_object))
		return hull_error_plain(err, EINVAL, "the base image's config is not a JSON object");
	json_object_object_add(cfg, "created", json_object_new_string(now));
	if (author)
		json_object_object_add(cfg, "author", json_object_new_string(author));
	else if (!base_cfg_text)
		json_object_object_del(cfg, "author");
	json_object_object_add(cfg, "architecture", json_object_new_string(arch_name()));
	json_object_object_add(cfg, "os", json_object_new_string("linux"));
	c = jget(cfg, "config");
	if (!c || !json_object_is_type(c, json_type_object)) {
		c = json_object_new_object();
		json_object_object_add(cfg, "config", c);
	}
	r = image_apply_changes(c, changes, err);
	if (r < 0)
		return r;
	rootfs = jget(cfg, "rootfs");
	if (!rootfs || !json_object_is_type(jget(rootfs, "diff_ids"), json_type_array)) {
		rootfs = json_object_new_object();
		json_object_object_add(rootfs, "type", json_object_new_string("layers"));
		json_object_object_add(rootfs, "diff_ids", json_object_new_array());
		json_object_object_add(cfg, "rootfs", rootfs);
	}
	json_object_array_add(jget(rootfs, "diff_ids"), json_object_new_string(diff_id));
	hist = jget(cfg, "history");
	if (!hist || !json_object_is_type(hist, json_type_array)) {
		hist = json_object_new_array();
		json_object_object_add(cfg, "history", hist);
	}
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "created", json_object_new_string(now));
	if (author)
		json_object_object_add(h, "author", json_object_new_string(author));
	if (created_by)
		json_object_object_add(h, "created_by", json_object_new_string(created_by));
	if (comment && *comment)
		json_object_object_add(h, "comment", json_object_new_string(comment));
	json_object_array_add(hist, h);
	r = work_blob(&pd->w, "config.json", json_text(cfg), cfg_hex, err);
	if (r < 0)
		return r;

	/* the manifest: base's layer blobs, then this one */
	man = json_object_new_object();
	json_object_object_add(man, "schemaVersion", json_object_new_int(2));
	json_object_object_add(man, "mediaType", json_object_new_string(MEDIA_MANIFEST));
	struct json_object *mc = json_object_new_object();
	char dg[80];
	struct stat st;
	_cleanup_free_ char *cfgp = NULL;
	if (asprintf(&cfgp, "%s/config.json", pd->w.dir) < 0 || stat(cfgp, &st) < 0)
		return hull_error_set(err, errno, "config blob");
	snprintf(dg, sizeof(dg), "sha256:%s", cfg_hex);
	json_object_object_add(mc, "mediaType", json_object_new_string(MEDIA_CONFIG));
	json_object_object_add(mc, "digest", json_object_new_string(dg));
	json_object_object_add(mc, "size", json_object_new_int64(st.st_size));
	json_object_object_add(man, "config", mc);
	mlayers = json_object_new_array();
	json_object_object_add(man, "layers", mlayers);
	struct json_object *bblobs = base_rec ? jget(base_rec, "Blobs") : NULL;
	_cleanup_free_ char *base_man_text = NULL;
	_cleanup_json_ struct json_object *base_man = NULL;
	if (base_rec && jstr(base_rec, "Manifest") && read_blob(s, jstr(base_rec, "Manifest"), &base_man_text, NULL) == 0)
		base_man = json_tokener_parse(base_man_text);
	struct json_object *bl = jget(base_man, "layers");
	for (size_t i = 0; bl && i < json_object_array_length(bl); i++)
		json_object_array_add(mlayers, json_object_get(json_object_array_get_idx(bl, i)));
	struct json_object *ml = json_object_new_object();
	snprintf(dg, sizeof(dg), "sha256:%s", pd->blob_hex);
	json_object_object_add(ml, "mediaType", json_object_new_string(MEDIA_LAYER));
	json_object_object_add(ml, "digest", json_object_new_string(dg));
	json_object_object_add(ml, "size", json_object_new_int64(pd->blob_size));
	json_object_array_add(mlayers, ml);
	r = work_blob(&pd->w, "manifest.json", json_text(man), man_hex, err);
	if (r < 0)
		return r;

	snprintf(ret_id, STORE_ID_SIZE, "sha256:%s", cfg_hex);

	/* into the store */
	r = store_lock(s, LOCK_EX, err);
	if (r < 0)
		return r;
	if (!layer_present(s, pd->diff_hex)) {
		if (!pd->unpacked) {
			/* removed since we looked: the caller unpacks and retries */
			store_unlock(s);
			return -EAGAIN;
		}
		_cleanup_free_ char *from = NULL, *to = store_path(s, "layers/%s", pd->diff_hex);
		if (!to || asprintf(&from, "%s/layer", pd->w.dir) < 0)
			r = -ENOMEM;
		else if (rename(from, to) < 0)
			r = hull_error_set(err, errno, "moving the layer into '%s'", to);
	}
	if (r == 0)
		r = move_blob(s, &pd->w, "layer.tar", pd->blob_hex, err);
	if (r == 0)
		r = move_blob(s, &pd->w, "config.json", cfg_hex, err);
	if (r == 0)
		r = move_blob(s, &pd->w, "manifest.json", man_hex, err);
	if (r == 0)
		r = index_load(s, &idx, err);
	if (r < 0)
		goto out;

	/* layer sizes */
	struct json_object *lsizes = jget(idx, "layers");
	if (pd->unpacked || !jget(lsizes, pd->diff_hex)) {
		struct json_object *li = json_object_new_object();
		json_object_object_add(li, "size", json_object_new_int64(pd->layer_size));
		json_object_object_add(lsizes, pd->diff_hex, li);
	}
	int64_t size = json_object_get_int64(jget(jget(lsizes, pd->diff_hex), "size"));

	struct json_object *imgs = jget(idx, "images");
	rec = NULL;
	for (size_t i = 0; i < json_object_array_length(imgs); i++)
		if (streq(jstr(json_object_array_get_idx(imgs, i), "Id"), ret_id))
			rec = json_object_array_get_idx(imgs, i);
	if (!rec) {
		rec = json_object_new_object();
		json_object_object_add(rec, "Id", json_object_new_string(ret_id));
		json_object_object_add(rec, "Names", json_object_new_array());
		snprintf(dg, sizeof(dg), "sha256:%s", man_hex);
		json_object_object_add(rec, "Manifest", json_object_new_string(dg));
		json_object_object_add(rec, "Created", json_object_new_string(now));
		layers = json_object_new_array();
		blobs = json_object_new_array();
		struct json_object *bls = base_rec ? jget(base_rec, "Layers") : NULL;
		for (size_t i = 0; bls && i < json_object_array_length(bls); i++) {
			const char *hx = json_object_get_string(json_object_array_get_idx(bls, i));
			json_object_array_add(layers, json_object_new_string(hx));
			size += json_object_get_int64(jget(jget(lsizes, hx), "size"));
		}
		for (size_t i = 0; bblobs && i < json_object_array_length(bblobs); i++)
			json_object_array_add(blobs, json_object_get(json_object_array_get_idx(bblobs, i)));
		json_object_array_add(layers, json_object_new_string(pd->diff_hex));
		snprintf(dg, sizeof(dg), "sha256:%s", pd->blob_hex);
		json_object_array_add(blobs, json_object_new_string(dg));
		json_object_object_add(rec, "Layers", layers);
		json_object_object_add(rec, "Blobs", blobs);
		json_object_object_add(rec, "Size", json_object_new_int64(size));
		json_object_array_add(imgs, rec);
	}
	if (name)
		index_take_name(idx, rec, name);
	r = index_save(s, idx, err);
out:
	store_unlock(s);
	return r;
}

/* Copies fd into path, returning the bytes copied. */
static int copy_in(int fd, const char *path, const char *source, struct hull_error **err)
{
	_cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char buf[1 << 16];
	ssize_t n;

	if (out < 0)
		return hull_error_set(err, errno, "creating '%s'", path);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hull_error_set(err, errno, "reading '%s'", source);
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t m = write(out, buf + done, (size_t)(n - done));
			if (m < 0) {
				if (errno == EINTR)
					continue;
				return hull_error_set(err, errno, "writing '%s'", path);
			}
			done += m;
		}
	}
	if (fsync(out) < 0)
		return hull_error_set(err, errno, "writing '%s'", path);
	return 0;
}

/* The part import and commit share once layer.tar is in the work dir. */
static int add_layer_image(struct store *s, struct pending *pd, struct json_object *base_rec,
			   const char *base_cfg, const char *const *changes, const char *author,
			   const char *created_by, const char *comment, const char *name,
			   char ret_id[STORE_ID_SIZE], struct hull_error **err)
{
	int r = pending_prepare(s, pd, false, err);

	if (r < 0)
		return r;
	r = pending_commit(s, pd, base_rec, base_cfg, changes, author, created_by, comment, name, ret_id, err);
	if (r == -EAGAIN) {
		r = pending_prepare(s, pd, true, err);
		if (r == 0)
			r = pending_commit(s, pd, base_rec, base_cfg, changes, author, created_by, comment, name,
					   ret_id, err);
		if (r == -EAGAIN)
			r = hull_error_plain(err, EAGAIN, "the layer was removed while importing, try again");
	}
	return r;
}

int store_import(struct store *s, int fd, const char *source, const char *const *changes, const char *ref,
		 const char *message, char ret_id[STORE_ID_SIZE], struct hull_error **err)
{
	struct pending pd = { .source = source };
	_cleanup_free_ char *name = NULL, *blob = NULL;
	struct json_object *c;
	int r;

	if (ref && (r = store_parse_ref(ref, &name, err)) < 0)
		return r;
	/* check the changes before reading anything */
	c = json_object_new_object();
	r = image_apply_changes(c, changes, err);
	json_object_put(c);
	if (r < 0)
		return r;
	r = work_new(s, "import", &pd.w, err);
	if (r < 0)
		goto out;
	if (asprintf(&blob, "%s/layer.tar", pd.w.dir) < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = copy_in(fd, blob, source, err);
	if (r == 0)
		r = add_layer_image(s, &pd, NULL, NULL, changes, NULL, "hull import", message, name, ret_id, err);
	if (r < 0)
		r = hull_error_wrap(err, r, "importing '%s'", source);
out:
	work_done(&pd.w);
	return r;
}

int store_tag(struct store *s, const char *src, const char *ref, struct hull_error **err)
{
	_cleanup_json_ struct json_object *idx = NULL;
	_cleanup_free_ char *name = NULL;
	size_t i;
	int r;

	r = store_parse_ref(ref, &name, err);
	if (r < 0)
		return r;
	r = store_lock(s, LOCK_EX, err);
	if (r < 0)
		return r;
	r = index_load(s, &idx, err);
	if (r == 0)
		r = index_resolve(idx, src, &i, NULL, err);
	if (r == 0) {
		struct json_object *rec = json_object_array_get_idx(jget(idx, "images"), i);
		if (!names_have(rec, name)) {
			index_take_name(idx, rec, name);
			r = index_save(s, idx, err);
		}
	}
	store_unlock(s);
	return r;
}

/* ------------------------------------------------------------------ */
/* removing images */

static bool any_record_has(struct json_object *imgs, const char *key, const char *value)
{
	for (size_t i = 0; i < json_object_array_length(imgs); i++) {
		struct json_object *a = jget(json_object_array_get_idx(imgs, i), key);
		for (size_t j = 0; a && j < json_object_array_length(a); j++)
			if (streq(json_object_get_string(json_object_array_get_idx(a, j)), value))
				return true;
	}
	return false;
}

/* What deleting records leaves to remove from disk: files (blobs) and
 * layer directories. */
struct garbage {
	char **files, **dirs;
	size_t n_files, n_dirs;
	int64_t bytes; /* in the layers removed */
};

static void garbage_add(char ***v, size_t *n, char *p)
{
	char **nv = p ? realloc(*v, (*n + 2) * sizeof(char *)) : NULL;

	if (!nv) {
		free(p);
		return;
	}
	nv[(*n)++] = p;
	nv[*n] = NULL;
	*v = nv;
}

/* Drops record i from the index; what only it used (layers, blobs, its
 * config and manifest) goes to g, removed once the index is saved. */
static void index_delete(struct store *s, struct json_object *idx, size_t i, struct garbage *g)
{
	struct json_object *imgs = jget(idx, "images");
	struct json_object *rec = json_object_get(json_object_array_get_idx(imgs, i));
	struct json_object *layers = jget(rec, "Layers"), *blobs = jget(rec, "Blobs");

	json_object_array_del_idx(imgs, i, 1);
	for (size_t j = 0; layers && j < json_object_array_length(layers); j++) {
		const char *hex = json_object_get_string(json_object_array_get_idx(layers, j));
		if (!hex || !is_hex(hex, 64, 64) || any_record_has(imgs, "Layers", hex))
			continue;
		garbage_add(&g->dirs, &g->n_dirs, strdup(hex));
		g->bytes += json_object_get_int64(jget(jget(jget(idx, "layers"), hex), "size"));
		json_object_object_del(jget(idx, "layers"), hex);
	}
	for (size_t j = 0; blobs && j < json_object_array_length(blobs); j++) {
		const char *d = json_object_get_string(json_object_array_get_idx(blobs, j));
		if (!d || !startswith(d, "sha256:") || !is_hex(d + 7, 64, 64) || any_record_has(imgs, "Blobs", d))
			continue;
		garbage_add(&g->files, &g->n_files, store_path(s, "blobs/sha256/%s", d + 7));
	}
	const char *ids[] = { jstr(rec, "Id"), jstr(rec, "Manifest") };
	for (size_t j = 0; j < ARRAY_SIZE(ids); j++)
		if (ids[j] && startswith(ids[j], "sha256:") && is_hex(ids[j] + 7, 64, 64))
			garbage_add(&g->files, &g->n_files, store_path(s, "blobs/sha256/%s", ids[j] + 7));
	json_object_put(rec);
}

/* Under the lock: blobs unlinked, layer dirs moved into tmp/ (a rename:
 * quick); the caller removes those trees after unlocking, or the next
 * command does if it is killed. */
static void garbage_move(struct store *s, struct garbage *g)
{
	for (size_t i = 0; i < g->n_files; i++)
		unlink(g->files[i]);
	for (size_t i = 0; i < g->n_dirs; i++) {
		_cleanup_free_ char *from = store_path(s, "layers/%s", g->dirs[i]);
		char *to = store_path(s, "tmp/deleted-%s-%d", g->dirs[i], getpid());
		if (!from || !to || rename(from, to) < 0) {
			if (from)
				path_remove_tree(from);
			free(to);
			to = NULL;
		}
		free(g->dirs[i]);
		g->dirs[i] = to; /* NULL when already removed */
	}
}

static void garbage_remove(struct garbage *g)
{
	for (size_t i = 0; i < g->n_dirs; i++)
		if (g->dirs[i])
			path_remove_tree(g->dirs[i]);
	for (size_t i = 0; i < g->n_dirs; i++)
		free(g->dirs[i]);
	strv_free(g->files);
	free(g->dirs);
}

int store_remove(struct store *s, const char *ref, bool force, store_remove_fn fn, void *data,
		 struct hull_error **err)
{
	_cleanup_json_ struct json_object *idx = NULL;
	_cleanup_free_ char *user = NULL, *deleted = NULL;
	struct garbage g = { 0 };
	bool by_name = false, in_use;
	size_t i;
	int r;

	r = store_lock(s, LOCK_EX, err);
	if (r < 0)
		return r;
	r = index_load(s, &idx, err);
	if (r == 0)
		r = index_resolve(idx, ref, &i, &by_name, err);
	if (r < 0)
		goto out;
	struct json_object *rec = json_object_array_get_idx(jget(idx, "images"), i);
	struct json_object *names = jget(rec, "Names");
	const char *id = jstr(rec, "Id") ?: "";
	char short_id[13];
	snprintf(short_id, sizeof(short_id), "%s", id + (startswith(id, "sha256:") ? 7 : 0));
	in_use = store_image_in_use(s, id, &user);
	size_t nnames = json_object_array_length(names);

	if (by_name) {
		_cleanup_free_ char *norm = NULL;
		store_parse_ref(ref, &norm, NULL);
		if (nnames == 1 && in_use && !force) {
			r = hull_error_plain(err, EBUSY,
					     "conflict: unable to remove repository reference \"%s\" (must force) - "
					     "container %.12s is using its referenced image %s",
					     ref, user ?: "?", short_id);
			goto out;
		}
		for (size_t j = 0; j < nnames; j++)
			if (streq(json_object_get_string(json_object_array_get_idx(names, j)), norm)) {
				json_object_array_del_idx(names, j, 1);
				break;
			}
		if (fn)
			fn("Untagged", norm, data);
		nnames--;
	} else {
		if (nnames > 1 && !force) {
			r = hull_error_plain(err, EBUSY,
					     "conflict: unable to delete %s (must be forced) - image is referenced in "
					     "multiple repositories", short_id);
			goto out;
		}
		if (in_use && !force) {
			r = hull_error_plain(err, EBUSY,
					     "conflict: unable to delete %s (must be forced) - image is being used by "
					     "container %.12s", short_id, user ?: "?");
			goto out;
		}
		while (json_object_array_length(names) > 0) {
			if (fn)
				fn("Untagged", json_object_get_string(json_object_array_get_idx(names, 0)), data);
			json_object_array_del_idx(names, 0, 1);
		}
		nnames = 0;
	}
	/* the image goes with its last name, unless a container uses it:
	 * then it stays, without a name, so the container keeps its layers */
	if (nnames == 0 && !in_use) {
		deleted = strdup(id);
		index_delete(s, idx, i, &g);
	}
	/* the index first: a failure there leaves every file in place */
	r = index_save(s, idx, err);
	if (r == 0) {
		garbage_move(s, &g);
		if (fn && deleted)
			fn("Deleted", deleted, data);
	}
out:
	store_unlock(s);
	garbage_remove(&g);
	return r;
}

int store_prune(struct store *s, bool all, store_remove_fn fn, void *data, int64_t *ret_bytes,
		struct hull_error **err)
{
	_cleanup_json_ struct json_object *idx = NULL;
	_cleanup_strv_ char **deleted = NULL;
	struct garbage g = { 0 };
	size_t n_deleted = 0;
	int r;

	r = store_lock(s, LOCK_EX, err);
	if (r < 0)
		return r;
	r = index_load(s, &idx, err);
	if (r < 0)
		goto out;
	struct json_object *imgs = jget(idx, "images");
	for (size_t i = json_object_array_length(imgs); i-- > 0;) {
		struct json_object *rec = json_object_array_get_idx(imgs, i);
		const char *id = jstr(rec, "Id");
		if (!id || (!all && json_object_array_length(jget(rec, "Names")) > 0) || store_image_in_use(s, id, NULL))
			continue;
		garbage_add(&deleted, &n_deleted, strdup(id));
		index_delete(s, idx, i, &g);
	}
	if (n_deleted == 0)
		goto out;
	r = index_save(s, idx, err);
	if (r == 0)
		garbage_move(s, &g);
out:
	store_unlock(s);
	if (r == 0) {
		for (size_t i = 0; fn && i < n_deleted; i++)
			fn("deleted", deleted[i], data);
		if (ret_bytes)
			*ret_bytes = g.bytes;
	}
	garbage_remove(&g);
	return r;
}

/* ------------------------------------------------------------------ */
/* commit, diff, export */

int store_commit(struct store *s, const char *upper_dir, const struct image *base, const struct commit_opts *o,
		 const char *new_ref, char ret_id[STORE_ID_SIZE], struct hull_error **err)
{
	struct pending pd = { .source = "the container's changes" };
	_cleanup_free_ char *name = NULL, *blob = NULL, *base_cfg = NULL;
	_cleanup_json_ struct json_object *idx = NULL;
	struct json_object *base_rec = NULL;
	_cleanup_close_ int fd = -1;
	struct json_object *c;
	size_t i;
	int r;

	if (new_ref && (r = store_parse_ref(new_ref, &name, err)) < 0)
		return r;
	c = json_object_new_object();
	r = image_apply_changes(c, o ? o->changes : NULL, err);
	json_object_put(c);
	if (r < 0)
		return r;
	/* the base's record, as it is now */
	r = store_lock(s, LOCK_SH, err);
	if (r < 0)
		return r;
	r = index_load(s, &idx, err);
	if (r == 0)
		r = index_resolve(idx, base->id, &i, NULL, err);
	if (r == 0)
		base_rec = json_object_get(json_object_array_get_idx(jget(idx, "images"), i));
	store_unlock(s);
	if (r < 0)
		return hull_error_wrap(err, r, "committing");
	r = read_blob(s, base->id, &base_cfg, err);
	if (r < 0)
		goto out;

	r = work_new(s, "commit", &pd.w, err);
	if (r < 0)
		goto out;
	if (asprintf(&blob, "%s/layer.tar", pd.w.dir) < 0) {
		r = -ENOMEM;
		goto out;
	}
	fd = open(blob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = hull_error_set(err, errno, "creating '%s'", blob);
		goto out;
	}
	r = layer_write_tree(upper_dir, fd, LAYER_WHITEOUTS, o ? o->excludes : NULL, NULL, err);
	if (r == 0 && fsync(fd) < 0)
		r = hull_error_set(err, errno, "writing '%s'", blob);
	if (r == 0)
		r = add_layer_image(s, &pd, base_rec, base_cfg, o ? o->changes : NULL, o ? o->author : NULL,
				    o && o->created_by ? o->created_by : "hull commit", o ? o->message : NULL, name,
				    ret_id, err);
	if (r < 0)
		r = hull_error_wrap(err, r, "committing");
out:
	json_object_put(base_rec);
	work_done(&pd.w);
	return r;
}

struct diff_ctx {
	const struct image *base;
	store_diff_fn fn;
	void *data;
};

/* Does path exist in the image's layers?  Top layer first; a whiteout
 * hides what is below.  Looked up without following any symlink: a
 * layer's symlinks point into the container, never at the host (and
 * overlayfs does not follow them between layers either). */
static bool in_layers(const struct image *img, const char *path)
{
	for (size_t i = 0; img && i < img->n_layers; i++) {
		_cleanup_close_ int root = open(img->layer_dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int fd = -1;
		struct stat st;

		if (root < 0)
			continue;
		fd = sys_openat2(root, path[0] == '/' ? path + 1 : path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
				 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return false; /* a non-directory on the way hides the layers below */
		}
		if (fstat(fd, &st) < 0)
			return false;
		return !(S_ISCHR(st.st_mode) && st.st_rdev == 0);
	}
	return false;
}

static int diff_one(char kind, const char *path, void *data)
{
	struct diff_ctx *d = data;

	if (kind == 'X')
		kind = in_layers(d->base, path) ? 'C' : 'A';
	return d->fn(kind, path, d->data);
}

int store_diff(const char *upper_dir, const struct image *base, const char *const *excludes, store_diff_fn fn,
	       void *data, struct hull_error **err)
{
	struct diff_ctx d = { .base = base, .fn = fn, .data = data };

	return layer_walk_upper(upper_dir, excludes, diff_one, &d, err);
}

int store_export(const char *dir, int fd, const char *const *excludes, struct hull_error **err)
{
	return layer_write_tree(dir, fd, 0, excludes, NULL, err);
}
