/* cmd-image.c - hull import, images / image ls, image inspect, tag, rmi:
 * the image commands, as docker's. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "engine.h"
#include "store.h"
#include "util.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

static int open_store(struct store **s)
{
	_cleanup_error_ struct hull_error *err = NULL;
	int r = store_open(eng.root, s, &err);

	return r < 0 ? eng_fail(err, r, "opening the image store") : 0;
}

static size_t strv_length_or0(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static bool want_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--"))
			break;
		if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			fputs(usage, stdout);
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */

static const char import_usage[] =
	"Usage: hull import [OPTIONS] file|- [REPOSITORY[:TAG]]\n"
	"\n"
	"Import the contents from a tarball (plain, gzip, xz, bzip2 or zstd) to create a\n"
	"filesystem image.  Prints the new image's ID.\n"
	"\n"
	"Options:\n"
	"  -c, --change list      Apply Dockerfile instruction to the created image\n"
	"                         (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER,\n"
	"                         VOLUME, WORKDIR)\n"
	"  -m, --message string   Set commit message for imported image\n";

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "change", required_argument, NULL, 'c' },
		{ "message", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_store_ struct store *s = NULL;
	_cleanup_free_ const char **changes = calloc((size_t)argc + 1, sizeof(char *));
	_cleanup_close_ int fd = -1;
	const char *message = NULL, *src, *ref = NULL;
	char id[STORE_ID_SIZE];
	size_t nc = 0;
	int c, r;

	if (!changes)
		return eng_fail(NULL, -ENOMEM, "import");
	while ((c = eng_getopt("import", argc, argv, "+:c:m:h", opts)) != -1) {
		switch (c) {
		case 'c':
			changes[nc++] = optarg;
			break;
		case 'm':
			message = optarg;
			break;
		case 'h':
			fputs(import_usage, stdout);
			return 0;
		default:
			return EXIT_ENGINE;
		}
	}
	if (optind >= argc || argc - optind > 2)
		return eng_usage_error("import", "\"import\" requires at least 1 and at most 2 arguments");
	src = argv[optind];
	if (argc - optind == 2)
		ref = argv[optind + 1];
	if (streq(src, "-"))
		fd = dup(STDIN_FILENO);
	else
		fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "hull: importing '%s': %s\n", src, strerror(errno));
		return EXIT_ENGINE;
	}
	r = open_store(&s);
	if (r)
		return r;
	r = store_import(s, fd, streq(src, "-") ? "-" : src, changes, ref, message, id, &err);
	if (r < 0)
		return eng_fail(err, r, "import");
	printf("%s\n", id);
	return 0;
}

/* ------------------------------------------------------------------ */

static const char images_usage[] =
	"Usage: hull images [OPTIONS] [REPOSITORY[:TAG]]\n"
	"       hull image ls [OPTIONS] [REPOSITORY[:TAG]]\n"
	"\n"
	"List images.\n"
	"\n"
	"Options:\n"
	"  -a, --all             Show all images (accepted; there are no intermediate images)\n"
	"  -f, --filter filter   dangling=true|false, reference=PATTERN (a glob on REPO[:TAG])\n"
	"      --format string   'table' (default), 'json' (one JSON object per line) or a\n"
	"                        template: '{{.Repository}}:{{.Tag}} {{.ID}}'\n"
	"      --no-trunc        Don't truncate output\n"
	"  -q, --quiet           Only show image IDs\n";

/* "name:tag" -> repo and tag (the last ':' after the last '/'). */
static void split_name(const char *name, char *repo, size_t rsize, char *tag, size_t tsize)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');

	if (!colon) {
		snprintf(repo, rsize, "%s", name);
		snprintf(tag, tsize, "latest");
		return;
	}
	snprintf(repo, rsize, "%.*s", (int)(colon - name), name);
	snprintf(tag, tsize, "%s", colon + 1);
}

struct row {
	char repo[256], tag[130], id[72], created[64], size[32];
	const char *created_at;
};

static int images_list(int argc, char **argv, const char *cmd)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },	   { "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'T' },	   { "format", required_argument, NULL, 'F' },
		{ "filter", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_store_ struct store *s = NULL;
	struct image **imgs = NULL;
	size_t n = 0, nrows = 0;
	bool quiet = false, no_trunc = false, json = false;
	const char *filter = NULL, *template = NULL, *reference = NULL;
	char frepo[256] = "", ftag[130] = "";
	int c, r, dangling = -1;

	while ((c = eng_getopt(cmd, argc, argv, "+:aqf:h", opts)) != -1) {
		switch (c) {
		case 'a':
			break;
		case 'q':
			quiet = true;
			break;
		case 'T':
			no_trunc = true;
			break;
		case 'f':
			if (streq(optarg, "dangling=true") || streq(optarg, "dangling=1"))
				dangling = 1;
			else if (streq(optarg, "dangling=false") || streq(optarg, "dangling=0"))
				dangling = 0;
			else if (startswith(optarg, "reference="))
				reference = optarg + strlen("reference=");
			else
				return eng_usage_error(cmd, "unsupported filter '%s' (dangling=true|false, reference=PATTERN)",
						 optarg);
			break;
		case 'F':
			if (streq(optarg, "json") || streq(optarg, "{{json .}}"))
				json = true;
			else if (!streq(optarg, "table"))
				template = optarg;
			break;
		case 'h':
			fputs(images_usage, stdout);
			return 0;
		default:
			return EXIT_ENGINE;
		}
	}
	if (argc - optind > 1)
		return eng_usage_error(cmd, "\"%s\" requires at most 1 argument", cmd);
	if (optind < argc) {
		filter = argv[optind];
		split_name(filter, frepo, sizeof(frepo), ftag, sizeof(ftag));
		if (!strrchr(strrchr(filter, '/') ?: filter, ':'))
			ftag[0] = '\0'; /* REPOSITORY alone: every tag */
	}
	r = open_store(&s);
	if (r)
		return r;
	r = store_image_list(s, &imgs, &n, &err);
	if (r < 0)
		return eng_fail(err, r, "listing images");

	size_t cap = 0;
	for (size_t i = 0; i < n; i++)
		cap += 1 + strv_length_or0(imgs[i]->names);
	struct row *rows = calloc(cap + 1, sizeof(*rows));
	if (!rows) {
		image_list_free(imgs, n);
		return eng_fail(NULL, -ENOMEM, "listing images");
	}
	for (size_t i = 0; i < n; i++) {
		struct image *img = imgs[i];
		size_t nn = strv_length_or0(img->names);
		for (size_t j = 0; j < (nn ? nn : 1); j++) {
			struct row *w = &rows[nrows];
			if (nn)
				split_name(img->names[j], w->repo, sizeof(w->repo), w->tag, sizeof(w->tag));
			else {
				snprintf(w->repo, sizeof(w->repo), "<none>");
				snprintf(w->tag, sizeof(w->tag), "<none>");
			}
			if (filter && (!streq(w->repo, frepo) || (ftag[0] && !streq(w->tag, ftag))))
				continue;
			if (dangling >= 0 && (nn == 0) != (dangling == 1))
				continue;
			/* reference=PATTERN: a glob on REPO or REPO:TAG, as docker */
			if (reference) {
				char full[400];
				snprintf(full, sizeof(full), "%s:%s", w->repo, w->tag);
				if (!nn || (fnmatch(reference, w->repo, 0) != 0 && fnmatch(reference, full, 0) != 0))
					continue;
			}
			snprintf(w->id, sizeof(w->id), "%.*s", no_trunc ? 71 : 12,
				 no_trunc ? img->id : img->id + 7);
			eng_human_since(img->created, w->created, sizeof(w->created));
			eng_human_size(img->size, w->size, sizeof(w->size));
			w->created_at = img->created;
			nrows++;
		}
	}
	if (quiet) {
		/* each image once */
		for (size_t i = 0; i < nrows; i++) {
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = streq(rows[i].id, rows[j].id);
			if (!seen)
				printf("%s\n", rows[i].id);
		}
	} else if (json || template) {
		for (size_t i = 0; i < nrows; i++) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "Containers", json_object_new_string("N/A"));
			json_object_object_add(o, "CreatedAt", json_object_new_string(rows[i].created_at ?: ""));
			json_object_object_add(o, "CreatedSince", json_object_new_string(rows[i].created));
			json_object_object_add(o, "Digest", json_object_new_string("<none>"));
			json_object_object_add(o, "ID", json_object_new_string(rows[i].id));
			json_object_object_add(o, "Repository", json_object_new_string(rows[i].repo));
			json_object_object_add(o, "Size", json_object_new_string(rows[i].size));
			json_object_object_add(o, "Tag", json_object_new_string(rows[i].tag));
			if (template) {
				_cleanup_free_ char *line = eng_format(template, o);
				if (!line) {
					json_object_put(o);
					free(rows);
					image_list_free(imgs, n);
					return EXIT_ENGINE;
				}
				printf("%s\n", line);
			} else
				printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
											JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
		}
	} else {
		/* columns as docker's tabwriter: width of the widest cell + 3 */
		int w[4] = { (int)strlen("REPOSITORY"), (int)strlen("TAG"), (int)strlen("IMAGE ID"),
			     (int)strlen("CREATED") };
		for (size_t i = 0; i < nrows; i++) {
			const char *cells[4] = { rows[i].repo, rows[i].tag, rows[i].id, rows[i].created };
			for (int k = 0; k < 4; k++)
				if ((int)strlen(cells[k]) > w[k])
					w[k] = (int)strlen(cells[k]);
		}
		printf("%-*s   %-*s   %-*s   %-*s   %s\n", w[0], "REPOSITORY", w[1], "TAG", w[2], "IMAGE ID", w[3],
		       "CREATED", "SIZE");
		for (size_t i = 0; i < nrows; i++)
			printf("%-*s   %-*s   %-*s   %-*s   %s\n", w[0], rows[i].repo, w[1], rows[i].tag, w[2],
			       rows[i].id, w[3], rows[i].created, rows[i].size);
	}
	free(rows);
	image_list_free(imgs, n);
	return 0;
}

int cmd_images(int argc, char **argv)
{
	return images_list(argc, argv, "images");
}

/* ------------------------------------------------------------------ */

static struct json_object *strv_json(char **v, bool null_if_empty)
{
	struct json_object *a;

	if (null_if_empty && (!v || !*v))
		return NULL;
	a = json_object_new_array();
	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

/* "K=V" strings -> {"K": "V"}; keys only -> {"K": {}} */
static struct json_object *kv_json(char **v, bool values)
{
	struct json_object *o;

	if (!v || !*v)
		return NULL;
	o = json_object_new_object();
	for (; *v; v++) {
		if (values) {
			const char *eq = strchr(*v, '=');
			_cleanup_free_ char *k = eq ? strndup(*v, (size_t)(eq - *v)) : strdup(*v);
			if (k)
				json_object_object_add(o, k, json_object_new_string(eq ? eq + 1 : ""));
		} else
			json_object_object_add(o, *v, json_object_new_object());
	}
	return o;
}

static struct json_object *opt_str(const char *s)
{
	return json_object_new_string(s ?: "");
}

static struct json_object *inspect_json(const struct image *img)
{
	struct json_object *o = json_object_new_object(), *cfg = json_object_new_object();
	struct json_object *rootfs = json_object_new_object(), *gd = json_object_new_object();
	struct json_object *data = json_object_new_object();
	size_t len = 0;

	json_object_object_add(o, "Id", json_object_new_string(img->id));
	json_object_object_add(o, "RepoTags", strv_json(img->names, false));
	json_object_object_add(o, "RepoDigests", json_object_new_array());
	json_object_object_add(o, "Parent", json_object_new_string(""));
	json_object_object_add(o, "Comment", opt_str(img->comment));
	json_object_object_add(o, "Created", opt_str(img->created));
	json_object_object_add(o, "Author", opt_str(img->author));
	json_object_object_add(o, "Architecture", opt_str(img->architecture));
	json_object_object_add(o, "Os", opt_str(img->os));
	json_object_object_add(o, "Size", json_object_new_int64(img->size));

	json_object_object_add(cfg, "User", opt_str(img->user));
	json_object_object_add(cfg, "ExposedPorts", kv_json(img->exposed_ports, false));
	json_object_object_add(cfg, "Env", strv_json(img->env, true));
	json_object_object_add(cfg, "Cmd", strv_json(img->cmd, true));
	json_object_object_add(cfg, "Volumes", kv_json(img->volumes, false));
	json_object_object_add(cfg, "WorkingDir", opt_str(img->workdir));
	json_object_object_add(cfg, "Entrypoint", strv_json(img->entrypoint, true));
	json_object_object_add(cfg, "Labels", kv_json(img->labels, true));
	if (img->stop_signal)
		json_object_object_add(cfg, "StopSignal", json_object_new_string(img->stop_signal));
	json_object_object_add(o, "Config", cfg);

	for (size_t i = 0; i < img->n_layers; i++)
		len += strlen(img->layer_dirs[i]) + 1;
	_cleanup_free_ char *lower = calloc(len + 1, 1);
	for (size_t i = 0; lower && i < img->n_layers; i++) {
		if (i)
			strcat(lower, ":");
		strcat(lower, img->layer_dirs[i]);
	}
	json_object_object_add(data, "LowerDir", json_object_new_string(lower ?: ""));
	json_object_object_add(gd, "Data", data);
	json_object_object_add(gd, "Name", json_object_new_string("overlay"));
	json_object_object_add(o, "GraphDriver", gd);

	json_object_object_add(rootfs, "Type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "Layers", strv_json(img->diff_ids, false));
	json_object_object_add(o, "RootFS", rootfs);
	return o;
}

static const char inspect_usage[] =
	"Usage: hull image inspect [OPTIONS] IMAGE [IMAGE...]\n"
	"\n"
	"Display detailed information on one or more images, as a JSON array.\n"
	"\n"
	"Options:\n"
	"  -f, --format string   A template per image: '{{.Id}}', '{{json .Config.Cmd}}'\n";

static int image_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct json_object *arr;
	const char *format = NULL;
	int c, r, status = 0;

	while ((c = eng_getopt("image inspect", argc, argv, "+:f:h", opts)) != -1) {
		if (c == 'f') {
			format = optarg;
			continue;
		}
		if (c == 'h') {
			fputs(inspect_usage, stdout);
			return 0;
		}
		return EXIT_ENGINE;
	}
	if (optind >= argc)
		return eng_usage_error("image inspect", "\"inspect\" requires at least 1 argument");
	r = open_store(&s);
	if (r)
		return r;
	arr = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct hull_error *err = NULL;
		struct image *img = NULL;
		r = store_image_get(s, argv[i], &img, &err);
		if (r < 0) {
			status = eng_fail(err, r, argv[i]);
			continue;
		}
		json_object_array_add(arr, inspect_json(img));
		image_free(img);
	}
	status = eng_print_objects(format, arr) ?: status;
	json_object_put(arr);
	return status;
}

/* ------------------------------------------------------------------ */

static const char tag_usage[] =
	"Usage: hull tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
	"\n"
	"Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.\n";

int cmd_tag(int argc, char **argv)
{
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_store_ struct store *s = NULL;
	int r;

	if (want_help(argc, argv, tag_usage))
		return 0;
	if (argc != 3)
		return eng_usage_error("tag", "\"tag\" requires exactly 2 arguments");
	r = open_store(&s);
	if (r)
		return r;
	r = store_tag(s, argv[1], argv[2], &err);
	if (r < 0)
		return eng_fail(err, r, "tag");
	return 0;
}

static const char rmi_usage[] =
	"Usage: hull rmi [OPTIONS] IMAGE [IMAGE...]\n"
	"       hull image rm [OPTIONS] IMAGE [IMAGE...]\n"
	"\n"
	"Remove one or more images.  A name is untagged; the image goes with its last\n"
	"name, with the layers no other image uses.\n"
	"\n"
	"Options:\n"
	"  -f, --force   Remove an image a container uses (only untagged: its layers stay\n"
	"                until the container goes) or an ID with several names\n";

static void print_action(const char *action, const char *what, void *data)
{
	printf("%s: %s\n", action, what);
}

int cmd_rmi(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "no-prune", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	bool force = false;
	int c, r, status = 0;

	while ((c = eng_getopt(argv[0], argc, argv, "+:fh", opts)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'P':
			break;
		case 'h':
			fputs(rmi_usage, stdout);
			return 0;
		default:
			return EXIT_ENGINE;
		}
	}
	if (optind >= argc)
		return eng_usage_error("rmi", "\"rmi\" requires at least 1 argument");
	r = open_store(&s);
	if (r)
		return r;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct hull_error *err = NULL;
		r = store_remove(s, argv[i], force, print_action, NULL, &err);
		fflush(stdout);
		if (r < 0)
			status = eng_fail(err, r, argv[i]);
	}
	return status;
}

/* ------------------------------------------------------------------ */

static const char history_usage[] =
	"Usage: hull image history [OPTIONS] IMAGE\n"
	"\n"
	"Show the history of an image: one line per step, newest first.\n"
	"\n"
	"Options:\n"
	"      --no-trunc   Don't truncate output\n"
	"  -q, --quiet      Only show image IDs\n";

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-trunc", no_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_store_ struct store *s = NULL;
	_cleanup_image_ struct image *img = NULL;
	bool no_trunc = false, quiet = false;
	int c, r;

	while ((c = eng_getopt("history", argc, argv, "+:qh", opts)) != -1) {
		switch (c) {
		case 'T':
			no_trunc = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(history_usage, stdout);
			return 0;
		default:
			return EXIT_ENGINE;
		}
	}
	if (argc - optind != 1)
		return eng_usage_error("history", "\"history\" requires exactly 1 argument");
	r = open_store(&s);
	if (r)
		return r;
	r = store_image_get(s, argv[optind], &img, &err);
	if (r < 0)
		return eng_fail(err, r, argv[optind]);
	if (quiet) {
		printf("%.*s\n", no_trunc ? 71 : 12, no_trunc ? img->id : img->id + 7);
		return 0;
	}
	printf("%-14s %-24s %-45s %-9s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
	/* newest first; a step that made a layer gets the next layer's size
	 * from the top */
	size_t layer = img->n_layers;
	for (size_t i = img->n_history; i-- > 0;) {
		const struct image_history *h = &img->history[i];
		char since[64], size[32] = "0B", id[80];
		if (!h->empty_layer && layer > 0)
			eng_human_size(img->layer_sizes[--layer], size, sizeof(size));
		eng_human_since(h->created, since, sizeof(since));
		if (i + 1 == img->n_history)
			snprintf(id, sizeof(id), "%.*s", no_trunc ? 71 : 12, no_trunc ? img->id : img->id + 7);
		else
			snprintf(id, sizeof(id), "<missing>");
		const char *by = h->created_by ?: "";
		char by_short[64];
		if (!no_trunc && strlen(by) > 45) {
			snprintf(by_short, sizeof(by_short), "%.44s…", by);
			by = by_short;
		}
		printf("%-14s %-24s %-45s %-9s %s\n", id, since, by, size, h->comment ?: "");
	}
	return 0;
}

static const char prune_usage[] =
	"Usage: hull image prune [OPTIONS]\n"
	"\n"
	"Remove unused images: those without a name (with -a, every image) that no\n"
	"container uses.\n"
	"\n"
	"Options:\n"
	"  -a, --all     Remove all unused images, not just dangling ones\n"
	"  -f, --force   Do not prompt for confirmation\n";

static int image_prune(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_store_ struct store *s = NULL;
	bool all = false, force = false;
	int64_t bytes = 0;
	char human[32];
	int c, r;

	while ((c = eng_getopt("image prune", argc, argv, "+:afh", opts)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(prune_usage, stdout);
			return 0;
		default:
			return EXIT_ENGINE;
		}
	}
	if (optind < argc)
		return eng_usage_error("image prune", "\"prune\" accepts no arguments");
	if (!force) {
		char answer[16] = "";
		printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
		       all ? "images without at least one container associated to them" : "dangling images");
		fflush(stdout);
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	r = open_store(&s);
	if (r)
		return r;
	printf("Deleted Images:\n");
	r = store_prune(s, all, print_action, NULL, &bytes, &err);
	if (r < 0)
		return eng_fail(err, r, "image prune");
	eng_human_size(bytes, human, sizeof(human));
	printf("\nTotal reclaimed space: %s\n", human);
	return 0;
}

/* ------------------------------------------------------------------ */

static const char image_usage[] =
	"Usage: hull image COMMAND\n"
	"\n"
	"Manage images.\n"
	"\n"
	"Commands:\n"
	"  history     Show the history of an image\n"
	"  import      Import the contents from a tarball to create a filesystem image\n"
	"  inspect     Display detailed information on one or more images\n"
	"  ls          List images\n"
	"  prune       Remove unused images\n"
	"  rm          Remove one or more images\n"
	"  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n";

int cmd_image(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub || streq(sub, "-h") || streq(sub, "--help")) {
		fputs(image_usage, sub ? stdout : stderr);
		return sub ? 0 : EXIT_ENGINE;
	}
	argc--;
	argv++;
	optind = 0;
	if (streq(sub, "ls") || streq(sub, "list"))
		return images_list(argc, argv, "image ls");
	if (streq(sub, "inspect"))
		return image_inspect(argc, argv);
	if (streq(sub, "rm"))
		return cmd_rmi(argc, argv);
	if (streq(sub, "tag"))
		return cmd_tag(argc, argv);
	if (streq(sub, "import"))
		return cmd_import(argc, argv);
	if (streq(sub, "history"))
		return cmd_history(argc, argv);
	if (streq(sub, "prune"))
		return image_prune(argc, argv);
	fprintf(stderr, "hull: 'image %s' is not a hull command.\nSee 'hull image --help'\n", sub);
	return EXIT_ENGINE;
}
