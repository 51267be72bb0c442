/* image-change.c - Dockerfile instructions applied to an image config, as
 * `docker import -c` / `docker commit -c` do.  Only the instructions that
 * change the config are accepted (no RUN, COPY, FROM ...). */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "image.h"
#include "util.h"

/* Splits s into words on blanks; double or single quotes group, a
 * backslash escapes the next character.  Returns a json array of
 * strings, or NULL on an unterminated quote. */
static struct json_object *split_words(const char *s)
{
	struct json_object *a = json_object_new_array();
	_cleanup_free_ char *w = malloc(strlen(s) + 1);
	size_t n = 0;
	bool in_word = false;
	char q = 0;

	if (!a || !w) {
		json_object_put(a);
		return NULL;
	}
	for (const char *p = s;; p++) {
		if (!*p || (!q && isspace((unsigned char)*p))) {
			if (q) {
				json_object_put(a);
				return NULL;
			}
			if (in_word) {
				json_object_array_add(a, json_object_new_string_len(w, (int)n));
				n = 0;
				in_word = false;
			}
			if (!*p)
				break;
			continue;
		}
		in_word = true;
		if (q && *p == q)
			q = 0;
		else if (!q && (*p == '"' || *p == '\''))
			q = *p;
		else if (*p == '\\' && p[1] && q != '\'')
			w[n++] = *++p;
		else
			w[n++] = *p;
	}
	return a;
}

/* CMD/ENTRYPOINT/VOLUME argument: a JSON array of strings (exec form), or
 * NULL if arg is not one. */
static struct json_object *json_strings(const char *arg)
{
	struct json_object *a;

	if (arg[0] != '[')
		return NULL;
	a = json_tokener_parse(arg);
	if (!a || !json_object_is_type(a, json_type_array)) {
		json_object_put(a);
		return NULL;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_string)) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static struct json_object *get_or_add(struct json_object *cfg, const char *key, json_type type)
{
	struct json_object *o;

	if (json_object_object_get_ex(cfg, key, &o) && json_object_is_type(o, type))
		return o;
	o = type == json_type_array ? json_object_new_array() : json_object_new_object();
	json_object_object_add(cfg, key, o);
	return o;
}

/* Env: replaces K=... if present, else appends. */
static void env_set(struct json_object *cfg, const char *k, size_t klen, const char *v)
{
	struct json_object *env = get_or_add(cfg, "Env", json_type_array);
	_cleanup_free_ char *kv = NULL;

	if (asprintf(&kv, "%.*s=%s", (int)klen, k, v) < 0)
		return;
	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (e && strncmp(e, k, klen) == 0 && e[klen] == '=') {
			json_object_array_put_idx(env, i, json_object_new_string(kv));
			return;
		}
	}
	json_object_array_add(env, json_object_new_string(kv));
}

/* ENV and LABEL: "K=V [K2=V2 ...]" or the old "K V" form. */
static int apply_pairs(struct json_object *cfg, bool env, const char *arg, const char *change,
		       struct hull_error **err)
{
	const char *sp = arg + strcspn(arg, " \t");
	const char *eq = strchr(arg, '=');

	if (!eq || eq > sp) {
		/* "K V": the rest of the line is the value */
		if (!*sp)
			return hull_error_plain(err, EINVAL, "invalid change '%s': %s needs a value", change,
						env ? "ENV" : "LABEL");
		const char *v = sp + strspn(sp, " \t");
		if (env)
			env_set(cfg, arg, (size_t)(sp - arg), v);
		else {
			_cleanup_free_ char *k = strndup(arg, (size_t)(sp - arg));
			json_object_object_add(get_or_add(cfg, "Labels", json_type_object), k, json_object_new_string(v));
		}
		return 0;
	}
	struct json_object *words = split_words(arg);
	if (!words)
		return hull_error_plain(err, EINVAL, "invalid change '%s': unterminated quote", change);
	for (size_t i = 0; i < json_object_array_length(words); i++) {
		const char *w = json_object_get_string(json_object_array_get_idx(words, i));
		const char *e = strchr(w, '=');
		if (!e || e == w) {
			/* w belongs to words: the message first */
			int r = hull_error_plain(err, EINVAL, "invalid change '%s': '%s' is not KEY=VALUE", change, w);
			json_object_put(words);
			return r;
		}
		if (env)
			env_set(cfg, w, (size_t)(e - w), e + 1);
		else {
			_cleanup_free_ char *k = strndup(w, (size_t)(e - w));
			json_object_object_add(get_or_add(cfg, "Labels", json_type_object), k,
					       json_object_new_string(e + 1));
		}
	}
	json_object_put(words);
	return 0;
}

static int apply_one(struct json_object *cfg, const char *change, struct hull_error **err)
{
	static const char *const known = "CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR";
	const char *s = change + strspn(change, " \t");
	size_t kl = strcspn(s, " \t");
	const char *arg = s + kl;
	_cleanup_free_ char *kw = strndup(s, kl);
	_cleanup_free_ char *a = NULL;
	size_t al;

	if (!kw)
		return -ENOMEM;
	arg += strspn(arg, " \t");
	a = strdup(arg);
	if (!a)
		return -ENOMEM;
	al = strlen(a);
	while (al > 0 && isspace((unsigned char)a[al - 1]))
		a[--al] = '\0';
	if (!*kw)
		return hull_error_plain(err, EINVAL, "invalid change '%s': empty", change);
	if (!*a)
		return hull_error_plain(err, EINVAL, "invalid change '%s': %s needs an argument", change, kw);

	if (!strcasecmp(kw, "CMD") || !strcasecmp(kw, "ENTRYPOINT")) {
		struct json_object *v = json_strings(a);
		if (!v) {
			if (a[0] == '[')
				return hull_error_plain(err, EINVAL, "invalid change '%s': not a JSON array of strings",
							change);
			/* shell form */
			v = json_object_new_array();
			json_object_array_add(v, json_object_new_string("/bin/sh"));
			json_object_array_add(v, json_object_new_string("-c"));
			json_object_array_add(v, json_object_new_string(a));
		}
		json_object_object_add(cfg, !strcasecmp(kw, "CMD") ? "Cmd" : "Entrypoint", v);
		return 0;
	}
	if (!strcasecmp(kw, "ENV"))
		return apply_pairs(cfg, true, a, change, err);
	if (!strcasecmp(kw, "LABEL"))
		return apply_pairs(cfg, false, a, change, err);
	if (!strcasecmp(kw, "WORKDIR") || !strcasecmp(kw, "USER") || !strcasecmp(kw, "STOPSIGNAL")) {
		const char *key = !strcasecmp(kw, "WORKDIR") ? "WorkingDir" : !strcasecmp(kw, "USER") ? "User" : "StopSignal";
		if (!strcasecmp(kw, "WORKDIR") && a[0] != '/')
			return hull_error_plain(err, EINVAL, "invalid change '%s': WORKDIR must be absolute", change);
		json_object_object_add(cfg, key, json_object_new_string(a));
		return 0;
	}
	if (!strcasecmp(kw, "EXPOSE") || !strcasecmp(kw, "VOLUME")) {
		bool expose = !strcasecmp(kw, "EXPOSE");
		struct json_object *words = expose ? NULL : json_strings(a);
		if (!words)
			words = split_words(a);
		if (!words)
			return hull_error_plain(err, EINVAL, "invalid change '%s': unterminated quote", change);
		struct json_object *set = get_or_add(cfg, expose ? "ExposedPorts" : "Volumes", json_type_object);
		for (size_t i = 0; i < json_object_array_length(words); i++) {
			const char *w = json_object_get_string(json_object_array_get_idx(words, i));
			_cleanup_free_ char *key = NULL;
			if (expose) {
				char *end;
				long port = strtol(w, &end, 10);
				if (end == w || port < 1 || port > 65535 ||
				    (*end && !streq(end, "/tcp") && !streq(end, "/udp") && !streq(end, "/sctp"))) {
					int r = hull_error_plain(err, EINVAL, "invalid change '%s': bad port '%s'", change, w);
					json_object_put(words);
					return r;
				}
				if (asprintf(&key, "%ld%s", port, *end ? end : "/tcp") < 0)
					key = NULL;
			} else {
				if (w[0] != '/') {
					int r = hull_error_plain(err, EINVAL,
								 "invalid change '%s': VOLUME '%s' must be absolute", change, w);
					json_object_put(words);
					return r;
				}
				key = strdup(w);
			}
			if (key)
				json_object_object_add(set, key, json_object_new_object());
		}
		json_object_put(words);
		return 0;
	}
	return hull_error_plain(err, EINVAL, "invalid change '%s': unknown instruction %s (accepted: %s)", change, kw,
				known);
}

int image_apply_changes(struct json_object *cfg, const char *const *changes, struct hull_error **err)
{
	for (const char *const *c = changes; c && *c; c++) {
		int r = apply_one(cfg, *c, err);
		if (r < 0)
			return r;
	}
	return 0;
}
