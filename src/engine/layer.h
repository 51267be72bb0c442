/* layer.h - layer tarballs: digests, secure unpacking into overlay form,
 * and tars written from directories (a container's upper dir as an OCI
 * layer, or a whole rootfs for export).  libarchive does the tar work.
 *
 * OCI layers mark deletions with whiteout entries: ".wh.NAME" deletes NAME
 * from the layers below, "DIR/.wh..wh..opq" hides everything below DIR.
 * overlayfs marks them with a character device 0:0 named NAME, and the
 * xattr trusted.overlay.opaque=y on DIR.  Unpacking turns the first into
 * the second; layer_write_tree(..., LAYER_WHITEOUTS) the second into the
 * first.
 */
#ifndef HULL_LAYER_H
#define HULL_LAYER_H

#include <stdint.h>

#include "error.h"

#define LAYER_HEX_SIZE 65 /* 64 hex digits + NUL */

/* Hex sha256 of the whole file at fd (read from its current offset). */
int layer_sha256_fd(int fd, char ret_hex[LAYER_HEX_SIZE], int64_t *ret_size, struct hull_error **err);

/* The diff_id of the (maybe compressed) tar at path: the hex sha256 of its
 * uncompressed bytes.  source names the input in messages.  blob_hex, if
 * not NULL, is the sha256 of the file itself: the answer when it is not
 * compressed. */
int layer_diff_id(const char *path, const char *source, const char *blob_hex, char ret_hex[LAYER_HEX_SIZE],
		  struct hull_error **err);

/* Unpacks the (maybe compressed) tar at path into dest, an existing empty
 * directory: owners, modes, times and xattrs kept, OCI whiteouts turned
 * into overlay ones.  An entry whose path is absolute, holds "..", or goes
 * through a symlink fails, as does a corrupt tar; the message names source
 * and the entry.  On failure dest holds a partial tree: the caller removes
 * it.  *ret_size gets the bytes in regular files. */
int layer_unpack(const char *path, const char *source, const char *dest, int64_t *ret_size, struct hull_error **err);

enum {
	LAYER_WHITEOUTS = 1 << 0, /* dir is an overlay upper dir: write OCI whiteouts */
};

/* Writes a tar (pax) of the tree under dir to fd, in name order, without
 * crossing into other filesystems.  excludes: NULL-terminated absolute
 * paths (as seen in the container) to leave out: a directory keeps its own
 * entry but loses its contents, anything else is dropped.  The sha256 of
 * the bytes written goes to ret_hex (if not NULL). */
int layer_write_tree(const char *dir, int fd, unsigned flags, const char *const *excludes,
		     char ret_hex[LAYER_HEX_SIZE], struct hull_error **err);

/* Walks an overlay upper dir: fn gets 'D' for a whiteout, else 'X' (the
 * caller decides added or changed), and the absolute path in the
 * container; parents first, names in order.  excludes as above (the
 * excluded paths themselves are not reported). */
typedef int (*layer_walk_fn)(char kind, const char *path, void *data);
int layer_walk_upper(const char *dir, const char *const *excludes, layer_walk_fn fn, void *data,
		     struct hull_error **err);

#endif
