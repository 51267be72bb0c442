/* ctr-image.c - the containers side's view of the image store. */
#include "engine.h"
#include "store.h"
#include "util.h"

int eng_image_get(const char *ref, struct image **ret, struct hull_error **err)
{
	_cleanup_store_ struct store *s = NULL;
	int r = store_open(eng.root, &s, err);

	if (r < 0)
		return r;
	return store_image_get(s, ref, ret, err);
}
