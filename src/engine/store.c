/* store.c - see store.h (skeleton: being written) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

struct store {
	char *root;
};

int store_open(const char *root, struct store **ret, struct hull_error **err)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s || !(s->root = strdup(root))) {
		free(s);
		return hull_error_set(err, ENOMEM, "opening the image store");
	}
	*ret = s;
	return 0;
}
void store_close(struct store *s) { if (s) { free(s->root); free(s); } }
const char *store_root(const struct store *s) { return s->root; }
void image_free(struct image *img) { free(img); }
void image_list_free(struct image **v, size_t n) { for (size_t i = 0; i < n; i++) image_free(v[i]); free(v); }
int store_image_get(struct store *s, const char *ref, struct image **ret, struct hull_error **err)
{ return hull_error_plain(err, ENOENT, "No such image: %s", ref); }
int store_image_list(struct store *s, struct image ***ret, size_t *ret_n, struct hull_error **err)
{ *ret = NULL; *ret_n = 0; return 0; }
int store_import(struct store *s, int fd, const char *source, const char *const *changes, const char *ref,
		 const char *message, char ret_id[STORE_ID_SIZE], struct hull_error **err)
{ return hull_error_set(err, ENOSYS, "import"); }
int store_tag(struct store *s, const char *src, const char *ref, struct hull_error **err)
{ return hull_error_set(err, ENOSYS, "tag"); }
int store_remove(struct store *s, const char *ref, bool force, store_remove_fn fn, void *data, struct hull_error **err)
{ return hull_error_set(err, ENOSYS, "rmi"); }
bool store_image_in_use(struct store *s, const char *id, char **ret_container) { return false; }
int store_commit(struct store *s, const char *upper_dir, const struct image *base, const struct commit_opts *o,
		 const char *new_ref, char ret_id[STORE_ID_SIZE], struct hull_error **err)
{ return hull_error_set(err, ENOSYS, "commit"); }
int store_diff(const char *upper_dir, const struct image *base, store_diff_fn fn, void *data, struct hull_error **err)
{ return hull_error_set(err, ENOSYS, "diff"); }
int store_export(const char *dir, int fd, struct hull_error **err)
{ return hull_error_set(err, ENOSYS, "export"); }
int store_parse_ref(const char *ref, char **ret, struct hull_error **err)
{ return hull_error_set(err, ENOSYS, "ref"); }
