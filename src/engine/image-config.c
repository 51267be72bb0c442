/* image-config.c - reading an OCI image config into struct image. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "image.h"
#include "util.h"

void image_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09ldZ", base, ts.tv_nsec);
}

static char **strv_from_array(struct json_object *a)
{
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	char **v = calloc(n + 1, sizeof(char *));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));
		if (!(v[i] = strdup(s ?: ""))) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

/* {"K": "V"} -> "K=V"; {"80/tcp": {}} -> "80/tcp" (with_values false). */
static char **strv_from_object(struct json_object *o, bool with_values)
{
	size_t n = o && json_object_is_type(o, json_type_object) ? (size_t)json_object_object_length(o) : 0;
	char **v = calloc(n + 1, sizeof(char *));
	size_t i = 0;

	if (!v)
		return NULL;
	if (n == 0)
		return v;
	json_object_object_foreach(o, k, val)
	{
		int r = with_values ? asprintf(&v[i], "%s=%s", k, json_object_get_string(val) ?: "")
				    : ((v[i] = strdup(k)) ? 0 : -1);
		if (r < 0) {
			v[i] = NULL;
			strv_free(v);
			return NULL;
		}
		i++;
	}
	return v;
}

static char *opt_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	const char *s = json_object_get_string(v);
	return s && *s ? strdup(s) : NULL;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

int image_fill_from_config(struct image *img, const char *json, struct hull_error **err)
{
	struct json_object *root = json_tokener_parse(json), *cfg;

	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return hull_error_plain(err, EINVAL, "image %s: the config blob is not a JSON object", img->id);
	}
	cfg = get(root, "config");
	img->env = strv_from_array(get(cfg, "Env"));
	img->cmd = strv_from_array(get(cfg, "Cmd"));
	img->entrypoint = strv_from_array(get(cfg, "Entrypoint"));
	img->labels = strv_from_object(get(cfg, "Labels"), true);
	img->exposed_ports = strv_from_object(get(cfg, "ExposedPorts"), false);
	img->volumes = strv_from_object(get(cfg, "Volumes"), false);
	if (cfg) {
		img->workdir = opt_string(cfg, "WorkingDir");
		img->user = opt_string(cfg, "User");
		img->stop_signal = opt_string(cfg, "StopSignal");
	}
	img->created = opt_string(root, "created");
	img->author = opt_string(root, "author");
	img->architecture = opt_string(root, "architecture");
	img->os = opt_string(root, "os");
	struct json_object *hist = get(root, "history");
	size_t nh = hist && json_object_is_type(hist, json_type_array) ? json_object_array_length(hist) : 0;
	if (nh > 0)
		img->comment = opt_string(json_object_array_get_idx(hist, nh - 1), "comment");
	img->history = calloc(nh + 1, sizeof(*img->history));
	for (size_t i = 0; img->history && i < nh; i++) {
		struct json_object *h = json_object_array_get_idx(hist, i), *e = get(h, "empty_layer");
		if (!json_object_is_type(h, json_type_object))
			continue;
		img->history[img->n_history].created = opt_string(h, "created");
		img->history[img->n_history].created_by = opt_string(h, "created_by");
		img->history[img->n_history].comment = opt_string(h, "comment");
		img->history[img->n_history].empty_layer = e && json_object_get_boolean(e);
		img->n_history++;
	}
	json_object_put(root);
	if (!img->env || !img->cmd || !img->entrypoint || !img->labels || !img->exposed_ports || !img->volumes ||
	    !img->history)
		return hull_error_set(err, ENOMEM, "image %s", img->id);
	return 0;
}
