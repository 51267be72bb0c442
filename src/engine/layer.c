/* layer.c - see layer.h */
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "path.h"
#include "syscalls.h"
#include "util.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

static void archive_readp(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}
static void archive_writep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}
static void entryp(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}
static void md_ctxp(EVP_MD_CTX **c)
{
	if (*c)
		EVP_MD_CTX_free(*c);
}
#define _cleanup_aread_ _cleanup_(archive_readp)
#define _cleanup_awrite_ _cleanup_(archive_writep)
#define _cleanup_entry_ _cleanup_(entryp)
#define _cleanup_md_ _cleanup_(md_ctxp)

static EVP_MD_CTX *sha256_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return c;
}

static int sha256_hex(EVP_MD_CTX *c, char ret_hex[LAYER_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(c, md, &n) != 1 || n != 32)
		return -EIO;
	for (unsigned int i = 0; i < n; i++)
		sprintf(ret_hex + 2 * i, "%02x", md[i]);
	return 0;
}

int layer_sha256_fd(int fd, char ret_hex[LAYER_HEX_SIZE], int64_t *ret_size, struct hull_error **err)
{
	_cleanup_md_ EVP_MD_CTX *c = sha256_new();
	char buf[1 << 16];
	int64_t total = 0;
	ssize_t n;

	if (!c)
		return hull_error_set(err, ENOMEM, "sha256");
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hull_error_set(err, errno, "reading to hash");
		}
		EVP_DigestUpdate(c, buf, (size_t)n);
		total += n;
	}
	if (ret_size)
		*ret_size = total;
	return sha256_hex(c, ret_hex);
}

/* A reader for a tar, plain or compressed with anything libarchive
 * detects. */
static struct archive *tar_reader(bool raw)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	archive_read_support_filter_all(a);
	if (raw)
		archive_read_support_format_raw(a);
	else
		archive_read_support_format_tar(a);
	return a;
}

int layer_diff_id(const char *path, const char *source, const char *blob_hex, char ret_hex[LAYER_HEX_SIZE],
		  struct hull_error **err)
{
	_cleanup_aread_ struct archive *a = tar_reader(true);
	_cleanup_md_ EVP_MD_CTX *c = sha256_new();
	struct archive_entry *e;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	if (!a || !c)
		return hull_error_set(err, ENOMEM, "reading '%s'", source);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
		return hull_error_plain(err, EINVAL, "%s", archive_error_string(a));
	r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_EOF)
		return hull_error_plain(err, EINVAL, "empty input");
	if (r != ARCHIVE_OK)
		return hull_error_plain(err, EINVAL, "%s", archive_error_string(a));
	/* not compressed: the bytes are the blob's, already hashed */
	if (blob_hex && archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
		memcpy(ret_hex, blob_hex, LAYER_HEX_SIZE);
		return 0;
	}
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
		EVP_DigestUpdate(c, buf, len);
	if (r != ARCHIVE_EOF)
		return hull_error_plain(err, EINVAL, "%s", archive_error_string(a));
	return sha256_hex(c, ret_hex);
}

/* mkdir -p rel under rootfd one component at a time, each opened with
 * O_NOFOLLOW before going on: a symlink on the way (the layer's own,
 * pointing anywhere) fails with ELOOP or ENOTDIR instead of being
 * followed.  Returns an fd of the directory, or a negative errno. */
static int mkdir_beneath(int rootfd, const char *rel)
{
	_cleanup_free_ char *p = strdup(rel);
	int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	char *save = NULL;

	if (!p || fd < 0) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	for (char *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (streq(c, "."))
			continue;
		if (streq(c, "..") || (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)) {
			int e = streq(c, "..") ? EINVAL : errno;
			close(fd);
			return -e;
		}
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		if (next < 0)
			return -e;
		fd = next;
	}
	return fd;
}

/* Applies one OCI whiteout entry (rel is its path without "./"): an
 * opaque marker sets the xattr on its directory, ".wh.NAME" makes NAME a
 * 0:0 character device. */
static int apply_whiteout(int rootfd, const char *rel, struct hull_error **err)
{
	_cleanup_free_ char *dir = strdup(rel);
	_cleanup_close_ int dfd = -1;
	char *slash, *base;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		base = slash + 1;
	} else
		base = dir;
	const char *parent = slash ? dir : "";
	dfd = mkdir_beneath(rootfd, parent);
	if (dfd < 0)
		return hull_error_set(err, -dfd, "whiteout '%s': directory '%s'", rel, parent);
	if (streq(base, WH_OPAQUE)) {
		if (fsetxattr(dfd, OPAQUE_XATTR, "y", 1, 0) < 0)
			return hull_error_set(err, errno, "whiteout '%s': setting %s", rel, OPAQUE_XATTR);
		return 0;
	}
	const char *name = base + strlen(WH_PREFIX);
	if (!*name || streq(name, ".") || streq(name, ".."))
		return hull_error_plain(err, EINVAL, "whiteout '%s': no name", rel);
	/* The same layer may have made NAME before its whiteout. */
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode)) {
			char fdpath[64];
			snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d/%s", dfd, name);
			r = path_remove_tree(fdpath);
		} else
			r = unlinkat(dfd, name, 0) < 0 ? -errno : 0;
		if (r < 0)
			return hull_error_set(err, -r, "whiteout '%s': removing '%s'", rel, name);
	}
	if (mknodat(dfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
		return hull_error_set(err, errno, "whiteout '%s': mknod", rel);
	return 0;
}

/* Drops trusted.overlay.* xattrs from an entry: a layer must not steer
 * overlayfs (redirects, opaque dirs) except through whiteout entries. */
static void strip_overlay_xattrs(struct archive_entry *e)
{
	struct kv {
		char *name;
		void *val;
		size_t size;
	} *keep = NULL;
	size_t n = 0, cap = 0;
	const char *name;
	const void *val;
	size_t size;
	bool found = false;

	if (archive_entry_xattr_reset(e) == 0)
		return;
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
		if (startswith(name, "trusted.overlay.")) {
			found = true;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			struct kv *k = realloc(keep, cap * sizeof(*k));
			if (!k)
				goto out;
			keep = k;
		}
		keep[n].name = strdup(name);
		keep[n].val = malloc(size ? size : 1);
		if (keep[n].val)
			memcpy(keep[n].val, val, size);
		keep[n].size = size;
		n++;
	}
	if (found) {
		archive_entry_xattr_clear(e);
		for (size_t i = 0; i < n; i++)
			if (keep[i].name && keep[i].val)
				archive_entry_xattr_add_entry(e, keep[i].name, keep[i].val, keep[i].size);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(keep[i].name);
		free(keep[i].val);
	}
	free(keep);
}

/* "./a/b/" -> "a/b"; "." and "./" -> "". */
static void clean_path(char *p)
{
	char *s = p;
	size_t len;

	while (s[0] == '.' && s[1] == '/')
		for (s += 2; *s == '/'; s++)
			;
	if (streq(s, "."))
		s += 1;
	memmove(p, s, strlen(s) + 1);
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		p[--len] = '\0';
}

static int unpack(struct archive *in, struct archive *out, int rootfd, const char *source, int64_t *ret_size,
		  struct hull_error **err)
{
	struct archive_entry *e;
	int64_t size = 0;
	int r;

	for (;;) {
		r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return hull_error_plain(err, EINVAL, "%s", archive_error_string(in));
		_cleanup_free_ char *rel = strdup(archive_entry_pathname(e) ?: "");
		if (!rel)
			return -ENOMEM;
		const char *orig = archive_entry_pathname(e) ?: "";
		if (orig[0] == '/')
			return hull_error_plain(err, EINVAL, "entry '%s': absolute path", orig);
		clean_path(rel);
		const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
		if (startswith(base, WH_PREFIX)) {
			if (strstr(rel, "..") && (streq(rel, "..") || startswith(rel, "../") || strstr(rel, "/../")))
				return hull_error_plain(err, EINVAL, "entry '%s': path contains '..'", orig);
			/* Other ".wh..wh." entries are aufs bookkeeping: skipped. */
			if (startswith(base, WH_PREFIX WH_PREFIX) && !streq(base, WH_OPAQUE))
				continue;
			r = apply_whiteout(rootfd, rel, err);
			if (r < 0)
				return r;
			continue;
		}
		strip_overlay_xattrs(e);
		archive_entry_set_pathname(e, *rel ? rel : ".");
		if (archive_entry_filetype(e) == AE_IFREG)
			size += archive_entry_size(e);
		r = archive_write_header(out, e);
		if (r < ARCHIVE_WARN)
			return hull_error_plain(err, EINVAL, "entry '%s': %s", orig,
						archive_error_string(out));
		if (archive_entry_size(e) > 0 && r >= ARCHIVE_OK) {
			const void *buf;
			size_t len;
			la_int64_t off;
			while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
					return hull_error_plain(err, EIO, "entry '%s': %s", orig,
								archive_error_string(out));
			if (r != ARCHIVE_EOF)
				return hull_error_plain(err, EINVAL, "entry '%s': %s", orig,
							archive_error_string(in));
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN)
			return hull_error_plain(err, EIO, "entry '%s': %s", orig, archive_error_string(out));
	}
	/* Directory times and modes are fixed up here. */
	if (archive_write_close(out) < ARCHIVE_WARN)
		return hull_error_plain(err, EIO, "%s", archive_error_string(out));
	*ret_size = size;
	return 0;
}

int layer_unpack(const char *path, const char *source, const char *dest, int64_t *ret_size, struct hull_error **err)
{
	_cleanup_aread_ struct archive *in = tar_reader(false);
	_cleanup_awrite_ struct archive *out = archive_write_disk_new();
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (!in || !out)
		return hull_error_set(err, ENOMEM, "unpacking '%s'", source);
	if (cwd < 0 || rootfd < 0)
		return hull_error_set(err, errno, "unpacking '%s' into '%s'", source, dest);
	/* Numeric owners only (no name lookup on the host), and libarchive's
	 * checks against "..", absolute paths and writes through symlinks;
	 * they work relative to the current directory, hence the chdir. */
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
						    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (archive_read_open_filename(in, path, 1 << 16) != ARCHIVE_OK)
		return hull_error_plain(err, EINVAL, "%s", archive_error_string(in));
	if (fchdir(rootfd) < 0)
		return hull_error_set(err, errno, "unpacking '%s' into '%s'", source, dest);
	r = unpack(in, out, rootfd, source, ret_size, err);
	if (fchdir(cwd) < 0 && r == 0)
		r = hull_error_set(err, errno, "returning to the working directory");
	return r;
}

/* ------------------------------------------------------------------ */
/* Writing trees */

struct tree_writer {
	struct archive *a;
	struct archive_entry_linkresolver *links;
	int fd;
	EVP_MD_CTX *md;
	unsigned flags;
	const char *const *excludes;
	dev_t dev;
	struct hull_error **err;
};

static la_ssize_t tw_write(struct archive *a, void *data, const void *buf, size_t len)
{
	struct tree_writer *w = data;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(w->fd, (const char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			archive_set_error(a, errno, "write");
			return -1;
		}
		done += (size_t)n;
	}
	if (w->md)
		EVP_DigestUpdate(w->md, buf, len);
	return (la_ssize_t)len;
}

/* "/"+rel is one of the excludes? */
static bool excluded(const struct tree_writer *w, const char *rel)
{
	for (const char *const *x = w->excludes; x && *x; x++) {
		const char *p = *x;
		while (*p == '/')
			p++;
		size_t n = strlen(p);
		while (n > 0 && p[n - 1] == '/')
			n--;
		if (n && strlen(rel) == n && strncmp(p, rel, n) == 0)
			return true;
	}
	return false;
}

/* Copies xattrs of dirfd/name (not following a symlink) into e, but for
 * overlayfs' own. */
static int add_xattrs(struct tree_writer *w, struct archive_entry *e, int dirfd, const char *name, const char *rel)
{
	char path[PATH_MAX + 32], list[8192];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	n = llistxattr(path, list, sizeof(list));
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(list + i) + 1) {
		const char *k = list + i;
		char val[65536];
		/* A redirected directory or a metadata-only copy keeps its data
		 * in a lower layer, under another name: no tar entry can say
		 * that.  Such upper dirs come from mounts with redirect_dir or
		 * metacopy on. */
		if ((w->flags & LAYER_WHITEOUTS) &&
		    (streq(k, "trusted.overlay.redirect") || streq(k, "trusted.overlay.metacopy")))
			return hull_error_plain(w->err, EOPNOTSUPP,
						"'/%s' has %s: the container's overlay was mounted with redirect_dir or "
						"metacopy on, which commit cannot turn into a layer", rel, k);
		if (startswith(k, "trusted.overlay."))
			continue;
		ssize_t vn = lgetxattr(path, k, val, sizeof(val));
		if (vn >= 0)
			archive_entry_xattr_add_entry(e, k, val, (size_t)vn);
	}
	return 0;
}

static int write_entry(struct tree_writer *w, struct archive_entry *e, int datafd)
{
	struct archive_entry *spare = NULL;
	const char *p = archive_entry_pathname(e);

	archive_entry_linkify(w->links, &e, &spare);
	if (!e)
		return 0; /* held back until its last link (not with tar formats) */
	if (archive_write_header(w->a, e) < ARCHIVE_WARN)
		return hull_error_plain(w->err, EIO, "writing '%s': %s", p, archive_error_string(w->a));
	if (datafd >= 0 && archive_entry_size(e) > 0) {
		char buf[1 << 16];
		ssize_t n;
		while ((n = read(datafd, buf, sizeof(buf))) > 0)
			if (archive_write_data(w->a, buf, (size_t)n) < 0)
				return hull_error_plain(w->err, EIO, "writing '%s': %s", p, archive_error_string(w->a));
		if (n < 0)
			return hull_error_set(w->err, errno, "reading '%s'", p);
	}
	return 0;
}

static int write_dir(struct tree_writer *w, int dfd, const char *rel);

static int write_one(struct tree_writer *w, int dfd, const char *rel, const char *name)
{
	_cleanup_entry_ struct archive_entry *e = archive_entry_new();
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (!e || asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", name) < 0)
		return -ENOMEM;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hull_error_set(w->err, errno, "stat '/%s'", path);
	bool skip_contents = excluded(w, path);
	if (skip_contents && !S_ISDIR(st.st_mode))
		return 0;

	if ((w->flags & LAYER_WHITEOUTS) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		_cleanup_free_ char *wh = NULL;
		if (asprintf(&wh, "%s%s" WH_PREFIX "%s", rel, *rel ? "/" : "", name) < 0)
			return -ENOMEM;
		archive_entry_set_pathname(e, wh);
		archive_entry_set_nlink(e, 1); /* not a hard link: the resolver skips it */
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0);
		archive_entry_set_size(e, 0);
		archive_entry_set_uid(e, st.st_uid);
		archive_entry_set_gid(e, st.st_gid);
		archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		return write_entry(w, e, -1);
	}

	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, path);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return hull_error_set(w->err, errno, "readlink '/%s'", path);
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	} else if (S_ISREG(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return hull_error_set(w->err, errno, "opening '/%s'", path);
	} else if (!S_ISDIR(st.st_mode)) {
		archive_entry_set_size(e, 0);
	}
	if (S_ISDIR(st.st_mode))
		archive_entry_set_size(e, 0);
	r = add_xattrs(w, e, dfd, name, path);
	if (r < 0)
		return r;
	r = write_entry(w, e, fd);
	if (r < 0 || !S_ISDIR(st.st_mode) || skip_contents)
		return r;
	if (st.st_dev != w->dev)
		return 0; /* a mount point: its own filesystem stays out */

	_cleanup_close_ int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return hull_error_set(w->err, errno, "opening '/%s'", path);
	if (w->flags & LAYER_WHITEOUTS) {
		char v[4];
		ssize_t n = fgetxattr(sub, OPAQUE_XATTR, v, sizeof(v));
		if (n == 1 && v[0] == 'y') {
			_cleanup_entry_ struct archive_entry *o = archive_entry_new();
			_cleanup_free_ char *op = NULL;
			if (!o || asprintf(&op, "%s/" WH_OPAQUE, path) < 0)
				return -ENOMEM;
			archive_entry_set_pathname(o, op);
			archive_entry_set_nlink(o, 1);
			archive_entry_set_filetype(o, AE_IFREG);
			archive_entry_set_perm(o, 0);
			archive_entry_set_size(o, 0);
			archive_entry_set_mtime(o, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
			r = write_entry(w, o, -1);
			if (r < 0)
				return r;
		}
	}
	return write_dir(w, sub, path);
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int no_dots(const struct dirent *d)
{
	return !streq(d->d_name, ".") && !streq(d->d_name, "..");
}

/* Calls fn(data, dfd, rel, name) for the entries of dfd in name order (so
 * that a tar or a diff is the same every time), until one fails. */
static int each_sorted(int dfd, const char *rel, struct hull_error **err,
		       int (*fn)(void *data, int dfd, const char *rel, const char *name), void *data)
{
	struct dirent **names = NULL;
	int n, r = 0;

	n = scandirat(dfd, ".", &names, no_dots, name_cmp);
	if (n < 0)
		return hull_error_set(err, errno, "listing '/%s'", rel);
	for (int i = 0; i < n; i++) {
		if (r == 0)
			r = fn(data, dfd, rel, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return r;
}

static int write_listed(void *w, int dfd, const char *rel, const char *name)
{
	return write_one(w, dfd, rel, name);
}

static int write_dir(struct tree_writer *w, int dfd, const char *rel)
{
	return each_sorted(dfd, rel, w->err, write_listed, w);
}

int layer_write_tree(const char *dir, int fd, unsigned flags, const char *const *excludes,
		     char ret_hex[LAYER_HEX_SIZE], struct hull_error **err)
{
	_cleanup_awrite_ struct archive *a = archive_write_new();
	_cleanup_md_ EVP_MD_CTX *md = ret_hex ? sha256_new() : NULL;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct tree_writer w = { .a = a, .fd = fd, .md = md, .flags = flags, .excludes = excludes, .err = err };
	struct stat st;
	int r;

	if (!a || (ret_hex && !md))
		return hull_error_set(err, ENOMEM, "writing a tar of '%s'", dir);
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return hull_error_set(err, errno, "opening '%s'", dir);
	w.dev = st.st_dev;
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open(a, &w, NULL, tw_write, NULL) != ARCHIVE_OK)
		return hull_error_plain(err, EIO, "writing a tar of '%s': %s", dir, archive_error_string(a));
	w.links = archive_entry_linkresolver_new();
	if (!w.links)
		return hull_error_set(err, ENOMEM, "writing a tar of '%s'", dir);
	archive_entry_linkresolver_set_strategy(w.links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	r = write_dir(&w, dfd, "");
	archive_entry_linkresolver_free(w.links);
	if (r < 0)
		return hull_error_wrap(err, r, "writing a tar of '%s'", dir);
	if (archive_write_close(a) != ARCHIVE_OK)
		return hull_error_plain(err, EIO, "writing a tar of '%s': %s", dir, archive_error_string(a));
	if (ret_hex)
		return sha256_hex(md, ret_hex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Walking an upper dir for `diff` */

struct walker {
	layer_walk_fn fn;
	void *data;
	const char *const *excludes;
	struct hull_error **err;
};

static int walk_dir(struct walker *w, int dfd, const char *rel);

static int walk_entry(void *data, int dfd, const char *rel, const char *name)
{
	struct walker *w = data;
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int r;

	if (asprintf(&path, "%s/%s", rel, name) < 0)
		return -ENOMEM;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hull_error_set(w->err, errno, "stat '%s'", path);
	struct tree_writer probe = { .excludes = w->excludes };
	if (excluded(&probe, path + 1))
		return 0;
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
		return w->fn('D', path, w->data);
	r = w->fn('X', path, w->data);
	if (r == 0 && S_ISDIR(st.st_mode)) {
		_cleanup_close_ int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return hull_error_set(w->err, errno, "opening '%s'", path);
		r = walk_dir(w, sub, path);
	}
	return r;
}

static int walk_dir(struct walker *w, int dfd, const char *rel)
{
	return each_sorted(dfd, rel, w->err, walk_entry, w);
}

int layer_walk_upper(const char *dir, const char *const *excludes, layer_walk_fn fn, void *data,
		     struct hull_error **err)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct walker w = { .fn = fn, .data = data, .excludes = excludes, .err = err };

	if (dfd < 0)
		return hull_error_set(err, errno, "opening '%s'", dir);
	return walk_dir(&w, dfd, "");
}
