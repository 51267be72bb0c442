/* cmd-update.c - `hullrt update [options] ID`: new cgroup limits for a
 * live container, from options or from a runtime-spec linux.resources
 * JSON (-r FILE, or -r - for stdin, which is how containerd calls it).
 *
 * Every value is checked before anything is written; the library then
 * writes the limits in an order the kernel accepts and puts the old ones
 * back if the kernel refuses one.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-cgroup.h"
#include "hullrt.h"
#include "spec.h"
#include "util.h"

#define RESOURCES_MAX_SIZE (1u << 20)

enum {
	OPT_BLKIO_WEIGHT = 256,
	OPT_CPU_PERIOD,
	OPT_CPU_QUOTA,
	OPT_CPU_SHARES,
	OPT_CPU_RT_PERIOD,
	OPT_CPU_RT_RUNTIME,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_KERNEL_MEMORY,
	OPT_KERNEL_MEMORY_TCP,
	OPT_MEMORY,
	OPT_MEMORY_RESERVATION,
	OPT_MEMORY_SWAP,
	OPT_PIDS_LIMIT,
};

/* A size as runc reads it (docker's RAMInBytes): a decimal number, an
 * optional space, then an optional k, m, g, t or p (any case; binary
 * multiples), an optional i and an optional b: "512", "64m", "1.5GiB",
 * "100 kb".  "-1" is "unlimited". */
static int parse_size(const char *s, int64_t *ret)
{
	static const char units[] = "kmgtp";
	const char *p = s;
	double mult = 1, v;
	char *end = NULL;

	if (streq(s, "-1")) {
		*ret = -1;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	if (p[-1] == '.' || strstr(s, ".."))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end != p)
		return -EINVAL;
	if (*p == ' ')
		p++;
	if (*p) {
		const char *u = strchr(units, *p | 0x20);
		if (u) {
			for (const char *k = units; k <= u; k++)
				mult *= 1024;
			p++;
		}
	}
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p || !isfinite(v * mult) || v * mult >= 9.2e18)
		return -EINVAL;
	*ret = (int64_t)(v * mult);
	return 0;
}

static int parse_int(const char *s, int64_t *ret)
{
	char *end = NULL;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_uint(const char *s, uint64_t *ret)
{
	char *end = NULL;

	if (*s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int bad_value(const char *opt, const char *value, const char *want)
{
	rt_error("invalid value '%s' for --%s: %s", value, opt, want);
	return 1;
}

/* The text of path ("-" = stdin), at most RESOURCES_MAX_SIZE bytes. */
static int read_input(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int own = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd = 0;

	if (!streq(path, "-")) {
		own = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (own < 0) {
			rt_error("cannot read resources from '%s': %s", path, strerror(errno));
			return 1;
		}
		fd = own;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap + 65536);
			if (!nb) {
				rt_error("cannot read resources: out of memory");
				return 1;
			}
			buf = nb;
			cap += 65536;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rt_error("cannot read resources from '%s': %s", streq(path, "-") ? "standard input" : path,
				 strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > RESOURCES_MAX_SIZE) {
			rt_error("cannot read resources from '%s': larger than %u bytes",
				 streq(path, "-") ? "standard input" : path, RESOURCES_MAX_SIZE);
			return 1;
		}
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* One limit option into res; 1 after printing an error. */
static int set_option(int c, const char *name, const char *v, struct hull_resources *res)
{
	uint64_t u;
	int64_t i;

	switch (c) {
	case OPT_MEMORY:
	case OPT_MEMORY_RESERVATION:
	case OPT_MEMORY_SWAP:
		if (parse_size(v, &i) < 0)
			return bad_value(name, v, "a size in bytes, optionally with k, m, g, t or p (e.g. 64m), or -1");
		if (c == OPT_MEMORY) {
			res->has_memory_limit = true;
			res->memory_limit = i;
		} else if (c == OPT_MEMORY_SWAP) {
			res->has_memory_swap = true;
			res->memory_swap = i;
		} else {
			res->has_memory_reservation = true;
			res->memory_reservation = i;
		}
		return 0;
	case OPT_KERNEL_MEMORY:
	case OPT_KERNEL_MEMORY_TCP:
		/* As runc: obsolete (kernel 5.4+ ignore kmem limits), ignored. */
		fprintf(stderr, "hullrt: warning: --%s is ignored (kernel memory limits are obsolete)\n", name);
		return 0;
	case OPT_CPU_SHARES:
	case OPT_CPU_PERIOD:
	case OPT_CPU_RT_PERIOD:
		if (parse_uint(v, &u) < 0)
			return bad_value(name, v, "a non-negative integer");
		if (c == OPT_CPU_SHARES) {
			res->has_cpu_shares = true;
			res->cpu_shares = u;
		} else if (c == OPT_CPU_PERIOD) {
			res->has_cpu_period = true;
			res->cpu_period = u;
		} else {
			res->has_cpu_rt_period = true;
			res->cpu_rt_period = u;
		}
		return 0;
	case OPT_CPU_QUOTA:
	case OPT_CPU_RT_RUNTIME:
		if (parse_int(v, &i) < 0 || i < -1)
			return bad_value(name, v, "an integer (microseconds), or -1 for no limit");
		if (c == OPT_CPU_QUOTA) {
			res->has_cpu_quota = true;
			res->cpu_quota = i;
		} else {
			res->has_cpu_rt_runtime = true;
			res->cpu_rt_runtime = i;
		}
		return 0;
	case OPT_CPUSET_CPUS:
	case OPT_CPUSET_MEMS: {
		char **dst = c == OPT_CPUSET_CPUS ? &res->cpu_cpus : &res->cpu_mems;
		if (v[strspn(v, "0123456789,- ")])
			return bad_value(name, v, "a list of numbers and ranges (e.g. 0-2,4)");
		free(*dst);
		*dst = strdup(v);
		if (!*dst)
			return bad_value(name, v, "out of memory");
		return 0;
	}
	case OPT_PIDS_LIMIT:
		if (parse_int(v, &i) < 0)
			return bad_value(name, v, "an integer (-1: no limit)");
		res->has_pids_limit = true;
		res->pids_limit = i < 0 ? -1 : i;
		return 0;
	case OPT_BLKIO_WEIGHT:
		if (parse_uint(v, &u) < 0 || (u && (u < 10 || u > 1000)))
			return bad_value(name, v, "an integer from 10 to 1000");
		res->has_blkio_weight = true;
		res->blkio_weight = (uint16_t)u;
		return 0;
	}
	return 1;
}

int cmd_update(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "resources", required_argument, NULL, 'r' },
		{ "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
		{ "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
		{ "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
		{ "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
		{ "cpu-share", required_argument, NULL, OPT_CPU_SHARES }, /* runc's spelling */
		{ "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
		{ "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
		{ "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
		{ "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
		{ "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
		{ "kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
		{ "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
		{ "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_resources res = { 0 };
	const char *resources = NULL, *first_option = NULL;
	const char *id;
	int c, r = 1;

	while ((c = rt_getopt("update", argc, argv, ":r:h", opts)) != -1) {
		if (c == 'h') {
			hull_resources_done(&res);
			return rt_help("update");
		}
		if (c == '?')
			goto out;
		if (c == 'r') {
			resources = optarg;
			continue;
		}
		/* the option's name, for messages */
		const char *name = NULL;
		for (size_t i = 0; opts[i].name && !name; i++)
			if (opts[i].val == c)
				name = opts[i].name;
		if (!first_option)
			first_option = name;
		if (set_option(c, name, optarg, &res))
			goto out;
	}
	id = rt_take_id("update", argc, argv, 0);
	if (!id)
		goto out;
	if (resources && first_option) {
		rt_usage_error("update", "-r/--resources cannot be combined with --%s", first_option);
		goto out;
	}
	if (resources) {
		_cleanup_free_ char *json = NULL;
		size_t len = 0;
		const char *from = streq(resources, "-") ? "standard input" : resources;

		if (read_input(resources, &json, &len))
			goto out;
		if (hull_resources_parse(json, len, &res, &err) < 0) {
			rt_error("invalid resources in %s%s%s: %s", streq(resources, "-") ? "" : "'", from,
				 streq(resources, "-") ? "" : "'", err && err->msg ? err->msg : "invalid");
			goto out;
		}
	}
	r = hull_container_update(rt.root, id, &res, &err);
	r = r < 0 ? rt_fail(err, r, "cannot update the container") : 0;
out:
	hull_resources_done(&res);
	return r;
}
