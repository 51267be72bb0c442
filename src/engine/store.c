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
#include "store-int.h"

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

#include "engine.h"
#include "image.h"
#include "layer.h"
#include "path.h"
#include "syscalls.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* open, lock, temp dirs */

const char *store_root(const struct store *s)
{
	return s->root;
}

char *store_path(const struct store *s, const char *fmt, ...)
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

int store_lock(struct store *s, int how, struct hull_error **err)
{
	while (flock(s->lockfd, how) < 0)
		if (errno != EINTR)
			return hull_error_set(err, errno, "locking '%s/lock'", s->root);
	return 0;
}

void store_unlock(struct store *s)
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
		/* store_work_new() makes and flocks its directory under a shared
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

int store_work_new(struct store *s, const char *what, struct work *w, struct hull_error **err)
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

void store_work_done(struct work *w)
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

int store_index_load(struct store *s, struct json_object **ret, struct hull_error **err)
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

int store_index_save(struct store *s, struct json_object *idx, struct hull_error **err)
{
	_cleanup_free_ char *p = store_path(s, "images.json");
	const char *text = json_object_to_json_string_ext(idx, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!p || !text)
		return -ENOMEM;
	return eng_write_file(p, text, strlen(text), 0600, true, err);
}

/* Removes layers and blobs no image refers to, and temp index files: what
 * a command killed in the middle of recording an image leaves.  Called
 * with the store locked exclusively. */
static void gc_orphans(struct store *s)
{
	_cleanup_json_ struct json_object *idx = NULL;
	static const char *const kinds[] = { "layers", "blobs/sha256", "" };

	if (store_index_load(s, &idx, NULL) < 0)
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
				/* the root: only eng_write_file()'s leftovers */
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

bool store_is_hex(const char *s, size_t min, size_t max)
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
	if (store_is_hex(name, 64, 64))
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

bool store_names_have(struct json_object *rec, const char *name)
{
	struct json_object *names = jget(rec, "Names");

	for (size_t i = 0; names && i < json_object_array_length(names); i++)
		if (streq(json_object_get_string(json_object_array_get_idx(names, i)), name))
			return true;
	return false;
}

/* Finds the record ref names.  *ret_by_name tells a name from an id. */
int store_index_resolve(struct json_object *idx, const char *ref, size_t *ret_i, bool *ret_by_name,
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
			if (store_names_have(json_object_array_get_idx(imgs, i), norm)) {
				*ret_i = i;
				if (ret_by_name)
					*ret_by_name = true;
				return 0;
			}
	}
	if (store_is_hex(hex, 1, 64)) {
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

int store_read_blob(struct store *s, const char *digest, char **ret, struct hull_error **err)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	if (!startswith(digest, "sha256:") || !store_is_hex(digest + 7, 64, 64))
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
	r = store_read_blob(s, img->id, &cfg, err);
	if (r == 0)
		r = image_fill_from_config(img, cfg, err);
	if (r < 0) {
		image_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

int store_index_open(struct store *s, int how, const char *ref, struct json_object **ret_idx, size_t *ret_i,
		     bool *ret_by_name, struct hull_error **err)
{
	int r = store_lock(s, how, err);

	if (r < 0)
		return r;
	r = store_index_load(s, ret_idx, err);
	if (r == 0 && ref)
		r = store_index_resolve(*ret_idx, ref, ret_i, ret_by_name, err);
	return r;
}

int store_image_get(struct store *s, const char *ref, struct image **ret, struct hull_error **err)
{
	_cleanup_json_ struct json_object *idx = NULL;
	size_t i;
	int r;

	r = store_index_open(s, LOCK_SH, ref, &idx, &i, NULL, err);
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

	r = store_index_open(s, LOCK_SH, NULL, &idx, NULL, NULL, err);
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

