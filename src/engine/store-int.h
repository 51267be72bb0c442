/* store-int.h - what store.c (the index, the lock, lookups) and
 * store-write.c (import, commit, rmi, prune) share; not an API: store.h is. */
#ifndef HULL_STORE_INT_H
#define HULL_STORE_INT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "util.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_LAYER "application/vnd.oci.image.layer.v1.tar"

struct store {
	char *root;
	int lockfd; /* <root>/lock */
};

/* A work directory under tmp/ holding its own flock until closed. */
struct work {
	char *dir;
	int fd;
};

static inline void store_json_put(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(store_json_put)

/* The compact JSON text of o (owned by o), as blobs are written. */
static inline const char *store_json_text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* <root>/<fmt...>, malloc'd (NULL on ENOMEM). */
char *store_path(const struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* flock(<root>/lock, how): LOCK_SH to read the index, LOCK_EX to change it. */
int store_lock(struct store *s, int how, struct hull_error **err);
void store_unlock(struct store *s);
/* A new locked work directory tmp/<what>-XXXXXX; store_work_done removes it. */
int store_work_new(struct store *s, const char *what, struct work *w, struct hull_error **err);
void store_work_done(struct work *w);
/* images.json (an empty index if there is none yet); call with the lock held. */
int store_index_load(struct store *s, struct json_object **ret, struct hull_error **err);
int store_index_save(struct store *s, struct json_object *idx, struct hull_error **err);
/* The index of the record ref (name[:tag], id or unique id prefix) names;
 * *ret_by_name whether it was found by a name. */
int store_index_resolve(struct json_object *idx, const char *ref, size_t *ret_i, bool *ret_by_name,
			struct hull_error **err);
/* store_lock(how), store_index_load() and, with a ref, store_index_resolve():
 * what every reader and writer of the index starts with.  Unless the lock
 * failed (an error returned first), the lock is held: the caller unlocks. */
int store_index_open(struct store *s, int how, const char *ref, struct json_object **ret_idx, size_t *ret_i,
		     bool *ret_by_name, struct hull_error **err);
bool store_is_hex(const char *s, size_t min, size_t max);
bool store_names_have(struct json_object *rec, const char *name);
/* blobs/sha256/<hex of digest>, read whole. */
int store_read_blob(struct store *s, const char *digest, char **ret, struct hull_error **err);

#endif
