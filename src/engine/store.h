/* store.h - hull's image store: content-addressed blobs, unpacked layers
 * shared between images, and the names that point at images.
 *
 * On disk, under the engine root (--root, default /var/lib/hull):
 *
 *   blobs/sha256/<hex>    layer tarballs as given, image config JSON and
 *                         manifest JSON (OCI image-spec media types)
 *   layers/<diffid-hex>/  a layer unpacked once, shared by every image that
 *                         uses it; overlay whiteouts (char 0:0 devices,
 *                         trusted.overlay.opaque=y), ready as a lowerdir
 *   images.json           the index: image id -> names, manifest, layers
 *   lock                  flock(2) guarding every change of the above
 *   tmp/                  work in progress; what a killed command leaves
 *                         there is removed by the next one
 *   containers/<id>/config.json   written by the containers side; the store
 *                         reads "Image" from it to know what is in use
 *
 * An image id is "sha256:<hex of the config blob>".  A reference (ref) is
 * NAME[:TAG] (NAME alone means NAME:latest), a full id with or without
 * "sha256:", or a unique prefix of an id's hex.
 *
 * Every function returns 0 or a negative errno value and fills *err with a
 * message naming what failed (never prints).  -ENOENT from a lookup means
 * "no such image" and the message is "No such image: <ref>".
 */
#ifndef HULL_STORE_H
#define HULL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define STORE_DEFAULT_ROOT "/var/lib/hull"
#define STORE_ID_SIZE 72 /* "sha256:" + 64 hex + NUL, rounded up */

struct store;

/* One step of an image's history (its config's "history"), oldest first. */
struct image_history {
	char *created, *created_by, *comment; /* NULL when unset */
	bool empty_layer;                     /* made no layer (a config change) */
};

/* One image, as the containers side needs it to make a rootfs and a spec.
 * String arrays are NULL-terminated (and never NULL themselves). */
struct image {
	char id[STORE_ID_SIZE]; /* "sha256:<hex>" */
	char **names;           /* "name:tag", may be empty */
	char **layer_dirs;      /* absolute unpacked dirs, TOP FIRST (overlay lowerdir order) */
	char **diff_ids;        /* "sha256:<hex>", BOTTOM FIRST (as the config's rootfs.diff_ids) */
	size_t n_layers;
	char **env;             /* "K=V" */
	char **cmd;
	char **entrypoint;
	char **labels;          /* "K=V" */
	char **exposed_ports;   /* "80/tcp" */
	char **volumes;         /* "/data" */
	char *workdir;          /* NULL when unset */
	char *user;             /* NULL when unset */
	char *stop_signal;      /* NULL when unset */
	char *created;          /* RFC 3339 */
	char *author;           /* NULL when unset */
	char *comment;          /* NULL when unset */
	char *architecture;     /* "amd64", ... */
	char *os;               /* "linux" */
	int64_t size;           /* bytes in the unpacked layers (regular files) */
	int64_t *layer_sizes;   /* the same per layer, BOTTOM FIRST (as diff_ids) */
	struct image_history *history;
	size_t n_history;
};

void image_free(struct image *img);
static inline void image_freep(struct image **p)
{
	image_free(*p);
}
#define _cleanup_image_ __attribute__((cleanup(image_freep)))

/* Opens (creating it if needed) the store under root and removes what
 * killed commands left in <root>/tmp.  root must be absolute. */
int store_open(const char *root, struct store **ret, struct hull_error **err);
void store_close(struct store *s);
static inline void store_closep(struct store **p)
{
	if (*p)
		store_close(*p);
}
#define _cleanup_store_ __attribute__((cleanup(store_closep)))

const char *store_root(const struct store *s);

/* Resolves ref to an image (see above for what a ref may be). */
int store_image_get(struct store *s, const char *ref, struct image **ret, struct hull_error **err);

/* Every image, newest first. */
int store_image_list(struct store *s, struct image ***ret, size_t *ret_n, struct hull_error **err);
void image_list_free(struct image **v, size_t n);

/* Imports a rootfs tarball (plain, gzip, xz, bzip2 or zstd: detected) read
 * from fd as a one-layer image, as `docker import`.  source names the input
 * in messages ("-" for stdin).  changes: NULL-terminated Dockerfile
 * instructions applied to the config (CMD, ENTRYPOINT, ENV, WORKDIR, USER,
 * LABEL, EXPOSE, VOLUME, STOPSIGNAL), or NULL.  ref (NAME[:TAG]) may be
 * NULL.  A bad tar (corrupt, or a path escaping the layer) fails naming the
 * tar and the entry, and leaves nothing behind. */
int store_import(struct store *s, int fd, const char *source, const char *const *changes, const char *ref,
		 const char *message, char ret_id[STORE_ID_SIZE], struct hull_error **err);

/* Points NAME[:TAG] at the image src resolves to (moving the name if it
 * pointed elsewhere). */
int store_tag(struct store *s, const char *src, const char *ref, struct hull_error **err);

/* What store_remove did, one line per action, for `hull rmi`. */
typedef void (*store_remove_fn)(const char *action /* "Untagged" or "Deleted" */, const char *what, void *data);

/* `docker rmi`: a name is untagged, and the image deleted once it has no
 * name left.  Refuses (-EBUSY) an image a container uses, or an id naming
 * an image with several names, unless force; a forced removal of an image
 * a container uses only untags it.  Deletes the layers no other image
 * uses. */
int store_remove(struct store *s, const char *ref, bool force, store_remove_fn fn, void *data,
		 struct hull_error **err);

/* `docker image prune`: deletes the images without a name (every image
 * with all) that no container uses, and the layers only they used; fn
 * gets ("deleted", id) for each, *ret_bytes the bytes of the layers
 * removed. */
int store_prune(struct store *s, bool all, store_remove_fn fn, void *data, int64_t *ret_bytes,
		struct hull_error **err);

/* true if <root>/containers/<any>/config.json has "Image": id; *ret_container
 * (if not NULL) gets the first such container's id (malloc'd). */
bool store_image_in_use(struct store *s, const char *id, char **ret_container);

struct commit_opts {
	const char *message;        /* history comment, or NULL */
	const char *author;         /* or NULL */
	const char *const *changes; /* as for store_import, or NULL */
	/* Paths (absolute in the container) left out of the layer: for a
	 * directory (a volume's mount point) the directory stays and its
	 * contents go; a file (/etc/hosts, /etc/hostname, /etc/resolv.conf)
	 * goes.  NULL-terminated, or NULL. */
	const char *const *excludes;
	const char *created_by;     /* history created_by, or NULL */
};

/* Makes a new image from base plus one layer holding the changes in
 * upper_dir (an overlayfs upperdir: whiteouts become OCI ".wh." entries).
 * new_ref may be NULL (an image without a name). */
int store_commit(struct store *s, const char *upper_dir, const struct image *base, const struct commit_opts *o,
		 const char *new_ref, char ret_id[STORE_ID_SIZE], struct hull_error **err);

/* The changes in upper_dir against base's layers, as `docker diff`: fn is
 * called with 'A' (added), 'C' (changed) or 'D' (deleted) and the absolute
 * path in the container, parents before children, in name order.  Paths
 * in excludes (as for commit) are not reported.  A non-zero return of fn
 * stops the walk and is returned. */
typedef int (*store_diff_fn)(char kind, const char *path, void *data);
int store_diff(const char *upper_dir, const struct image *base, const char *const *excludes, store_diff_fn fn,
	       void *data, struct hull_error **err);

/* Writes a tar of dir (a container's merged rootfs) to fd, as `docker
 * export`; excludes (volume mount points: the directory stays, its
 * contents go) may be NULL. */
int store_export(const char *dir, int fd, const char *const *excludes, struct hull_error **err);

/* Checks that ref is a valid NAME[:TAG] and returns it normalised
 * ("name:latest" when no tag) in *ret (malloc'd). */
int store_parse_ref(const char *ref, char **ret, struct hull_error **err);

#endif
