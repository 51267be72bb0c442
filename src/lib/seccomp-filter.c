/* seccomp-filter.c - see seccomp-filter.h.
 *
 * libseccomp builds the filter from the profile and exports it as BPF; the
 * child then loads that program with seccomp(2) itself, so it needs neither
 * libseccomp's allocations nor the JSON after clone.  Errors name the
 * field as spec.c's do ("config.json: linux.seccomp.syscalls[2].action").
 * Sections: name tables, compiling, the cache of compiled filters, loading
 * and the notify listener hand-over.
 */
#include "seccomp-filter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "path.h"
#include "spec-internal.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

#define PROFILE "linux.seccomp"

struct hull_seccomp {
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
	unsigned short len; /* instructions in filter */
	struct sock_filter *filter;
	char *listener_path; /* with SCMP_ACT_NOTIFY: the agent's socket */
	char *listener_metadata;
};

/* ---- name tables (also what `hullrt features` lists) ---- */

enum act_kind { ACT_PLAIN, ACT_ERRNO, ACT_TRACE };

static const struct {
	const char *name;
	uint32_t action; /* for ERRNO and TRACE, without the data */
	enum act_kind kind;
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL, ACT_PLAIN },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, ACT_PLAIN },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, ACT_PLAIN },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, ACT_PLAIN },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), ACT_ERRNO },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), ACT_TRACE },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, ACT_PLAIN },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, ACT_PLAIN },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, ACT_PLAIN },
};

/* What the init itself still calls after loading the filter to hand the
 * listener fd over (sync_send, terminal_send_fd, close): notifying one of
 * them would block the init before the agent has the fd.  runc refuses
 * notify on write for the same reason. */
static const char *const notify_denied[] = { "write", "sendto", "sendmsg", "close" };

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
	const char *name;
	uint32_t arch;
} arches[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
	{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
	{ "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
	{ "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
	{ "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#ifdef SCMP_ARCH_LOONGARCH64
	{ "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
};

/* The flags of the spec.  hull loads the program itself, so what counts
 * is the kernel's support, not libseccomp's.  WAIT_KILLABLE_RECV only
 * applies to a notify listener: without SCMP_ACT_NOTIFY in the profile it
 * is dropped with a warning. */
static const struct {
	const char *name;
	unsigned int flag;
} flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

HULL_EXPORT const char *hull_seccomp_action_name(size_t i)
{
	return i < ARRAY_SIZE(actions) ? actions[i].name : NULL;
}

HULL_EXPORT const char *hull_seccomp_operator_name(size_t i)
{
	return i < ARRAY_SIZE(operators) ? operators[i].name : NULL;
}

HULL_EXPORT const char *hull_seccomp_arch_name(size_t i)
{
	return i < ARRAY_SIZE(arches) ? arches[i].name : NULL;
}

HULL_EXPORT const char *hull_seccomp_flag_name(size_t i)
{
	return i < ARRAY_SIZE(flags) ? flags[i].name : NULL;
}

/* A flag the kernel does not know fails with EINVAL before the program
 * is even read; a known one gets as far as EFAULT on the NULL program.
 * WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER. */
static bool kernel_knows_flag(unsigned int flag)
{
	if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
		flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

HULL_EXPORT bool hull_seccomp_flag_supported(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (streq(name, flags[i].name))
			return kernel_knows_flag(flags[i].flag);
	return false;
}

/* ---- compiling ---- */

struct compile_ctx {
	scmp_filter_ctx scmp;
	bool notify; /* some rule uses SCMP_ACT_NOTIFY */
	char **warnings;
	size_t n_warnings;
	struct hull_error **err;
};

static void scmp_releasep(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

__attribute__((format(printf, 2, 3))) static int warn(struct compile_ctx *c, const char *fmt, ...)
{
	char **v;
	char *msg;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return spec_oom(c->err);
	v = realloc(c->warnings, (c->n_warnings + 2) * sizeof(*v));
	if (!v) {
		free(msg);
		return spec_oom(c->err);
	}
	v[c->n_warnings++] = msg;
	v[c->n_warnings] = NULL;
	c->warnings = v;
	return 0;
}

/* Reads action <key> (and its errno <errno_key>) at <path> into *ret. */
static int parse_action(struct json_object *obj, const char *path, const char *key, const char *errno_key,
			uint32_t *ret, struct hull_error **err)
{
	_cleanup_free_ char *name = NULL;
	uint64_t data = EPERM;
	int r, has_data;

	r = spec_require(spec_get_string(obj, path, key, &name, err), path, key, err);
	if (r < 0)
		return r;
	has_data = spec_get_uint(obj, path, errno_key, UINT16_MAX, &data, err);
	if (has_data < 0)
		return has_data;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (!streq(name, actions[i].name))
			continue;
		if (actions[i].kind == ACT_PLAIN && has_data)
			return spec_error(err, path, errno_key, "is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s",
					  name);
		if (actions[i].kind == ACT_ERRNO)
			*ret = SCMP_ACT_ERRNO((uint32_t)data);
		else if (actions[i].kind == ACT_TRACE)
			*ret = SCMP_ACT_TRACE((uint32_t)data);
		else
			*ret = actions[i].action;
		return 0;
	}
	return spec_error(err, path, key, "unknown action '%s'", name);
}

static int parse_architectures(struct compile_ctx *c, struct json_object *obj)
{
	_cleanup_strv_ char **names = NULL;
	size_t n = 0;
	int r;

	r = spec_get_strv(obj, PROFILE, "architectures", &names, &n, c->err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char p[SPEC_PATH_MAX];
		size_t j;

		for (j = 0; j < ARRAY_SIZE(arches); j++)
			if (streq(names[i], arches[j].name))
				break;
		spec_path(p, sizeof(p), PROFILE, "architectures", i);
		if (j == ARRAY_SIZE(arches))
			return spec_error(c->err, p, NULL, "unknown architecture '%s'", names[i]);
		r = seccomp_arch_add(c->scmp, arches[j].arch);
		/* The native one is in every new filter already.  One of the
		 * other byte order cannot share a filter with it (EDOM), and
		 * no process here can make its syscalls: skip it. */
		if (r == -EDOM) {
			r = warn(c, "config.json: %s: %s cannot be filtered on this machine (other byte order), ignoring",
				 p, names[i]);
			if (r < 0)
				return r;
			continue;
		}
		if (r < 0 && r != -EEXIST)
			return hull_error_set(c->err, -r, "config.json: %s: cannot add architecture '%s'", p, names[i]);
	}
	return 0;
}

static int parse_flags(struct compile_ctx *c, struct json_object *obj, unsigned int *ret)
{
	_cleanup_strv_ char **names = NULL;
	size_t n = 0;
	int r;

	r = spec_get_strv(obj, PROFILE, "flags", &names, &n, c->err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char p[SPEC_PATH_MAX];
		size_t j;

		for (j = 0; j < ARRAY_SIZE(flags); j++)
			if (streq(names[i], flags[j].name))
				break;
		spec_path(p, sizeof(p), PROFILE, "flags", i);
		if (j == ARRAY_SIZE(flags))
			return spec_error(c->err, p, NULL, "unknown flag '%s'", names[i]);
		if (flags[j].flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !c->notify) {
			r = warn(c, "config.json: %s: %s only applies with SCMP_ACT_NOTIFY, ignoring", p, names[i]);
			if (r < 0)
				return r;
			continue;
		}
		if (!kernel_knows_flag(flags[j].flag))
			return hull_error_plain(c->err, EINVAL, "config.json: %s: %s is not supported by this kernel", p,
						names[i]);
		*ret |= flags[j].flag;
	}
	return 0;
}

static int parse_arg(struct json_object *obj, const char *path, struct scmp_arg_cmp *cmp, struct hull_error **err)
{
	_cleanup_free_ char *op = NULL;
	uint64_t index = 0, value = 0, value_two = 0;
	size_t i;
	int r;

	if ((r = spec_require(spec_get_uint(obj, path, "index", 5, &index, err), path, "index", err)) < 0 ||
	    (r = spec_require(spec_get_uint(obj, path, "value", UINT64_MAX, &value, err), path, "value", err)) < 0 ||
	    (r = spec_get_uint(obj, path, "valueTwo", UINT64_MAX, &value_two, err)) < 0 ||
	    (r = spec_require(spec_get_string(obj, path, "op", &op, err), path, "op", err)) < 0)
		return r;
	for (i = 0; i < ARRAY_SIZE(operators); i++)
		if (streq(op, operators[i].name))
			break;
	if (i == ARRAY_SIZE(operators))
		return spec_error(err, path, "op", "unknown operator '%s'", op);
	*cmp = (struct scmp_arg_cmp){ .arg = (unsigned int)index, .op = operators[i].op, .datum_a = value,
				      .datum_b = value_two };
	return 0;
}

/* Adds the rules of one syscalls[] entry for one syscall number.  As runc:
 * conditions on distinct arguments are ANDed in one rule; when an argument
 * is named twice, each condition becomes a rule of its own (ORed), since
 * libseccomp takes one condition per argument and rule. */
static int add_rules(struct compile_ctx *c, uint32_t act, int nr, const struct scmp_arg_cmp *cmps, size_t n)
{
	bool repeated = false;

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			repeated = repeated || cmps[i].arg == cmps[j].arg;
	if (!repeated)
		return seccomp_rule_add_array(c->scmp, act, nr, (unsigned int)n, cmps);
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add_array(c->scmp, act, nr, 1, &cmps[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_syscall(struct compile_ctx *c, struct json_object *obj, const char *path, uint32_t default_act)
{
	_cleanup_strv_ char **names = NULL;
	_cleanup_free_ struct scmp_arg_cmp *cmps = NULL;
	struct json_object *args = NULL;
	size_t n_names = 0, n_args = 0;
	uint32_t act;
	int r;

	if ((r = spec_require(spec_get_strv(obj, path, "names", &names, &n_names, c->err), path, "names", c->err)) < 0 ||
	    (r = parse_action(obj, path, "action", "errnoRet", &act, c->err)) < 0 ||
	    (r = spec_get_array(obj, path, "args", &args, c->err)) < 0)
		return r;
	if (args) {
		n_args = json_object_array_length(args);
		if (n_args > 6)
			return spec_error(c->err, path, "args", "has %zu conditions, at most 6 (one per argument)", n_args);
		cmps = calloc(n_args ? n_args : 1, sizeof(*cmps));
		if (!cmps)
			return spec_oom(c->err);
		for (size_t i = 0; i < n_args; i++) {
			char p[SPEC_PATH_MAX];
			struct json_object *a = json_object_array_get_idx(args, i);

			spec_path(p, sizeof(p), path, "args", i);
			if (!json_object_is_type(a, json_type_object))
				return spec_error(c->err, p, NULL, "must be an object");
			if ((r = parse_arg(a, p, &cmps[i], c->err)) < 0)
				return r;
		}
	}
	/* libseccomp refuses a rule whose action is the default one; it
	 * would change nothing anyway (runc skips it too). */
	if (act == default_act)
		return 0;
	if (act == SCMP_ACT_NOTIFY) {
		for (size_t i = 0; i < n_names; i++)
			for (size_t k = 0; k < ARRAY_SIZE(notify_denied); k++)
				if (streq(names[i], notify_denied[k]))
					return spec_error(c->err, path, "names",
							  "SCMP_ACT_NOTIFY cannot be used for '%s': the runtime needs it to hand the listener fd over",
							  names[i]);
		c->notify = true;
	}

	for (size_t i = 0; i < n_names; i++) {
		char p[SPEC_PATH_MAX];
		int nr = seccomp_syscall_resolve_name(names[i]);

		spec_path(p, sizeof(p), path, "names", i);
		if (nr == __NR_SCMP_ERROR) {
			r = warn(c, "config.json: %s: unknown syscall '%s', ignoring", p, names[i]);
			if (r < 0)
				return r;
			continue;
		}
		r = add_rules(c, act, nr, cmps, n_args);
		if (r < 0)
			return hull_error_set(c->err, -r, "config.json: %s: cannot add a rule for '%s'", p, names[i]);
	}
	return 0;
}

/* Exports the filter as BPF, through a memfd (libseccomp writes to an fd). */
static int export_bpf(struct compile_ctx *c, struct hull_seccomp *sc)
{
	_cleanup_close_ int fd = (int)syscall(SYS_memfd_create, "hull-seccomp", MFD_CLOEXEC);
	off_t size;
	int r;

	if (fd < 0)
		return hull_error_set(c->err, errno, "seccomp: cannot create a memfd");
	r = seccomp_export_bpf(c->scmp, fd);
	if (r < 0)
		return hull_error_set(c->err, -r, "seccomp: cannot export the filter");
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) || size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return hull_error_plain(c->err, E2BIG, "seccomp: the filter is too big (%lld bytes of BPF, at most %u instructions)",
					(long long)size, BPF_MAXINSNS);
	sc->filter = malloc((size_t)size);
	if (!sc->filter)
		return spec_oom(c->err);
	if (pread(fd, sc->filter, (size_t)size, 0) != size)
		return hull_error_set(c->err, errno ? errno : EIO, "seccomp: cannot read the exported filter");
	sc->len = (unsigned short)(size / sizeof(struct sock_filter));
	return 0;
}

/* listenerPath and listenerMetadata: used only with SCMP_ACT_NOTIFY, then
 * the path is required. */
static int parse_listener(struct compile_ctx *c, struct json_object *obj, struct hull_seccomp *sc)
{
	int r;

	if ((r = spec_get_string(obj, PROFILE, "listenerPath", &sc->listener_path, c->err)) < 0 ||
	    (r = spec_get_string(obj, PROFILE, "listenerMetadata", &sc->listener_metadata, c->err)) < 0)
		return r;
	if (!c->notify)
		return 0;
	if (!sc->listener_path || !sc->listener_path[0])
		return spec_error(c->err, PROFILE, "listenerPath", "is required with SCMP_ACT_NOTIFY");
	if (!kernel_knows_flag(SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return hull_error_plain(c->err, EINVAL, "config.json: " PROFILE ": SCMP_ACT_NOTIFY is not supported by this kernel");
	sc->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	/* TSYNC and a listener: the kernel wants failures as ESRCH then,
	 * the listener fd being the return value. */
	if (sc->flags & SECCOMP_FILTER_FLAG_TSYNC)
		sc->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	return 0;
}

static int compile(struct compile_ctx *c, struct json_object *obj, struct hull_seccomp *sc)
{
	struct json_object *syscalls = NULL;
	uint32_t default_act;
	size_t n;
	int r;

	r = parse_action(obj, PROFILE, "defaultAction", "defaultErrnoRet", &default_act, c->err);
	if (r < 0)
		return r;
	/* Every syscall of the init after loading would wait for an agent
	 * that has not got the fd yet (runc refuses it too). */
	if (default_act == SCMP_ACT_NOTIFY)
		return spec_error(c->err, PROFILE, "defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
	c->scmp = seccomp_init(default_act);
	if (!c->scmp)
		return hull_error_plain(c->err, EINVAL, "config.json: " PROFILE ".defaultAction: not supported by libseccomp or the kernel");
	/* The init sets no_new_privs itself, as process.noNewPrivileges says;
	 * optimize: a binary tree of syscall numbers, for large profiles. */
	seccomp_attr_set(c->scmp, SCMP_FLTATR_CTL_NNP, 0);
	seccomp_attr_set(c->scmp, SCMP_FLTATR_CTL_OPTIMIZE, 2);

	if ((r = parse_architectures(c, obj)) < 0)
		return r;
	r = spec_get_array(obj, PROFILE, "syscalls", &syscalls, c->err);
	if (r < 0)
		return r;
	n = syscalls ? json_object_array_length(syscalls) : 0;
	for (size_t i = 0; i < n; i++) {
		char p[SPEC_PATH_MAX];
		struct json_object *s = json_object_array_get_idx(syscalls, i);

		spec_path(p, sizeof(p), PROFILE, "syscalls", i);
		if (!json_object_is_type(s, json_type_object))
			return spec_error(c->err, p, NULL, "must be an object");
		if ((r = parse_syscall(c, s, p, default_act)) < 0)
			return r;
	}
	/* After the syscalls: WAIT_KILLABLE_RECV depends on a notify rule. */
	if ((r = parse_flags(c, obj, &sc->flags)) < 0 || (r = parse_listener(c, obj, sc)) < 0)
		return r;
	return export_bpf(c, sc);
}

HULL_EXPORT int hull_seccomp_compile(struct json_object *seccomp, struct hull_seccomp **ret, char ***ret_warnings,
				     struct hull_error **err)
{
	_cleanup_(scmp_releasep) scmp_filter_ctx scmp = NULL;
	struct compile_ctx c = { .err = err };
	struct hull_seccomp *sc;
	int r;

	*ret = NULL;
	if (ret_warnings)
		*ret_warnings = NULL;
	if (!seccomp)
		return 0;
	if (!json_object_is_type(seccomp, json_type_object))
		return spec_error(err, PROFILE, NULL, "must be an object");
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return spec_oom(err);
	r = compile(&c, seccomp, sc);
	scmp = c.scmp;
	if (r < 0) {
		hull_seccomp_free(sc);
		strv_free(c.warnings);
		return r;
	}
	*ret = sc;
	if (ret_warnings)
		*ret_warnings = c.warnings;
	else
		strv_free(c.warnings);
	return 0;
}

/* ---- the cache of compiled filters ----
 *
 * libseccomp takes tens of milliseconds on a large multi-arch profile
 * (podman's default: about 35 ms here, against a 5 ms container start), so
 * a compiled filter is kept in a file named by a hash of its key, and the
 * file holds the whole key, compared in full on a hit: a hash collision is
 * a miss, never another profile's filter.  The result depends only on the
 * key, so a hit gives back the same filter, flags and warnings.  Errors are
 * never cached.  Any problem with the cache is a miss (then a plain
 * compile); a failed write only costs the next start the compile again. */

#define CACHE_FORMAT "hull-seccomp-cache 1"
#define CACHE_MAX_SIZE (16u << 20)

/* What a compiled filter depends on: this format, libseccomp's version
 * (the BPF it makes), the native architecture, the kernel (the actions and
 * flags it knows: a known flag it lacks fails the compile) and the
 * profile. */
static char *cache_key(struct json_object *seccomp)
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	const char *json = json_object_to_json_string_ext(seccomp, JSON_C_TO_STRING_PLAIN);
	unsigned int known = kernel_knows_flag(SECCOMP_FILTER_FLAG_NEW_LISTENER) ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
	char *key;

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (kernel_knows_flag(flags[i].flag))
			known |= flags[i].flag;
	if (!json || uname(&u) < 0 ||
	    asprintf(&key, CACHE_FORMAT " %u.%u.%u %#x %s %#x\n%s", v->major, v->minor, v->micro,
		     seccomp_arch_native(), u.release, known, json) < 0)
		return NULL;
	return key;
}

/* FNV-1a, 64 bits: a file name, not a check (the key is compared whole). */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void put_blob(FILE *f, const void *p, uint32_t len)
{
	fwrite(&len, sizeof(len), 1, f);
	fwrite(p, 1, len, f);
}

/* A string as a blob with its NUL; NULL as an empty blob. */
static void put_str(FILE *f, const char *s)
{
	put_blob(f, s ? s : "", s ? (uint32_t)strlen(s) + 1 : 0);
}

static int cache_write(int dirfd, const char *name, const char *key, const struct hull_seccomp *sc, char **warnings)
{
	_cleanup_free_ char *buf = NULL;
	char tmp[64];
	size_t size = 0;
	uint32_t n = 0;
	FILE *f = open_memstream(&buf, &size);
	int fd, ok;

	if (!f)
		return -ENOMEM;
	for (char **w = warnings; w && *w; w++)
		n++;
	put_str(f, key);
	fwrite(&sc->flags, sizeof(sc->flags), 1, f);
	fwrite(&n, sizeof(n), 1, f);
	for (char **w = warnings; w && *w; w++)
		put_str(f, *w);
	put_str(f, sc->listener_path);
	put_str(f, sc->listener_metadata);
	put_blob(f, sc->filter, (uint32_t)(sc->len * sizeof(struct sock_filter)));
	if (fclose(f) != 0)
		return -ENOMEM;

	/* Written aside, then renamed: a reader sees a whole file or none. */
	snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ok = write(fd, buf, size) == (ssize_t)size;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dirfd, tmp, dirfd, name) < 0) {
		unlinkat(dirfd, tmp, 0);
		return -EIO;
	}
	return 0;
}

/* Reads the next blob at *pos of buf (size): its start and length. */
static const char *get_blob(const char *buf, size_t size, size_t *pos, uint32_t *ret_len)
{
	uint32_t len;
	const char *p;

	if (size - *pos < sizeof(len))
		return NULL;
	memcpy(&len, buf + *pos, sizeof(len));
	*pos += sizeof(len);
	if (size - *pos < len)
		return NULL;
	p = buf + *pos;
	*pos += len;
	*ret_len = len;
	return p;
}

/* A string blob (with its NUL) as a new string; an empty blob as NULL. */
static int get_str(const char *buf, size_t size, size_t *pos, char **ret)
{
	uint32_t len;
	const char *p = get_blob(buf, size, pos, &len);

	*ret = NULL;
	if (!p || (len && p[len - 1]))
		return -EBADMSG;
	if (len && !(*ret = strdup(p)))
		return -ENOMEM;
	return 0;
}

/* 0 and a filter with its warnings on a hit; a negative errno otherwise. */
static int cache_read(int dirfd, const char *name, const char *key, struct hull_seccomp **ret, char ***ret_warnings)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	_cleanup_strv_ char **warnings = NULL;
	struct hull_seccomp *sc = NULL;
	size_t size = 0, pos = 0;
	uint32_t len, n;
	const char *p;
	int r;

	if (fd < 0)
		return -errno;
	if ((r = path_read_fd(fd, CACHE_MAX_SIZE, &buf, &size)) < 0)
		return r;
	p = get_blob(buf, size, &pos, &len);
	if (!p || len != strlen(key) + 1 || memcmp(p, key, len) != 0)
		return -ESTALE; /* another key with the same hash */
	if (size - pos < sizeof(unsigned int) + sizeof(n))
		return -EBADMSG;
	if (!(sc = calloc(1, sizeof(*sc))))
		return -ENOMEM;
	memcpy(&sc->flags, buf + pos, sizeof(sc->flags));
	pos += sizeof(sc->flags);
	memcpy(&n, buf + pos, sizeof(n));
	pos += sizeof(n);
	r = n > 100000 ? -EBADMSG : 0;
	if (r == 0 && n && !(warnings = calloc(n + 1, sizeof(char *))))
		r = -ENOMEM;
	for (uint32_t i = 0; r == 0 && i < n; i++)
		if ((r = get_str(buf, size, &pos, &warnings[i])) == 0 && !warnings[i])
			r = -EBADMSG;
	if (r == 0)
		r = get_str(buf, size, &pos, &sc->listener_path);
	if (r == 0)
		r = get_str(buf, size, &pos, &sc->listener_metadata);
	if (r == 0 && (!(p = get_blob(buf, size, &pos, &len)) || len == 0 || len % sizeof(struct sock_filter) ||
		       len / sizeof(struct sock_filter) > BPF_MAXINSNS || pos != size))
		r = -EBADMSG;
	if (r == 0 && !(sc->filter = malloc(len)))
		r = -ENOMEM;
	if (r < 0) {
		hull_seccomp_free(sc);
		return r;
	}
	memcpy(sc->filter, p, len);
	sc->len = (unsigned short)(len / sizeof(struct sock_filter));
	*ret = sc;
	*ret_warnings = TAKE_PTR(warnings);
	return 0;
}

HULL_EXPORT int hull_seccomp_compile_cached(struct json_object *seccomp, const char *cache_dir,
					    struct hull_seccomp **ret, char ***ret_warnings, struct hull_error **err)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_close_ int dirfd = -1;
	char **warnings = NULL;
	char name[32];
	int r;

	if (!seccomp || !cache_dir || !json_object_is_type(seccomp, json_type_object) || !(key = cache_key(seccomp)))
		return hull_seccomp_compile(seccomp, ret, ret_warnings, err);
	snprintf(name, sizeof(name), "%016llx", (unsigned long long)fnv1a(key));
	if (path_mkdir_p(cache_dir, 0700) == 0)
		dirfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dirfd >= 0 && cache_read(dirfd, name, key, ret, &warnings) == 0) {
		if (ret_warnings)
			*ret_warnings = warnings;
		else
			strv_free(warnings);
		return 0;
	}
	r = hull_seccomp_compile(seccomp, ret, &warnings, err);
	if (r < 0)
		return r;
	if (dirfd >= 0)
		(void)cache_write(dirfd, name, key, *ret, warnings);
	if (ret_warnings)
		*ret_warnings = warnings;
	else
		strv_free(warnings);
	return 0;
}

bool hull_seccomp_equal(const struct hull_seccomp *a, const struct hull_seccomp *b)
{
	return a && b && a->flags == b->flags && a->len == b->len &&
	       memcmp(a->filter, b->filter, a->len * sizeof(struct sock_filter)) == 0 &&
	       streq(a->listener_path ? a->listener_path : "", b->listener_path ? b->listener_path : "") &&
	       streq(a->listener_metadata ? a->listener_metadata : "", b->listener_metadata ? b->listener_metadata : "");
}

HULL_EXPORT int hull_seccomp_load(const struct hull_seccomp *sc, struct hull_error **err)
{
	struct sock_fprog prog;
	long r;

	if (!sc)
		return 0;
	prog = (struct sock_fprog){ .len = sc->len, .filter = sc->filter };
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog);
	if (r < 0)
		return hull_error_set(err, errno, "cannot load the seccomp filter");
	/* With NEW_LISTENER the return value is the listener fd. */
	return (sc->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? (int)r : 0;
}

HULL_EXPORT bool hull_seccomp_notify(const struct hull_seccomp *sc)
{
	return sc && (sc->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

static bool action_kills(struct json_object *obj, const char *key)
{
	static const char *const killing[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
					       "SCMP_ACT_TRAP" };
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(killing); i++)
		if (streq(json_object_get_string(v), killing[i]))
			return true;
	return false;
}

bool hull_seccomp_profile_kills(struct json_object *seccomp)
{
	struct json_object *rules;

	if (!seccomp)
		return false;
	if (action_kills(seccomp, "defaultAction"))
		return true;
	if (json_object_object_get_ex(seccomp, "syscalls", &rules) && json_object_is_type(rules, json_type_array))
		for (size_t i = 0; i < json_object_array_length(rules); i++)
			if (action_kills(json_object_array_get_idx(rules, i), "action"))
				return true;
	return false;
}

static void json_object_putp(struct json_object **o)
{
	json_object_put(*o);
}

/* The containerProcessState of the runtime spec, with state parsed from
 * state_json (the container's state, status "creating"). */
static char *process_state_json(const struct hull_seccomp *sc, pid_t pid, const char *state_json)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	struct json_object *state = json_tokener_parse(state_json), *fds = json_object_new_array(), *v = NULL;
	const char *text;

	if (!o || !state || !fds) {
		json_object_put(state);
		json_object_put(fds);
		return NULL;
	}
	json_object_object_get_ex(state, "ociVersion", &v);
	json_object_object_add(o, "ociVersion", json_object_get(v));
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(o, "fds", fds);
	json_object_object_add(o, "pid", json_object_new_int64(pid));
	if (sc->listener_metadata)
		json_object_object_add(o, "metadata", json_object_new_string(sc->listener_metadata));
	json_object_object_add(o, "state", state);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	return text ? strdup(text) : NULL;
}

HULL_EXPORT int hull_seccomp_send_listener(const struct hull_seccomp *sc, int listener_fd, pid_t pid,
					   const char *state_json, struct hull_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int sock = -1;
	_cleanup_free_ char *text = NULL;
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	const char *path = sc->listener_path;

	if (strlen(path) >= sizeof(addr.sun_path))
		return hull_error_set(err, ENAMETOOLONG, "seccomp listener socket '%s'", path);
	text = process_state_json(sc, pid, state_json);
	if (!text)
		return hull_error_set(err, ENOMEM, "seccomp listener socket '%s'", path);
	strcpy(addr.sun_path, path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return hull_error_set(err, errno, "cannot connect to the seccomp listener socket '%s'", path);
	/* One message: the state, and the listener fd beside it. */
	iov = (struct iovec){ .iov_base = text, .iov_len = strlen(text) };
	memset(ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &listener_fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		return hull_error_set(err, errno ? errno : EIO, "cannot send to the seccomp listener socket '%s'", path);
	return 0;
}

HULL_EXPORT size_t hull_seccomp_length(const struct hull_seccomp *sc)
{
	return sc ? sc->len : 0;
}

HULL_EXPORT void hull_seccomp_free(struct hull_seccomp *sc)
{
	if (!sc)
		return;
	free(sc->filter);
	free(sc->listener_path);
	free(sc->listener_metadata);
	free(sc);
}
