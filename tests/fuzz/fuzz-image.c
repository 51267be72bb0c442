/* libFuzzer target for the image store's text parsers: Dockerfile changes
 * (`import -c`, `commit -c`), NAME[:TAG] references and image config JSON.
 * The first byte picks the parser, the rest is its input.  Any input must
 * parse or fail with a message, never crash, hang or leak.
 * `make fuzz-image` runs it for 30 s. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "image.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hull_error *err = NULL;
	char *text;
	int r;

	if (size < 1)
		return 0;
	text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		struct json_object *cfg = json_object_new_object();
		const char *changes[] = { text, NULL };
		r = image_apply_changes(cfg, changes, &err);
		json_object_put(cfg);
		break;
	}
	case 1: {
		char *ref = NULL;
		r = store_parse_ref(text, &ref, &err);
		if (r == 0 && (!ref || !strchr(ref, ':')))
			abort();
		free(ref);
		break;
	}
	default: {
		struct image *img = calloc(1, sizeof(*img));
		r = img ? image_fill_from_config(img, text, &err) : 0;
		image_free(img);
		break;
	}
	}
	if (r < 0 && (!err || !err->msg))
		abort();
	if (r == 0 && err)
		abort();
	hull_error_free(err);
	free(text);
	return 0;
}
