/* seccomp-filter.c - see seccomp-filter.h.
 *
 * libseccomp builds the filter from the profile and exports it as BPF; the
 * child then loads that program with seccomp(2) itself, so it needs neither
 * libseccomp's allocations nor the JSON after clone.  Errors name the
 * field as spec.c's do ("config.json: linux.seccomp.syscalls[2].action").
 */
#include "seccomp-filter.h"

#include <errno.h>
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
#include <sys/syscall.h>
#include <unistd.h>

#include "spec-internal.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

#define PROFILE "linux.seccomp"

struct hull_seccomp {
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
	unsigned short len; /* instructions in filter */
	struct sock_filter *filter;
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
};

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
 * applies to a notify listener, which hull does not make: accepted and
 * dropped with a warning. */
static const struct {
	const char *name;
	unsigned int flag;
	bool applied;
} flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, true },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, true },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, true },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, false },
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
			return flags[i].applied && kernel_knows_flag(flags[i].flag);
	return false;
}

/* ---- compiling ---- */

struct compile_ctx {
	scmp_filter_ctx scmp;
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
	if (streq(name, "SCMP_ACT_NOTIFY"))
		return spec_error(err, path, key,
				  "SCMP_ACT_NOTIFY is not supported (hull has no seccomp notify listener)");
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
		if (!flags[j].applied) {
			r = warn(c, "config.json: %s: %s only applies to a seccomp notify listener, ignoring", p, names[i]);
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

static int compile(struct compile_ctx *c, struct json_object *obj, struct hull_seccomp *sc)
{
	struct json_object *syscalls = NULL;
	uint32_t default_act;
	size_t n;
	int r;

	r = parse_action(obj, PROFILE, "defaultAction", "defaultErrnoRet", &default_act, c->err);
	if (r < 0)
		return r;
	c->scmp = seccomp_init(default_act);
	if (!c->scmp)
		return hull_error_plain(c->err, EINVAL, "config.json: " PROFILE ".defaultAction: not supported by libseccomp or the kernel");
	/* The init sets no_new_privs itself, as process.noNewPrivileges says;
	 * optimize: a binary tree of syscall numbers, for large profiles. */
	seccomp_attr_set(c->scmp, SCMP_FLTATR_CTL_NNP, 0);
	seccomp_attr_set(c->scmp, SCMP_FLTATR_CTL_OPTIMIZE, 2);

	if ((r = parse_architectures(c, obj)) < 0 || (r = parse_flags(c, obj, &sc->flags)) < 0)
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

HULL_EXPORT int hull_seccomp_load(const struct hull_seccomp *sc, struct hull_error **err)
{
	struct sock_fprog prog;

	if (!sc)
		return 0;
	prog = (struct sock_fprog){ .len = sc->len, .filter = sc->filter };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog) < 0)
		return hull_error_set(err, errno, "cannot load the seccomp filter");
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
	free(sc);
}
