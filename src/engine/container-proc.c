/* container-proc.c - what a running container holds: `top` (its
 * processes), `stats --no-stream` (its cgroup's counters), `update` (new
 * limits into its cgroup). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cmds.h"
#include "engine.h"
#include "spec.h"
#include "state.h"
#include "util.h"

/* The host's name for uid, from /etc/passwd itself (hull is linked
 * statically: no NSS), else the number, as docker top prints. */
static void user_name(long long uid, char *buf, size_t size)
{
	FILE *f = uid >= 0 ? fopen("/etc/passwd", "re") : NULL;
	struct passwd *pw;

	snprintf(buf, size, "%lld", uid);
	while (f && (pw = fgetpwent(f)))
		if ((long long)pw->pw_uid == uid) {
			snprintf(buf, size, "%s", pw->pw_name);
			break;
		}
	if (f)
		fclose(f);
}


static char *read_small(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* A running container's cgroups, as its init's /proc/<pid>/cgroup lists
 * them: the same for libhull's containers and an external runtime's. */
struct ctr_cg {
	char *lines;
	pid_t pid;
};

static int load_cgroup(const char *ref, char **ret_id, struct ctr_cg *ret)
{
	_cleanup_free_ char *id = ctr_resolve(ref);
	_cleanup_error_ struct hull_error *err = NULL;
	char path[64];

	if (!id)
		return EXIT_ENGINE;
	struct json_object *rec = ctr_load(id, &err);
	bool running = rec && ctr_is_running(rec);
	pid_t pid = (pid_t)jint(jget(rec, "State"), "Pid");
	json_object_put(rec);
	if (!running || pid <= 0)
		return eng_error("container '%s' is not running", ref);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	ret->lines = read_small(path);
	ret->pid = pid;
	if (!ret->lines)
		return eng_error("cannot read the cgroups of container '%s': %s", ref, strerror(errno));
	*ret_id = TAKE_PTR(id);
	return 0;
}

/* The directory of the container's cgroup holding controller ("" for
 * the unified hierarchy) into buf; NULL if there is none. */
static const char *cg_dir(const struct ctr_cg *cg, const char *controller, char *buf, size_t size)
{
	_cleanup_free_ char *copy = strdup(cg->lines);
	char *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		*p++ = '\0';
		const char *ctrls = c + 1;
		if (!*controller && !*ctrls) {
			bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
			snprintf(buf, size, "/sys/fs/cgroup%s%s", v2 ? "" : "/unified", streq(p, "/") ? "" : p);
			return buf;
		}
		if (!*controller || !*ctrls)
			continue;
		_cleanup_free_ char *list = strdup(ctrls);
		char *s2 = NULL;
		for (char *t = strtok_r(list, ",", &s2); t; t = strtok_r(NULL, ",", &s2))
			if (streq(t, controller)) {
				snprintf(buf, size, "/sys/fs/cgroup/%s%s", ctrls, streq(p, "/") ? "" : p);
				return buf;
			}
	}
	return NULL;
}


/* A counter of the container's cgroup: v1 <controller>/<file>, or the
 * unified hierarchy's v2 file (key: a "key value" line, or NULL). */
static long long cg_value(const struct ctr_cg *cg, const char *controller, const char *file, const char *key)
{
	char dir[4096], path[4200];

	if (!cg_dir(cg, controller, dir, sizeof(dir)) && !cg_dir(cg, "", dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	_cleanup_free_ char *text = read_small(path);
	if (!text)
		return -1;
	if (!key)
		return strncmp(text, "max", 3) == 0 ? -1 : strtoll(text, NULL, 10);
	size_t klen = strlen(key);
	for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	return -1;
}

int cmd_top(int argc, char **argv)
{
	struct ctr_cg cg = {};
	_cleanup_free_ char *id = NULL;
	char dir[4096], procs_file[4200];
	pid_t pids[4096];
	size_t n = 0;
	int c, r;

	if ((c = eng_help_only("top", argc, argv)) >= 0)
		return c;
	if (argc - optind != 1)
		return eng_usage_error("top", "requires exactly 1 argument");
	if ((r = load_cgroup(argv[optind], &id, &cg)))
		return r;
	if (cg_dir(&cg, "pids", dir, sizeof(dir)) || cg_dir(&cg, "memory", dir, sizeof(dir)) ||
	    cg_dir(&cg, "", dir, sizeof(dir))) {
		snprintf(procs_file, sizeof(procs_file), "%s/cgroup.procs", dir);
		_cleanup_fclose_ FILE *f = fopen(procs_file, "re");
		int pid;
		while (f && n < ARRAY_SIZE(pids) && fscanf(f, "%d", &pid) == 1)
			pids[n++] = pid;
	}
	free(cg.lines);
	if (n == 0)
		return eng_error("cannot list the processes of container '%s'", argv[optind]);
	printf("%-10s %-10s %-10s %s\n", "UID", "PID", "PPID", "CMD");
	for (size_t i = 0; i < n; i++) {
		char path[64], line[256];
		long long uid = -1, ppid = -1;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		FILE *f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			if (startswith(line, "Uid:"))
				uid = strtoll(line + 4, NULL, 10);
			else if (startswith(line, "PPid:"))
				ppid = strtoll(line + 5, NULL, 10);
		}
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pids[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		char buf[4096];
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (len <= 0)
			continue; /* gone, or a kernel thread */
		buf[len] = '\0';
		for (ssize_t k = 0; k < len - 1; k++)
			if (!buf[k])
				buf[k] = ' ';
		char user[64];
		user_name(uid, user, sizeof(user));
		printf("%-10s %-10d %-10lld %s\n", user, (int)pids[i], ppid, buf);
	}
	return 0;
}

static void human_bytes(long long v, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.2f%s" : "%.0f%s", d, units[u]);
}

static long long cpu_usage_ns(const struct ctr_cg *cg)
{
	long long v = cg_value(cg, "cpuacct", "cpuacct.usage", NULL);
	if (v < 0 && (v = cg_value(cg, "", "cpu.stat", "usage_usec")) >= 0)
		v *= 1000;
	return v;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-stream", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	const char *format = NULL;
	bool no_stream = false;
	int c, ret = 0;

	while ((c = eng_getopt("stats", argc, argv, "+:", opts)) != -1) {
		switch (c) {
		case 'n': no_stream = true; break;
		case 'f': format = optarg; break;
		case 'H': return eng_help("stats");
		default: return EXIT_ENGINE;
		}
	}
	if (!no_stream)
		return eng_error("stats: only --no-stream is supported");
	if (optind >= argc)
		return eng_usage_error("stats", "requires at least 1 argument (hull stats --no-stream CONTAINER...)");
	if (!format)
		printf("%-14s %-20s %-8s %-22s %-8s %s\n", "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
		       "PIDS");
	for (int i = optind; i < argc; i++) {
		struct ctr_cg cgv = {}, *cg = &cgv;
		_cleanup_free_ char *id = NULL;
		if (load_cgroup(argv[i], &id, cg)) {
			ret = EXIT_ENGINE;
			continue;
		}
		/* CPU %: usage over a short interval, per host CPU as Docker. */
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		long long u0 = cpu_usage_ns(cg);
		usleep(200000);
		long long u1 = cpu_usage_ns(cg);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double wall = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
		double cpu = u0 >= 0 && u1 >= u0 && wall > 0 ? 100.0 * (double)(u1 - u0) / wall : 0;
		long long mem = cg_value(cg, "memory", "memory.usage_in_bytes", NULL);
		if (mem < 0)
			mem = cg_value(cg, "", "memory.current", NULL);
		long long limit = cg_value(cg, "memory", "memory.limit_in_bytes", NULL);
		if (limit < 0)
			limit = cg_value(cg, "", "memory.max", NULL);
		long long total = sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
		if (limit < 0 || limit > total)
			limit = total;
		long long pids = cg_value(cg, "pids", "pids.current", NULL);
		free(cgv.lines);

		struct json_object *rec = ctr_load_raw(id, NULL);
		const char *name = jstr(rec, "Name");
		char mu[32], ml[32], usage[80], cpus[16], memp[16], shortid[13];
		human_bytes(mem < 0 ? 0 : mem, mu, sizeof(mu));
		human_bytes(limit, ml, sizeof(ml));
		snprintf(usage, sizeof(usage), "%s / %s", mu, ml);
		snprintf(cpus, sizeof(cpus), "%.2f%%", cpu);
		snprintf(memp, sizeof(memp), "%.2f%%", limit > 0 && mem > 0 ? 100.0 * (double)mem / (double)limit : 0);
		snprintf(shortid, sizeof(shortid), "%.12s", id);
		if (format) {
			struct json_object *row = json_object_new_object();
			jset(row, "ID", json_object_new_string(shortid));
			jset(row, "Name", json_object_new_string(name ? name + 1 : ""));
			jset(row, "CPUPerc", json_object_new_string(cpus));
			jset(row, "MemUsage", json_object_new_string(usage));
			jset(row, "MemPerc", json_object_new_string(memp));
			jset(row, "PIDs", json_object_new_int64(pids));
			_cleanup_free_ char *line = eng_format(format, row);
			if (line)
				printf("%s\n", line);
			json_object_put(row);
		} else
			printf("%-14s %-20s %-8s %-22s %-8s %lld\n", shortid, name ? name + 1 : "", cpus, usage, memp, pids);
		json_object_put(rec);
	}
	return ret;
}
