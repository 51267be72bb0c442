/* cmd-events.c - `hullrt events [--stats] [--interval D] ID`: the
 * container's resource usage and OOM kills as JSON lines, as runc prints
 * them (containerd reads these field names).
 *
 * --stats prints one {"type":"stats","id":ID,"data":{...}} and exits.
 * Otherwise a stats event every interval and an {"type":"oom","id":ID}
 * event as soon as the memory controller kills, until the container's
 * init exits (a pidfd says when), then exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "container-cgroup.h"
#include "hullrt.h"
#include "util.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

/* A Go duration ("5s", "500ms", "1m30s", "1.5h"): numbers with a unit
 * each (ns, us, µs, ms, s, m, h); "0" alone is allowed.  Nanoseconds. */
static int parse_duration(const char *s, uint64_t *ret)
{
	/* "ms" before "m": the first unit that matches is taken */
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{ "ns", 1 },   { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "\xce\xbcs", 1e3 },
		{ "ms", 1e6 }, { "s", 1e9 },  { "m", 60e9 },        { "h", 3600e9 },
	};
	double total = 0;
	const char *p = s;

	if (streq(s, "0")) {
		*ret = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		size_t n = strspn(p, "0123456789."), k;
		char num[64];

		if (n == 0 || n >= sizeof(num))
			return -EINVAL;
		memcpy(num, p, n);
		num[n] = '\0';
		if (strchr(num, '.') && strchr(strchr(num, '.') + 1, '.'))
			return -EINVAL;
		if (streq(num, "."))
			return -EINVAL;
		p += n;
		for (k = 0; k < ARRAY_SIZE(units); k++)
			if (startswith(p, units[k].unit))
				break;
		if (k == ARRAY_SIZE(units))
			return -EINVAL;
		total += strtod(num, NULL) * units[k].ns;
		p += strlen(units[k].unit);
	}
	if (!isfinite(total) || total >= 9.2e18)
		return -EINVAL;
	*ret = (uint64_t)total;
	return 0;
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static struct json_object *memory_entry(const struct hull_memory_entry *e)
{
	struct json_object *o = json_object_new_object();

	add_u64(o, "limit", e->limit);
	add_u64(o, "usage", e->usage);
	add_u64(o, "max", e->max);
	add_u64(o, "failcnt", e->failcnt);
	return o;
}

static struct json_object *blkio_list(const struct hull_blkio_entry *list, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();
		add_u64(e, "major", list[i].major);
		add_u64(e, "minor", list[i].minor);
		json_object_object_add(e, "op", json_object_new_string(list[i].op));
		add_u64(e, "value", list[i].value);
		json_object_array_add(a, e);
	}
	return a;
}

/* runc's types.Stats, with the same JSON names. */
static struct json_object *stats_json(const struct hull_cgroup_stats *s)
{
	struct json_object *data = json_object_new_object();
	struct json_object *cpu = json_object_new_object(), *usage = json_object_new_object();
	struct json_object *thr = json_object_new_object(), *percpu = json_object_new_array();
	struct json_object *mem = json_object_new_object(), *raw = json_object_new_object();
	struct json_object *pids = json_object_new_object(), *blkio = json_object_new_object();
	struct json_object *huge = json_object_new_object();

	add_u64(usage, "total", s->cpu_total);
	for (size_t i = 0; i < s->n_cpu_percpu; i++)
		json_object_array_add(percpu, json_object_new_uint64(s->cpu_percpu[i]));
	json_object_object_add(usage, "percpu", percpu);
	add_u64(usage, "kernel", s->cpu_kernel);
	add_u64(usage, "user", s->cpu_user);
	json_object_object_add(cpu, "usage", usage);
	add_u64(thr, "periods", s->cpu_periods);
	add_u64(thr, "throttledPeriods", s->cpu_throttled_periods);
	add_u64(thr, "throttledTime", s->cpu_throttled_time);
	json_object_object_add(cpu, "throttling", thr);
	json_object_object_add(data, "cpu", cpu);

	add_u64(mem, "cache", s->memory_cache);
	json_object_object_add(mem, "usage", memory_entry(&s->memory_usage));
	json_object_object_add(mem, "swap", memory_entry(&s->memory_swap));
	json_object_object_add(mem, "kernel", memory_entry(&s->memory_kernel));
	json_object_object_add(mem, "kernelTCP", memory_entry(&s->memory_kernel_tcp));
	for (size_t i = 0; i < s->n_memory_raw; i++)
		add_u64(raw, s->memory_raw[i].key, s->memory_raw[i].value);
	json_object_object_add(mem, "raw", raw);
	json_object_object_add(data, "memory", mem);

	add_u64(pids, "current", s->pids_current);
	add_u64(pids, "limit", s->pids_limit);
	json_object_object_add(data, "pids", pids);

	json_object_object_add(blkio, "ioServiceBytesRecursive", blkio_list(s->io_service_bytes, s->n_io_service_bytes));
	json_object_object_add(blkio, "ioServicedRecursive", blkio_list(s->io_serviced, s->n_io_serviced));
	json_object_object_add(data, "blkio", blkio);

	for (size_t i = 0; i < s->n_hugetlb; i++) {
		struct json_object *h = json_object_new_object();
		add_u64(h, "usage", s->hugetlb[i].usage);
		add_u64(h, "max", s->hugetlb[i].max);
		add_u64(h, "failcnt", s->hugetlb[i].failcnt);
		json_object_object_add(huge, s->hugetlb[i].page_size, h);
	}
	json_object_object_add(data, "hugetlb", huge);
	return data;
}

/* One event line on stdout; false when stdout is gone. */
static bool print_event(const char *type, const char *id, struct json_object *data)
{
	struct json_object *ev = json_object_new_object();
	bool ok;

	json_object_object_add(ev, "type", json_object_new_string(type));
	json_object_object_add(ev, "id", json_object_new_string(id));
	if (data)
		json_object_object_add(ev, "data", data);
	ok = printf("%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
								       JSON_C_TO_STRING_NOSLASHESCAPE)) >= 0 &&
	     fflush(stdout) == 0;
	json_object_put(ev);
	return ok;
}

static int print_stats(struct hull_cgroup *cg, const char *id, bool *ok)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_cgroup_stats s;
	int r = hull_cgroup_stats(cg, &s, &err);

	if (r < 0)
		return rt_fail(err, r, "cannot read the container's statistics");
	*ok = print_event("stats", id, stats_json(&s));
	hull_cgroup_stats_done(&s);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Prints an oom event if the watch counted kills. */
static bool report_oom(struct hull_oom_watch *w, const char *id)
{
	uint64_t kills = 0;

	if (!w || hull_oom_watch_check(w, &kills, NULL) < 0 || kills == 0)
		return true;
	return print_event("oom", id, NULL);
}

static int watch(struct hull_state *st, struct hull_cgroup *cg, const char *id, uint64_t interval)
{
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	struct hull_oom_watch *w = NULL;
	bool ok = true;
	int r = 0;

	if (pidfd < 0 || !hull_pid_alive(st->pid, st->pid_start))
		return 0; /* stopped already */
	/* Without a memory controller there are no OOM events, only stats. */
	if (hull_cgroup_oom_watch(cg, &w, &err) < 0)
		rt_debug("events: no OOM notification: %s", err && err->msg ? err->msg : "unknown error");
	while (ok) {
		if ((r = print_stats(cg, id, &ok)) != 0 || !ok)
			break;
		uint64_t deadline = now_ns() + interval;
		for (;;) {
			struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = w ? hull_oom_watch_fd(w) : -1,
										       .events = POLLIN } };
			uint64_t now = now_ns();

			if (now >= deadline)
				break;
			uint64_t left_ms = (deadline - now + 999999) / 1000000;
			int n = poll(p, 2, left_ms > INT32_MAX ? INT32_MAX : (int)left_ms);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r = rt_fail(NULL, -errno, "cannot wait for events");
				goto out;
			}
			if (p[1].revents && !(ok = report_oom(w, id)))
				goto out;
			if (p[0].revents) {
				/* The init is gone: the last kill may be why. */
				report_oom(w, id);
				goto out;
			}
		}
	}
out:
	hull_oom_watch_free(w);
	if (!ok && !r)
		r = 1; /* stdout closed */
	return r;
}

int cmd_events(int argc, char **argv)
{
	enum { OPT_STATS = 256, OPT_INTERVAL };
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_state *st = NULL;
	struct hull_cgroup *cg = NULL;
	uint64_t interval = 5000000000ull;
	bool stats_only = false, ok = true;
	const char *id;
	int c, r;

	while ((c = rt_getopt("events", argc, argv, ":h", opts)) != -1) {
		if (c == OPT_STATS)
			stats_only = true;
		else if (c == OPT_INTERVAL) {
			if (parse_duration(optarg, &interval) < 0 || interval == 0) {
				rt_error("invalid --interval '%s': must be a duration greater than 0 (e.g. 5s, 500ms, 1m)",
					 optarg);
				return 1;
			}
		} else if (c == 'h')
			return rt_help("events");
		else
			return 1;
	}
	id = rt_take_id("events", argc, argv, 0);
	if (!id)
		return 1;
	r = hull_container_cgroup(rt.root, id, "watch the events of", &st, &cg, &err);
	if (r < 0)
		return rt_fail(err, r, "cannot watch the container's events");
	if (stats_only)
		r = print_stats(cg, id, &ok);
	else
		r = watch(st, cg, id, interval);
	hull_cgroup_free(cg);
	hull_state_free(st);
	return r ? r : ok ? 0 : 1;
}
