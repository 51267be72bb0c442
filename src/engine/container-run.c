/* container-run.c - `hull create`, `hull run`, `hull start`: the run flags
 * into a container record, the record into a rootfs, a spec and a
 * monitor. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "engine.h"
#include "cgroup.h"
#include "path.h"
#include "state.h"
#include "container.h"
#include "spec.h"
#include "store.h"
#include "util.h"

enum {
	OPT_RM = 256, OPT_NAME, OPT_ENV_FILE, OPT_ENTRYPOINT, OPT_READ_ONLY, OPT_TMPFS, OPT_CAP_ADD, OPT_CAP_DROP,
	OPT_PRIVILEGED, OPT_ULIMIT, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT, OPT_MEMORY_SWAP, OPT_MEMORY_RESERVATION,
	OPT_CPUS, OPT_CPU_PERIOD, OPT_CPU_QUOTA, OPT_CPUSET_CPUS, OPT_CPUSET_MEMS, OPT_PIDS_LIMIT, OPT_BLKIO_WEIGHT,
	OPT_DEV_READ_BPS, OPT_DEV_WRITE_BPS, OPT_DEV_READ_IOPS, OPT_DEV_WRITE_IOPS, OPT_DEVICE, OPT_OOM_KILL_DISABLE,
	OPT_NET, OPT_IPC, OPT_PID, OPT_UTS, OPT_MOUNT, OPT_INIT, OPT_RESTART, OPT_HELP,
};

static const struct option run_opts[] = {
	{ "detach", no_argument, NULL, 'd' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "rm", no_argument, NULL, OPT_RM },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, OPT_ENV_FILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
	{ "hostname", required_argument, NULL, 'h' },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
	{ "privileged", no_argument, NULL, OPT_PRIVILEGED },
	{ "ulimit", required_argument, NULL, OPT_ULIMIT },
	{ "stop-signal", required_argument, NULL, OPT_STOP_SIGNAL },
	{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "label", required_argument, NULL, 'l' },
	{ "memory", required_argument, NULL, 'm' },
	{ "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
	{ "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "cpu-shares", required_argument, NULL, 'c' },
	{ "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
	{ "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
	{ "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
	{ "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
	{ "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
	{ "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
	{ "device-read-bps", required_argument, NULL, OPT_DEV_READ_BPS },
	{ "device-write-bps", required_argument, NULL, OPT_DEV_WRITE_BPS },
	{ "device-read-iops", required_argument, NULL, OPT_DEV_READ_IOPS },
	{ "device-write-iops", required_argument, NULL, OPT_DEV_WRITE_IOPS },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "oom-kill-disable", no_argument, NULL, OPT_OOM_KILL_DISABLE },
	{ "net", required_argument, NULL, OPT_NET },
	{ "network", required_argument, NULL, OPT_NET },
	{ "ipc", required_argument, NULL, OPT_IPC },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "uts", required_argument, NULL, OPT_UTS },
	{ "volume", required_argument, NULL, 'v' },
	{ "mount", required_argument, NULL, OPT_MOUNT },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "restart", required_argument, NULL, OPT_RESTART },
	{ "help", no_argument, NULL, OPT_HELP },
	{},
};

struct run_req {
	const char *cmd;
	bool detach, interactive, tty;
	struct json_object *rec, *config, *host;
	char **env_args; /* -e and --env-file, in order */
	size_t n_env;
	const char *name, *entrypoint, *image;
	bool entrypoint_set;
	char **vols;  /* -v */
	size_t n_vols;
	char **mounts; /* --mount */
	size_t n_mounts;
	char **args; /* after the image */
};

static void strv_push(char ***v, size_t *n, const char *s)
{
	*v = realloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = strdup(s);
	(*v)[*n] = NULL;
}

static int bad_value(const char *cmd, const char *flag, const char *value, const char *why)
{
	return eng_usage_error(cmd, "invalid argument \"%s\" for \"%s\" flag: %s", value, flag, why);
}

static void array_add(struct json_object *o, const char *key, struct json_object *v)
{
	struct json_object *a = jget(o, key);
	if (!a || !json_object_is_type(a, json_type_array)) {
		a = json_object_new_array();
		jset(o, key, a);
	}
	json_object_array_add(a, v);
}

/* --device-{read,write}-{bps,iops} DEVICE:RATE, into HostConfig.key[]. */
static const struct throttle {
	int opt;
	const char *flag, *key;
	bool bytes; /* a size like 1mb, else a number of operations */
} throttles[] = {
	{ OPT_DEV_READ_BPS, "--device-read-bps", "BlkioDeviceReadBps", true },
	{ OPT_DEV_WRITE_BPS, "--device-write-bps", "BlkioDeviceWriteBps", true },
	{ OPT_DEV_READ_IOPS, "--device-read-iops", "BlkioDeviceReadIOps", false },
	{ OPT_DEV_WRITE_IOPS, "--device-write-iops", "BlkioDeviceWriteIOps", false },
};

static const struct throttle *throttle_of(int opt)
{
	for (size_t i = 0; i < ARRAY_SIZE(throttles); i++)
		if (throttles[i].opt == opt)
			return &throttles[i];
	return NULL;
}

/* "/dev/sda:1mb" */
static int throttle_flag(struct run_req *q, const struct throttle *t, const char *v)
{
	const char *flag = t->flag;
	_cleanup_free_ char *copy = strdup(v);
	char *colon = strrchr(copy, ':');
	long long rate;

	if (!colon || colon == copy)
		return bad_value(q->cmd, flag, v, "expected DEVICE:RATE");
	*colon++ = '\0';
	if (t->bytes ? (rate = eng_parse_bytes(colon)) < 0 : !eng_parse_int(colon, 0, LLONG_MAX, &rate))
		return bad_value(q->cmd, flag, v, "invalid rate");
	struct json_object *e = json_object_new_object();
	jset(e, "Path", json_object_new_string(copy));
	jset(e, "Rate", json_object_new_int64(rate));
	array_add(q->host, t->key, e);
	return 0;
}

static int ns_mode(struct run_req *q, const char *flag, const char *key, const char *v, const char *const *ok)
{
	for (const char *const *o = ok; *o; o++)
		if (streq(v, *o)) {
			jset(q->host, key, json_object_new_string(v));
			return 0;
		}
	if (startswith(v, "container:") && v[10]) {
		jset(q->host, key, json_object_new_string(v));
		return 0;
	}
	return bad_value(q->cmd, flag, v, "expected one of the modes in --help, or container:NAME");
}

/* The flags taking a whole number in a range, into Config or HostConfig. */
static const struct int_flag {
	int opt;
	const char *flag, *key;
	long long min, max;
	const char *why;
	bool in_config;
} int_flags[] = {
	{ OPT_STOP_TIMEOUT, "--stop-timeout", "StopTimeout", -1, INT_MAX, "must be a number of seconds", true },
	{ 'c', "--cpu-shares", "CpuShares", 2, 262144, "must be a number from 2 to 262144", false },
	{ OPT_CPU_PERIOD, "--cpu-period", "CpuPeriod", 1000, 1000000,
	  "must be a number of microseconds from 1000 to 1000000", false },
	{ OPT_CPU_QUOTA, "--cpu-quota", "CpuQuota", -1, LLONG_MAX, "must be -1 or at least 1000 microseconds", false },
	{ OPT_PIDS_LIMIT, "--pids-limit", "PidsLimit", -1, LLONG_MAX, "must be a number (-1: unlimited)", false },
	{ OPT_BLKIO_WEIGHT, "--blkio-weight", "BlkioWeight", 10, 1000, "must be a number from 10 to 1000", false },
};

static const struct int_flag *int_flag_of(int opt)
{
	for (size_t i = 0; i < ARRAY_SIZE(int_flags); i++)
		if (int_flags[i].opt == opt)
			return &int_flags[i];
	return NULL;
}

static int parse_run_flags(struct run_req *q, int argc, char **argv)
{
	struct json_object *cfg = q->config, *hc = q->host;
	long long n;
	int c;

	while ((c = eng_getopt(q->cmd, argc, argv, "+:dite:w:u:h:l:m:c:v:", run_opts)) != -1) {
		const char *v = optarg;
		const struct int_flag *intf = int_flag_of(c);
		const struct throttle *thr = throttle_of(c);
		if (thr) {
			if (throttle_flag(q, thr, v))
				return EXIT_ENGINE;
			continue;
		}
		if (intf) {
			/* --cpu-quota: -1, or a quota the kernel takes (1 ms at least) */
			if (!eng_parse_int(v, intf->min, intf->max, &n) || (c == OPT_CPU_QUOTA && n >= 0 && n < 1000))
				return bad_value(q->cmd, intf->flag, v, intf->why);
			jset(intf->in_config ? cfg : hc, intf->key, json_object_new_int64(n));
			continue;
		}
		switch (c) {
		case 'd': q->detach = true; break;
		case 'i': q->interactive = true; break;
		case 't': q->tty = true; break;
		case OPT_RM: jset(hc, "AutoRemove", json_object_new_boolean(true)); break;
		case OPT_NAME: q->name = v; break;
		case 'e': strv_push(&q->env_args, &q->n_env, v); break;
		case OPT_ENV_FILE: {
			_cleanup_fclose_ FILE *f = fopen(v, "re");
			char line[8192];
			if (!f)
				return eng_error("cannot read env file '%s': %s", v, strerror(errno));
			while (fgets(line, sizeof(line), f)) {
				line[strcspn(line, "\r\n")] = '\0';
				char *s = line;
				while (*s == ' ' || *s == '\t')
					s++;
				if (*s && *s != '#')
					strv_push(&q->env_args, &q->n_env, s);
			}
			break;
		}
		case 'w':
			if (v[0] != '/')
				return bad_value(q->cmd, "--workdir", v, "the working directory must be an absolute path");
			jset(cfg, "WorkingDir", json_object_new_string(v));
			break;
		case 'u': jset(cfg, "User", json_object_new_string(v)); break;
		case OPT_ENTRYPOINT: q->entrypoint = v; q->entrypoint_set = true; break;
		case 'h': jset(cfg, "Hostname", json_object_new_string(v)); break;
		case OPT_READ_ONLY: jset(hc, "ReadonlyRootfs", json_object_new_boolean(true)); break;
		case OPT_TMPFS: {
			_cleanup_free_ char *copy = strdup(v);
			char *opts = strchr(copy, ':');
			if (opts)
				*opts++ = '\0';
			if (copy[0] != '/')
				return bad_value(q->cmd, "--tmpfs", v, "the mount point must be an absolute path");
			struct json_object *t = jget(hc, "Tmpfs");
			if (!t) {
				t = json_object_new_object();
				jset(hc, "Tmpfs", t);
			}
			jset(t, copy, json_object_new_string(opts ? opts : ""));
			break;
		}
		case OPT_CAP_ADD: array_add(hc, "CapAdd", json_object_new_string(v)); break;
		case OPT_CAP_DROP: array_add(hc, "CapDrop", json_object_new_string(v)); break;
		case OPT_PRIVILEGED: jset(hc, "Privileged", json_object_new_boolean(true)); break;
		case OPT_ULIMIT: {
			static const char *const names[] = { "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
							     "nice", "nofile", "nproc", "rss", "rtprio", "rttime",
							     "sigpending", "stack", "as" };
			_cleanup_free_ char *copy = strdup(v);
			char *eq = strchr(copy, '='), *colon;
			long long soft, hard;
			bool known = false;
			if (!eq)
				return bad_value(q->cmd, "--ulimit", v, "expected NAME=SOFT[:HARD]");
			*eq++ = '\0';
			for (size_t i = 0; i < ARRAY_SIZE(names); i++)
				known |= streq(names[i], copy);
			if (!known)
				return bad_value(q->cmd, "--ulimit", v, "unknown limit name");
			if ((colon = strchr(eq, ':')))
				*colon++ = '\0';
			if (!eng_parse_int(eq, -1, LLONG_MAX, &soft) || !eng_parse_int(colon ? colon : eq, -1, LLONG_MAX, &hard))
				return bad_value(q->cmd, "--ulimit", v, "limits must be numbers");
			if (soft > hard && hard >= 0)
				return bad_value(q->cmd, "--ulimit", v, "the soft limit exceeds the hard one");
			struct json_object *u = json_object_new_object();
			jset(u, "Name", json_object_new_string(copy));
			jset(u, "Soft", json_object_new_int64(soft));
			jset(u, "Hard", json_object_new_int64(hard));
			array_add(hc, "Ulimits", u);
			break;
		}
		case OPT_STOP_SIGNAL:
			if (hull_signal_from_name(v) < 0)
				return bad_value(q->cmd, "--stop-signal", v, "unknown signal");
			jset(cfg, "StopSignal", json_object_new_string(v));
			break;
		case 'l': {
			_cleanup_free_ char *copy = strdup(v);
			char *eq = strchr(copy, '=');
			if (eq)
				*eq++ = '\0';
			struct json_object *l = jget(cfg, "Labels");
			jset(l, copy, json_object_new_string(eq ? eq : ""));
			break;
		}
		case 'm':
			if ((n = eng_parse_bytes(v)) < 0)
				return bad_value(q->cmd, "--memory", v, "expected a size like 64m");
			if (n < 6 * 1024 * 1024)
				return bad_value(q->cmd, "--memory", v, "minimum memory limit allowed is 6MB");
			jset(hc, "Memory", json_object_new_int64(n));
			break;
		case OPT_MEMORY_SWAP:
			if (streq(v, "-1"))
				n = -1;
			else if ((n = eng_parse_bytes(v)) < 0)
				return bad_value(q->cmd, "--memory-swap", v, "expected a size like 128m, or -1");
			jset(hc, "MemorySwap", json_object_new_int64(n));
			break;
		case OPT_MEMORY_RESERVATION:
			if ((n = eng_parse_bytes(v)) < 0)
				return bad_value(q->cmd, "--memory-reservation", v, "expected a size like 32m");
			jset(hc, "MemoryReservation", json_object_new_int64(n));
			break;
		case OPT_CPUS: {
			char *end;
			double cpus = strtod(v, &end);
			long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
			if (end == v || *end || cpus <= 0)
				return bad_value(q->cmd, "--cpus", v, "expected a positive number of CPUs");
			if (cpus > (double)ncpu)
				return eng_error("range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
						 ncpu, ncpu);
			jset(hc, "NanoCpus", json_object_new_int64((int64_t)(cpus * 1e9 + 0.5)));
			break;
		}
		case OPT_CPUSET_CPUS:
		case OPT_CPUSET_MEMS:
			if (!*v || strspn(v, "0123456789,-") != strlen(v))
				return bad_value(q->cmd, c == OPT_CPUSET_CPUS ? "--cpuset-cpus" : "--cpuset-mems", v,
						 "expected a list like 0-1,3");
			jset(hc, c == OPT_CPUSET_CPUS ? "CpusetCpus" : "CpusetMems", json_object_new_string(v));
			break;
		case OPT_DEVICE: {
			_cleanup_free_ char *copy = strdup(v);
			char *f[3] = { copy, NULL, NULL }, *p = copy;
			for (int i = 1; i < 3 && (p = strchr(p, ':')); i++) {
				*p++ = '\0';
				f[i] = p;
			}
			const char *perm = "rwm", *dst = f[0];
			if (f[1] && f[2]) {
				dst = f[1];
				perm = f[2];
			} else if (f[1] && f[1][0] == '/')
				dst = f[1];
			else if (f[1])
				perm = f[1];
			if (f[0][0] != '/' || dst[0] != '/' || !*perm || strspn(perm, "rwm") != strlen(perm))
				return bad_value(q->cmd, "--device", v, "expected /dev/HOST[:/dev/CONTAINER][:rwm]");
			struct json_object *d = json_object_new_object();
			jset(d, "PathOnHost", json_object_new_string(f[0]));
			jset(d, "PathInContainer", json_object_new_string(dst));
			jset(d, "CgroupPermissions", json_object_new_string(perm));
			array_add(hc, "Devices", d);
			break;
		}
		case OPT_OOM_KILL_DISABLE: jset(hc, "OomKillDisable", json_object_new_boolean(true)); break;
		case OPT_NET: {
			static const char *const ok[] = { "none", "host", NULL };
			if (streq(v, "bridge") || streq(v, "default"))
				return eng_error("network mode '%s' is not supported yet: use none, host or container:NAME", v);
			if (ns_mode(q, "--network", "NetworkMode", v, ok))
				return EXIT_ENGINE;
			break;
		}
		case OPT_IPC: {
			static const char *const ok[] = { "private", "shareable", "host", NULL };
			if (ns_mode(q, "--ipc", "IpcMode", v, ok))
				return EXIT_ENGINE;
			break;
		}
		case OPT_PID: {
			static const char *const ok[] = { "private", "host", NULL };
			if (ns_mode(q, "--pid", "PidMode", v, ok))
				return EXIT_ENGINE;
			break;
		}
		case OPT_UTS: {
			static const char *const ok[] = { "private", "host", NULL };
			if (ns_mode(q, "--uts", "UTSMode", v, ok))
				return EXIT_ENGINE;
			break;
		}
		case 'v': strv_push(&q->vols, &q->n_vols, v); break;
		case OPT_MOUNT: strv_push(&q->mounts, &q->n_mounts, v); break;
		case OPT_INIT: jset(hc, "Init", json_object_new_boolean(true)); break;
		case OPT_RESTART: {
			_cleanup_free_ char *copy = strdup(v);
			char *colon = strchr(copy, ':');
			long long max = 0;
			if (colon)
				*colon++ = '\0';
			if (!streq(copy, "no") && !streq(copy, "always") && !streq(copy, "unless-stopped") &&
			    !streq(copy, "on-failure"))
				return bad_value(q->cmd, "--restart", v, "expected no, always, unless-stopped or on-failure[:N]");
			if (colon && (!streq(copy, "on-failure") || !eng_parse_int(colon, 0, INT_MAX, &max)))
				return bad_value(q->cmd, "--restart", v, "only on-failure takes a maximum retry count");
			struct json_object *rp = json_object_new_object();
			jset(rp, "Name", json_object_new_string(copy));
			jset(rp, "MaximumRetryCount", json_object_new_int((int)max));
			jset(hc, "RestartPolicy", rp);
			break;
		}
		case OPT_HELP:
			return eng_help(q->cmd) - 1; /* -1: done */
		default:
			return EXIT_ENGINE;
		}
	}
	if (optind >= argc)
		return eng_usage_error(q->cmd, streq(q->cmd, "update") ? "requires at least 1 argument (a container)"
								     : "requires at least 1 argument (the image)");
	q->image = argv[optind];
	q->args = argv + optind + 1;
	if (jbool(hc, "AutoRemove") && strcmp(jstr(jget(hc, "RestartPolicy"), "Name") ?: "no", "no") != 0)
		return eng_error("conflicting options: --restart and --rm");
	if (streq(q->cmd, "create") && q->detach)
		return eng_usage_error(q->cmd, "unknown shorthand flag: 'd' in -d");
	return 0;
}

/* Sets KEY=VALUE in env (replacing KEY). */
static void env_set(struct json_object *env, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (strncmp(e, kv, klen) == 0 && e[klen] == '=') {
			json_object_array_put_idx(env, i, json_object_new_string(kv));
			return;
		}
	}
	json_object_array_add(env, json_object_new_string(kv));
}

static bool env_has(struct json_object *env, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (strncmp(e, key, klen) == 0 && e[klen] == '=')
			return true;
	}
	return false;
}

static void req_free(struct run_req *q)
{
	strv_free(q->env_args);
	strv_free(q->vols);
	strv_free(q->mounts);
	json_object_put(q->rec);
}

/* Builds and saves the record and the rootfs dirs; returns 0 and the id,
 * or an exit status after printing the error (nothing left behind). */
static int create_container(struct run_req *q, char **ret_id)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct image *img = NULL;
	char id[65];
	int r;

	if (q->name && !ctr_valid_name(q->name))
		return eng_error("invalid container name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", q->name);
	if ((r = specgen_validate(q->rec, &err)) < 0)
		return eng_fail(err, r, "invalid container configuration");
	r = eng_image_get(q->image, &img, &err);
	if (r < 0)
		return eng_fail(err, r, "cannot find the image");

	struct json_object *rec = q->rec, *cfg = q->config, *hc = q->host;
	struct json_object *env = json_object_new_array(), *args = json_object_new_array();
	_cleanup_free_ char *name = NULL;

	eng_random_hex(id, 32);
	/* Path and Args: the entrypoint, then the command. */
	if (q->entrypoint_set) {
		if (*q->entrypoint)
			json_object_array_add(args, json_object_new_string(q->entrypoint));
	} else
		for (char **e = img->entrypoint; e && *e; e++)
			json_object_array_add(args, json_object_new_string(*e));
	if (q->args[0])
		for (char **a = q->args; *a; a++)
			json_object_array_add(args, json_object_new_string(*a));
	else if (!q->entrypoint_set)
		for (char **a = img->cmd; a && *a; a++)
			json_object_array_add(args, json_object_new_string(*a));
	if (json_object_array_length(args) == 0) {
		json_object_put(env);
		json_object_put(args);
		image_free(img);
		return eng_error("no command specified: the image has none and none was given");
	}

	/* Env: the image's, PATH if it has none, HOSTNAME, TERM, then -e. */
	for (char **e = img->env; e && *e; e++)
		env_set(env, *e);
	if (!env_has(env, "PATH"))
		env_set(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (!jstr(cfg, "Hostname")) {
		char shortid[13];
		snprintf(shortid, sizeof(shortid), "%.12s", id);
		jset(cfg, "Hostname", json_object_new_string(shortid));
	}
	{
		_cleanup_free_ char *h = NULL;
		if (asprintf(&h, "HOSTNAME=%s", jstr(cfg, "Hostname")) < 0)
			abort();
		env_set(env, h);
	}
	if (q->tty)
		env_set(env, "TERM=xterm");
	for (size_t i = 0; i < q->n_env; i++) {
		const char *e = q->env_args[i];
		if (strchr(e, '='))
			env_set(env, e);
		else if (getenv(e)) {
			_cleanup_free_ char *kv = NULL;
			if (asprintf(&kv, "%s=%s", e, getenv(e)) < 0)
				abort();
			env_set(env, kv);
		}
	}

	jset(cfg, "Env", env);
	jset(cfg, "Cmd", q->args[0] ? jstrv(q->args) : jstrv(img->cmd));
	jset(cfg, "Entrypoint", q->entrypoint_set ? (*q->entrypoint ? json_object_new_string(q->entrypoint) : NULL)
						  : jstrv(img->entrypoint));
	jset(cfg, "Image", json_object_new_string(q->image));
	/* The image's labels, under those given with -l. */
	for (char **l = img->labels; l && *l; l++) {
		_cleanup_free_ char *k = strndup(*l, strcspn(*l, "="));
		const char *eq = strchr(*l, '=');
		if (!jget(jget(cfg, "Labels"), k))
			jset(jget(cfg, "Labels"), k, json_object_new_string(eq ? eq + 1 : ""));
	}
	if (!jstr(cfg, "WorkingDir"))
		jset(cfg, "WorkingDir", json_object_new_string(img->workdir ? img->workdir : ""));
	if (!jstr(cfg, "User"))
		jset(cfg, "User", json_object_new_string(img->user ? img->user : ""));
	if (!jstr(cfg, "StopSignal"))
		jset(cfg, "StopSignal", json_object_new_string(img->stop_signal ? img->stop_signal : "SIGTERM"));
	jset(cfg, "Tty", json_object_new_boolean(q->tty));
	jset(cfg, "OpenStdin", json_object_new_boolean(q->interactive));
	jset(cfg, "AttachStdin", json_object_new_boolean(q->interactive && !q->detach));
	jset(cfg, "AttachStdout", json_object_new_boolean(!q->detach));
	jset(cfg, "AttachStderr", json_object_new_boolean(!q->detach));

	const char *path0 = json_object_get_string(json_object_array_get_idx(args, 0));
	jset(rec, "Id", json_object_new_string(id));
	{
		_cleanup_free_ char *now = eng_now();
		jset(rec, "Created", json_object_new_string(now));
	}
	jset(rec, "Path", json_object_new_string(path0));
	struct json_object *rest = json_object_new_array();
	for (size_t i = 1; i < json_object_array_length(args); i++)
		json_object_array_add(rest, json_object_get(json_object_array_get_idx(args, i)));
	json_object_put(args);
	jset(rec, "Args", rest);
	struct json_object *st = json_object_new_object();
	ctr_state_set(st, "created", 0, 0, false);
	jset(st, "Error", json_object_new_string(""));
	jset(st, "StartedAt", json_object_new_string("0001-01-01T00:00:00Z"));
	jset(st, "FinishedAt", json_object_new_string("0001-01-01T00:00:00Z"));
	jset(rec, "State", st);
	jset(rec, "Image", json_object_new_string(img->id));
	{
		_cleanup_free_ char *log = NULL;
		if (asprintf(&log, "%s/containers/%s/%s-json.log", eng.root, id, id) < 0)
			abort();
		jset(rec, "LogPath", json_object_new_string(log));
	}
	jset(rec, "RestartCount", json_object_new_int(0));
	jset(rec, "Driver", json_object_new_string("overlay"));
	if (!jget(hc, "NetworkMode"))
		jset(hc, "NetworkMode", json_object_new_string("none"));
	if (!jget(hc, "RestartPolicy")) {
		struct json_object *rp = json_object_new_object();
		jset(rp, "Name", json_object_new_string("no"));
		jset(rp, "MaximumRetryCount", json_object_new_int(0));
		jset(hc, "RestartPolicy", rp);
	}
	jset(hc, "LogConfig", json_tokener_parse("{\"Type\":\"json-file\",\"Config\":{}}"));
	if (eng.runtime) {
		if (access(eng.runtime, X_OK) < 0) {
			image_free(img);
			return eng_error("--runtime '%s': %s", eng.runtime, strerror(errno));
		}
		jset(hc, "Runtime", json_object_new_string(eng.runtime));
	}
	if (jbool(hc, "Init")) {
		_cleanup_free_ char *self = realpath("/proc/self/exe", NULL), *init = NULL;
		char *slash = self ? strrchr(self, '/') : NULL;
		if (slash)
			*slash = '\0';
		if (!self || asprintf(&init, "%s/hull-init", self) < 0 || access(init, X_OK) < 0) {
			image_free(img);
			return eng_error("--init: cannot find hull-init next to the hull binary");
		}
		jset(hc, "InitPath", json_object_new_string(init));
	}
	struct json_object *net = json_object_new_object();
	jset(net, "Networks", json_object_new_object());
	jset(net, "Ports", json_object_new_object());
	jset(net, "IPAddress", json_object_new_string(""));
	jset(rec, "NetworkSettings", net);

	/* The name, unique: checked and taken under the containers lock. */
	_cleanup_free_ char *cdir = NULL;
	_cleanup_close_ int lockfd = ctr_names_lock();
	if (lockfd < 0) {
		image_free(img);
		return eng_error("cannot lock '%s/containers': %s", eng.root, strerror(-lockfd));
	}
	if (q->name) {
		_cleanup_free_ char *owner = ctr_name_owner(q->name);
		if (owner) {
			image_free(img);
			return eng_error("the container name \"/%s\" is already in use by container \"%s\": remove (or rename) "
					 "that container to be able to reuse that name",
					 q->name, owner);
		}
		name = strdup(q->name);
	} else
		name = ctr_random_name();
	_cleanup_free_ char *slashname = NULL;
	if (asprintf(&slashname, "/%s", name) < 0)
		abort();
	jset(rec, "Name", json_object_new_string(slashname));

	cdir = ctr_dir(id);
	if ((r = path_mkdir_p(cdir, 0700)) < 0) {
		image_free(img);
		return eng_error("cannot make '%s': %s", cdir, strerror(-r));
	}
	struct json_object *mounts = json_object_new_array();
	jset(rec, "Mounts", mounts);
	for (size_t i = 0; i < q->n_vols && r >= 0; i++)
		if (volume_add_bind_spec(mounts, q->vols[i]))
			r = -EINVAL;
	for (size_t i = 0; i < q->n_mounts && r >= 0; i++)
		if (volume_add_mount_spec(mounts, q->mounts[i]))
			r = -EINVAL;
	/* The image's VOLUMEs not given a mount: anonymous volumes, as Docker. */
	for (char **v = img->volumes; r >= 0 && v && *v; v++) {
		bool taken = false;
		for (size_t i = 0; i < json_object_array_length(mounts); i++)
			taken |= streq(jstr(json_object_array_get_idx(mounts, i), "Destination"), *v);
		if (!taken && volume_add_bind_spec(mounts, *v))
			r = -EINVAL;
	}
	if (r >= 0 && (r = rootfs_prepare(id, rec, img->layer_dirs, &err)) < 0)
		eng_fail(err, r, "cannot prepare the rootfs");
	if (r >= 0 && (r = ctr_save(id, rec, &err)) < 0)
		eng_fail(err, r, "cannot save the container");
	image_free(img);
	if (r < 0) {
		volume_remove_anonymous(rec);
		path_remove_tree(cdir);
		return EXIT_ENGINE;
	}
	*ret_id = strdup(id);
	return 0;
}

/* Mounts the rootfs, writes the bundle and spawns the monitor.  On
 * failure the container stays created (unmounted), as Docker leaves it. */
static int start_container(const char *id, bool attach, int *ret_attach_fd, pid_t *ret_pid)
{
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_free_ char *run = ctr_run_dir(id), *bundle_cfg = NULL, *flag = NULL, *spec = NULL, *bin = NULL;
	struct json_object *rec = ctr_load(id, &err);
	int r;

	if (!rec)
		return eng_fail(err, -ENOENT, "cannot load the container");
	if (ctr_is_running(rec)) {
		json_object_put(rec);
		*ret_pid = 0;
		return 0;
	}
	/* Before anything is mounted: nothing to undo if it is missing. */
	if (!(bin = monitor_binary())) {
		json_object_put(rec);
		return EXIT_ENGINE;
	}
	/* What a previous run may have left (a killed monitor). */
	ctr_cleanup_runtime(id, rec);
	if ((r = path_mkdir_p(run, 0700)) < 0) {
		json_object_put(rec);
		return eng_error("cannot make '%s': %s", run, strerror(-r));
	}
	if (asprintf(&flag, "%s/stop-requested", run) < 0 || asprintf(&bundle_cfg, "%s/config.json", run) < 0)
		abort();
	unlink(flag);
	if ((r = rootfs_mount(rec, &err)) < 0) {
		json_object_put(rec);
		return eng_fail(err, r, "cannot mount the rootfs");
	}
	volume_copy_up(rec);
	spec = specgen(id, rec, &err);
	if (!spec || (r = eng_write_file(bundle_cfg, spec, strlen(spec), 0600, false, &err)) < 0) {
		rootfs_umount(rec);
		json_object_put(rec);
		return eng_fail(err, -EINVAL, "cannot make the container's spec");
	}
	struct monitor_opts o = {
		.id = id,
		.attach = attach,
		.tty = jbool(jget(rec, "Config"), "Tty"),
		.stdin_open = jbool(jget(rec, "Config"), "OpenStdin"),
		.runtime = jstr(jget(rec, "HostConfig"), "Runtime"),
	};
	_cleanup_free_ char *runtime = o.runtime ? strdup(o.runtime) : NULL;
	o.runtime = runtime;
	json_object_put(rec);
	return monitor_spawn(&o, bin, ret_pid, ret_attach_fd);
}

/* The exit status of a container whose attach stream ended early. */
static int wait_exit_code(const char *id)
{
	for (;;) {
		struct json_object *rec = ctr_load(id, NULL);
		if (!rec)
			return EXIT_ENGINE;
		if (!ctr_is_running(rec)) {
			int code = (int)jint(jget(rec, "State"), "ExitCode");
			json_object_put(rec);
			return code;
		}
		json_object_put(rec);
		usleep(50000);
	}
}

static int run_or_create(const char *cmd, int argc, char **argv)
{
	struct run_req q = { .cmd = cmd };
	_cleanup_free_ char *id = NULL;
	int r;

	q.rec = json_object_new_object();
	q.config = json_object_new_object();
	q.host = json_object_new_object();
	jset(q.rec, "Config", q.config);
	jset(q.rec, "HostConfig", q.host);
	jset(q.config, "Labels", json_object_new_object());
	r = parse_run_flags(&q, argc, argv);
	if (r) {
		req_free(&q);
		return r < 0 ? 0 : r;
	}
	r = create_container(&q, &id);
	bool auto_remove = jbool(q.host, "AutoRemove");
	bool attach = !q.detach;
	bool tty = q.tty, interactive = q.interactive;
	req_free(&q);
	if (r)
		return r;
	if (streq(cmd, "create")) {
		printf("%s\n", id);
		return 0;
	}
	pid_t pid = 0;
	int fd = -1;
	r = start_container(id, attach, &fd, &pid);
	if (r) {
		if (auto_remove) {
			struct json_object *rec = ctr_load_raw(id, NULL);
			ctr_remove(id, rec, true, NULL);
			json_object_put(rec);
		}
		return r;
	}
	if (!attach) {
		printf("%s\n", id);
		return 0;
	}
	int code = fd >= 0 ? attach_run(fd, interactive, tty, pid) : -1;
	if (fd >= 0)
		close(fd);
	if (code < 0)
		code = auto_remove ? EXIT_ENGINE : wait_exit_code(id);
	return code;
}

int cmd_run(int argc, char **argv)
{
	return run_or_create("run", argc, argv);
}

int cmd_create(int argc, char **argv)
{
	return run_or_create("create", argc, argv);
}

int cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "attach", no_argument, NULL, 'a' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	bool attach = false, interactive = false;
	int c, status = 0;

	while ((c = eng_getopt("start", argc, argv, "+:ai", opts)) != -1) {
		switch (c) {
		case 'a': attach = true; break;
		case 'i': interactive = true; break;
		case 'H': return eng_help("start");
		default: return EXIT_ENGINE;
		}
	}
	if (optind >= argc)
		return eng_usage_error("start", "requires at least 1 argument");
	if (attach && argc - optind > 1)
		return eng_error("you cannot start and attach multiple containers at once");
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *id = ctr_resolve(argv[i]);
		pid_t pid = 0;
		int fd = -1, r;
		if (!id) {
			status = EXIT_ENGINE;
			continue;
		}
		r = start_container(id, attach, &fd, &pid);
		if (r) {
			status = r;
			continue;
		}
		if (!attach) {
			printf("%s\n", argv[i]);
			continue;
		}
		struct json_object *rec = ctr_load_raw(id, NULL);
		bool tty = jbool(jget(rec, "Config"), "Tty");
		json_object_put(rec);
		if (fd < 0)
			return wait_exit_code(id);
		int code = attach_run(fd, interactive, tty, pid);
		close(fd);
		return code < 0 ? wait_exit_code(id) : code;
	}
	return status;
}

/* For restart. */
int ctr_start_detached(const char *id)
{
	pid_t pid;
	return start_container(id, false, NULL, &pid);
}

/* ---- update ---- */

/* The HostConfig keys `update` may change (resources and the restart
 * policy); any other flag of run is refused. */
static const char *const update_keys[] = {
	"Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota",
	"CpusetCpus", "CpusetMems", "PidsLimit", "BlkioWeight", "RestartPolicy", "OomKillDisable",
};

/* Writes the record's limits into the running container's cgroup. */
static int apply_limits(const char *id, struct json_object *rec, struct hull_error **err)
{
	_cleanup_free_ char *rt = eng_runtime_root(), *run = ctr_run_dir(id), *bundle_cfg = NULL;
	_cleanup_free_ char *json = specgen(id, rec, err);
	struct hull_spec *spec = NULL;
	struct hull_state *st = NULL;
	struct hull_cgroup *cg = NULL;
	int r;

	if (!json)
		return -EINVAL;
	const char *runtime = jstr(jget(rec, "HostConfig"), "Runtime");
	if (runtime) {
		/* The runtime's own update, with the new linux.resources. */
		_cleanup_free_ char *file = NULL;
		struct json_object *o = json_tokener_parse(json), *res = jget(jget(o, "linux"), "resources");
		if (!res) {
			json_object_put(o);
			return hull_error_plain(err, EINVAL, "the container's spec has no resources");
		}
		json_object_object_del(res, "devices");
		if (asprintf(&file, "%s/update.json", run) < 0)
			abort();
		r = eng_json_write(file, res, err);
		json_object_put(o);
		if (r >= 0)
			r = extrt_update(runtime, id, file, err);
		if (r >= 0 && asprintf(&bundle_cfg, "%s/config.json", run) >= 0)
			eng_write_file(bundle_cfg, json, strlen(json), 0600, false, NULL);
		return r;
	}
	if ((r = hull_spec_parse(json, strlen(json), &spec, err)) < 0)
		return r;
	/* Device rules are the container's since create: a running one keeps
	 * them (a deny-all written now would cut it off /dev/null). */
	spec->linux.resources.n_devices = 0;
	r = hull_state_load(rt, id, &st, err);
	if (r >= 0)
		r = st->cgroup ? hull_cgroup_load("/sys/fs/cgroup", st->cgroup, &cg, err)
			       : hull_error_plain(err, ENOENT, "container '%s' has no cgroup", id);
	if (r >= 0)
		r = hull_cgroup_apply(cg, &spec->linux.resources, err);
	/* The bundle follows, for a restart's spec to match. */
	if (r >= 0 && asprintf(&bundle_cfg, "%s/config.json", run) >= 0)
		eng_write_file(bundle_cfg, json, strlen(json), 0600, false, NULL);
	hull_cgroup_free(cg);
	hull_state_free(st);
	hull_spec_free(spec);
	return r;
}

/* Sets the HostConfig fields of host in the container's record and, while
 * it runs, in its cgroup. */
static int update_one(const char *ref, const char *id, void *host)
{
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_close_ int lock = ctr_lock(id);
	struct json_object *rec = ctr_load_or_fail(id), *hc = jget(rec, "HostConfig");
	int r;

	if (!rec)
		return EXIT_ENGINE;
	json_object_object_foreach(host, k, v) jset(hc, k, json_object_get(v));
	if (ctr_is_running(rec) && (r = apply_limits(id, rec, &err)) < 0) {
		json_object_put(rec);
		return eng_fail(err, r, "cannot update the container's limits");
	}
	json_object_put(rec);
	/* Saved from the raw record: the live refresh is not state to keep. */
	struct json_object *raw = ctr_load_raw(id, NULL);
	if (raw) {
		struct json_object *rhc = jget(raw, "HostConfig");
		json_object_object_foreach(host, k2, v2) jset(rhc, k2, json_object_get(v2));
		ctr_save(id, raw, NULL);
		json_object_put(raw);
	}
	return 0;
}

int cmd_update(int argc, char **argv)
{
	struct run_req q = { .cmd = "update" };
	int r, ret = 0;

	q.rec = json_object_new_object();
	q.config = json_object_new_object();
	q.host = json_object_new_object();
	jset(q.rec, "Config", q.config);
	jset(q.rec, "HostConfig", q.host);
	r = parse_run_flags(&q, argc, argv);
	if (r) {
		req_free(&q);
		return r < 0 ? 0 : r;
	}
	bool only_limits = json_object_object_length(q.config) == 0 && !q.detach && !q.interactive && !q.tty &&
			   !q.name && !q.n_env && !q.n_vols && !q.n_mounts && !q.entrypoint_set;
	json_object_object_foreach(q.host, key, val)
	{
		bool ok = false;
		(void)val;
		for (size_t i = 0; i < ARRAY_SIZE(update_keys); i++)
			ok |= streq(key, update_keys[i]);
		only_limits &= ok;
	}
	if (!only_limits) {
		req_free(&q);
		return eng_usage_error("update", "only resource limits and --restart can be updated");
	}
	/* parse_run_flags took the first container as "the image": optind
	 * is still on it. */
	ret = ctr_each("update", argc, argv, true, update_one, q.host);
	req_free(&q);
	return ret;
}
