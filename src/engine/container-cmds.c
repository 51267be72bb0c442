/* container-cmds.c - ps, inspect, logs, stop, kill, rm, wait, restart,
 * rename, pause, unpause, port. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "container.h"
#include "engine.h"
#include "spec.h"
#include "util.h"

/* ---- ps ---- */

static char *command_text(struct json_object *rec, bool trunc)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct json_object *args = jget(rec, "Args");

	fputs(jstr(rec, "Path") ?: "", f);
	for (size_t i = 0; args && i < json_object_array_length(args); i++)
		fprintf(f, " %s", json_object_get_string(json_object_array_get_idx(args, i)));
	fclose(f);
	if (trunc && strlen(buf) > 19) {
		/* Docker cuts at 20 runes with an ellipsis. */
		buf = realloc(buf, 32);
		strcpy(buf + 19, "\u2026");
	}
	char *q;
	if (asprintf(&q, "\"%s\"", buf) < 0)
		abort();
	free(buf);
	return q;
}

static char *status_text(struct json_object *rec)
{
	struct json_object *st = jget(rec, "State");
	const char *s = ctr_status(rec);
	time_t now = time(NULL);
	char d[64], *out;

	if (streq(s, "running") || streq(s, "paused")) {
		eng_human_duration(now - eng_parse_time(jstr(st, "StartedAt")), d, sizeof(d));
		if (asprintf(&out, "Up %s%s", d, streq(s, "paused") ? " (Paused)" : "") < 0)
			abort();
	} else if (streq(s, "restarting")) {
		eng_human_duration(now - eng_parse_time(jstr(st, "FinishedAt")), d, sizeof(d));
		if (asprintf(&out, "Restarting (%d) %s ago", (int)jint(st, "ExitCode"), d) < 0)
			abort();
	} else if (streq(s, "exited")) {
		int64_t fin = eng_parse_time(jstr(st, "FinishedAt"));
		if (fin <= 0)
			fin = now;
		eng_human_duration(now - fin, d, sizeof(d));
		if (asprintf(&out, "Exited (%d) %s ago", (int)jint(st, "ExitCode"), d) < 0)
			abort();
	} else
		out = strdup("Created");
	return out;
}

/* The row of `ps` for one container, as an object its --format reads. */
static struct json_object *ps_row(struct json_object *rec, bool trunc)
{
	struct json_object *row = json_object_new_object();
	const char *id = jstr(rec, "Id"), *name = jstr(rec, "Name") ?: "";
	char shortid[13], created[80];
	_cleanup_free_ char *cmd = command_text(rec, trunc), *status = status_text(rec);

	snprintf(shortid, sizeof(shortid), "%.12s", id);
	eng_human_since(jstr(rec, "Created"), created, sizeof(created));
	jset(row, "ID", json_object_new_string(trunc ? shortid : id));
	jset(row, "Image", json_object_new_string(jstr(jget(rec, "Config"), "Image") ?: ""));
	jset(row, "Command", json_object_new_string(cmd));
	jset(row, "CreatedAt", json_object_new_string(jstr(rec, "Created") ?: ""));
	jset(row, "RunningFor", json_object_new_string(created));
	jset(row, "Status", json_object_new_string(status));
	jset(row, "State", json_object_new_string(ctr_status(rec)));
	jset(row, "Ports", json_object_new_string(""));
	jset(row, "Names", json_object_new_string(name[0] == '/' ? name + 1 : name));
	jset(row, "Labels", json_object_get(jget(jget(rec, "Config"), "Labels")));
	jset(row, "Mounts", json_object_new_string(""));
	return row;
}

/* Docker's --filter: the same key ORs, different keys AND. */
static bool ps_match(struct json_object *rec, char **filters, size_t n)
{
	static const char *const keys[] = { "status", "name", "id", "label", "ancestor" };

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		bool given = false, any = false;
		for (size_t i = 0; i < n; i++) {
			size_t klen = strcspn(filters[i], "=");
			if (strlen(keys[k]) != klen || strncmp(filters[i], keys[k], klen))
				continue;
			const char *v = filters[i] + klen + 1, *name = jstr(rec, "Name") ?: "/";
			given = true;
			if (k == 0)
				any |= streq(ctr_status(rec), v);
			else if (k == 1)
				any |= strstr(name + 1, v) != NULL;
			else if (k == 2)
				any |= startswith(jstr(rec, "Id") ?: "", v);
			else if (k == 3) {
				_cleanup_free_ char *key = strndup(v, strcspn(v, "="));
				const char *eq = strchr(v, '=');
				const char *val = jstr(jget(jget(rec, "Config"), "Labels"), key);
				any |= val && (!eq || streq(val, eq + 1));
			} else
				any |= streq(jstr(jget(rec, "Config"), "Image"), v) || streq(jstr(rec, "Image"), v);
		}
		if (given && !any)
			return false;
	}
	return true;
}

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },	    { "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'T' },	    { "format", required_argument, NULL, 'F' },
		{ "latest", no_argument, NULL, 'l' },	    { "help", no_argument, NULL, 'H' },
		{ "filter", required_argument, NULL, 'f' },
		{},
	};
	char *filters[16];
	size_t n_filters = 0;
	bool all = false, quiet = false, trunc = true, latest = false;
	const char *format = NULL;
	int c;

	while ((c = eng_getopt("ps", argc, argv, "+:aqlf:", opts)) != -1) {
		switch (c) {
		case 'f':
			if (!strchr(optarg, '=') || n_filters == ARRAY_SIZE(filters))
				return eng_usage_error("ps", "invalid filter '%s': expected KEY=VALUE (status, name, id, label, ancestor)",
						       optarg);
			filters[n_filters++] = optarg;
			all = all || startswith(optarg, "status=");
			break;
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'T': trunc = false; break;
		case 'F': format = optarg; break;
		case 'l': latest = true; break;
		case 'H': return eng_help("ps");
		default: return EXIT_ENGINE;
		}
	}
	if (optind < argc)
		return eng_usage_error("ps", "accepts no arguments");

	_cleanup_strv_ char **ids = ctr_list();
	size_t n = 0;
	for (char **i = ids; *i; i++)
		n++;
	struct json_object **rows = calloc(n + 1, sizeof(*rows));
	const char **created = calloc(n + 1, sizeof(char *));
	struct json_object **recs = calloc(n + 1, sizeof(*recs));
	size_t k = 0;
	for (char **i = ids; *i; i++) {
		struct json_object *rec = ctr_load(*i, NULL);
		if (!rec)
			continue;
		if ((!all && !latest && !ctr_is_running(rec)) || !ps_match(rec, filters, n_filters)) {
			json_object_put(rec);
			continue;
		}
		recs[k] = rec;
		rows[k] = ps_row(rec, trunc);
		created[k] = jstr(rec, "Created");
		k++;
	}
	/* Newest first. */
	for (size_t a = 1; a < k; a++)
		for (size_t b = a; b > 0 && strcmp(created[b - 1] ?: "", created[b] ?: "") < 0; b--) {
			struct json_object *t = rows[b];
			rows[b] = rows[b - 1];
			rows[b - 1] = t;
			const char *tc = created[b];
			created[b] = created[b - 1];
			created[b - 1] = tc;
		}
	if (latest && k > 1)
		k = 1;

	int ret = 0;
	if (quiet) {
		for (size_t i = 0; i < k; i++)
			printf("%s\n", jstr(rows[i], "ID"));
	} else if (format && (streq(format, "json") || streq(format, "{{json .}}"))) {
		for (size_t i = 0; i < k; i++)
			printf("%s\n", json_object_to_json_string_ext(rows[i], JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (format) {
		for (size_t i = 0; i < k && !ret; i++) {
			_cleanup_free_ char *line = eng_format(format, rows[i]);
			if (!line)
				ret = EXIT_ENGINE;
			else
				printf("%s\n", line);
		}
	} else {
		static const char *const head[] = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" };
		static const char *const keys[] = { "ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names" };
		size_t w[7];
		for (int col = 0; col < 7; col++) {
			w[col] = strlen(head[col]);
			for (size_t i = 0; i < k; i++) {
				size_t l = strlen(jstr(rows[i], keys[col]));
				/* The ellipsis is 3 bytes but one column. */
				if (strstr(jstr(rows[i], keys[col]), "\u2026"))
					l -= 2;
				if (l > w[col])
					w[col] = l;
			}
		}
		for (int col = 0; col < 7; col++)
			if (col < 6)
				printf("%-*s   ", (int)w[col], head[col]);
			else
				printf("%s\n", head[col]);
		for (size_t i = 0; i < k; i++)
			for (int col = 0; col < 7; col++) {
				const char *v = jstr(rows[i], keys[col]);
				int pad = (int)w[col] + (strstr(v, "\u2026") ? 2 : 0);
				if (col < 6)
					printf("%-*s   ", pad, v);
				else
					printf("%s\n", v);
			}
	}
	for (size_t i = 0; i < k; i++)
		json_object_put(rows[i]);
	for (size_t i = 0; recs[i]; i++)
		json_object_put(recs[i]);
	free(rows);
	free(recs);
	free(created);
	return ret;
}

/* ---- inspect ---- */

/* Adds the container's record to the array data. */
static int inspect_one(const char *ref, const char *id, void *data)
{
	struct json_object *rec = ctr_load_or_fail(id);

	if (!rec)
		return EXIT_ENGINE;
	json_object_array_add(data, rec);
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 'T' },
		{ "size", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	const char *format = NULL;
	int c, ret = 0;

	while ((c = eng_getopt("inspect", argc, argv, "+:f:s", opts)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'T':
			if (!streq(optarg, "container"))
				return eng_error("inspect: --type '%s' is not supported here (containers only; images: hull image inspect)", optarg);
			break;
		case 's': break;
		case 'H': return eng_help("inspect");
		default: return EXIT_ENGINE;
		}
	}
	struct json_object *arr = json_object_new_array();
	ret = ctr_each("inspect", argc, argv, false, inspect_one, arr);
	if (optind < argc)
		ret = eng_print_objects(format, arr) ?: ret;
	json_object_put(arr);
	return ret;
}

/* ---- logs ---- */

int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		{ "timestamps", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	bool follow = false, ts = false;
	long long tail = -1;
	int c;

	while ((c = eng_getopt("logs", argc, argv, "+:fn:t", opts)) != -1) {
		switch (c) {
		case 'f': follow = true; break;
		case 't': ts = true; break;
		case 'n':
			if (streq(optarg, "all"))
				tail = -1;
			else if (!eng_parse_int(optarg, -1, LONG_MAX, &tail))
				return eng_usage_error("logs", "invalid --tail '%s': expected a number or 'all'", optarg);
			break;
		case 'H': return eng_help("logs");
		default: return EXIT_ENGINE;
		}
	}
	if (argc - optind != 1)
		return eng_usage_error("logs", "requires exactly 1 argument");
	_cleanup_free_ char *id = ctr_resolve(argv[optind]);
	if (!id)
		return EXIT_ENGINE;
	return logs_print(id, follow, tail, ts);
}

/* ---- stop / kill ---- */

/* Thaws a paused container, whichever runtime runs it. */
static void resume_any(const char *id, struct json_object *rec)
{
	const char *runtime = jstr(jget(rec, "HostConfig"), "Runtime");
	_cleanup_free_ char *rt = eng_runtime_root();

	if (runtime)
		extrt_pause(runtime, id, false, NULL);
	else
		hull_container_resume(rt, id, NULL);
}

static void request_stop(const char *id)
{
	_cleanup_free_ char *run = ctr_run_dir(id), *flag = NULL;
	if (asprintf(&flag, "%s/stop-requested", run) < 0)
		abort();
	eng_write_file(flag, "", 0, 0600, false, NULL);
}

/* Waits up to timeout_ms (-1: forever) for the container to stop. */
static bool wait_stopped(const char *id, long timeout_ms)
{
	for (long waited = 0; timeout_ms < 0 || waited <= timeout_ms; waited += 20) {
		struct json_object *rec = ctr_load(id, NULL);
		bool running = rec && ctr_is_running(rec);
		json_object_put(rec);
		if (!running)
			return true;
		usleep(20000);
	}
	return false;
}

static int stop_one(const char *id, long timeout)
{
	struct json_object *rec = ctr_load_or_fail(id);

	if (!rec)
		return EXIT_ENGINE;
	if (!ctr_is_running(rec)) {
		json_object_put(rec);
		return 0;
	}
	request_stop(id);
	if (streq(ctr_status(rec), "paused"))
		resume_any(id, rec);
	const char *signame = jstr(jget(rec, "Config"), "StopSignal");
	int sig = signame ? hull_signal_from_name(signame) : SIGTERM;
	if (timeout < -1)
		timeout = jget(jget(rec, "Config"), "StopTimeout") ? jint(jget(rec, "Config"), "StopTimeout") : 10;
	ctr_signal(id, rec, sig > 0 ? sig : SIGTERM, NULL);
	if (!wait_stopped(id, timeout < 0 ? -1 : timeout * 1000)) {
		ctr_signal(id, rec, SIGKILL, NULL);
		/* Not our child: the kill lands, the monitor records it. */
		wait_stopped(id, 10000);
	}
	json_object_put(rec);
	return 0;
}

static int stop_each(const char *ref, const char *id, void *timeout)
{
	return stop_one(id, *(long long *)timeout);
}

int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	long long timeout = -2;
	int c;

	while ((c = eng_getopt("stop", argc, argv, "+:t:", opts)) != -1) {
		switch (c) {
		case 't':
			if (!eng_parse_int(optarg, -1, INT_MAX, &timeout))
				return eng_usage_error("stop", "invalid --time '%s': expected a number of seconds", optarg);
			break;
		case 'H': return eng_help("stop");
		default: return EXIT_ENGINE;
		}
	}
	return ctr_each("stop", argc, argv, true, stop_each, &timeout);
}

static int kill_one(const char *ref, const char *id, void *data)
{
	_cleanup_error_ struct hull_error *err = NULL;
	int sig = *(int *)data;
	struct json_object *rec = ctr_load(id, &err);

	if (sig == SIGKILL || sig == SIGTERM)
		request_stop(id);
	int r = rec ? ctr_signal(id, rec, sig, &err) : -ENOENT;
	json_object_put(rec);
	return r < 0 ? eng_fail(err, r, "cannot kill the container") : 0;
}

int cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	int sig = SIGKILL, c;

	while ((c = eng_getopt("kill", argc, argv, "+:s:", opts)) != -1) {
		switch (c) {
		case 's':
			sig = hull_signal_from_name(optarg);
			if (sig <= 0)
				return eng_usage_error("kill", "invalid signal '%s'", optarg);
			break;
		case 'H': return eng_help("kill");
		default: return EXIT_ENGINE;
		}
	}
	return ctr_each("kill", argc, argv, true, kill_one, &sig);
}

/* ---- rm ---- */

struct rm_opts {
	bool force, volumes;
};

static int rm_one(const char *ref, const char *id, void *data)
{
	_cleanup_error_ struct hull_error *err = NULL;
	const struct rm_opts *o = data;
	struct json_object *rec = ctr_load_or_fail(id);

	if (!rec)
		return EXIT_ENGINE;
	if (ctr_is_running(rec)) {
		if (!o->force) {
			int ret = eng_error("cannot remove container '%s': it is %s: stop it first or use rm -f", ref,
					    ctr_status(rec));
			json_object_put(rec);
			return ret;
		}
		request_stop(id);
		if (streq(ctr_status(rec), "paused"))
			resume_any(id, rec);
		ctr_signal(id, rec, SIGKILL, NULL);
	}
	int r = ctr_remove(id, rec, o->volumes, &err);
	json_object_put(rec);
	return r < 0 ? eng_fail(err, r, "cannot remove the container") : 0;
}

int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "volumes", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	struct rm_opts o = {};
	int c;

	while ((c = eng_getopt("rm", argc, argv, "+:fv", opts)) != -1) {
		switch (c) {
		case 'f': o.force = true; break;
		case 'v': o.volumes = true; break;
		case 'H': return eng_help("rm");
		default: return EXIT_ENGINE;
		}
	}
	return ctr_each("rm", argc, argv, true, rm_one, &o);
}

/* ---- wait / restart ---- */

static int wait_one(const char *ref, const char *id, void *data)
{
	wait_stopped(id, -1);
	struct json_object *rec = ctr_load(id, NULL);
	printf("%d\n", rec ? (int)jint(jget(rec, "State"), "ExitCode") : -1);
	fflush(stdout);
	json_object_put(rec);
	return 0;
}

int cmd_wait(int argc, char **argv)
{
	int r = eng_help_only("wait", argc, argv);

	return r >= 0 ? r : ctr_each("wait", argc, argv, false, wait_one, NULL);
}

static int restart_one(const char *ref, const char *id, void *timeout)
{
	return stop_one(id, *(long long *)timeout) || ctr_start_detached(id) ? EXIT_ENGINE : 0;
}

int cmd_restart(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	long long timeout = -2;
	int c;

	while ((c = eng_getopt("restart", argc, argv, "+:t:", opts)) != -1) {
		switch (c) {
		case 't':
			if (!eng_parse_int(optarg, -1, INT_MAX, &timeout))
				return eng_usage_error("restart", "invalid --time '%s': expected a number of seconds", optarg);
			break;
		case 'H': return eng_help("restart");
		default: return EXIT_ENGINE;
		}
	}
	return ctr_each("restart", argc, argv, true, restart_one, &timeout);
}

/* ---- rename / pause / unpause / port ---- */

int cmd_rename(int argc, char **argv)
{
	int c = eng_help_only("rename", argc, argv);

	if (c >= 0)
		return c;
	if (argc - optind != 2)
		return eng_usage_error("rename", "requires exactly 2 arguments: CONTAINER NEW_NAME");
	const char *name = argv[optind + 1];
	if (!ctr_valid_name(name))
		return eng_error("invalid container name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
	_cleanup_free_ char *id = ctr_resolve(argv[optind]);
	if (!id)
		return EXIT_ENGINE;
	/* Checked and taken under the lock create takes for it. */
	_cleanup_close_ int names = ctr_names_lock();
	if (names < 0)
		return eng_error("cannot lock '%s/containers': %s", eng.root, strerror(-names));
	_cleanup_free_ char *owner = ctr_name_owner(name);
	if (owner)
		return eng_error("the container name \"/%s\" is already in use by container \"%s\"", name, owner);
	_cleanup_close_ int lock = ctr_lock(id);
	_cleanup_error_ struct hull_error *err = NULL;
	struct json_object *rec = ctr_load_raw(id, &err);
	if (!rec)
		return eng_fail(err, -ENOENT, "cannot load the container");
	_cleanup_free_ char *slash = NULL;
	if (asprintf(&slash, "/%s", name) < 0)
		abort();
	jset(rec, "Name", json_object_new_string(slash));
	int r = ctr_save(id, rec, &err);
	json_object_put(rec);
	return r < 0 ? eng_fail(err, r, "cannot save the container") : 0;
}

static int pause_one(const char *ref, const char *id, void *data)
{
	_cleanup_free_ char *rt = eng_runtime_root();
	_cleanup_error_ struct hull_error *err = NULL;
	bool pause = *(bool *)data;
	const char *cmd = pause ? "pause" : "unpause";
	_cleanup_close_ int lock = ctr_lock(id);
	struct json_object *rec = ctr_load(id, &err);

	if (!rec || !streq(ctr_status(rec), pause ? "running" : "paused")) {
		int ret = eng_error("cannot %s container '%s': it is %s", cmd, ref, rec ? ctr_status(rec) : "gone");
		json_object_put(rec);
		return ret;
	}
	const char *runtime = jstr(jget(rec, "HostConfig"), "Runtime");
	int r = runtime ? extrt_pause(runtime, id, pause, &err)
		: pause ? hull_container_pause(rt, id, &err) : hull_container_resume(rt, id, &err);
	if (r < 0) {
		json_object_put(rec);
		return eng_fail(err, r, "cannot freeze the container");
	}
	struct json_object *st = jget(rec, "State");
	jset(st, "Status", json_object_new_string(pause ? "paused" : "running"));
	jset(st, "Paused", json_object_new_boolean(pause));
	ctr_save(id, rec, NULL);
	json_object_put(rec);
	return 0;
}

static int set_paused(const char *cmd, int argc, char **argv, bool pause)
{
	int r = eng_help_only(cmd, argc, argv);

	return r >= 0 ? r : ctr_each(cmd, argc, argv, true, pause_one, &pause);
}

int cmd_pause(int argc, char **argv)
{
	return set_paused("pause", argc, argv, true);
}

int cmd_unpause(int argc, char **argv)
{
	return set_paused("unpause", argc, argv, false);
}

int cmd_port(int argc, char **argv)
{
	int c = eng_help_only("port", argc, argv);

	if (c >= 0)
		return c;
	if (optind >= argc)
		return eng_usage_error("port", "requires at least 1 argument");
	_cleanup_free_ char *id = ctr_resolve(argv[optind]);
	/* No networking yet: no published ports. */
	return id ? 0 : EXIT_ENGINE;
}
