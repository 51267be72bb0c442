/* store-write.c - see store.h: the image store's changes: import, tag,
 * commit (adding images), rmi and prune (removing them), diff and export.
 * The index, the lock and the work directories: store.c. */
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
	r = eng_write_file(p, text, strlen(text), 0600, true, err);
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
	r = work_blob(&pd->w, "config.json", store_json_text(cfg), cfg_hex, err);
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
	if (base_rec && jstr(base_rec, "Manifest") && store_read_blob(s, jstr(base_rec, "Manifest"), &base_man_text, NULL) == 0)
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
	r = work_blob(&pd->w, "manifest.json", store_json_text(man), man_hex, err);
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
		r = store_index_load(s, &idx, err);
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
	r = store_index_save(s, idx, err);
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
		int r = eng_write_all(out, buf, (size_t)n);
		if (r < 0)
			return hull_error_set(err, -r, "writing '%s'", path);
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
	r = store_work_new(s, "import", &pd.w, err);
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
	store_work_done(&pd.w);
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
	r = store_index_open(s, LOCK_EX, src, &idx, &i, NULL, err);
	if (r == 0) {
		struct json_object *rec = json_object_array_get_idx(jget(idx, "images"), i);
		if (!store_names_have(rec, name)) {
			index_take_name(idx, rec, name);
			r = store_index_save(s, idx, err);
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
		if (!hex || !store_is_hex(hex, 64, 64) || any_record_has(imgs, "Layers", hex))
			continue;
		garbage_add(&g->dirs, &g->n_dirs, strdup(hex));
		g->bytes += json_object_get_int64(jget(jget(jget(idx, "layers"), hex), "size"));
		json_object_object_del(jget(idx, "layers"), hex);
	}
	for (size_t j = 0; blobs && j < json_object_array_length(blobs); j++) {
		const char *d = json_object_get_string(json_object_array_get_idx(blobs, j));
		if (!d || !startswith(d, "sha256:") || !store_is_hex(d + 7, 64, 64) || any_record_has(imgs, "Blobs", d))
			continue;
		garbage_add(&g->files, &g->n_files, store_path(s, "blobs/sha256/%s", d + 7));
	}
	const char *ids[] = { jstr(rec, "Id"), jstr(rec, "Manifest") };
	for (size_t j = 0; j < ARRAY_SIZE(ids); j++)
		if (ids[j] && startswith(ids[j], "sha256:") && store_is_hex(ids[j] + 7, 64, 64))
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

	r = store_index_open(s, LOCK_EX, ref, &idx, &i, &by_name, err);
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
	r = store_index_save(s, idx, err);
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

	r = store_index_open(s, LOCK_EX, NULL, &idx, NULL, NULL, err);
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
	r = store_index_save(s, idx, err);
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
	r = store_index_open(s, LOCK_SH, base->id, &idx, &i, NULL, err);
	if (r == 0)
		base_rec = json_object_get(json_object_array_get_idx(jget(idx, "images"), i));
	store_unlock(s);
	if (r < 0)
		return hull_error_wrap(err, r, "committing");
	r = store_read_blob(s, base->id, &base_cfg, err);
	if (r < 0)
		goto out;

	r = store_work_new(s, "commit", &pd.w, err);
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
	store_work_done(&pd.w);
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
