/* volume.c - volumes: <root>/volumes/<name>/_data (the data) and
 * <root>/volumes/<name>/volume.json (CreatedAt, Labels); -v and --mount
 * specs into a container's Mounts; `hull volume create/ls/inspect/rm/prune`. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "engine.h"
#include "path.h"
#include "util.h"

#define ANON_LABEL "com.docker.volume.anonymous"

static char *volume_dir(const char *name)
{
	char *p;
	if (asprintf(&p, "%s/volumes/%s", eng.root, name) < 0)
		abort();
	return p;
}

static bool valid_volume_name(const char *n)
{
	return ctr_valid_name(n);
}

/* Creates the volume if it is not there; returns its _data dir. */
static char *volume_ensure(const char *name, bool anonymous, struct json_object *labels, struct hull_error **err)
{
	_cleanup_free_ char *dir = volume_dir(name), *meta = NULL;
	char *data = NULL;
	int r;

	if (asprintf(&data, "%s/_data", dir) < 0 || asprintf(&meta, "%s/volume.json", dir) < 0)
		abort();
	if (access(meta, F_OK) == 0)
		return data;
	if ((r = path_mkdir_p(data, 0755)) < 0) {
		hull_error_set(err, -r, "cannot make volume '%s'", name);
		free(data);
		return NULL;
	}
	struct json_object *o = json_object_new_object();
	_cleanup_free_ char *now = eng_now();
	struct json_object *l = labels ? json_object_get(labels) : json_object_new_object();
	if (anonymous)
		jset(l, ANON_LABEL, json_object_new_string(""));
	jset(o, "CreatedAt", json_object_new_string(now));
	jset(o, "Labels", l);
	r = eng_json_write(meta, o, err);
	json_object_put(o);
	if (r < 0) {
		free(data);
		return NULL;
	}
	return data;
}

static struct json_object *volume_info(const char *name)
{
	_cleanup_free_ char *dir = volume_dir(name), *meta = NULL, *data = NULL;
	if (asprintf(&meta, "%s/volume.json", dir) < 0 || asprintf(&data, "%s/_data", dir) < 0)
		abort();
	struct json_object *m = eng_json_read(meta, NULL);
	if (!m)
		return NULL;
	struct json_object *o = json_object_new_object();
	jset(o, "CreatedAt", json_object_get(jget(m, "CreatedAt")));
	jset(o, "Driver", json_object_new_string("local"));
	jset(o, "Labels", json_object_get(jget(m, "Labels")));
	jset(o, "Mountpoint", json_object_new_string(data));
	jset(o, "Name", json_object_new_string(name));
	jset(o, "Options", json_object_new_object());
	jset(o, "Scope", json_object_new_string("local"));
	json_object_put(m);
	return o;
}

static void add(struct json_object *mounts, const char *type, const char *name, const char *src, const char *dst,
		bool rw)
{
	struct json_object *m = json_object_new_object();
	jset(m, "Type", json_object_new_string(type));
	if (name)
		jset(m, "Name", json_object_new_string(name));
	jset(m, "Source", json_object_new_string(src ? src : ""));
	jset(m, "Destination", json_object_new_string(dst));
	if (streq(type, "volume"))
		jset(m, "Driver", json_object_new_string("local"));
	jset(m, "Mode", json_object_new_string(rw ? "" : "ro"));
	jset(m, "RW", json_object_new_boolean(rw));
	jset(m, "Propagation", json_object_new_string(streq(type, "bind") ? "rprivate" : ""));
	json_object_array_add(mounts, m);
}

static bool dest_taken(struct json_object *mounts, const char *dst)
{
	for (size_t i = 0; i < json_object_array_length(mounts); i++)
		if (streq(jstr(json_object_array_get_idx(mounts, i), "Destination"), dst))
			return true;
	return false;
}

static int add_volume(struct json_object *mounts, const char *spec, const char *name, const char *dst, bool rw)
{
	_cleanup_error_ struct hull_error *err = NULL;
	char anon[65];

	if (dest_taken(mounts, dst))
		return eng_error("invalid volume specification '%s': duplicate mount point '%s'", spec, dst);
	if (!name) {
		eng_random_hex(anon, 32);
		name = anon;
	}
	_cleanup_free_ char *data = volume_ensure(name, name == anon, NULL, &err);
	if (!data)
		return eng_fail(err, -EIO, "cannot make the volume");
	add(mounts, "volume", name, data, dst, rw);
	return 0;
}

int volume_add_bind_spec(struct json_object *mounts, const char *spec)
{
	_cleanup_free_ char *copy = strdup(spec);
	char *f[4] = { copy }, *p = copy;
	int n = 1;
	bool rw = true;

	while (n < 4 && (p = strchr(p, ':'))) {
		*p++ = '\0';
		f[n++] = p;
	}
	if (n == 4 || !*f[0])
		return eng_error("invalid volume specification: '%s'", spec);
	if (n == 1) /* -v /ctr: an anonymous volume */
		return f[0][0] == '/' ? add_volume(mounts, spec, NULL, f[0], true)
				      : eng_error("invalid volume specification: '%s': the mount point must be an absolute path",
						  spec);
	if (n == 3) {
		if (streq(f[2], "ro"))
			rw = false;
		else if (!streq(f[2], "rw") && !streq(f[2], "z") && !streq(f[2], "Z"))
			return eng_error("invalid volume specification: '%s': invalid mode '%s'", spec, f[2]);
	}
	if (f[1][0] != '/')
		return eng_error("invalid volume specification: '%s': the mount point must be an absolute path", spec);
	if (f[0][0] == '/') {
		int r;
		if (dest_taken(mounts, f[1]))
			return eng_error("invalid volume specification '%s': duplicate mount point '%s'", spec, f[1]);
		/* Docker makes a missing host directory of -v. */
		if ((r = path_mkdir_p(f[0], 0755)) < 0 && r != -EEXIST && r != -ENOTDIR)
			return eng_error("cannot make bind source '%s': %s", f[0], strerror(-r));
		_cleanup_free_ char *real = realpath(f[0], NULL);
		if (!real)
			return eng_error("bind source path '%s': %s", f[0], strerror(errno));
		add(mounts, "bind", NULL, real, f[1], rw);
		return 0;
	}
	if (!valid_volume_name(f[0]))
		return eng_error("invalid volume specification: '%s': '%s' is neither an absolute host path nor a valid "
				 "volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
				 spec, f[0]);
	return add_volume(mounts, spec, f[0], f[1], rw);
}

int volume_add_mount_spec(struct json_object *mounts, const char *spec)
{
	_cleanup_free_ char *copy = strdup(spec);
	const char *type = "volume", *src = NULL, *dst = NULL;
	bool rw = true;
	char *save = NULL;

	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		if (v)
			*v++ = '\0';
		if (streq(kv, "type") && v)
			type = v;
		else if ((streq(kv, "source") || streq(kv, "src")) && v)
			src = v;
		else if ((streq(kv, "target") || streq(kv, "destination") || streq(kv, "dst")) && v)
			dst = v;
		else if (streq(kv, "readonly") || streq(kv, "ro"))
			rw = v && (streq(v, "false") || streq(v, "0"));
		else if (streq(kv, "bind-propagation") || streq(kv, "volume-nocopy") || startswith(kv, "tmpfs-"))
			continue;
		else
			return eng_error("invalid mount specification '%s': unknown key '%s'", spec, kv);
	}
	if (!dst || dst[0] != '/')
		return eng_error("invalid mount specification '%s': target must be an absolute path", spec);
	if (streq(type, "bind")) {
		struct stat st;
		if (!src || src[0] != '/')
			return eng_error("invalid mount specification '%s': a bind mount needs an absolute source", spec);
		if (stat(src, &st) < 0)
			return eng_error("invalid mount specification '%s': bind source path does not exist: %s", spec, src);
		if (dest_taken(mounts, dst))
			return eng_error("invalid mount specification '%s': duplicate mount point '%s'", spec, dst);
		add(mounts, "bind", NULL, src, dst, rw);
		return 0;
	}
	if (streq(type, "tmpfs")) {
		if (src)
			return eng_error("invalid mount specification '%s': a tmpfs mount takes no source", spec);
		add(mounts, "tmpfs", NULL, "", dst, rw);
		return 0;
	}
	if (!streq(type, "volume"))
		return eng_error("invalid mount specification '%s': type must be bind, volume or tmpfs", spec);
	if (src && !valid_volume_name(src))
		return eng_error("invalid mount specification '%s': invalid volume name '%s'", spec, src);
	return add_volume(mounts, spec, src, dst, rw);
}

/* Whether a volume is anonymous; one without its volume.json is what a
 * command killed while creating it left (the record is written last, and
 * a container using the volume would have written it): nobody named it
 * for good, so it counts as anonymous and prune takes it. */
static bool is_anonymous(const char *name)
{
	struct json_object *o = volume_info(name);
	bool anon = !o || jget(jget(o, "Labels"), ANON_LABEL);
	json_object_put(o);
	return anon;
}

void volume_remove_anonymous(struct json_object *rec)
{
	struct json_object *mounts = jget(rec, "Mounts");

	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i);
		const char *name = jstr(m, "Name");
		if (streq(jstr(m, "Type"), "volume") && name && is_anonymous(name)) {
			_cleanup_free_ char *dir = volume_dir(name);
			path_remove_tree(dir);
		}
	}
}

/* The first container using volume name, or NULL. */
static char *volume_user(const char *name)
{
	_cleanup_strv_ char **ids = ctr_list();

	for (char **i = ids; *i; i++) {
		struct json_object *rec = ctr_load_raw(*i, NULL), *mounts = jget(rec, "Mounts");
		for (size_t k = 0; mounts && k < json_object_array_length(mounts); k++)
			if (streq(jstr(json_object_array_get_idx(mounts, k), "Name"), name)) {
				json_object_put(rec);
				return strdup(*i);
			}
		json_object_put(rec);
	}
	return NULL;
}

static char **volume_list(void)
{
	_cleanup_free_ char *dir = NULL;
	char **v = calloc(1, sizeof(char *));
	size_t n = 0;

	if (asprintf(&dir, "%s/volumes", eng.root) < 0)
		abort();
	_cleanup_closedir_ DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		v = realloc(v, (n + 2) * sizeof(char *));
		v[n++] = strdup(e->d_name);
		v[n] = NULL;
	}
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(v[b - 1], v[b]) > 0; b--) {
			char *t = v[b];
			v[b] = v[b - 1];
			v[b - 1] = t;
		}
	return v;
}

static int volume_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "driver", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	_cleanup_error_ struct hull_error *err = NULL;
	struct json_object *labels = json_object_new_object();
	const char *name = NULL;
	char anon[65];
	int c;

	while ((c = eng_getopt("volume create", argc, argv, "+:l:d:", opts)) != -1) {
		switch (c) {
		case 'l': {
			_cleanup_free_ char *kv = strdup(optarg);
			char *eq = strchr(kv, '=');
			if (eq)
				*eq++ = '\0';
			jset(labels, kv, json_object_new_string(eq ? eq : ""));
			break;
		}
		case 'n': name = optarg; break;
		case 'd':
			if (!streq(optarg, "local")) {
				json_object_put(labels);
				return eng_error("volume driver '%s' is not supported (only local)", optarg);
			}
			break;
		case 'H': json_object_put(labels); return eng_help("volume");
		default: json_object_put(labels); return EXIT_ENGINE;
		}
	}
	if (optind < argc)
		name = argv[optind];
	if (name && !valid_volume_name(name)) {
		json_object_put(labels);
		return eng_error("invalid volume name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
	}
	if (!name) {
		eng_random_hex(anon, 32);
		name = anon;
	}
	_cleanup_free_ char *data = volume_ensure(name, false, labels, &err);
	json_object_put(labels);
	if (!data)
		return eng_fail(err, -EIO, "cannot make the volume");
	printf("%s\n", name);
	return 0;
}

static int volume_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	bool quiet = false;
	const char *format = NULL;
	int c;

	while ((c = eng_getopt("volume ls", argc, argv, "+:q", opts)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'f': format = optarg; break;
		case 'H': return eng_help("volume");
		default: return EXIT_ENGINE;
		}
	}
	_cleanup_strv_ char **names = volume_list();
	if (!quiet && !format)
		printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
	for (char **n = names; *n; n++) {
		if (quiet)
			printf("%s\n", *n);
		else if (format) {
			struct json_object *o = volume_info(*n);
			_cleanup_free_ char *line = o ? eng_format(format, o) : NULL;
			json_object_put(o);
			if (line)
				printf("%s\n", line);
		} else
			printf("%-10s%s\n", "local", *n);
	}
	return 0;
}

static int volume_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	const char *format = NULL;
	int c, ret = 0;

	while ((c = eng_getopt("volume inspect", argc, argv, "+:f:", opts)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'H': return eng_help("volume");
		default: return EXIT_ENGINE;
		}
	}
	if (optind >= argc)
		return eng_usage_error("volume inspect", "requires at least 1 argument");
	struct json_object *arr = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		struct json_object *o = valid_volume_name(argv[i]) ? volume_info(argv[i]) : NULL;
		if (!o) {
			ret = eng_error("no such volume: '%s'", argv[i]);
			continue;
		}
		json_object_array_add(arr, o);
	}
	ret = eng_print_objects(format, arr) ?: ret;
	json_object_put(arr);
	return ret;
}

static int volume_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	int c, ret = 0;
	bool force = false;

	while ((c = eng_getopt("volume rm", argc, argv, "+:f", opts)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'H': return eng_help("volume");
		default: return EXIT_ENGINE;
		}
	}
	if (optind >= argc)
		return eng_usage_error("volume rm", "requires at least 1 argument");
	for (int i = optind; i < argc; i++) {
		struct json_object *o = valid_volume_name(argv[i]) ? volume_info(argv[i]) : NULL;
		json_object_put(o);
		if (!o) {
			if (!force)
				ret = eng_error("no such volume: '%s'", argv[i]);
			continue;
		}
		_cleanup_free_ char *user = volume_user(argv[i]);
		if (user) {
			ret = eng_error("cannot remove volume '%s': it is in use by container %.12s", argv[i], user);
			continue;
		}
		_cleanup_free_ char *dir = volume_dir(argv[i]);
		int r = path_remove_tree(dir);
		if (r < 0) {
			ret = eng_error("cannot remove volume '%s': %s", argv[i], strerror(-r));
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return ret;
}

static int volume_prune(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	bool all = false;
	int c;

	while ((c = eng_getopt("volume prune", argc, argv, "+:fa", opts)) != -1) {
		switch (c) {
		case 'f': break; /* no prompt: hull never asks */
		case 'a': all = true; break;
		case 'H': return eng_help("volume");
		default: return EXIT_ENGINE;
		}
	}
	_cleanup_strv_ char **names = volume_list();
	bool any = false;
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *user = volume_user(*n), *dir = volume_dir(*n);
		if (user || (!all && !is_anonymous(*n)))
			continue;
		if (path_remove_tree(dir) == 0) {
			if (!any)
				printf("Deleted Volumes:\n");
			any = true;
			printf("%s\n", *n);
		}
	}
	return 0;
}

int cmd_volume(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "create", volume_create }, { "ls", volume_ls },   { "list", volume_ls }, { "inspect", volume_inspect },
		{ "rm", volume_rm },	     { "remove", volume_rm }, { "prune", volume_prune },
	};

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h"))
		return argc < 2 ? (eng_help("volume"), EXIT_ENGINE) : eng_help("volume");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (streq(argv[1], subs[i].name)) {
			optind = 0;
			return subs[i].fn(argc - 1, argv + 1);
		}
	return eng_usage_error("volume", "unknown command '%s'", argv[1]);
}
