/* image.h - image configs (OCI image-spec config JSON) and the Dockerfile
 * instructions `import -c` and `commit -c` apply to them.  Internal to the
 * store. */
#ifndef HULL_IMAGE_H
#define HULL_IMAGE_H

#include <json-c/json.h>

#include "error.h"
#include "store.h"

/* Applies each change ("CMD [\"sh\"]", "ENV A=1 B=2", "WORKDIR /x", ...)
 * to cfg, the "config" object of an image config (Docker's field names:
 * Cmd, Entrypoint, Env, WorkingDir, User, Labels, ExposedPorts, Volumes,
 * StopSignal).  An unknown instruction or bad argument fails naming it. */
int image_apply_changes(struct json_object *cfg, const char *const *changes, struct hull_error **err);

/* Fills img's config fields (env, cmd, ..., created, author) from an image
 * config JSON text. */
int image_fill_from_config(struct image *img, const char *json, struct hull_error **err);

/* The current time as RFC 3339 with nanoseconds, UTC, into buf. */
void image_now(char *buf, size_t size);

#endif
