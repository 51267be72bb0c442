/* cmd-features.c - `hullrt features`: the runtime-spec "features" document
 * (features.md, as `runc features` prints it).
 *
 * Every list is read from the tables the library parses with
 * (hull_spec_known_name(), hull_seccomp_*_name()), never written out a
 * second time here, so it cannot drift from what create accepts.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>

#include "hullrt.h"
#include "seccomp-filter.h"
#include "spec.h"
#include "util.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

static void json_object_putp(struct json_object **o)
{
	json_object_put(*o);
}

/* Adds key: [names...], the names from next(i) until NULL, each after
 * prefix. */
static int add_names(struct json_object *obj, const char *key, const char *prefix, const char *(*next)(size_t, void *),
		     void *data)
{
	struct json_object *arr = json_object_new_array();
	const char *name;

	if (!arr)
		return -1;
	for (size_t i = 0; (name = next(i, data)); i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "%s%s", prefix, name);
		if (json_object_array_add(arr, json_object_new_string(buf)) < 0) {
			json_object_put(arr);
			return -1;
		}
	}
	return json_object_object_add(obj, key, arr);
}

static const char *spec_table(size_t i, void *data)
{
	return hull_spec_known_name(*(enum hull_spec_table *)data, i);
}

static const char *seccomp_table(size_t i, void *data)
{
	return ((const char *(*)(size_t))data)(i);
}

/* The flags of hull_seccomp_flag_name() this kernel and hull apply. */
static const char *supported_flag(size_t i, void *data)
{
	const char *name;

	for (size_t k = 0, n = 0; (name = hull_seccomp_flag_name(k)); k++)
		if (hull_seccomp_flag_supported(name) && n++ == i)
			return name;
	return NULL;
}

static int add_spec_names(struct json_object *obj, const char *key, const char *prefix, enum hull_spec_table t)
{
	return add_names(obj, key, prefix, spec_table, &t);
}

static int add_seccomp_names(struct json_object *obj, const char *key, const char *(*fn)(size_t))
{
	return add_names(obj, key, "", seccomp_table, (void *)fn);
}

/* {"enabled": value} */
static struct json_object *enabled(bool value)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "enabled", json_object_new_boolean(value));
	return o;
}

static struct json_object *seccomp_features(void)
{
	struct json_object *o = enabled(true);

	if (!o || add_seccomp_names(o, "actions", hull_seccomp_action_name) < 0 ||
	    add_seccomp_names(o, "operators", hull_seccomp_operator_name) < 0 ||
	    add_seccomp_names(o, "archs", hull_seccomp_arch_name) < 0 ||
	    add_seccomp_names(o, "knownFlags", hull_seccomp_flag_name) < 0 ||
	    add_names(o, "supportedFlags", "", supported_flag, NULL) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *linux_features(void)
{
	struct json_object *l = json_object_new_object(), *cg = json_object_new_object(), *ext = json_object_new_object();

	if (!l || !cg || !ext)
		goto fail;
	/* cgroup v1, the hybrid layout and v2 (cgroup-v1.c, cgroup-v2.c); no
	 * systemd driver yet, and linux.resources.rdma is not applied. */
	json_object_object_add(cg, "v1", json_object_new_boolean(true));
	json_object_object_add(cg, "v2", json_object_new_boolean(true));
	json_object_object_add(cg, "systemd", json_object_new_boolean(false));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
	json_object_object_add(cg, "rdma", json_object_new_boolean(false));
	/* idmap and ridmap mount options are accepted but not acted on. */
	json_object_object_add(ext, "idmap", enabled(false));
	if (add_spec_names(l, "namespaces", "", HULL_SPEC_NAMESPACES) < 0 ||
	    add_spec_names(l, "capabilities", "CAP_", HULL_SPEC_CAPABILITIES) < 0)
		goto fail;
	json_object_object_add(l, "cgroup", cg);
	json_object_object_add(l, "seccomp", seccomp_features());
	json_object_object_add(l, "apparmor", enabled(false));
	json_object_object_add(l, "selinux", enabled(false));
	json_object_object_add(l, "intelRdt", enabled(false));
	json_object_object_add(l, "mountExtensions", ext);
	return l;
fail:
	json_object_put(l);
	json_object_put(cg);
	json_object_put(ext);
	return NULL;
}

static struct json_object *annotations(void)
{
	struct json_object *a = json_object_new_object();
	const struct scmp_version *v = seccomp_version();
	char buf[64];

	if (!a)
		return NULL;
	/* The key runc and crun use for the libseccomp they run with. */
	snprintf(buf, sizeof(buf), "%u.%u.%u", v->major, v->minor, v->micro);
	json_object_object_add(a, "io.github.seccomp.libseccomp.version", json_object_new_string(buf));
	json_object_object_add(a, "io.github.hull.version", json_object_new_string(HULLRT_VERSION));
	return a;
}

int cmd_features(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(json_object_putp) struct json_object *f = NULL;
	struct json_object *l;
	const char *text;
	int c;

	while ((c = rt_getopt("features", argc, argv, ":h", opts)) != -1) {
		if (c == 'h')
			return rt_help("features");
		return 1;
	}
	if (optind < argc)
		return rt_usage_error("features", "unexpected argument '%s'", argv[optind]);

	f = json_object_new_object();
	if (!f)
		goto oom;
	/* The versions spec.c accepts: 1.0.0 up to 1.2.x. */
	json_object_object_add(f, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(f, "ociVersionMax", json_object_new_string(HULLRT_SPEC_VERSION));
	if (add_spec_names(f, "hooks", "", HULL_SPEC_HOOKS) < 0 ||
	    add_spec_names(f, "mountOptions", "", HULL_SPEC_MOUNT_OPTIONS) < 0)
		goto oom;
	l = linux_features();
	if (!l)
		goto oom;
	json_object_object_add(f, "linux", l);
	json_object_object_add(f, "annotations", annotations());
	/* hull reads no annotation as configuration. */
	json_object_object_add(f, "potentiallyUnsafeConfigAnnotations", json_object_new_array());
	text = json_object_to_json_string_ext(f, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto oom;
	printf("%s\n", text);
	return 0;
oom:
	rt_error("features: out of memory");
	return 1;
}
