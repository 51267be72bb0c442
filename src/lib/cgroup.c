/* cgroup.c - the front end of hull's cgroups: detection of the layout,
 * placement, creation and removal of the directories, dispatch to the
 * backend (cgroup-v1.c, cgroup-v2.c) and the state.json form.  See
 * cgroup.h for the contract and cgroup-internal.h for the backends.
 *
 * Safety rules kept here: hull makes cgroups only below a parent of its
 * own (or below the absolute cgroupsPath it was given), refuses to adopt
 * a container directory it did not make, and removes only directories it
 * made, which it records (struct cgroup_hier.created) and serializes, as
 * `delete` runs in another process than `create`.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include "cgroup-internal.h"
#include "util.h"

#define CGROUP_REAL_ROOT "/sys/fs/cgroup"
#define SERIAL_MAGIC "hull-cgroup-1"

/* ---- small file helpers shared with the backends ---- */

static char *path_join(const char *dir, const char *file)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return NULL;
	return p;
}

int cgroup_write(const struct hull_cgroup *cg, const char *dir, const char *file, const char *value,
		 struct hull_error **err)
{
	_cleanup_free_ char *p = path_join(dir, file);
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	if (!p)
		return hull_error_set(err, ENOMEM, "cannot write '%s' to %s/%s", value, dir, file);
	/* Never O_CREAT on a real cgroupfs: a missing file means a missing
	 * controller or kernel feature, and the caller must hear it. */
	fd = open(p, O_WRONLY | O_CLOEXEC | (cg && cg->fake ? O_CREAT | O_TRUNC : 0), 0644);
	if (fd < 0)
		return hull_error_set(err, errno, "cannot write '%s' to %s", value, p);
	/* cgroup files take one value per write(2); a short write is an
	 * error the kernel does not otherwise report. */
	n = write(fd, value, len);
	if (n < 0)
		return hull_error_set(err, errno, "cannot write '%s' to %s", value, p);
	if ((size_t)n != len)
		return hull_error_set(err, EIO, "cannot write '%s' to %s: short write", value, p);
	return 0;
}

int cgroup_writef(const struct hull_cgroup *cg, const char *dir, const char *file, struct hull_error **err,
		  const char *fmt, ...)
{
	_cleanup_free_ char *value = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (r < 0)
		return hull_error_set(err, ENOMEM, "cannot write to %s/%s", dir, file);
	return cgroup_write(cg, dir, file, value, err);
}

int cgroup_read(const char *dir, const char *file, char **ret, struct hull_error **err)
{
	_cleanup_free_ char *p = path_join(dir, file);
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0, len = 0;

	if (!p)
		return hull_error_set(err, ENOMEM, "cannot read %s/%s", dir, file);
	f = fopen(p, "re");
	if (!f)
		return hull_error_set(err, errno, "cannot read %s", p);
	for (;;) {
		if (len + 1024 > cap) {
			char *nb = realloc(buf, cap + 4096);
			if (!nb)
				return hull_error_set(err, ENOMEM, "cannot read %s", p);
			buf = nb;
			cap += 4096;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				return hull_error_set(err, errno ? errno : EIO, "cannot read %s", p);
			break;
		}
	}
	buf[len] = '\0';
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

bool cgroup_file_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *p = path_join(dir, file);

	return p && access(p, F_OK) == 0;
}

int cgroup_read_pids(const char *dir, pid_t **ret_pids, size_t *ret_n, struct hull_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	char *save = NULL;
	int r;

	r = cgroup_read(dir, "cgroup.procs", &text, err);
	if (r < 0)
		return r;
	for (char *tok = strtok_r(text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		char *end = NULL;
		long v;

		errno = 0;
		v = strtol(tok, &end, 10);
		if (errno || end == tok || *end || v <= 0 || v > INT32_MAX)
			return hull_error_set(err, EINVAL, "%s/cgroup.procs: bad pid '%s'", dir, tok);
		if (n == cap) {
			pid_t *np = reallocarray(pids, cap ? cap * 2 : 16, sizeof(*np));
			if (!np)
				return hull_error_set(err, ENOMEM, "cannot read %s/cgroup.procs", dir);
			pids = np;
			cap = cap ? cap * 2 : 16;
		}
		pids[n++] = (pid_t)v;
	}
	*ret_pids = TAKE_PTR(pids);
	*ret_n = n;
	return 0;
}

int cgroup_enter_all(struct hull_cgroup *cg, pid_t pid, struct hull_error **err)
{
	for (size_t i = 0; i < cg->n_hiers; i++) {
		int r = cgroup_writef(cg, cg->hiers[i].full, "cgroup.procs", err, "%d", (int)pid);
		if (r < 0)
			return hull_error_wrap(err, r, "cannot move pid %d into cgroup", (int)pid);
	}
	return 0;
}

int cgroup_apply_unified(const struct hull_cgroup *cg, const char *dir, const struct hull_resources *res,
			 struct hull_error **err)
{
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *key = res->unified[i].key;
		int r;

		/* The keys are file names in the container's own cgroup;
		 * anything that could name another directory is refused. */
		if (!key || !*key || strchr(key, '/') || strstr(key, "..") || !res->unified[i].value)
			return hull_error_set(err, EINVAL, "linux.resources.unified: invalid key '%s'", key ? key : "");
		r = cgroup_write(cg, dir, key, res->unified[i].value, err);
		if (r < 0)
			return hull_error_wrap(err, r, "linux.resources.unified[\"%s\"]", key);
	}
	return 0;
}

/* ---- hierarchies ---- */

/* Whether a comma-separated controller list holds name; "name=systemd"
 * counts as "systemd", as /proc/self/cgroup and the mount options say it. */
static bool list_has(const char *list, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *end = strchrnul(p, ',');
		const char *w = p;

		if (startswith(w, "name="))
			w += 5;
		if ((size_t)(end - w) == nl && strncmp(w, name, nl) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

/* Whether two controller lists share a controller. */
static bool lists_overlap(const char *a, const char *b)
{
	_cleanup_free_ char *copy = strdup(a);
	char *save = NULL;

	if (!copy)
		return false;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (startswith(tok, "name="))
			tok += 5;
		if (*tok && list_has(b, tok))
			return true;
	}
	return false;
}

struct cgroup_hier *cgroup_find_hier(const struct hull_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n_hiers; i++) {
		struct cgroup_hier *h = &cg->hiers[i];

		if (*controller ? !h->unified && list_has(h->dir, controller) : h->unified)
			return h;
	}
	return NULL;
}

static void hier_done(struct cgroup_hier *h)
{
	free(h->dir);
	free(h->path);
	free(h->full);
}

HULL_EXPORT void hull_cgroup_free(struct hull_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_hiers; i++)
		hier_done(&cg->hiers[i]);
	free(cg->hiers);
	free(cg->root);
	free(cg);
}

static void hull_cgroup_freep(struct hull_cgroup **cg)
{
	hull_cgroup_free(*cg);
}

static int add_hier(struct hull_cgroup *cg, const char *dir, bool unified)
{
	struct cgroup_hier *nh = reallocarray(cg->hiers, cg->n_hiers + 1, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	cg->hiers = nh;
	nh[cg->n_hiers] = (struct cgroup_hier){ .dir = strdup(dir), .unified = unified };
	if (!nh[cg->n_hiers].dir)
		return -ENOMEM;
	cg->n_hiers++;
	return 0;
}

/* ---- detection ---- */

static bool fs_magic_is(const char *path, long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && (long)sfs.f_type == magic;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills cg->mode, cg->fake and, unless only_mode, one hierarchy per v1
 * mount (symlinks to co-mounted ones skipped) plus the cgroup2 one.
 * On the real /sys/fs/cgroup a directory counts only if statfs() says it
 * is a cgroup filesystem; a fake tree (any other root with no cgroup
 * filesystem in it) is recognised by its files, so that unit tests can
 * build one under /tmp. */
static int detect(struct hull_cgroup *cg, bool only_mode, struct hull_error **err)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ char *unified = path_join(cg->root, "unified");
	_cleanup_strv_ char **v1 = NULL;
	size_t n_v1 = 0;
	bool real_seen = false, has_unified;
	struct dirent *de;
	int r;

	if (!unified)
		return -ENOMEM;
	if (fs_magic_is(cg->root, CGROUP2_SUPER_MAGIC)) {
		cg->mode = HULL_CGROUP_V2;
		return only_mode ? 0 : add_hier(cg, ".", true);
	}
	d = opendir(cg->root);
	if (!d)
		return hull_error_set(err, errno, "cannot open cgroup root %s", cg->root);
	v1 = calloc(1, sizeof(char *));
	if (!v1)
		return -ENOMEM;
	while ((de = readdir(d))) {
		_cleanup_free_ char *p = NULL;
		struct stat st;

		if (de->d_name[0] == '.' || streq(de->d_name, "unified"))
			continue;
		p = path_join(cg->root, de->d_name);
		/* A symlink ("cpu" -> "cpu,cpuacct") names a co-mounted
		 * hierarchy that the loop meets under its real name. */
		if (!p || lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		bool real = fs_magic_is(p, CGROUP_SUPER_MAGIC);
		/* Once a real hierarchy is seen, plain directories are not
		 * hierarchies: drop those collected before. */
		if (real && !real_seen)
			for (; n_v1 > 0; n_v1--) {
				free(v1[n_v1 - 1]);
				v1[n_v1 - 1] = NULL;
			}
		real_seen |= real;
		if (!real && (real_seen || streq(cg->root, CGROUP_REAL_ROOT)))
			continue;
		char **nv = reallocarray(v1, n_v1 + 2, sizeof(char *));
		if (!nv)
			return -ENOMEM;
		v1 = nv;
		if (!(v1[n_v1] = strdup(de->d_name)))
			return -ENOMEM;
		v1[++n_v1] = NULL;
	}
	has_unified = fs_magic_is(unified, CGROUP2_SUPER_MAGIC);
	cg->fake = !real_seen && !has_unified && !streq(cg->root, CGROUP_REAL_ROOT);
	if (!cg->fake && !real_seen)
		n_v1 = 0; /* plain directories next to a real cgroup2 mount */
	if (cg->fake) {
		/* In a fake tree, cgroup.controllers marks a cgroup2 root. */
		_cleanup_free_ char *uc = path_join(unified, "cgroup.controllers");
		if (cgroup_file_exists(cg->root, "cgroup.controllers")) {
			cg->mode = HULL_CGROUP_V2;
			return only_mode ? 0 : add_hier(cg, ".", true);
		}
		has_unified = uc && access(uc, F_OK) == 0;
	}
	if (n_v1 == 0)
		return hull_error_set(err, ENOENT, "no cgroup hierarchy found at %s", cg->root);
	cg->mode = has_unified ? HULL_CGROUP_HYBRID : HULL_CGROUP_V1;
	if (only_mode)
		return 0;
	/* Sorted, so that the order (and the serialized text) does not
	 * depend on readdir's. */
	qsort(v1, n_v1, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n_v1; i++)
		if ((r = add_hier(cg, v1[i], false)) < 0)
			return r;
	return has_unified ? add_hier(cg, "unified", true) : 0;
}

HULL_EXPORT int hull_cgroup_detect(const char *root, enum hull_cgroup_mode *ret_mode, struct hull_error **err)
{
	struct hull_cgroup cg = { .root = (char *)root };
	int r = detect(&cg, true, err);

	if (r < 0)
		return r;
	*ret_mode = cg.mode;
	return 0;
}

/* ---- placement ---- */

/* Appends the components of rel to *path, refusing "." and "..":
 * cgroupsPath must not climb out of the hierarchy. */
static int append_components(char **path, const char *rel, struct hull_error **err)
{
	_cleanup_free_ char *copy = strdup(rel);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		char *np = NULL;

		if (streq(tok, ".") || streq(tok, ".."))
			return hull_error_set(err, EINVAL, "invalid cgroup path '%s': '%s' not allowed", rel, tok);
		if (asprintf(&np, "%s/%s", streq(*path, "/") ? "" : *path, tok) < 0)
			return -ENOMEM;
		free(*path);
		*path = np;
	}
	return 0;
}

/* The caller's own cgroup in hierarchy h, from /proc/self/cgroup text:
 * lines "ID:controllers:path", the cgroup2 one being "0::path".  A
 * hierarchy the text does not mention is taken as its root. */
static int own_cgroup(const char *self, const struct cgroup_hier *h, char **ret)
{
	_cleanup_free_ char *copy = strdup(self);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		bool match = h->unified ? streq(line, "0") && c1[1] == '\0' : lists_overlap(c1 + 1, h->dir);
		if (match) {
			*ret = strdup(c2[1] ? c2 + 1 : "/");
			return *ret ? 0 : -ENOMEM;
		}
	}
	*ret = strdup("/");
	return *ret ? 0 : -ENOMEM;
}

static size_t count_components(const char *path)
{
	size_t n = 0;

	for (const char *p = path; *p; p++)
		if (*p != '/' && (p == path || p[-1] == '/'))
			n++;
	return n;
}

static int set_full(struct hull_cgroup *cg, struct cgroup_hier *h)
{
	free(h->full);
	h->full = NULL;
	if (asprintf(&h->full, "%s/%s%s", cg->root, h->dir, h->path) < 0) {
		h->full = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int place(struct hull_cgroup *cg, struct cgroup_hier *h, const char *cgroups_path, const char *id,
		 const char *self, struct hull_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (cgroups_path && cgroups_path[0] == '/') {
		path = strdup("/");
		if (!path)
			return -ENOMEM;
	} else {
		/* Relative or absent: below "<own>/hull", so that hull only
		 * ever makes cgroups inside a subtree of its own. */
		_cleanup_free_ char *own = NULL;
		if ((r = own_cgroup(self, h, &own)) < 0)
			return r;
		path = strdup("/");
		if (!path)
			return -ENOMEM;
		if ((r = append_components(&path, own, err)) < 0 || (r = append_components(&path, "hull", err)) < 0)
			return r;
	}
	size_t before = count_components(path);
	r = append_components(&path, cgroups_path && *cgroups_path ? cgroups_path : id, err);
	if (r < 0)
		return r;
	if (!(cgroups_path && cgroups_path[0] == '/'))
		h->owned = (unsigned)(count_components(path) - before + 1); /* + the "hull" dir */
	if (streq(path, "/"))
		return hull_error_set(err, EINVAL, "invalid cgroup path '%s': it is the hierarchy's root",
				      cgroups_path ? cgroups_path : "");
	h->path = TAKE_PTR(path);
	return set_full(cg, h);
}

/* ---- directories ---- */

/* Removes the plain files of a fake tree's directory, which a real
 * cgroupfs directory does not need before rmdir(2). */
static void fake_clear_dir(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_REG)
			unlinkat(dirfd(d), de->d_name, 0);
}

/* Removes h's leaf and then, bottom-up, the parents hull made.  A parent
 * still in use (another container below it) stays; that is not an error. */
static int hier_remove(const struct hull_cgroup *cg, const struct cgroup_hier *h, struct hull_error **err)
{
	_cleanup_free_ char *dir = strdup(h->full);

	if (!dir)
		return -ENOMEM;
	for (unsigned i = 0; i < h->created; i++) {
		if (cg->fake)
			fake_clear_dir(dir);
		if (rmdir(dir) < 0) {
			if (errno == ENOENT)
				; /* already gone: fine */
			else if (i > 0 && (errno == EBUSY || errno == ENOTEMPTY || errno == EEXIST))
				return 0;
			else
				return hull_error_set(err, errno, "cannot remove cgroup %s", dir);
		}
		*strrchr(dir, '/') = '\0';
	}
	return 0;
}

static int hier_make_once(struct hull_cgroup *cg, struct cgroup_hier *h, struct hull_error **err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *copy = strdup(h->path);
	size_t n = count_components(h->path), i = 0;
	long first_created = -1;
	char *save = NULL;

	if (!copy || asprintf(&dir, "%s/%s", cg->root, h->dir) < 0)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save), i++) {
		char *nd = NULL;

		if (asprintf(&nd, "%s/%s", dir, tok) < 0)
			return -ENOMEM;
		free(dir);
		dir = nd;
		if (mkdir(dir, 0755) == 0) {
			if (first_created < 0)
				first_created = (long)i;
			h->created = (unsigned)(i + 1 - (size_t)first_created);
			continue;
		}
		/* The container's own directory must be new: adopting an
		 * existing one would let hull write into, and later remove,
		 * a cgroup it did not make. */
		if (errno != EEXIST || i + 1 == n) {
			int r = hull_error_set(err, errno, "cannot create cgroup %s", dir);
			/* Undo this hierarchy's parents here: h->full is not
			 * ours, so destroy must not start from it. */
			for (; h->created > 0; h->created--) {
				*strrchr(dir, '/') = '\0';
				rmdir(dir);
			}
			return r;
		}
		if (first_created >= 0)
			h->created = (unsigned)(i + 1 - (size_t)first_created);
	}
	/* "<own>/hull" is hull's own parent whoever made it first: count it
	 * as made, so the last container to go removes it when empty (a
	 * parent still in use just stays, see hier_remove). */
	if (h->owned > h->created)
		h->created = h->owned;
	return 0;
}

static int hier_make(struct hull_cgroup *cg, struct cgroup_hier *h, struct hull_error **err)
{
	int r;

	/* ENOENT: another container's delete removed the shared "hull"
	 * parent between two of our mkdirs; try again. */
	for (int tries = 0;; tries++) {
		h->created = 0;
		r = hier_make_once(cg, h, tries < 5 ? NULL : err);
		if (r != -ENOENT || tries >= 5)
			break;
	}
	if (r < 0 && err && !*err)
		return hier_make_once(cg, h, err);
	return r;
}

static int destroy_all(struct hull_cgroup *cg, struct hull_error **err)
{
	int ret = 0;

	/* Every hierarchy is tried; the first failure is reported. */
	for (size_t i = 0; i < cg->n_hiers; i++) {
		int r = hier_remove(cg, &cg->hiers[i], ret < 0 ? NULL : err);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

static int check_id(const char *id, struct hull_error **err)
{
	if (!id || !*id || strchr(id, '/') || streq(id, ".") || streq(id, ".."))
		return hull_error_set(err, EINVAL, "invalid container id '%s' for a cgroup name", id ? id : "");
	return 0;
}

int cgroup_create_with_self(const char *root, const char *cgroups_path, const char *id, const char *self,
			    struct hull_cgroup **ret, struct hull_error **err)
{
	_cleanup_(hull_cgroup_freep) struct hull_cgroup *cg = calloc(1, sizeof(*cg));
	int r;

	if (!cg || !(cg->root = strdup(root)))
		return hull_error_set(err, ENOMEM, "cannot create cgroup");
	if ((r = check_id(id, err)) < 0)
		return r;
	if ((r = detect(cg, false, err)) < 0)
		return hull_error_wrap(err, r, "cannot create cgroup for '%s'", id);
	cg->ops = cg->mode == HULL_CGROUP_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
	for (size_t i = 0; i < cg->n_hiers; i++)
		if ((r = place(cg, &cg->hiers[i], cgroups_path, id, self, err)) < 0)
			return hull_error_wrap(err, r, "cannot create cgroup for '%s'", id);
	for (size_t i = 0; i < cg->n_hiers && r >= 0; i++)
		r = hier_make(cg, &cg->hiers[i], err);
	if (r >= 0)
		r = cg->ops->setup(cg, err);
	if (r < 0) {
		/* "On failure nothing created is left." */
		destroy_all(cg, NULL);
		return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

HULL_EXPORT int hull_cgroup_create(const char *root, const char *cgroups_path, const char *id,
				   struct hull_cgroup **ret, struct hull_error **err)
{
	_cleanup_free_ char *self = NULL;
	int r = cgroup_read("/proc/self", "cgroup", &self, err);

	if (r < 0)
		return hull_error_wrap(err, r, "cannot create cgroup for '%s'", id ? id : "");
	return cgroup_create_with_self(root, cgroups_path, id, self, ret, err);
}

HULL_EXPORT int hull_cgroup_destroy(struct hull_cgroup *cg, struct hull_error **err)
{
	return destroy_all(cg, err);
}

/* ---- dispatch ---- */

HULL_EXPORT int hull_cgroup_apply(struct hull_cgroup *cg, const struct hull_resources *res, struct hull_error **err)
{
	if (!res)
		return 0;
	return cg->ops->apply(cg, res, err);
}

HULL_EXPORT int hull_cgroup_enter(struct hull_cgroup *cg, pid_t pid, struct hull_error **err)
{
	if (pid <= 0)
		return hull_error_set(err, EINVAL, "cannot move pid %d into a cgroup", (int)pid);
	return cg->ops->enter(cg, pid, err);
}

HULL_EXPORT int hull_cgroup_pids(struct hull_cgroup *cg, pid_t **ret_pids, size_t *ret_n, struct hull_error **err)
{
	return cg->ops->pids(cg, ret_pids, ret_n, err);
}

HULL_EXPORT int hull_cgroup_freeze(struct hull_cgroup *cg, bool frozen, struct hull_error **err)
{
	return cg->ops->freeze(cg, frozen, err);
}

HULL_EXPORT int hull_cgroup_is_frozen(struct hull_cgroup *cg, bool *ret, struct hull_error **err)
{
	return cg->ops->is_frozen(cg, ret, err);
}

HULL_EXPORT const char *hull_cgroup_path(const struct hull_cgroup *cg, const char *controller)
{
	const struct cgroup_hier *h = cgroup_find_hier(cg, controller ? controller : "");

	return h ? h->path : NULL;
}

/* ---- serialization ----
 *
 * "hull-cgroup-1 <v1|hybrid|v2> <dir>:<created>:<path> ...", one token
 * per hierarchy; bytes other than [A-Za-z0-9._,=+@/-] are %XX-escaped so
 * that the text stays one line of space-separated tokens.
 */

static const char *mode_name(enum hull_cgroup_mode m)
{
	return m == HULL_CGROUP_V2 ? "v2" : m == HULL_CGROUP_HYBRID ? "hybrid" : "v1";
}

static bool escape(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			     strchr("._,=+@/-", *p);
		if ((plain ? fputc(*p, f) : fprintf(f, "%%%02X", *p)) < 0)
			return false;
	}
	return true;
}

static int unescape(const char *s, size_t len, char **ret)
{
	_cleanup_free_ char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= len)
			return -EINVAL;
		char hex[3] = { s[i + 1], s[i + 2], 0 };
		if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]) ||
		    sscanf(hex, "%2x", &v) != 1 || v == 0)
			return -EINVAL;
		out[o++] = (char)v;
		i += 2;
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

HULL_EXPORT char *hull_cgroup_serialize(const struct hull_cgroup *cg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool ok;

	if (!f)
		return NULL;
	ok = fprintf(f, "%s %s", SERIAL_MAGIC, mode_name(cg->mode)) > 0;
	for (size_t i = 0; ok && i < cg->n_hiers; i++) {
		const struct cgroup_hier *h = &cg->hiers[i];
		ok = fputc(' ', f) != EOF && escape(f, h->dir) && fprintf(f, ":%u:", h->created) > 0 &&
		     escape(f, h->path);
	}
	if (fclose(f) != 0 || !ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Parses one "<dir>:<created>:<path>" token into h. */
static int load_token(struct hull_cgroup *cg, const char *tok, struct cgroup_hier *h)
{
	const char *c1 = strchr(tok, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char *end = NULL;
	unsigned long created;
	int r;

	if (!c2)
		return -EINVAL;
	if ((r = unescape(tok, (size_t)(c1 - tok), &h->dir)) < 0 || (r = unescape(c2 + 1, strlen(c2 + 1), &h->path)) < 0)
		return r;
	errno = 0;
	created = strtoul(c1 + 1, &end, 10);
	if (errno || end != c2 || created == 0 || created > count_components(h->path))
		return -EINVAL;
	h->created = (unsigned)created;
	/* The text comes from state.json: check that it names a directory
	 * below root and a path inside that hierarchy, nothing else. */
	if (!*h->dir || strchr(h->dir, '/') || streq(h->dir, "..") || (streq(h->dir, ".") && cg->mode != HULL_CGROUP_V2))
		return -EINVAL;
	if (h->path[0] != '/' || strstr(h->path, "//"))
		return -EINVAL;
	_cleanup_free_ char *check = strdup("/");
	if (!check || append_components(&check, h->path, NULL) < 0 || !streq(check, h->path))
		return -EINVAL;
	h->unified = cg->mode == HULL_CGROUP_V2 || (cg->mode == HULL_CGROUP_HYBRID && streq(h->dir, "unified"));
	return set_full(cg, h);
}

HULL_EXPORT int hull_cgroup_load(const char *root, const char *serialized, struct hull_cgroup **ret,
				 struct hull_error **err)
{
	_cleanup_(hull_cgroup_freep) struct hull_cgroup *cg = calloc(1, sizeof(*cg));
	_cleanup_free_ char *copy = serialized ? strdup(serialized) : NULL;
	struct hull_cgroup probe = { .root = (char *)root };
	char *save = NULL, *tok;
	int r;

	if (!cg || !copy || !(cg->root = strdup(root)))
		return hull_error_set(err, serialized ? ENOMEM : EINVAL, "cannot load cgroup state");
	/* The layout's kind comes from the text (it was made in it); only
	 * whether root is a fake test tree is found again here. */
	if (detect(&probe, true, NULL) == 0)
		cg->fake = probe.fake;
	tok = strtok_r(copy, " ", &save);
	if (!streq(tok, SERIAL_MAGIC))
		return hull_error_set(err, EINVAL, "cannot load cgroup state '%s': unknown format", serialized);
	tok = strtok_r(NULL, " ", &save);
	if (streq(tok, "v1"))
		cg->mode = HULL_CGROUP_V1;
	else if (streq(tok, "hybrid"))
		cg->mode = HULL_CGROUP_HYBRID;
	else if (streq(tok, "v2"))
		cg->mode = HULL_CGROUP_V2;
	else
		return hull_error_set(err, EINVAL, "cannot load cgroup state '%s': unknown mode", serialized);
	cg->ops = cg->mode == HULL_CGROUP_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
	while ((tok = strtok_r(NULL, " ", &save))) {
		struct cgroup_hier *nh = reallocarray(cg->hiers, cg->n_hiers + 1, sizeof(*nh));
		if (!nh)
			return hull_error_set(err, ENOMEM, "cannot load cgroup state");
		cg->hiers = nh;
		nh[cg->n_hiers] = (struct cgroup_hier){ 0 };
		r = load_token(cg, tok, &nh[cg->n_hiers]);
		cg->n_hiers++; /* counted even on failure, so that it is freed */
		if (r < 0)
			return hull_error_set(err, -r, "cannot load cgroup state: bad entry '%s'", tok);
	}
	if (cg->n_hiers == 0)
		return hull_error_set(err, EINVAL, "cannot load cgroup state '%s': no hierarchy", serialized);
	*ret = TAKE_PTR(cg);
	return 0;
}

/* ---- entering from inside the new process (exec) ---- */

HULL_EXPORT int hull_cgroup_open_unified(const struct hull_cgroup *cg)
{
	const struct cgroup_hier *h = cgroup_find_hier(cg, "");

	if (!h || cg->fake)
		return -ENOENT;
	int fd = open(h->full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

HULL_EXPORT int hull_cgroup_enter_self(struct hull_cgroup *cg, bool skip_unified, struct hull_error **err)
{
	for (size_t i = 0; i < cg->n_hiers; i++) {
		const struct cgroup_hier *h = &cg->hiers[i];
		int r;

		if (h->unified && skip_unified)
			continue;
		/* v1 "tasks" with 0 moves the calling thread without the
		 * threadgroup lock that a cgroup.procs write takes (and with it
		 * an RCU grace period, ~10 ms); for a single-threaded caller
		 * that is the whole process.  cgroup2 has only cgroup.procs. */
		r = cgroup_write(cg, h->full, h->unified ? "cgroup.procs" : "tasks", "0", err);
		if (r < 0)
			return hull_error_wrap(err, r, "cannot move into cgroup");
	}
	return 0;
}
