/* spec-internal.h - JSON helpers shared by spec.c and spec-resources.c.
 *
 * Not part of libhull's API.  Every reader takes the JSON path of the object
 * it reads from ("linux.resources.memory", "" at the top level) and the key,
 * so an error names the exact field: "config.json: <path>.<key>: <reason>".
 * Readers return 1 when the field was given, 0 when it is absent (or JSON
 * null, as Go's decoder treats it) and a negative errno on error.
 */
#ifndef HULL_SPEC_INTERNAL_H
#define HULL_SPEC_INTERNAL_H

#include <json-c/json.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

/* Room for any path this schema builds; longer object keys are cut. */
#define SPEC_PATH_MAX 512
#define SPEC_NO_INDEX ((size_t)-1)

/* Writes "<path>.<key>" ("<key>" when path is empty, "<path>" when key is
 * NULL) and then "[idx]" unless idx is SPEC_NO_INDEX.  Returns buf. */
const char *spec_path(char *buf, size_t size, const char *path, const char *key, size_t idx);

/* Sets *err to "config.json: <path>.<key>: <fmt>" and returns -EINVAL. */
int spec_error(struct hull_error **err, const char *path, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Sets *err for a failed allocation and returns -ENOMEM. */
int spec_oom(struct hull_error **err);

/* The value of key in obj, or NULL when absent or null. */
struct json_object *spec_field(struct json_object *obj, const char *key);

/* Value readers: v is the value found at <path>.<key>.  Integers must be
 * JSON integers within [min, max]. */
int spec_value_string(struct json_object *v, const char *path, const char *key, char **ret, struct hull_error **err);
int spec_value_int(struct json_object *v, const char *path, const char *key, int64_t min, int64_t max, int64_t *ret,
		   struct hull_error **err);
int spec_value_uint(struct json_object *v, const char *path, const char *key, uint64_t max, uint64_t *ret,
		    struct hull_error **err);

/* Field readers: look key up in obj, leave *ret untouched when absent. */
int spec_get_string(struct json_object *obj, const char *path, const char *key, char **ret, struct hull_error **err);
int spec_get_bool(struct json_object *obj, const char *path, const char *key, bool *ret, struct hull_error **err);
int spec_get_int(struct json_object *obj, const char *path, const char *key, int64_t min, int64_t max, int64_t *ret,
		 struct hull_error **err);
int spec_get_uint(struct json_object *obj, const char *path, const char *key, uint64_t max, uint64_t *ret,
		  struct hull_error **err);
int spec_get_object(struct json_object *obj, const char *path, const char *key, struct json_object **ret,
		    struct hull_error **err);
int spec_get_array(struct json_object *obj, const char *path, const char *key, struct json_object **ret,
		   struct hull_error **err);
/* An array of objects: checks every element is an object, then hands the
 * caller a zeroed array of n elements of elem_size in *(T **)ret_items
 * (NULL when empty) and the JSON array to read them from. */
int spec_get_object_array(struct json_object *obj, const char *path, const char *key, size_t elem_size, void *ret_items,
			  size_t *ret_n, struct json_object **ret_arr, struct hull_error **err);
/* An array of strings, as a NULL-terminated vector (allocated even when
 * empty); absent leaves *ret NULL. */
int spec_get_strv(struct json_object *obj, const char *path, const char *key, char ***ret, size_t *ret_n,
		  struct hull_error **err);
/* An object of string values, as key/value pairs. */
int spec_get_kv(struct json_object *obj, const char *path, const char *key, struct hull_kv **ret, size_t *ret_n,
		struct hull_error **err);

/* Like spec_get_*, but a missing field is an error "is required". */
int spec_require(int r, const char *path, const char *key, struct hull_error **err);

void spec_kv_free(struct hull_kv *kv, size_t n);

/* spec-resources.c: parses linux.resources into l->resources. */
int spec_parse_resources(struct json_object *obj, const char *path, struct hull_resources *res,
			 struct hull_error **err);
void spec_resources_done(struct hull_resources *res);

#endif
