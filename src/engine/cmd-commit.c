/* cmd-commit.c - hull commit, diff, export: a container's filesystem
 * changes as a new image, a list, or a tar.
 *
 * They read the container's record, <root>/containers/<id>/config.json,
 * written by the containers side (found with ctr_lookup): "Id", "Image"
 * (the image id), "GraphDriver": {"Data": {"UpperDir", "LowerDir",
 * "MergedDir"}} and "Mounts": [{"Destination"}] (volumes, whose contents
 * stay out of a commit). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "container.h"
#include "engine.h"
#include "path.h"
#include "store.h"
#include "util.h"

/* What init layer files a commit leaves out, as docker does. */
static const char *const init_files[] = { "/etc/hosts", "/etc/hostname", "/etc/resolv.conf" };

struct ctr {
	struct json_object *rec;
	char *id_owned;
	const char *id, *upper, *lower;
	struct image *image;
	const char **excludes; /* volume destinations, then the init files */
	size_t n_volumes;
};

static void ctr_done(struct ctr *c)
{
	image_free(c->image);
	free(c->excludes);
	json_object_put(c->rec);
	free(c->id_owned);
}

static int commit_ctr_load(struct store *s, const char *ref, struct ctr *c)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct json_object *mounts;
	size_t n = 0, nm;
	int r;

	c->id_owned = ctr_lookup(ref, &err);
	if (!c->id_owned)
		return eng_fail(err, -ENOENT, ref);
	/* the state refreshed from the live processes */
	c->rec = ctr_load(c->id_owned, &err);
	if (!c->rec)
		return eng_fail(err, -ENOENT, ref);
	c->id = c->id_owned;
	struct json_object *data = jget(jget(c->rec, "GraphDriver"), "Data");
	c->upper = jstr(data, "UpperDir");
	c->lower = jstr(data, "LowerDir");
	if (!c->upper) {
		fprintf(stderr, "hull: container %.12s has no GraphDriver.Data.UpperDir in its record\n", c->id);
		return EXIT_ENGINE;
	}
	const char *image = jstr(c->rec, "Image");
	r = store_image_get(s, image ?: "", &c->image, &err);
	if (r < 0)
		return eng_fail(err, r, "the container's image");
	mounts = jget(c->rec, "Mounts");
	nm = mounts && json_object_is_type(mounts, json_type_array) ? json_object_array_length(mounts) : 0;
	c->excludes = calloc(nm + ARRAY_SIZE(init_files) + 1, sizeof(char *));
	if (!c->excludes)
		return eng_fail(NULL, -ENOMEM, "commit");
	for (size_t i = 0; i < nm; i++) {
		const char *dst = jstr(json_object_array_get_idx(mounts, i), "Destination");
		if (dst)
			c->excludes[n++] = dst;
	}
	c->n_volumes = n;
	for (size_t i = 0; i < ARRAY_SIZE(init_files); i++)
		c->excludes[n++] = init_files[i];
	return 0;
}

static int open_store(struct store **s)
{
	_cleanup_error_ struct hull_error *err = NULL;
	int r = store_open(eng.root, s, &err);

	return r < 0 ? eng_fail(err, r, "opening the image store") : 0;
}

/* ------------------------------------------------------------------ */

static const char commit_usage[] =
	"Usage: hull commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n"
	"\n"
	"Create a new image from a container's changes: its writable layer becomes a new\n"
	"layer on top of its image's.  Volume contents and /etc/hosts, /etc/hostname,\n"
	"/etc/resolv.conf are left out.  Prints the new image's ID.\n"
	"\n"
	"Options:\n"
	"  -a, --author string    Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")\n"
	"  -c, --change list      Apply Dockerfile instruction to the created image\n"
	"  -m, --message string   Commit message\n"
	"  -p, --pause            Pause a running container during commit (default true;\n"
	"                         --pause=false to not)\n";

int cmd_commit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "author", required_argument, NULL, 'a' }, { "change", required_argument, NULL, 'c' },
		{ "message", required_argument, NULL, 'm' }, { "pause", optional_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },	    { 0 },
	};
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_store_ struct store *s = NULL;
	_cleanup_free_ const char **changes = calloc((size_t)argc + 1, sizeof(char *));
	struct commit_opts o = { 0 };
	struct ctr c = { 0 };
	char id[STORE_ID_SIZE];
	bool pause = true;
	size_t nc = 0;
	int ch, r;

	if (!changes)
		return eng_fail(NULL, -ENOMEM, "commit");
	while ((ch = eng_getopt("commit", argc, argv, "+:a:c:m:ph", opts)) != -1) {
		switch (ch) {
		case 'a':
			o.author = optarg;
			break;
		case 'c':
			changes[nc++] = optarg;
			break;
		case 'm':
			o.message = optarg;
			break;
		case 'p':
			if (optarg && (streq(optarg, "false") || streq(optarg, "0")))
				pause = false;
			else if (optarg && !streq(optarg, "true") && !streq(optarg, "1"))
				return eng_usage_error("commit", "invalid --pause value '%s' (true or false)", optarg);
			else
				pause = true;
			break;
		case 'h':
			fputs(commit_usage, stdout);
			return 0;
		default:
			return EXIT_ENGINE;
		}
	}
	if (optind >= argc || argc - optind > 2)
		return eng_usage_error("commit", "\"commit\" requires at least 1 and at most 2 arguments");
	r = open_store(&s);
	if (r)
		return r;
	r = commit_ctr_load(s, argv[optind], &c);
	if (r) {
		ctr_done(&c);
		return r;
	}
	o.changes = changes;
	o.excludes = c.excludes;
	/* the history says what the container ran, as docker's */
	_cleanup_free_ char *created_by = NULL;
	size_t cb_len = 0;
	FILE *cb = open_memstream(&created_by, &cb_len);
	struct json_object *args = jget(c.rec, "Args");
	if (cb) {
		fputs(jstr(c.rec, "Path") ?: "", cb);
		for (size_t i = 0; args && json_object_is_type(args, json_type_array) &&
				   i < json_object_array_length(args); i++)
			fprintf(cb, " %s", json_object_get_string(json_object_array_get_idx(args, i)) ?: "");
		fclose(cb);
		if (created_by && *created_by)
			o.created_by = created_by;
	}
	/* as docker: a running container is frozen while its layer is read,
	 * so the layer is one instant of it (--pause=false to not) */
	_cleanup_close_ int lock = -1;
	_cleanup_free_ char *rt = NULL;
	bool paused = false;
	const char *ext = jstr(jget(c.rec, "HostConfig"), "Runtime"); /* an external OCI runtime */
	if (pause && streq(ctr_status(c.rec), "running")) {
		lock = ctr_lock(c.id);
		rt = eng_runtime_root();
		r = ext ? extrt_pause(ext, c.id, true, &err) : hull_container_pause(rt, c.id, &err);
		if (r < 0) {
			ctr_done(&c);
			return eng_fail(err, r, "pausing the container");
		}
		paused = true;
	}
	r = store_commit(s, c.upper, c.image, &o, argc - optind == 2 ? argv[optind + 1] : NULL, id, &err);
	if (paused) {
		_cleanup_error_ struct hull_error *rerr = NULL;
		int rr = ext ? extrt_pause(ext, c.id, false, &rerr) : hull_container_resume(rt, c.id, &rerr);
		if (rr < 0)
			eng_fail(rerr, rr, "resuming the container");
	}
	ctr_done(&c);
	if (r < 0)
		return eng_fail(err, r, "commit");
	printf("%s\n", id);
	return 0;
}

/* ------------------------------------------------------------------ */

static int print_change(char kind, const char *path, void *data)
{
	printf("%c %s\n", kind, path);
	return 0;
}

static const char diff_usage[] =
	"Usage: hull diff CONTAINER\n"
	"\n"
	"Inspect changes to files or directories on a container's filesystem:\n"
	"A added, C changed, D deleted.\n";

int cmd_diff(int argc, char **argv)
{
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_store_ struct store *s = NULL;
	struct ctr c = { 0 };
	int r;

	if (argc == 2 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
		fputs(diff_usage, stdout);
		return 0;
	}
	if (argc != 2)
		return eng_usage_error("diff", "\"diff\" requires exactly 1 argument");
	r = open_store(&s);
	if (r)
		return r;
	r = commit_ctr_load(s, argv[1], &c);
	if (r == 0) {
		/* volumes are not part of the container's filesystem */
		r = store_diff(c.upper, c.image, c.excludes, print_change, NULL, &err);
		r = r < 0 ? eng_fail(err, r, "diff") : 0;
	}
	ctr_done(&c);
	return r;
}

/* ------------------------------------------------------------------ */

static const char export_usage[] =
	"Usage: hull export [OPTIONS] CONTAINER\n"
	"\n"
	"Export a container's filesystem as a tar archive (volumes not included).\n"
	"\n"
	"Options:\n"
	"  -o, --output string   Write to a file, instead of STDOUT\n";

/* Mounts a read-only overlay of the container's layers (upper first) at
 * dir, in a mount namespace of our own: nothing is left mounted whatever
 * happens to this process, and a running container's mount is not
 * touched. */
static int mount_view(const struct ctr *c, const char *dir, struct hull_error **err)
{
	_cleanup_free_ char *opts = NULL;

	if (unshare(CLONE_NEWNS) < 0)
		return hull_error_set(err, errno, "unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hull_error_set(err, errno, "making our mounts private");
	if (asprintf(&opts, "lowerdir=%s:%s", c->upper, c->lower ? c->lower : "") < 0)
		return -ENOMEM;
	if (!c->lower || !*c->lower)
		opts[strlen(opts) - 1] = '\0';
	if (mount("overlay", dir, "overlay", MS_RDONLY, opts) < 0)
		return hull_error_set(err, errno, "mounting the container's filesystem on '%s'", dir);
	return 0;
}

static bool is_mount_point(const char *dir)
{
	_cleanup_free_ char *parent = NULL;
	struct stat a, b;

	if (asprintf(&parent, "%s/..", dir) < 0)
		return false;
	return stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* Writes the tar of dir to output (complete or not at all) or stdout. */
static int export_dir(const char *dir, const char *output, struct ctr *c)
{
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_free_ char *tmp_out = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (output) {
		if (asprintf(&tmp_out, "%s.tmp-%d", output, getpid()) < 0)
			return eng_fail(NULL, -ENOMEM, "export");
		fd = open(tmp_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "hull: export: creating '%s': %s\n", output, strerror(errno));
			return EXIT_ENGINE;
		}
	}
	/* the volumes' contents stay out; the init files are the container's */
	c->excludes[c->n_volumes] = NULL;
	r = store_export(dir, output ? fd : STDOUT_FILENO, c->excludes, &err);
	if (r < 0) {
		if (tmp_out)
			unlink(tmp_out);
		return eng_fail(err, r, "export");
	}
	if (tmp_out && rename(tmp_out, output) < 0) {
		fprintf(stderr, "hull: export: writing '%s': %s\n", output, strerror(errno));
		unlink(tmp_out);
		return EXIT_ENGINE;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_store_ struct store *s = NULL;
	_cleanup_free_ char *view = NULL;
	const char *output = NULL;
	struct ctr c = { 0 };
	int ch, r;

	while ((ch = eng_getopt("export", argc, argv, "+:o:h", opts)) != -1) {
		switch (ch) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(export_usage, stdout);
			return 0;
		default:
			return EXIT_ENGINE;
		}
	}
	if (argc - optind != 1)
		return eng_usage_error("export", "\"export\" requires exactly 1 argument");
	if (!output && isatty(STDOUT_FILENO))
		return eng_usage_error("export", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
	r = open_store(&s);
	if (r)
		return r;
	r = commit_ctr_load(s, argv[optind], &c);
	if (r)
		goto out;
	/* a running container's rootfs is mounted: read it there (mounting
	 * its upper dir once more, as a lower, would upset overlayfs) */
	const char *merged = jstr(jget(jget(c.rec, "GraphDriver"), "Data"), "MergedDir");
	if (merged && is_mount_point(merged)) {
		r = export_dir(merged, output, &c);
		goto out;
	}
	/* outside the store's tmp/, which other commands clean */
	if (path_mkdir_p(eng.runroot, 0700) < 0 || asprintf(&view, "%s/export-XXXXXX", eng.runroot) < 0 ||
	    !mkdtemp(view)) {
		fprintf(stderr, "hull: export: making a directory in '%s': %s\n", eng.runroot, strerror(errno));
		free(TAKE_PTR(view));
		r = EXIT_ENGINE;
		goto out;
	}
	r = mount_view(&c, view, &err);
	if (r < 0) {
		r = eng_fail(err, r, "export");
		goto out;
	}
	r = export_dir(view, output, &c);
out:
	if (view) {
		umount2(view, MNT_DETACH);
		rmdir(view);
	}
	ctr_done(&c);
	return r;
}
