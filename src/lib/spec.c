/* spec.c - config.json (OCI runtime-spec 1.0 - 1.2) to struct hull_spec.
 *
 * The JSON is parsed once with json-c and translated into plain C data:
 * mount options become mount(2) flags, capability and rlimit names become
 * numbers, namespace types become CLONE_NEW* flags.  Every error names the
 * field as a JSON path ("linux.namespaces[2].type") so a user can find it.
 * linux.resources lives in spec-resources.c.
 */
#include "spec.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <time.h>

#include "error.h"
#include "path.h"
#include "spec-internal.h"
#include "syscalls.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME 7
#endif

/* config.json is read whole; a real one is a few KiB (with a big seccomp
 * profile, a few hundred).  Anything past this is not a config. */
#define SPEC_MAX_SIZE (64u << 20)

static void json_tokener_freep(struct json_tokener **t)
{
	if (*t)
		json_tokener_free(*t);
}

static void json_object_putp(struct json_object **o)
{
	json_object_put(*o);
}

static void hull_spec_freep(struct hull_spec **s)
{
	hull_spec_free(*s);
}

/* ---- JSON readers (see spec-internal.h) ---- */

const char *spec_path(char *buf, size_t size, const char *path, const char *key, size_t idx)
{
	size_t len;

	if (key && path[0])
		snprintf(buf, size, "%s.%s", path, key);
	else
		snprintf(buf, size, "%s", key ? key : path);
	len = strlen(buf);
	if (idx != SPEC_NO_INDEX && len < size)
		snprintf(buf + len, size - len, "[%zu]", idx);
	return buf;
}

int spec_error(struct hull_error **err, const char *path, const char *key, const char *fmt, ...)
{
	char p[SPEC_PATH_MAX];
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return hull_error_set(err, 0, "config.json: %s: %s", spec_path(p, sizeof(p), path, key, SPEC_NO_INDEX),
			      msg ? msg : "invalid value");
}

int spec_oom(struct hull_error **err)
{
	return hull_error_set(err, ENOMEM, "config.json");
}

struct json_object *spec_field(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

int spec_require(int r, const char *path, const char *key, struct hull_error **err)
{
	if (r == 0)
		return spec_error(err, path, key, "is required");
	return r;
}

int spec_value_string(struct json_object *v, const char *path, const char *key, char **ret, struct hull_error **err)
{
	char *s;

	if (!json_object_is_type(v, json_type_string))
		return spec_error(err, path, key, "must be a string");
	s = strdup(json_object_get_string(v));
	if (!s)
		return spec_oom(err);
	free(*ret);
	*ret = s;
	return 1;
}

int spec_value_int(struct json_object *v, const char *path, const char *key, int64_t min, int64_t max, int64_t *ret,
		   struct hull_error **err)
{
	int64_t i;

	/* Go's decoder, which runc uses, rejects 1.0 for an integer too. */
	if (!json_object_is_type(v, json_type_int))
		return spec_error(err, path, key, "must be an integer");
	i = json_object_get_int64(v);
	/* json-c clamps values above INT64_MAX; its uint64 view still has them. */
	if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return spec_error(err, path, key, "must be between %" PRId64 " and %" PRId64, min, max);
	if (i < min || i > max) {
		if (min == 0 && i < 0)
			return spec_error(err, path, key, "must not be negative");
		return spec_error(err, path, key, "must be between %" PRId64 " and %" PRId64, min, max);
	}
	*ret = i;
	return 1;
}

int spec_value_uint(struct json_object *v, const char *path, const char *key, uint64_t max, uint64_t *ret,
		    struct hull_error **err)
{
	uint64_t u;

	if (!json_object_is_type(v, json_type_int))
		return spec_error(err, path, key, "must be an integer");
	if (json_object_get_int64(v) < 0)
		return spec_error(err, path, key, "must not be negative");
	u = json_object_get_uint64(v);
	if (u > max)
		return spec_error(err, path, key, "must be at most %" PRIu64, max);
	*ret = u;
	return 1;
}

int spec_get_string(struct json_object *obj, const char *path, const char *key, char **ret, struct hull_error **err)
{
	struct json_object *v = spec_field(obj, key);

	return v ? spec_value_string(v, path, key, ret, err) : 0;
}

int spec_get_bool(struct json_object *obj, const char *path, const char *key, bool *ret, struct hull_error **err)
{
	struct json_object *v = spec_field(obj, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return spec_error(err, path, key, "must be a boolean");
	*ret = json_object_get_boolean(v);
	return 1;
}

int spec_get_int(struct json_object *obj, const char *path, const char *key, int64_t min, int64_t max, int64_t *ret,
		 struct hull_error **err)
{
	struct json_object *v = spec_field(obj, key);

	return v ? spec_value_int(v, path, key, min, max, ret, err) : 0;
}

int spec_get_uint(struct json_object *obj, const char *path, const char *key, uint64_t max, uint64_t *ret,
		  struct hull_error **err)
{
	struct json_object *v = spec_field(obj, key);

	return v ? spec_value_uint(v, path, key, max, ret, err) : 0;
}

int spec_get_object(struct json_object *obj, const char *path, const char *key, struct json_object **ret,
		    struct hull_error **err)
{
	struct json_object *v = spec_field(obj, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return spec_error(err, path, key, "must be an object");
	*ret = v;
	return 1;
}

int spec_get_array(struct json_object *obj, const char *path, const char *key, struct json_object **ret,
		   struct hull_error **err)
{
	struct json_object *v = spec_field(obj, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return spec_error(err, path, key, "must be an array");
	*ret = v;
	return 1;
}

int spec_get_object_array(struct json_object *obj, const char *path, const char *key, size_t elem_size, void *ret_items,
			  size_t *ret_n, struct json_object **ret_arr, struct hull_error **err)
{
	struct json_object *arr = NULL;
	char p[SPEC_PATH_MAX];
	size_t n;
	void *items = NULL;
	int r;

	r = spec_get_array(obj, path, key, &arr, err);
	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(arr, i), json_type_object))
			return spec_error(err, spec_path(p, sizeof(p), path, key, i), NULL, "must be an object");
	if (n > 0) {
		items = calloc(n, elem_size);
		if (!items)
			return spec_oom(err);
	}
	/* Handed over before the elements are parsed, so that a failure half
	 * way leaves the caller a zeroed tail that hull_spec_free() handles. */
	memcpy(ret_items, &items, sizeof(items));
	*ret_n = n;
	*ret_arr = arr;
	return 1;
}

int spec_get_strv(struct json_object *obj, const char *path, const char *key, char ***ret, size_t *ret_n,
		  struct hull_error **err)
{
	struct json_object *arr = NULL;
	_cleanup_strv_ char **v = NULL;
	char p[SPEC_PATH_MAX];
	size_t n;
	int r;

	r = spec_get_array(obj, path, key, &arr, err);
	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return spec_oom(err);
	for (size_t i = 0; i < n; i++) {
		r = spec_value_string(json_object_array_get_idx(arr, i), spec_path(p, sizeof(p), path, key, i), NULL,
				      &v[i], err);
		if (r < 0)
			return r;
	}
	strv_free(*ret);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 1;
}

void spec_kv_free(struct hull_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int spec_get_kv(struct json_object *obj, const char *path, const char *key, struct hull_kv **ret, size_t *ret_n,
		struct hull_error **err)
{
	struct json_object *o = NULL;
	struct hull_kv *kv;
	size_t n = 0;
	int r;

	r = spec_get_object(obj, path, key, &o, err);
	if (r <= 0)
		return r;
	kv = calloc(json_object_object_length(o) + 1, sizeof(*kv));
	if (!kv)
		return spec_oom(err);
	*ret = kv;
	json_object_object_foreach(o, k, v)
	{
		char p[SPEC_PATH_MAX], pk[SPEC_PATH_MAX];

		/* Keys such as sysctl names hold dots: quote them. */
		snprintf(pk, sizeof(pk), "%s[\"%s\"]", spec_path(p, sizeof(p), path, key, SPEC_NO_INDEX), k);
		if (!v || !json_object_is_type(v, json_type_string))
			return spec_error(err, pk, NULL, "must be a string");
		kv[n].key = strdup(k);
		kv[n].value = strdup(json_object_get_string(v));
		*ret_n = ++n;
		if (!kv[n - 1].key || !kv[n - 1].value)
			return spec_oom(err);
	}
	return 1;
}

/* An absolute path, as the spec requires of destinations and most paths. */
static int check_absolute(const char *s, const char *path, const char *key, struct hull_error **err)
{
	if (s && s[0] != '/')
		return spec_error(err, path, key, "must be an absolute path, not '%s'", s);
	return 0;
}

/* ---- name tables ---- */

static const char *const capability_names[] = {
	"CHOWN",	    "DAC_OVERRIDE",	"DAC_READ_SEARCH",  "FOWNER",	       "FSETID",
	"KILL",		    "SETGID",		"SETUID",	    "SETPCAP",	       "LINUX_IMMUTABLE",
	"NET_BIND_SERVICE", "NET_BROADCAST",	"NET_ADMIN",	    "NET_RAW",	       "IPC_LOCK",
	"IPC_OWNER",	    "SYS_MODULE",	"SYS_RAWIO",	    "SYS_CHROOT",      "SYS_PTRACE",
	"SYS_PACCT",	    "SYS_ADMIN",	"SYS_BOOT",	    "SYS_NICE",	       "SYS_RESOURCE",
	"SYS_TIME",	    "SYS_TTY_CONFIG",	"MKNOD",	    "LEASE",	       "AUDIT_WRITE",
	"AUDIT_CONTROL",    "SETFCAP",		"MAC_OVERRIDE",	    "MAC_ADMIN",       "SYSLOG",
	"WAKE_ALARM",	    "BLOCK_SUSPEND",	"AUDIT_READ",	    "PERFMON",	       "BPF",
	"CHECKPOINT_RESTORE",
};

HULL_EXPORT int hull_capability_from_name(const char *name)
{
	if (!name)
		return -1;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(capability_names); i++)
		if (strcasecmp(name, capability_names[i]) == 0)
			return (int)i;
	return -1;
}

static const struct {
	const char *name;
	int type;
} namespace_types[] = {
	{ "pid", CLONE_NEWPID },     { "network", CLONE_NEWNET },   { "mount", CLONE_NEWNS },
	{ "ipc", CLONE_NEWIPC },     { "uts", CLONE_NEWUTS },	    { "user", CLONE_NEWUSER },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

HULL_EXPORT int hull_namespace_type_from_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(namespace_types); i++)
		if (streq(name, namespace_types[i].name))
			return namespace_types[i].type;
	return -1;
}

HULL_EXPORT const char *hull_namespace_type_to_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespace_types); i++)
		if (type == namespace_types[i].type)
			return namespace_types[i].name;
	return NULL;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },	 { "INT", SIGINT },	  { "QUIT", SIGQUIT },	   { "ILL", SIGILL },
	{ "TRAP", SIGTRAP },	 { "ABRT", SIGABRT },	  { "IOT", SIGIOT },	   { "BUS", SIGBUS },
	{ "FPE", SIGFPE },	 { "KILL", SIGKILL },	  { "USR1", SIGUSR1 },	   { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	 { "PIPE", SIGPIPE },	  { "ALRM", SIGALRM },	   { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },	  { "CLD", SIGCHLD },	   { "CONT", SIGCONT },
	{ "STOP", SIGSTOP },	 { "TSTP", SIGTSTP },	  { "TTIN", SIGTTIN },	   { "TTOU", SIGTTOU },
	{ "URG", SIGURG },	 { "XCPU", SIGXCPU },	  { "XFSZ", SIGXFSZ },	   { "VTALRM", SIGVTALRM },
	{ "PROF", SIGPROF },	 { "WINCH", SIGWINCH },	  { "IO", SIGIO },	   { "POLL", SIGPOLL },
	{ "PWR", SIGPWR },	 { "SYS", SIGSYS },
};

/* A decimal number made of digits only ("+5", " 5", "5x" are not), or -1. */
static int parse_small_number(const char *s, int max)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return (int)v;
}

HULL_EXPORT int hull_signal_from_name(const char *name)
{
	int n;

	if (!name || !*name)
		return -1;
	if (isdigit((unsigned char)name[0])) {
		n = parse_small_number(name, 64);
		return n >= 1 ? n : -1;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(name, signal_names[i].name) == 0)
			return signal_names[i].sig;

	/* "RTMIN", "RTMIN+3", "RTMAX-2", as kill(1) spells real-time signals. */
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
		bool min = toupper((unsigned char)name[3]) == 'I';
		const char *rest = name + 5;
		int sig;

		if (!*rest)
			return min ? SIGRTMIN : SIGRTMAX;
		if ((min && rest[0] != '+') || (!min && rest[0] != '-'))
			return -1;
		n = parse_small_number(rest + 1, SIGRTMAX - SIGRTMIN);
		if (n < 0)
			return -1;
		sig = min ? SIGRTMIN + n : SIGRTMAX - n;
		return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
	}
	return -1;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static const struct {
	const char *name;
	unsigned long flags;
} propagation_names[] = {
	{ "private", MS_PRIVATE },	  { "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },	  { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },		  { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE },  { "runbindable", MS_UNBINDABLE | MS_REC },
};

static int propagation_from_name(const char *name, unsigned long *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(propagation_names); i++)
		if (streq(name, propagation_names[i].name)) {
			*ret = propagation_names[i].flags;
			return 0;
		}
	return -1;
}

/* ---- mounts ---- */

/* Mount options that are mount(2) flags, as runc's specconv maps them:
 * "clear" options (rw, suid, ...) take the bit off again. */
static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
	{ "defaults", false, 0 },
	{ "ro", false, MS_RDONLY },
	{ "rw", true, MS_RDONLY },
	{ "nosuid", false, MS_NOSUID },
	{ "suid", true, MS_NOSUID },
	{ "nodev", false, MS_NODEV },
	{ "dev", true, MS_NODEV },
	{ "noexec", false, MS_NOEXEC },
	{ "exec", true, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS },
	{ "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },
	{ "remount", false, MS_REMOUNT },
	{ "mand", false, MS_MANDLOCK },
	{ "nomand", true, MS_MANDLOCK },
	{ "noatime", false, MS_NOATIME },
	{ "atime", true, MS_NOATIME },
	{ "nodiratime", false, MS_NODIRATIME },
	{ "diratime", true, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME },
	{ "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME },
	{ "nostrictatime", true, MS_STRICTATIME },
	{ "bind", false, MS_BIND },
	{ "rbind", false, MS_BIND | MS_REC },
	{ "silent", false, MS_SILENT },
	{ "loud", true, MS_SILENT },
	{ "iversion", false, MS_I_VERSION },
	{ "noiversion", true, MS_I_VERSION },
	{ "lazytime", false, MS_LAZYTIME },
	{ "nolazytime", true, MS_LAZYTIME },
	{ "acl", false, MS_POSIXACL },
	{ "noacl", true, MS_POSIXACL },
	{ "nosymfollow", false, MS_NOSYMFOLLOW },
	{ "symfollow", true, MS_NOSYMFOLLOW },
};

/* The recursive options (runc's): applied to the mount and every mount
 * below it with mount_setattr(2, AT_RECURSIVE) after the mount. */

static const struct {
	const char *name;
	uint64_t set, clr;
} rec_mount_options[] = {
	{ "rro", MNT_ATTR_RDONLY, 0 },
	{ "rrw", 0, MNT_ATTR_RDONLY },
	{ "rnosuid", MNT_ATTR_NOSUID, 0 },
	{ "rsuid", 0, MNT_ATTR_NOSUID },
	{ "rnodev", MNT_ATTR_NODEV, 0 },
	{ "rdev", 0, MNT_ATTR_NODEV },
	{ "rnoexec", MNT_ATTR_NOEXEC, 0 },
	{ "rexec", 0, MNT_ATTR_NOEXEC },
	{ "rnodiratime", MNT_ATTR_NODIRATIME, 0 },
	{ "rdiratime", 0, MNT_ATTR_NODIRATIME },
	{ "rnosymfollow", MNT_ATTR_NOSYMFOLLOW, 0 },
	{ "rsymfollow", 0, MNT_ATTR_NOSYMFOLLOW },
	/* The atime mode is one field: clearing _ATIME and setting none of
	 * its bits means relatime. */
	{ "rrelatime", 0, MNT_ATTR__ATIME },
	{ "rnorelatime", 0, MNT_ATTR__ATIME },
	{ "ratime", 0, MNT_ATTR__ATIME },
	{ "rnoatime", MNT_ATTR_NOATIME, MNT_ATTR__ATIME },
	{ "rstrictatime", MNT_ATTR_STRICTATIME, MNT_ATTR__ATIME },
	{ "rnostrictatime", 0, MNT_ATTR__ATIME },
};

/* Options runc knows but hull does not act on yet; they are dropped rather
 * than handed to the filesystem as data, which would fail the mount: the
 * extensions tmpcopyup (crun/runc), idmap and ridmap (idmapped mounts,
 * which runtime-spec 1.2 expresses with mount uidMappings). */
static const char *const dropped_mount_options[] = { "tmpcopyup", "idmap", "ridmap" };

static bool option_dropped(const char *opt)
{
	for (size_t i = 0; i < ARRAY_SIZE(dropped_mount_options); i++)
		if (streq(opt, dropped_mount_options[i]))
			return true;
	return false;
}

static bool option_recursive(struct hull_mount *m, const char *opt)
{
	for (size_t i = 0; i < ARRAY_SIZE(rec_mount_options); i++)
		if (streq(opt, rec_mount_options[i].name)) {
			m->rec_attr_clr |= rec_mount_options[i].clr;
			/* Not the atime bits: changing the atime mode takes
			 * the whole _ATIME field in attr_clr (else EINVAL). */
			m->rec_attr_clr &= ~(rec_mount_options[i].set & ~MNT_ATTR__ATIME);
			m->rec_attr_set |= rec_mount_options[i].set;
			m->rec_attr_set &= ~(rec_mount_options[i].clr & ~MNT_ATTR__ATIME);
			if (rec_mount_options[i].clr & MNT_ATTR__ATIME)
				m->rec_attr_set = (m->rec_attr_set & ~MNT_ATTR__ATIME) | rec_mount_options[i].set;
			return true;
		}
	return false;
}

/* Sorts m->options into flags, propagation and data. */
static int mount_translate_options(struct hull_mount *m, struct hull_error **err)
{
	size_t data_len = 0;

	for (size_t i = 0; i < m->n_options; i++) {
		const char *opt = m->options[i];
		bool known = false;

		for (size_t j = 0; j < ARRAY_SIZE(mount_flags); j++)
			if (streq(opt, mount_flags[j].name)) {
				if (mount_flags[j].clear)
					m->flags &= ~mount_flags[j].flag;
				else
					m->flags |= mount_flags[j].flag;
				known = true;
				break;
			}
		if (streq(opt, "bind") || streq(opt, "rbind"))
			m->bind = true;
		/* Only one propagation type can be set at a time: the last wins,
		 * as it does when runc applies them in order. */
		if (!known && propagation_from_name(opt, &m->propagation) == 0)
			known = true;
		if (!known && option_recursive(m, opt))
			known = true;
		if (!known && !option_dropped(opt) && opt[0])
			data_len += strlen(opt) + 1;
	}
	if (data_len == 0)
		return 0;

	/* Second pass: what is left is filesystem data, comma-joined. */
	m->data = malloc(data_len);
	if (!m->data)
		return spec_oom(err);
	m->data[0] = '\0';
	for (size_t i = 0; i < m->n_options; i++) {
		const char *opt = m->options[i];
		unsigned long unused;
		bool known = false;

		for (size_t j = 0; j < ARRAY_SIZE(mount_flags); j++)
			known = known || streq(opt, mount_flags[j].name);
		struct hull_mount scratch = { 0 };
		if (known || propagation_from_name(opt, &unused) == 0 || option_recursive(&scratch, opt) ||
		    option_dropped(opt) || !opt[0])
			continue;
		if (m->data[0])
			strcat(m->data, ",");
		strcat(m->data, opt);
	}
	return 0;
}

static int parse_mount(struct json_object *obj, const char *path, struct hull_mount *m, struct hull_error **err)
{
	int r;

	r = spec_require(spec_get_string(obj, path, "destination", &m->destination, err), path, "destination", err);
	if (r < 0)
		return r;
	r = check_absolute(m->destination, path, "destination", err);
	if (r < 0)
		return r;
	if ((r = spec_get_string(obj, path, "source", &m->source, err)) < 0 ||
	    (r = spec_get_string(obj, path, "type", &m->type, err)) < 0 ||
	    (r = spec_get_strv(obj, path, "options", &m->options, &m->n_options, err)) < 0)
		return r;
	/* Consumers walk options without checking: give them an empty vector. */
	if (!m->options && !(m->options = calloc(1, sizeof(char *))))
		return spec_oom(err);
	m->bind = streq(m->type, "bind");
	return mount_translate_options(m, err);
}

static int parse_mounts(struct json_object *root, struct hull_spec *s, struct hull_error **err)
{
	struct json_object *arr = NULL;
	int r;

	r = spec_get_object_array(root, "", "mounts", sizeof(*s->mounts), &s->mounts, &s->n_mounts, &arr, err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < s->n_mounts; i++) {
		char p[SPEC_PATH_MAX];

		r = parse_mount(json_object_array_get_idx(arr, i), spec_path(p, sizeof(p), "", "mounts", i),
				&s->mounts[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- process ---- */

static const char *const cap_set_names[HULL_CAP__MAX] = {
	[HULL_CAP_BOUNDING] = "bounding",	  [HULL_CAP_EFFECTIVE] = "effective",
	[HULL_CAP_INHERITABLE] = "inheritable", [HULL_CAP_PERMITTED] = "permitted",
	[HULL_CAP_AMBIENT] = "ambient",
};

static int parse_capabilities(struct json_object *proc, struct hull_process *p, struct hull_error **err)
{
	const char *path = "process.capabilities";
	struct json_object *caps = NULL;
	int r;

	r = spec_get_object(proc, "process", "capabilities", &caps, err);
	if (r <= 0)
		return r;
	p->has_caps = true;
	for (int set = 0; set < HULL_CAP__MAX; set++) {
		struct json_object *arr = NULL;
		char pe[SPEC_PATH_MAX];

		r = spec_get_array(caps, path, cap_set_names[set], &arr, err);
		if (r < 0)
			return r;
		for (size_t i = 0; r > 0 && i < json_object_array_length(arr); i++) {
			struct json_object *v = json_object_array_get_idx(arr, i);
			int cap;

			spec_path(pe, sizeof(pe), path, cap_set_names[set], i);
			if (!json_object_is_type(v, json_type_string))
				return spec_error(err, pe, NULL, "must be a string");
			cap = hull_capability_from_name(json_object_get_string(v));
			if (cap < 0)
				return spec_error(err, pe, NULL, "unknown capability '%s'", json_object_get_string(v));
			p->caps[set] |= 1ULL << cap;
		}
	}
	return 0;
}

static int parse_rlimits(struct json_object *proc, struct hull_process *p, struct hull_error **err)
{
	struct json_object *arr = NULL;
	uint64_t seen = 0;
	int r;

	r = spec_get_object_array(proc, "process", "rlimits", sizeof(*p->rlimits), &p->rlimits, &p->n_rlimits, &arr,
				  err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct hull_rlimit *rl = &p->rlimits[i];
		_cleanup_free_ char *type = NULL;
		char pe[SPEC_PATH_MAX];
		bool found = false;

		spec_path(pe, sizeof(pe), "process", "rlimits", i);
		r = spec_require(spec_get_string(o, pe, "type", &type, err), pe, "type", err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < ARRAY_SIZE(rlimit_names) && !found; j++)
			if (streq(type, rlimit_names[j].name)) {
				rl->resource = rlimit_names[j].resource;
				found = true;
			}
		if (!found)
			return spec_error(err, pe, "type", "unknown rlimit '%s'", type);
		/* The spec says a runtime MUST fail on a repeated type. */
		if (seen & (1ULL << rl->resource))
			return spec_error(err, pe, "type", "duplicate rlimit '%s'", type);
		seen |= 1ULL << rl->resource;
		if ((r = spec_require(spec_get_uint(o, pe, "soft", UINT64_MAX, &rl->soft, err), pe, "soft", err)) < 0 ||
		    (r = spec_require(spec_get_uint(o, pe, "hard", UINT64_MAX, &rl->hard, err), pe, "hard", err)) < 0)
			return r;
	}
	return 0;
}

static int parse_user(struct json_object *proc, struct hull_process *p, struct hull_error **err)
{
	const char *path = "process.user";
	struct json_object *user = NULL, *arr = NULL;
	uint64_t v;
	int r;

	r = spec_get_object(proc, "process", "user", &user, err);
	if (r <= 0)
		return r;
	if ((r = spec_get_uint(user, path, "uid", UINT32_MAX, &v, err)) < 0)
		return r;
	p->uid = r ? (uint32_t)v : 0;
	if ((r = spec_get_uint(user, path, "gid", UINT32_MAX, &v, err)) < 0)
		return r;
	p->gid = r ? (uint32_t)v : 0;
	if ((r = spec_get_uint(user, path, "umask", UINT32_MAX, &v, err)) < 0)
		return r;
	p->has_umask = r > 0;
	p->umask = r ? (uint32_t)v : 0;

	r = spec_get_array(user, path, "additionalGids", &arr, err);
	if (r <= 0)
		return r;
	p->n_additional_gids = json_object_array_length(arr);
	if (p->n_additional_gids == 0)
		return 0;
	p->additional_gids = calloc(p->n_additional_gids, sizeof(*p->additional_gids));
	if (!p->additional_gids)
		return spec_oom(err);
	for (size_t i = 0; i < p->n_additional_gids; i++) {
		char pe[SPEC_PATH_MAX];

		r = spec_value_uint(json_object_array_get_idx(arr, i), spec_path(pe, sizeof(pe), path, "additionalGids", i),
				    NULL, UINT32_MAX, &v, err);
		if (r < 0)
			return r;
		p->additional_gids[i] = (uint32_t)v;
	}
	return 0;
}

/* The fields of a process object (config.json's "process", or the file
 * `exec --process` reads). */
static int parse_process_fields(struct json_object *proc, struct hull_process *p, struct hull_error **err)
{
	const char *path = "process";
	struct json_object *console = NULL, *args;
	uint64_t v;
	int64_t i;
	int r;

	if ((r = spec_get_bool(proc, path, "terminal", &p->terminal, err)) < 0 ||
	    (r = spec_get_object(proc, path, "consoleSize", &console, err)) < 0)
		return r;
	if (console) {
		if ((r = spec_get_uint(console, "process.consoleSize", "height", UINT_MAX, &v, err)) < 0)
			return r;
		p->console_height = r ? (unsigned int)v : 0;
		if ((r = spec_get_uint(console, "process.consoleSize", "width", UINT_MAX, &v, err)) < 0)
			return r;
		p->console_width = r ? (unsigned int)v : 0;
	}
	if ((r = parse_user(proc, p, err)) < 0)
		return r;

	args = spec_field(proc, "args");
	if (!args || !json_object_is_type(args, json_type_array) || json_object_array_length(args) == 0)
		return spec_error(err, path, "args", "must be a non-empty array of strings");
	if ((r = spec_get_strv(proc, path, "args", &p->args, &p->n_args, err)) < 0 ||
	    (r = spec_get_strv(proc, path, "env", &p->env, &p->n_env, err)) < 0)
		return r;
	if (!p->env && !(p->env = calloc(1, sizeof(char *))))
		return spec_oom(err);

	if ((r = spec_get_string(proc, path, "cwd", &p->cwd, err)) < 0)
		return r;
	if (!p->cwd && !(p->cwd = strdup("/")))
		return spec_oom(err);
	if ((r = check_absolute(p->cwd, path, "cwd", err)) < 0)
		return r;

	if ((r = parse_capabilities(proc, p, err)) < 0 || (r = parse_rlimits(proc, p, err)) < 0 ||
	    (r = spec_get_bool(proc, path, "noNewPrivileges", &p->no_new_privileges, err)) < 0)
		return r;
	if ((r = spec_get_int(proc, path, "oomScoreAdj", -1000, 1000, &i, err)) < 0)
		return r;
	p->has_oom_score_adj = r > 0;
	p->oom_score_adj = r ? (int)i : 0;
	/* apparmorProfile, selinuxLabel, ioPriority, scheduler, execCPUAffinity
	 * are not supported and ignored. */
	return 0;
}

static int parse_process(struct json_object *root, struct hull_spec *s, struct hull_error **err)
{
	struct json_object *proc = NULL;
	int r;

	/* Optional: "create" needs it, but a bundle for hooks-only use may not. */
	r = spec_get_object(root, "", "process", &proc, err);
	if (r <= 0)
		return r;
	s->has_process = true;
	return parse_process_fields(proc, &s->process, err);
}

/* ---- hooks ---- */

static const char *const hook_names[HULL_HOOK__MAX] = {
	[HULL_HOOK_PRESTART] = "prestart",		 [HULL_HOOK_CREATE_RUNTIME] = "createRuntime",
	[HULL_HOOK_CREATE_CONTAINER] = "createContainer", [HULL_HOOK_START_CONTAINER] = "startContainer",
	[HULL_HOOK_POSTSTART] = "poststart",		 [HULL_HOOK_POSTSTOP] = "poststop",
};

/* Every table above, read in order: what `hullrt features` lists is what
 * this parser accepts. */
HULL_EXPORT const char *hull_spec_known_name(enum hull_spec_table table, size_t i)
{
	switch (table) {
	case HULL_SPEC_NAMESPACES:
		return i < ARRAY_SIZE(namespace_types) ? namespace_types[i].name : NULL;
	case HULL_SPEC_CAPABILITIES:
		return i < ARRAY_SIZE(capability_names) ? capability_names[i] : NULL;
	case HULL_SPEC_HOOKS:
		return i < ARRAY_SIZE(hook_names) ? hook_names[i] : NULL;
	case HULL_SPEC_MOUNT_OPTIONS:
		/* The dropped options (tmpcopyup, idmap, ridmap) are accepted
		 * but not acted on: not listed. */
		if (i < ARRAY_SIZE(mount_flags))
			return mount_flags[i].name;
		i -= ARRAY_SIZE(mount_flags);
		if (i < ARRAY_SIZE(propagation_names))
			return propagation_names[i].name;
		i -= ARRAY_SIZE(propagation_names);
		return i < ARRAY_SIZE(rec_mount_options) ? rec_mount_options[i].name : NULL;
	}
	return NULL;
}

static int parse_hook(struct json_object *o, const char *path, struct hull_hook *h, struct hull_error **err)
{
	size_t n;
	int64_t t;
	int r;

	r = spec_require(spec_get_string(o, path, "path", &h->path, err), path, "path", err);
	if (r < 0 || (r = check_absolute(h->path, path, "path", err)) < 0)
		return r;
	if ((r = spec_get_strv(o, path, "args", &h->args, &n, err)) < 0 ||
	    (r = spec_get_strv(o, path, "env", &h->env, &n, err)) < 0)
		return r;
	if ((r = spec_get_int(o, path, "timeout", INT_MIN, INT_MAX, &t, err)) < 0)
		return r;
	if (r > 0 && t <= 0)
		return spec_error(err, path, "timeout", "must be greater than zero");
	h->timeout = r ? (int)t : 0;
	return 0;
}

static int parse_hooks(struct json_object *root, struct hull_spec *s, struct hull_error **err)
{
	struct json_object *hooks = NULL;
	int r;

	r = spec_get_object(root, "", "hooks", &hooks, err);
	if (r <= 0)
		return r;
	for (int k = 0; k < HULL_HOOK__MAX; k++) {
		struct json_object *arr = NULL;

		r = spec_get_object_array(hooks, "hooks", hook_names[k], sizeof(struct hull_hook), &s->hooks[k],
					  &s->n_hooks[k], &arr, err);
		if (r < 0)
			return r;
		for (size_t i = 0; r > 0 && i < s->n_hooks[k]; i++) {
			char p[SPEC_PATH_MAX];
			int q = parse_hook(json_object_array_get_idx(arr, i), spec_path(p, sizeof(p), "hooks", hook_names[k], i),
					   &s->hooks[k][i], err);
			if (q < 0)
				return q;
		}
	}
	return 0;
}

/* ---- linux ---- */

static int parse_namespaces(struct json_object *lnx, struct hull_linux *l, struct hull_error **err)
{
	struct json_object *arr = NULL;
	int seen = 0, r;

	r = spec_get_object_array(lnx, "linux", "namespaces", sizeof(*l->namespaces), &l->namespaces, &l->n_namespaces,
				  &arr, err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct hull_namespace *ns = &l->namespaces[i];
		_cleanup_free_ char *type = NULL;
		char p[SPEC_PATH_MAX];

		spec_path(p, sizeof(p), "linux", "namespaces", i);
		r = spec_require(spec_get_string(o, p, "type", &type, err), p, "type", err);
		if (r < 0)
			return r;
		ns->type = hull_namespace_type_from_name(type);
		if (ns->type < 0)
			return spec_error(err, p, "type", "unknown namespace type '%s'", type);
		if (seen & ns->type)
			return spec_error(err, p, "type", "duplicate namespace type '%s'", type);
		seen |= ns->type;
		if ((r = spec_get_string(o, p, "path", &ns->path, err)) < 0 ||
		    (r = check_absolute(ns->path, p, "path", err)) < 0)
			return r;
	}
	return 0;
}

static int parse_id_mappings(struct json_object *lnx, const char *key, struct hull_id_map **ret, size_t *ret_n,
			     struct hull_error **err)
{
	struct json_object *arr = NULL;
	int r;

	r = spec_get_object_array(lnx, "linux", key, sizeof(**ret), ret, ret_n, &arr, err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < *ret_n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		static const char *const fields[] = { "containerID", "hostID", "size" };
		uint64_t v[3];
		char p[SPEC_PATH_MAX];

		spec_path(p, sizeof(p), "linux", key, i);
		for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
			r = spec_require(spec_get_uint(o, p, fields[f], UINT32_MAX, &v[f], err), p, fields[f], err);
			if (r < 0)
				return r;
		}
		(*ret)[i] = (struct hull_id_map){ (uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2] };
	}
	return 0;
}

static int parse_devices(struct json_object *lnx, struct hull_linux *l, struct hull_error **err)
{
	struct json_object *arr = NULL;
	int r;

	r = spec_get_object_array(lnx, "linux", "devices", sizeof(*l->devices), &l->devices, &l->n_devices, &arr, err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < l->n_devices; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct hull_device *d = &l->devices[i];
		_cleanup_free_ char *type = NULL;
		char p[SPEC_PATH_MAX];
		int64_t num;
		uint64_t v;

		spec_path(p, sizeof(p), "linux", "devices", i);
		r = spec_require(spec_get_string(o, p, "type", &type, err), p, "type", err);
		if (r < 0)
			return r;
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return spec_error(err, p, "type", "unknown device type '%s' (must be c, b, u or p)", type);
		d->type = type[0];
		r = spec_require(spec_get_string(o, p, "path", &d->path, err), p, "path", err);
		if (r < 0 || (r = check_absolute(d->path, p, "path", err)) < 0)
			return r;

		/* A fifo has no device number; the others need both. */
		if ((r = spec_get_int(o, p, "major", 0, UINT32_MAX, &num, err)) < 0)
			return r;
		if (r == 0 && d->type != 'p')
			return spec_error(err, p, "major", "is required for device type '%c'", d->type);
		d->major = r ? num : 0;
		if ((r = spec_get_int(o, p, "minor", 0, UINT32_MAX, &num, err)) < 0)
			return r;
		if (r == 0 && d->type != 'p')
			return spec_error(err, p, "minor", "is required for device type '%c'", d->type);
		d->minor = r ? num : 0;

		if ((r = spec_get_uint(o, p, "fileMode", UINT32_MAX, &v, err)) < 0)
			return r;
		d->has_mode = r > 0;
		d->file_mode = r ? (uint32_t)v : 0;
		if ((r = spec_get_uint(o, p, "uid", UINT32_MAX, &v, err)) < 0)
			return r;
		d->has_uid = r > 0;
		d->uid = r ? (uint32_t)v : 0;
		if ((r = spec_get_uint(o, p, "gid", UINT32_MAX, &v, err)) < 0)
			return r;
		d->has_gid = r > 0;
		d->gid = r ? (uint32_t)v : 0;
	}
	return 0;
}

/* maskedPaths, readonlyPaths: arrays of absolute paths. */
static int parse_path_list(struct json_object *lnx, const char *key, char ***ret, size_t *ret_n,
			   struct hull_error **err)
{
	int r = spec_get_strv(lnx, "linux", key, ret, ret_n, err);

	for (size_t i = 0; r > 0 && i < *ret_n; i++) {
		char p[SPEC_PATH_MAX];

		if ((*ret)[i][0] != '/')
			return spec_error(err, spec_path(p, sizeof(p), "linux", key, i), NULL,
					  "must be an absolute path, not '%s'", (*ret)[i]);
	}
	return r < 0 ? r : 0;
}

static int parse_time_offsets(struct json_object *lnx, struct hull_linux *l, struct hull_error **err)
{
	struct json_object *offsets = NULL;
	int r;

	r = spec_get_object(lnx, "linux", "timeOffsets", &offsets, err);
	if (r <= 0)
		return r;
	l->time_offsets = calloc(json_object_object_length(offsets) + 1, sizeof(*l->time_offsets));
	if (!l->time_offsets)
		return spec_oom(err);
	json_object_object_foreach(offsets, name, o)
	{
		struct hull_time_offset *t = &l->time_offsets[l->n_time_offsets];
		char p[SPEC_PATH_MAX];
		int64_t secs = 0;
		uint64_t nsecs = 0;

		spec_path(p, sizeof(p), "linux.timeOffsets", name, SPEC_NO_INDEX);
		if (streq(name, "monotonic"))
			t->clock = CLOCK_MONOTONIC;
		else if (streq(name, "boottime"))
			t->clock = CLOCK_BOOTTIME;
		else
			return spec_error(err, p, NULL, "unknown clock '%s' (must be monotonic or boottime)", name);
		if (!o || !json_object_is_type(o, json_type_object))
			return spec_error(err, p, NULL, "must be an object");
		/* The kernel's timens_offsets takes nanoseconds below a second. */
		if ((r = spec_get_int(o, p, "secs", INT64_MIN, INT64_MAX, &secs, err)) < 0 ||
		    (r = spec_get_uint(o, p, "nanosecs", 999999999, &nsecs, err)) < 0)
			return r;
		t->secs = secs;
		t->nanosecs = (uint32_t)nsecs;
		l->n_time_offsets++;
	}
	return 0;
}

static int parse_linux(struct json_object *root, struct hull_spec *s, struct hull_error **err)
{
	struct hull_linux *l = &s->linux;
	struct json_object *lnx = NULL, *res = NULL, *seccomp;
	_cleanup_free_ char *prop = NULL;
	int r;

	r = spec_get_object(root, "", "linux", &lnx, err);
	if (r <= 0)
		return r;
	if ((r = parse_namespaces(lnx, l, err)) < 0 ||
	    (r = parse_id_mappings(lnx, "uidMappings", &l->uid_mappings, &l->n_uid_mappings, err)) < 0 ||
	    (r = parse_id_mappings(lnx, "gidMappings", &l->gid_mappings, &l->n_gid_mappings, err)) < 0 ||
	    (r = parse_devices(lnx, l, err)) < 0 ||
	    (r = spec_get_kv(lnx, "linux", "sysctl", &l->sysctl, &l->n_sysctl, err)) < 0 ||
	    (r = parse_path_list(lnx, "maskedPaths", &l->masked_paths, &l->n_masked_paths, err)) < 0 ||
	    (r = parse_path_list(lnx, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths, err)) < 0 ||
	    (r = parse_time_offsets(lnx, l, err)) < 0 ||
	    (r = spec_get_string(lnx, "linux", "cgroupsPath", &l->cgroups_path, err)) < 0)
		return r;

	/* "" means the default, as in runc's propagation table. */
	if ((r = spec_get_string(lnx, "linux", "rootfsPropagation", &prop, err)) < 0)
		return r;
	if (prop && prop[0] && propagation_from_name(prop, &l->rootfs_propagation) < 0)
		return spec_error(err, "linux", "rootfsPropagation", "unknown propagation '%s'", prop);

	if ((r = spec_get_object(lnx, "linux", "resources", &res, err)) < 0)
		return r;
	if (res) {
		l->has_resources = true;
		if ((r = spec_parse_resources(res, "linux.resources", &l->resources, err)) < 0)
			return r;
	}

	/* seccomp is compiled by seccomp.c from the JSON itself: keep it. */
	if ((r = spec_get_object(lnx, "linux", "seccomp", &seccomp, err)) < 0)
		return r;
	if (r > 0)
		l->seccomp = json_object_get(seccomp);
	/* mountLabel, intelRdt, personality, memoryPolicy, netDevices are
	 * not supported and ignored. */
	return 0;
}

/* ---- top level ---- */

/* 1.0.x, 1.1.x, 1.2.x, with an optional pre-release or build suffix
 * ("1.0.2-dev", "1.1.0-rc.1", "1.2.0+dirty"). */
static bool oci_version_supported(const char *v)
{
	if (v[0] != '1' || v[1] != '.' || v[2] < '0' || v[2] > '2')
		return false;
	v += 3;
	if (*v == '.') {
		if (!isdigit((unsigned char)v[1]))
			return false;
		for (v++; isdigit((unsigned char)*v); v++)
			;
	}
	return *v == '\0' || *v == '-' || *v == '+';
}

static int parse_spec(struct json_object *root, struct hull_spec *s, struct hull_error **err)
{
	struct json_object *rootfs = NULL;
	int r;

	r = spec_require(spec_get_string(root, "", "ociVersion", &s->oci_version, err), "", "ociVersion", err);
	if (r < 0)
		return r;
	if (!oci_version_supported(s->oci_version))
		return hull_error_set(err, 0, "config.json: ociVersion: unsupported version '%s' (hull supports 1.0 to 1.2)",
				      s->oci_version);

	r = spec_require(spec_get_object(root, "", "root", &rootfs, err), "", "root", err);
	if (r < 0)
		return r;
	r = spec_require(spec_get_string(rootfs, "root", "path", &s->root_path, err), "root", "path", err);
	if (r < 0)
		return r;
	if (!s->root_path[0])
		return spec_error(err, "root", "path", "must not be empty");
	if ((r = spec_get_bool(rootfs, "root", "readonly", &s->root_readonly, err)) < 0)
		return r;

	if ((r = parse_mounts(root, s, err)) < 0 || (r = parse_process(root, s, err)) < 0 ||
	    (r = spec_get_string(root, "", "hostname", &s->hostname, err)) < 0 ||
	    (r = spec_get_string(root, "", "domainname", &s->domainname, err)) < 0 ||
	    (r = parse_hooks(root, s, err)) < 0 ||
	    (r = spec_get_kv(root, "", "annotations", &s->annotations, &s->n_annotations, err)) < 0 ||
	    (r = parse_linux(root, s, err)) < 0)
		return r;
	/* Other top-level keys (solaris, windows, vm, zos, ...) are ignored so
	 * that newer configs still load. */
	return 0;
}

/* JSON text -> its top-level object (*ret, a reference the caller puts). */
static int parse_json_object(const char *json, size_t len, struct json_object **ret, struct hull_error **err)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_(json_object_putp) struct json_object *root = NULL;
	enum json_tokener_error jerr;
	size_t consumed;

	if (len > SPEC_MAX_SIZE)
		return hull_error_set(err, EFBIG, "config.json: larger than %u bytes", SPEC_MAX_SIZE);
	tok = json_tokener_new();
	if (!tok)
		return spec_oom(err);
	/* Strict: no trailing commas, comments or garbage after the object,
	 * which Go's decoder (runc's) would reject as well. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, json ? json : "", (int)len);
	jerr = json_tokener_get_error(tok);
	consumed = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* A top-level scalar ("null", "5") waits for more input; the
		 * terminating NUL is how json-c is told there is none. */
		root = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) != json_tokener_success)
			return hull_error_set(err, 0, "config.json: invalid JSON: unexpected end of input at offset %zu",
					      len);
		jerr = json_tokener_success;
		consumed = len;
	}
	if (jerr != json_tokener_success)
		return hull_error_set(err, 0, "config.json: invalid JSON: %s at offset %zu", json_tokener_error_desc(jerr),
				      consumed);
	for (size_t i = consumed; i < len; i++)
		if (!isspace((unsigned char)json[i]))
			return hull_error_set(err, 0, "config.json: invalid JSON: unexpected data after the end at offset %zu",
					      i);
	if (!json_object_is_type(root, json_type_object))
		return hull_error_set(err, 0, "config.json: invalid JSON: the top level must be an object");
	*ret = TAKE_PTR(root);
	return 0;
}

HULL_EXPORT int hull_spec_parse(const char *json, size_t len, struct hull_spec **ret_spec, struct hull_error **err)
{
	_cleanup_(json_object_putp) struct json_object *root = NULL;
	_cleanup_(hull_spec_freep) struct hull_spec *s = NULL;
	int r;

	r = parse_json_object(json, len, &root, err);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return spec_oom(err);
	r = parse_spec(root, s, err);
	if (r < 0)
		return r;
	*ret_spec = TAKE_PTR(s);
	return 0;
}


HULL_EXPORT int hull_spec_load(const char *bundle, struct hull_spec **ret_spec, struct hull_error **err)
{
	_cleanup_free_ char *path = NULL, *json = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0;
	int r;

	if (asprintf(&path, "%s/config.json", bundle ? bundle : ".") < 0)
		return hull_error_set(err, ENOMEM, "config.json");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hull_error_set(err, errno, "cannot open '%s'", path);
	r = path_read_fd(fd, SPEC_MAX_SIZE, &json, &len);
	if (r < 0)
		return hull_error_set(err, -r, "cannot read '%s'", path);
	return hull_spec_parse(json, len, ret_spec, err);
}

HULL_EXPORT const struct hull_namespace *hull_spec_namespace(const struct hull_spec *spec, int type)
{
	for (size_t i = 0; spec && i < spec->linux.n_namespaces; i++)
		if (spec->linux.namespaces[i].type == type)
			return &spec->linux.namespaces[i];
	return NULL;
}

static void spec_process_done(struct hull_process *p)
{
	free(p->additional_gids);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	json_object_put(p->seccomp);
}

static void spec_linux_done(struct hull_linux *l)
{
	for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; l->devices && i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	spec_kv_free(l->sysctl, l->n_sysctl);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->time_offsets);
	free(l->cgroups_path);
	spec_resources_done(&l->resources);
	json_object_put(l->seccomp);
}

HULL_EXPORT void hull_spec_free(struct hull_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	for (size_t i = 0; s->mounts && i < s->n_mounts; i++) {
		struct hull_mount *m = &s->mounts[i];

		free(m->destination);
		free(m->source);
		free(m->type);
		strv_free(m->options);
		free(m->data);
	}
	free(s->mounts);
	spec_process_done(&s->process);
	free(s->hostname);
	free(s->domainname);
	for (int k = 0; k < HULL_HOOK__MAX; k++) {
		for (size_t i = 0; s->hooks[k] && i < s->n_hooks[k]; i++) {
			free(s->hooks[k][i].path);
			strv_free(s->hooks[k][i].args);
			strv_free(s->hooks[k][i].env);
		}
		free(s->hooks[k]);
	}
	spec_kv_free(s->annotations, s->n_annotations);
	spec_linux_done(&s->linux);
	free(s);
}

/* ---- a standalone process object (exec --process FILE) ---- */

/* Messages from the shared readers start "config.json: "; for a process
 * file they name the file instead. */
static int rename_error(struct hull_error **err, int r, const char *name)
{
	const char *prefix = "config.json: ";

	if (err && *err && (*err)->msg && startswith((*err)->msg, prefix)) {
		char *msg = NULL;
		if (asprintf(&msg, "%s: %s", name, (*err)->msg + strlen(prefix)) >= 0) {
			free((*err)->msg);
			(*err)->msg = msg;
		}
	}
	return r;
}

HULL_EXPORT int hull_process_parse(const char *json, size_t len, const char *name, struct hull_process **ret,
				   struct hull_error **err)
{
	_cleanup_(json_object_putp) struct json_object *root = NULL;
	struct hull_process *p;
	int r;

	r = parse_json_object(json, len, &root, err);
	if (r < 0)
		return rename_error(err, r, name);
	p = calloc(1, sizeof(*p));
	if (!p)
		return spec_oom(err);
	r = parse_process_fields(root, p, err);
	if (r < 0) {
		hull_process_free(p);
		return rename_error(err, r, name);
	}
	*ret = p;
	return 0;
}

HULL_EXPORT int hull_process_load(const char *file, struct hull_process **ret, struct hull_error **err)
{
	_cleanup_free_ char *json = NULL, *name = NULL;
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;
	int r;

	if (fd < 0)
		return hull_error_set(err, errno, "cannot open process file '%s'", file);
	r = path_read_fd(fd, SPEC_MAX_SIZE, &json, &len);
	if (r < 0)
		return hull_error_set(err, -r, "cannot read process file '%s'", file);
	if (asprintf(&name, "process file '%s'", file) < 0)
		return spec_oom(err);
	return hull_process_parse(json, len, name, ret, err);
}

HULL_EXPORT void hull_process_free(struct hull_process *p)
{
	if (!p)
		return;
	spec_process_done(p);
	free(p);
}
