/* cmd-spec.c - `hullrt spec`: writes the default config.json, as
 * `runc spec` does (runc 1.2's example spec: its fields, their order, its
 * refusal to overwrite), and with --rootless the spec runc's ToRootless
 * makes of it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "hullrt.h"
#include "util.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

typedef struct json_object json;

static json *strings(const char *const *v)
{
	json *a = json_object_new_array();

	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

#define STRINGS(...) strings((const char *const[]){ __VA_ARGS__, NULL })

static void add(json *o, const char *key, json *v)
{
	json_object_object_add(o, key, v);
}

static json *process(void)
{
	json *p = json_object_new_object(), *user = json_object_new_object(), *caps = json_object_new_object();
	json *rl = json_object_new_object(), *rlimits = json_object_new_array();
	static const char *const set[] = { "bounding", "effective", "permitted" };

	add(p, "terminal", json_object_new_boolean(1));
	add(user, "uid", json_object_new_int(0));
	add(user, "gid", json_object_new_int(0));
	add(p, "user", user);
	add(p, "args", STRINGS("sh"));
	add(p, "env", STRINGS("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"));
	add(p, "cwd", json_object_new_string("/"));
	for (size_t i = 0; i < ARRAY_SIZE(set); i++)
		add(caps, set[i], STRINGS("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"));
	add(p, "capabilities", caps);
	add(rl, "type", json_object_new_string("RLIMIT_NOFILE"));
	add(rl, "hard", json_object_new_int(1024));
	add(rl, "soft", json_object_new_int(1024));
	json_object_array_add(rlimits, rl);
	add(p, "rlimits", rlimits);
	add(p, "noNewPrivileges", json_object_new_boolean(1));
	return p;
}

static json *mount(const char *dest, const char *type, const char *source, json *options)
{
	json *m = json_object_new_object();

	add(m, "destination", json_object_new_string(dest));
	add(m, "type", json_object_new_string(type));
	add(m, "source", json_object_new_string(source));
	if (options)
		add(m, "options", options);
	return m;
}

/* runc's default mounts.  Rootless (ToRootless): /sys is a read-only
 * rbind of the host's (no network namespace of the container's own to
 * mount a sysfs for), and no uid=/gid= options, as the container's gid 5
 * does not exist in a one-id mapping. */
static json *mounts(bool rootless)
{
	json *a = json_object_new_array();

	json_object_array_add(a, mount("/proc", "proc", "proc", NULL));
	json_object_array_add(a, mount("/dev", "tmpfs", "tmpfs", STRINGS("nosuid", "strictatime", "mode=755", "size=65536k")));
	json_object_array_add(a, rootless ? mount("/dev/pts", "devpts", "devpts",
						  STRINGS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"))
					  : mount("/dev/pts", "devpts", "devpts",
						  STRINGS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
							  "gid=5")));
	json_object_array_add(a, mount("/dev/shm", "tmpfs", "shm",
				       STRINGS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
	json_object_array_add(a, mount("/dev/mqueue", "mqueue", "mqueue", STRINGS("nosuid", "noexec", "nodev")));
	json_object_array_add(a, rootless ? mount("/sys", "none", "/sys", STRINGS("rbind", "nosuid", "noexec", "nodev", "ro"))
					  : mount("/sys", "sysfs", "sysfs", STRINGS("nosuid", "noexec", "nodev", "ro")));
	json_object_array_add(a, mount("/sys/fs/cgroup", "cgroup", "cgroup",
				       STRINGS("nosuid", "noexec", "nodev", "relatime", "ro")));
	return a;
}

static json *id_mapping(unsigned int host_id)
{
	json *a = json_object_new_array(), *m = json_object_new_object();

	add(m, "containerID", json_object_new_int(0));
	add(m, "hostID", json_object_new_int64(host_id));
	add(m, "size", json_object_new_int(1));
	json_object_array_add(a, m);
	return a;
}

static json *namespaces(bool rootless)
{
	json *a = json_object_new_array();
	const char *const all[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", "user" };
	struct statfs sfs;
	/* runc adds a cgroup namespace only on a cgroup v2 host */
	bool cgroupns = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		if ((streq(all[i], "network") && rootless) || (streq(all[i], "user") && !rootless) ||
		    (streq(all[i], "cgroup") && !cgroupns))
			continue;
		json *ns = json_object_new_object();
		add(ns, "type", json_object_new_string(all[i]));
		json_object_array_add(a, ns);
	}
	return a;
}

static json *linux_section(bool rootless)
{
	json *l = json_object_new_object();

	if (rootless) {
		add(l, "uidMappings", id_mapping(geteuid()));
		add(l, "gidMappings", id_mapping(getegid()));
	} else {
		/* ToRootless drops the resources: a rootless user may not
		 * restrict devices. */
		json *res = json_object_new_object(), *devs = json_object_new_array(), *d = json_object_new_object();
		add(d, "allow", json_object_new_boolean(0));
		add(d, "access", json_object_new_string("rwm"));
		json_object_array_add(devs, d);
		add(res, "devices", devs);
		add(l, "resources", res);
	}
	add(l, "namespaces", namespaces(rootless));
	add(l, "maskedPaths",
	    STRINGS("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/tpm"));
	add(l, "readonlyPaths", STRINGS("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"));
	return l;
}

static json *default_spec(bool rootless)
{
	json *s = json_object_new_object(), *root = json_object_new_object();

	add(s, "ociVersion", json_object_new_string(HULLRT_SPEC_VERSION));
	add(s, "process", process());
	add(root, "path", json_object_new_string("rootfs"));
	add(root, "readonly", json_object_new_boolean(1));
	add(s, "root", root);
	add(s, "hostname", json_object_new_string("runc"));
	add(s, "mounts", mounts(rootless));
	add(s, "linux", linux_section(rootless));
	return s;
}

int cmd_spec(int argc, char **argv)
{
	enum { OPT_ROOTLESS = 256 };
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, OPT_ROOTLESS },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *bundle = ".";
	bool rootless = false;
	char path[4096];
	int c;

	while ((c = rt_getopt("spec", argc, argv, ":b:h", opts)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case OPT_ROOTLESS:
			rootless = true;
			break;
		case 'h':
			return rt_help("spec");
		default:
			return 1;
		}
	}
	if (optind < argc)
		return rt_usage_error("spec", "unexpected argument '%s'", argv[optind]);

	struct stat st;
	if (stat(bundle, &st) < 0) {
		rt_error("bundle '%s': %s", bundle, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		rt_error("bundle '%s': %s", bundle, strerror(ENOTDIR));
		return 1;
	}
	if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path)) {
		rt_error("bundle '%s': %s", bundle, strerror(ENAMETOOLONG));
		return 1;
	}

	json *spec = default_spec(rootless);
	const char *text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB |
									JSON_C_TO_STRING_SPACED |
									JSON_C_TO_STRING_NOSLASHESCAPE);
	/* O_EXCL: never overwrite, not even a config.json made meanwhile. */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0) {
		json_object_put(spec);
		if (errno == EEXIST) {
			rt_error("File %s exists. Remove it first.", streq(bundle, ".") ? "config.json" : path);
			return 1;
		}
		rt_error("cannot create '%s': %s", path, strerror(errno));
		return 1;
	}
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
	json_object_put(spec);
	if (!ok || close(TAKE_FD(fd)) < 0) {
		rt_error("cannot write '%s': %s", path, strerror(errno ? errno : EIO));
		unlink(path);
		return 1;
	}
	return 0;
}
