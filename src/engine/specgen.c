/* specgen.c - a container record (config.json, Docker-like) turned into an
 * OCI runtime spec with Docker's defaults: namespaces mnt/uts/ipc/pid/net/
 * cgroup, Docker's default capabilities, masked and read-only /proc paths,
 * /dev, /dev/shm, /proc, /sys read-only, the cgroup hierarchy read-only. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine.h"
#include "path.h"
#include "spec.h"
#include "state.h"
#include "util.h"

static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
	"CAP_AUDIT_WRITE",
};

static const char *const masked_paths[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
	"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static struct json_object *strs(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static void add_mount(struct json_object *mounts, const char *dest, const char *type, const char *source,
		      const char *const *opts, size_t n)
{
	struct json_object *m = json_object_new_object();
	jset(m, "destination", json_object_new_string(dest));
	jset(m, "type", json_object_new_string(type));
	jset(m, "source", json_object_new_string(source));
	jset(m, "options", strs(opts, n));
	json_object_array_add(mounts, m);
}

/* Is cap (CAP_X) in the list, written X or CAP_X in any case?  "ALL"
 * matches only when all is true. */
static bool has_cap(struct json_object *list, const char *cap, bool all)
{
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		const char *c = json_object_get_string(json_object_array_get_idx(list, i));
		if ((all && strcasecmp(c, "ALL") == 0) || strcasecmp(c, cap) == 0 || strcasecmp(c, cap + 4) == 0)
			return true;
	}
	return false;
}

static const char *const all_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

const char *specgen_cap_name(unsigned int cap)
{
	return cap < ARRAY_SIZE(all_caps) ? all_caps[cap] : NULL;
}

/* Docker's rules: --privileged has all; --cap-add ALL is all but the
 * dropped ones; else an added one is in, a dropped one (or any, with
 * --cap-drop ALL) out, the rest as Docker's defaults. */
static bool cap_wanted(struct json_object *add, struct json_object *drop, bool privileged, const char *name)
{
	bool def = false;

	if (privileged)
		return true;
	if (has_cap(add, name, true) && has_cap(add, "CAP_ALL", false))
		return !has_cap(drop, name, false);
	if (has_cap(add, name, false))
		return true;
	if (has_cap(drop, name, true))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		def |= streq(default_caps[i], name);
	return def;
}

static int check_caps(struct json_object *list, const char *flag, struct hull_error **err)
{
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		const char *c = json_object_get_string(json_object_array_get_idx(list, i));
		char name[64];
		snprintf(name, sizeof(name), "%s%s", strncasecmp(c, "CAP_", 4) ? "CAP_" : "", c);
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (strcasecmp(c, "ALL") && hull_capability_from_name(name) < 0)
			return hull_error_plain(err, EINVAL, "unknown capability '%s' in %s", c, flag);
	}
	return 0;
}

/* Docker's defaults, then --cap-add, then --cap-drop (ALL allowed in both). */
static int capabilities(struct json_object *hc, struct json_object **ret, struct hull_error **err)
{
	struct json_object *add = jget(hc, "CapAdd"), *drop = jget(hc, "CapDrop");
	struct json_object *set = json_object_new_array();
	bool privileged = jbool(hc, "Privileged");

	int r;

	if ((r = check_caps(add, "--cap-add", err)) < 0 || (r = check_caps(drop, "--cap-drop", err)) < 0) {
		json_object_put(set);
		return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(all_caps); i++)
		if (cap_wanted(add, drop, privileged, all_caps[i]))
			json_object_array_add(set, json_object_new_string(all_caps[i]));
	struct json_object *caps = json_object_new_object();
	const char *sets[] = { "bounding", "effective", "permitted" };
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		jset(caps, sets[i], i ? json_object_get(set) : set);
	*ret = caps;
	return 0;
}

/* Looks "name" up in <rootfs>/etc/passwd (or group), inside the rootfs. */
static int lookup_id(int rootfd, const char *file, const char *name, uint32_t *ret_id, uint32_t *ret_gid)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	size_t len;
	char pathbuf[64];

	int pfd = path_open_in_root(rootfd, file, false, false, NULL);
	if (pfd < 0)
		return -ENOENT;
	fd = open(path_fd(pathbuf, pfd), O_RDONLY | O_CLOEXEC);
	close(pfd);
	if (fd < 0 || path_read_fd(fd, 1 << 20, &text, &len) < 0)
		return -ENOENT;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {};
		char *p = line;
		for (int i = 0; i < 4 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (f[0] && f[2] && streq(f[0], name)) {
			*ret_id = (uint32_t)strtoul(f[2], NULL, 10);
			if (ret_gid && f[3])
				*ret_gid = (uint32_t)strtoul(f[3], NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* -u / USER: "uid", "name", "uid:gid", "name:group". */
int specgen_user(const char *rootfs, const char *user, uint32_t *ret_uid, uint32_t *ret_gid, struct hull_error **err)
{
	_cleanup_free_ char *u = strdup(user && *user ? user : "0");
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *g = strchr(u, ':');
	uint32_t uid = 0, gid = 0;

	if (g)
		*g++ = '\0';
	if (all_digits(u)) {
		/* A uid with no passwd entry runs with gid 0, as Docker. */
		uint32_t ignored;
		if (lookup_id(rootfd, "/etc/passwd", u, &ignored, &gid) < 0)
			gid = 0;
		uid = (uint32_t)strtoul(u, NULL, 10);
	} else if (lookup_id(rootfd, "/etc/passwd", u, &uid, &gid) < 0)
		return hull_error_plain(err, ENOENT, "unable to find user %s: no matching entries in passwd file", u);
	if (g) {
		if (all_digits(g))
			gid = (uint32_t)strtoul(g, NULL, 10);
		else if (lookup_id(rootfd, "/etc/group", g, &gid, NULL) < 0)
			return hull_error_plain(err, ENOENT, "unable to find group %s: no matching entries in group file", g);
	}
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

static int resolve_user(const char *rootfs, const char *user, struct json_object **ret, struct hull_error **err)
{
	uint32_t uid, gid;
	int r = specgen_user(rootfs, user, &uid, &gid, err);

	if (r < 0)
		return r;
	struct json_object *o = json_object_new_object();
	jset(o, "uid", json_object_new_int64(uid));
	jset(o, "gid", json_object_new_int64(gid));
	*ret = o;
	return 0;
}

/* The path of another container's namespace, for container:NAME modes. */
static int other_ns(const char *mode, const char *ns, char **ret, struct hull_error **err)
{
	_cleanup_free_ char *id = ctr_lookup(mode + strlen("container:"), err);
	if (!id)
		return -ENOENT;
	struct json_object *rec = ctr_load(id, err);
	if (!rec)
		return -ENOENT;
	pid_t pid = (pid_t)jint(jget(rec, "State"), "Pid");
	bool running = ctr_is_running(rec);
	json_object_put(rec);
	if (!running || pid <= 0)
		return hull_error_plain(err, EINVAL, "cannot join the %s namespace of container '%s': it is not running", ns,
					mode + strlen("container:"));
	if (asprintf(ret, "/proc/%d/ns/%s", (int)pid, ns) < 0)
		abort();
	return 0;
}

/* One namespace per mode: "" / "private" / "none" (own), "host" (none in
 * the spec), "container:NAME" (join by path). */
static int add_ns(struct json_object *nss, const char *type, const char *procname, const char *mode,
		  struct hull_error **err)
{
	struct json_object *n;

	if (streq(mode, "host"))
		return 0;
	n = json_object_new_object();
	jset(n, "type", json_object_new_string(type));
	if (mode && startswith(mode, "container:")) {
		char *path = NULL;
		int r = other_ns(mode, procname, &path, err);
		if (r < 0) {
			json_object_put(n);
			return r;
		}
		jset(n, "path", json_object_new_string(path));
		free(path);
	}
	json_object_array_add(nss, n);
	return 0;
}

static int device_numbers(const char *path, int64_t *major, int64_t *minor, char *type, struct hull_error **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return hull_error_set(err, errno, "device '%s'", path);
	/* Without type: a block device (for the blkio throttles). */
	if (!type && !S_ISBLK(st.st_mode))
		return hull_error_plain(err, EINVAL, "'%s' is not a block device", path);
	if (!S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode))
		return hull_error_plain(err, EINVAL, "'%s' is not a device", path);
	*major = major(st.st_rdev);
	*minor = minor(st.st_rdev);
	if (type)
		*type = S_ISBLK(st.st_mode) ? 'b' : 'c';
	return 0;
}

static int throttle(struct json_object *hc, const char *key, struct json_object *blkio, const char *okey,
		    struct hull_error **err)
{
	struct json_object *list = jget(hc, key), *out = NULL;

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *d;
		int64_t maj, min;
		int r = device_numbers(jstr(e, "Path"), &maj, &min, NULL, err);
		if (r < 0)
			return r;
		if (!out) {
			out = json_object_new_array();
			jset(blkio, okey, out);
		}
		d = json_object_new_object();
		jset(d, "major", json_object_new_int64(maj));
		jset(d, "minor", json_object_new_int64(min));
		jset(d, "rate", json_object_new_int64(jint(e, "Rate")));
		json_object_array_add(out, d);
	}
	return 0;
}

static struct json_object *device_entry(const char *path, char type, unsigned int maj, unsigned int min,
					int mode, int64_t uid, int64_t gid)
{
	struct json_object *d = json_object_new_object();
	char t[2] = { type, 0 };

	jset(d, "path", json_object_new_string(path));
	jset(d, "type", json_object_new_string(t));
	jset(d, "major", json_object_new_int64(maj));
	jset(d, "minor", json_object_new_int64(min));
	jset(d, "fileMode", json_object_new_int(mode));
	if (uid >= 0)
		jset(d, "uid", json_object_new_int64(uid));
	if (gid >= 0)
		jset(d, "gid", json_object_new_int64(gid));
	return d;
}

/* --privileged: every device node of the host's dir (/dev, walked down),
 * as Docker (runc's HostDevices) gives it: not the directories of other
 * filesystems or of the runtime's own (pts, shm, mqueue, fd, ...), nor
 * /dev/console, which is the container's terminal. */
static void host_devices(const char *dir, int depth, struct json_object *devs)
{
	static const char *const skip[] = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev" };
	_cleanup_closedir_ DIR *d = depth < 8 ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		bool skipped = false;

		if (streq(de->d_name, ".") || streq(de->d_name, "..") || streq(de->d_name, "console"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
				skipped |= streq(de->d_name, skip[i]);
			if (!skipped)
				host_devices(path, depth + 1, devs);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			json_object_array_add(devs, device_entry(path, S_ISBLK(st.st_mode) ? 'b' : 'c', major(st.st_rdev),
								 minor(st.st_rdev), (int)(st.st_mode & 07777), st.st_uid,
								 st.st_gid));
	}
}

static int resources(struct json_object *hc, struct json_object *lnx, struct hull_error **err)
{
	struct json_object *res = json_object_new_object(), *mem = json_object_new_object(),
			   *cpu = json_object_new_object(), *blkio = json_object_new_object(),
			   *devrules = json_object_new_array(), *devs = json_object_new_array();
	int64_t memory = jint(hc, "Memory"), swap = jint(hc, "MemorySwap");
	int r;

	jset(lnx, "resources", res);
	jset(res, "memory", mem);
	jset(res, "cpu", cpu);
	jset(res, "blockIO", blkio);
	jset(res, "devices", devrules);
	jset(lnx, "devices", devs);
	if (memory > 0) {
		jset(mem, "limit", json_object_new_int64(memory));
		/* Docker: no --memory-swap means as much swap as memory. */
		jset(mem, "swap", json_object_new_int64(swap == 0 ? 2 * memory : swap));
	} else if (swap)
		jset(mem, "swap", json_object_new_int64(swap));
	if (jint(hc, "MemoryReservation") > 0)
		jset(mem, "reservation", json_object_new_int64(jint(hc, "MemoryReservation")));
	if (jbool(hc, "OomKillDisable"))
		jset(mem, "disableOOMKiller", json_object_new_boolean(true));
	if (jint(hc, "CpuShares") > 0)
		jset(cpu, "shares", json_object_new_int64(jint(hc, "CpuShares")));
	if (jint(hc, "NanoCpus") > 0) {
		int64_t period = jint(hc, "CpuPeriod") > 0 ? jint(hc, "CpuPeriod") : 100000;
		jset(cpu, "period", json_object_new_int64(period));
		jset(cpu, "quota", json_object_new_int64(jint(hc, "NanoCpus") * period / 1000000000));
	} else {
		if (jint(hc, "CpuPeriod") > 0)
			jset(cpu, "period", json_object_new_int64(jint(hc, "CpuPeriod")));
		if (jint(hc, "CpuQuota") != 0)
			jset(cpu, "quota", json_object_new_int64(jint(hc, "CpuQuota")));
	}
	if (jstr(hc, "CpusetCpus") && *jstr(hc, "CpusetCpus"))
		jset(cpu, "cpus", json_object_new_string(jstr(hc, "CpusetCpus")));
	if (jstr(hc, "CpusetMems") && *jstr(hc, "CpusetMems"))
		jset(cpu, "mems", json_object_new_string(jstr(hc, "CpusetMems")));
	if (jint(hc, "PidsLimit") != 0) {
		struct json_object *pids = json_object_new_object();
		jset(pids, "limit", json_object_new_int64(jint(hc, "PidsLimit")));
		jset(res, "pids", pids);
	}
	if (jint(hc, "BlkioWeight") > 0)
		jset(blkio, "weight", json_object_new_int64(jint(hc, "BlkioWeight")));
	if ((r = throttle(hc, "BlkioDeviceReadBps", blkio, "throttleReadBpsDevice", err)) < 0 ||
	    (r = throttle(hc, "BlkioDeviceWriteBps", blkio, "throttleWriteBpsDevice", err)) < 0 ||
	    (r = throttle(hc, "BlkioDeviceReadIOps", blkio, "throttleReadIOPSDevice", err)) < 0 ||
	    (r = throttle(hc, "BlkioDeviceWriteIOps", blkio, "throttleWriteIOPSDevice", err)) < 0)
		return r;

	struct json_object *deny = json_object_new_object();
	jset(deny, "allow", json_object_new_boolean(jbool(hc, "Privileged")));
	jset(deny, "access", json_object_new_string("rwm"));
	json_object_array_add(devrules, deny);
	if (jbool(hc, "Privileged"))
		host_devices("/dev", 0, devs);
	struct json_object *list = jget(hc, "Devices");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *rule;
		int64_t maj, min;
		char type;
		if ((r = device_numbers(jstr(e, "PathOnHost"), &maj, &min, &type, err)) < 0)
			return r;
		char t[2] = { type, 0 };
		json_object_array_add(devs, device_entry(jstr(e, "PathInContainer"), type, (unsigned int)maj,
							 (unsigned int)min, 0666, -1, -1));
		rule = json_object_new_object();
		jset(rule, "allow", json_object_new_boolean(true));
		jset(rule, "type", json_object_new_string(t));
		jset(rule, "major", json_object_new_int64(maj));
		jset(rule, "minor", json_object_new_int64(min));
		jset(rule, "access", json_object_new_string(jstr(e, "CgroupPermissions")));
		json_object_array_add(devrules, rule);
	}
	return 0;
}

static int user_mounts(struct json_object *rec, struct json_object *mounts, struct hull_error **err)
{
	struct json_object *list = jget(rec, "Mounts"), *tmpfs = jget(jget(rec, "HostConfig"), "Tmpfs");

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct json_object *m = json_object_array_get_idx(list, i);
		const char *type = jstr(m, "Type"), *src = jstr(m, "Source"), *dst = jstr(m, "Destination");
		bool rw = jbool(m, "RW");
		if (streq(type, "tmpfs")) {
			const char *opts[] = { "rw", "nosuid", "nodev", "noexec" };
			add_mount(mounts, dst, "tmpfs", "tmpfs", opts, ARRAY_SIZE(opts));
		} else {
			const char *opts[] = { "rbind", "rprivate", rw ? "rw" : "ro" };
			struct stat st;
			if (stat(src, &st) < 0)
				return hull_error_set(err, errno, "bind source path '%s'", src);
			add_mount(mounts, dst, "bind", src, opts, ARRAY_SIZE(opts));
		}
	}
	if (!tmpfs)
		return 0;
	{
		json_object_object_foreach(tmpfs, dst, optv)
		{
			const char *extra = json_object_get_string(optv);
			const char *opts[16] = { "nosuid", "nodev", "noexec" };
			size_t n = 3;
			_cleanup_free_ char *copy = strdup(extra ? extra : "");
			char *save = NULL;
			for (char *o = strtok_r(copy, ",", &save); o && n < ARRAY_SIZE(opts); o = strtok_r(NULL, ",", &save))
				opts[n++] = o;
			add_mount(mounts, dst, "tmpfs", "tmpfs", opts, n);
		}
	}
	return 0;
}

int specgen_validate(struct json_object *rec, struct hull_error **err)
{
	struct json_object *hc = jget(rec, "HostConfig");
	const char *modes[] = { "NetworkMode", "IpcMode", "PidMode", "UTSMode" };
	int r;

	if ((r = check_caps(jget(hc, "CapAdd"), "--cap-add", err)) < 0 ||
	    (r = check_caps(jget(hc, "CapDrop"), "--cap-drop", err)) < 0)
		return r;
	/* Devices must exist now, not only when it starts. */
	const char *lists[][2] = { { "Devices", "PathOnHost" },	      { "BlkioDeviceReadBps", "Path" },
				   { "BlkioDeviceWriteBps", "Path" }, { "BlkioDeviceReadIOps", "Path" },
				   { "BlkioDeviceWriteIOps", "Path" } };
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		struct json_object *a = jget(hc, lists[l][0]);
		for (size_t i = 0; a && i < json_object_array_length(a); i++) {
			int64_t maj, min;
			char type;
			r = device_numbers(jstr(json_object_array_get_idx(a, i), lists[l][1]), &maj, &min, l ? NULL : &type,
					   err);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		const char *m = jstr(hc, modes[i]);
		if (m && startswith(m, "container:")) {
			char *id = ctr_lookup(m + strlen("container:"), err);
			if (!id)
				return -ENOENT;
			free(id);
		}
	}
	return 0;
}

char *specgen(const char *id, struct json_object *rec, struct hull_error **err)
{
	struct json_object *cfg = jget(rec, "Config"), *hc = jget(rec, "HostConfig");
	struct json_object *spec = json_object_new_object(), *proc = json_object_new_object(),
			   *root = json_object_new_object(), *mounts = json_object_new_array(),
			   *lnx = json_object_new_object(), *nss = json_object_new_array(), *caps = NULL, *user = NULL,
			   *args = json_object_new_array(), *v;
	const char *merged = jstr(jget(jget(rec, "GraphDriver"), "Data"), "MergedDir");
	bool privileged = jbool(hc, "Privileged");
	char *out = NULL;
	int r;

	jset(spec, "ociVersion", json_object_new_string("1.0.2"));
	jset(spec, "process", proc);
	jset(spec, "root", root);
	jset(spec, "mounts", mounts);
	jset(spec, "linux", lnx);

	/* process */
	jset(proc, "terminal", json_object_new_boolean(jbool(cfg, "Tty")));
	if ((r = resolve_user(merged, jstr(cfg, "User"), &user, err)) < 0)
		goto fail;
	jset(proc, "user", user);
	/* --init: hull-init, bind-mounted at /dev/init, runs the command. */
	if (jbool(hc, "Init")) {
		json_object_array_add(args, json_object_new_string("/dev/init"));
		json_object_array_add(args, json_object_new_string("--"));
	}
	json_object_array_add(args, json_object_new_string(jstr(rec, "Path")));
	v = jget(rec, "Args");
	for (size_t i = 0; v && i < json_object_array_length(v); i++)
		json_object_array_add(args, json_object_get(json_object_array_get_idx(v, i)));
	jset(proc, "args", args);
	jset(proc, "env", json_object_get(jget(cfg, "Env")));
	const char *cwd = jstr(cfg, "WorkingDir");
	jset(proc, "cwd", json_object_new_string(cwd && *cwd ? cwd : "/"));
	if ((r = capabilities(hc, &caps, err)) < 0)
		goto fail;
	jset(proc, "capabilities", caps);
	v = jget(hc, "Ulimits");
	if (v && json_object_array_length(v)) {
		struct json_object *rl = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *u = json_object_array_get_idx(v, i), *o = json_object_new_object();
			char name[64];
			snprintf(name, sizeof(name), "RLIMIT_%s", jstr(u, "Name"));
			for (char *p = name; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			jset(o, "type", json_object_new_string(name));
			jset(o, "soft", json_object_new_int64(jint(u, "Soft")));
			jset(o, "hard", json_object_new_int64(jint(u, "Hard")));
			json_object_array_add(rl, o);
		}
		jset(proc, "rlimits", rl);
	}

	jset(root, "path", json_object_new_string(merged));
	jset(root, "readonly", json_object_new_boolean(jbool(hc, "ReadonlyRootfs")));
	/* The hostname only in a uts namespace of its own. */
	if (!streq(jstr(hc, "UTSMode"), "host") && !startswith(jstr(hc, "UTSMode") ?: "", "container:"))
		jset(spec, "hostname", json_object_new_string(jstr(cfg, "Hostname")));

	/* mounts: Docker's */
	{
		const char *dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
		const char *pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" };
		const char *shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" };
		const char *mq[] = { "nosuid", "noexec", "nodev" };
		const char *sys[] = { "nosuid", "noexec", "nodev", privileged ? "rw" : "ro" };
		const char *cg[] = { "nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro" };
		add_mount(mounts, "/proc", "proc", "proc", NULL, 0);
		add_mount(mounts, "/dev", "tmpfs", "tmpfs", dev, ARRAY_SIZE(dev));
		add_mount(mounts, "/dev/pts", "devpts", "devpts", pts, ARRAY_SIZE(pts));
		if (!streq(jstr(hc, "IpcMode"), "host") && !startswith(jstr(hc, "IpcMode") ?: "", "container:"))
			add_mount(mounts, "/dev/shm", "tmpfs", "shm", shm, ARRAY_SIZE(shm));
		add_mount(mounts, "/dev/mqueue", "mqueue", "mqueue", mq, ARRAY_SIZE(mq));
		add_mount(mounts, "/sys", "sysfs", "sysfs", sys, ARRAY_SIZE(sys));
		add_mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", cg, ARRAY_SIZE(cg));
	}
	if (jbool(hc, "Init")) {
		const char *opts[] = { "bind", "ro" };
		add_mount(mounts, "/dev/init", "bind", jstr(hc, "InitPath"), opts, ARRAY_SIZE(opts));
	}
	if ((r = user_mounts(rec, mounts, err)) < 0)
		goto fail;

	/* linux */
	jset(lnx, "namespaces", nss);
	if ((r = add_ns(nss, "pid", "pid", jstr(hc, "PidMode"), err)) < 0 ||
	    (r = add_ns(nss, "network", "net", jstr(hc, "NetworkMode"), err)) < 0 ||
	    (r = add_ns(nss, "ipc", "ipc", jstr(hc, "IpcMode"), err)) < 0 ||
	    (r = add_ns(nss, "uts", "uts", jstr(hc, "UTSMode"), err)) < 0 ||
	    (r = add_ns(nss, "mount", "mnt", NULL, err)) < 0 || (r = add_ns(nss, "cgroup", "cgroup", NULL, err)) < 0)
		goto fail;
	if (!privileged) {
		jset(lnx, "maskedPaths", strs(masked_paths, ARRAY_SIZE(masked_paths)));
		jset(lnx, "readonlyPaths", strs(readonly_paths, ARRAY_SIZE(readonly_paths)));
	}
	/* libhull puts a relative path under <own cgroup>/hull/; runc puts
	 * it under its own (our) cgroup: "hull/<id>" lands at the same place. */
	if (jstr(hc, "Runtime")) {
		_cleanup_free_ char *cg = NULL;
		if (asprintf(&cg, "hull/%s", id) < 0)
			abort();
		jset(lnx, "cgroupsPath", json_object_new_string(cg));
	} else
		jset(lnx, "cgroupsPath", json_object_new_string(id));
	if ((r = resources(hc, lnx, err)) < 0)
		goto fail;

	out = strdup(json_object_to_json_string_ext(spec, ENG_JSON_PRETTY));
	json_object_put(spec);
	return out;
fail:
	json_object_put(spec);
	return NULL;
}
