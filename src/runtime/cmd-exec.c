/* cmd-exec.c - `hullrt exec`: a new process in a running container.
 *
 * The process is the --process file as given, or else the container's own
 * process (from the spec it was created with) with the command line's
 * overrides, as runc builds it: args from the command line, --cwd, --env
 * added (replacing a variable of the same name), --user, --additional-gids,
 * --cap added to the bounding, effective and permitted sets, terminal only
 * with -t.  In the foreground hullrt waits for it, forwarding signals and
 * relaying its terminal, and exits with its status; 255 when it could not
 * be started.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "hullrt.h"
#include "spec.h"
#include "util.h"

#define EXEC_FAILED 255 /* runc's status when the process cannot be started */

struct exec_args {
	const char *id;
	const char *process_file;
	const char *console_socket;
	const char *pid_file;
	const char *cwd;
	const char *user;
	char **env; /* borrowed from argv */
	size_t n_env;
	char **caps;
	size_t n_caps;
	char **gids;
	size_t n_gids;
	char **cmd; /* argv after the id */
	int n_cmd;
	int preserve_fds;
	bool tty, detach, no_new_privs, ignore_paused;
};

enum {
	OPT_CONSOLE_SOCKET = 256,
	OPT_PID_FILE,
	OPT_CWD,
	OPT_NO_NEW_PRIVS,
	OPT_PRESERVE_FDS,
	OPT_APPARMOR,
	OPT_PROCESS_LABEL,
	OPT_IGNORE_PAUSED,
};

static int push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static void exec_args_done(struct exec_args *a)
{
	free(a->env);
	free(a->caps);
	free(a->gids);
}

/* Returns 0, the exit status after a usage error, or -1 after --help. */
static int parse_args(int argc, char **argv, struct exec_args *a)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, OPT_PID_FILE },
		{ "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, OPT_CWD },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "cap", required_argument, NULL, 'c' },
		{ "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
		{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
		{ "apparmor", required_argument, NULL, OPT_APPARMOR },
		{ "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
		{ "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *end;
	long n;
	int c, r = 0;

	/* "+": options end at the id, so the command keeps its own (sh -c). */
	while ((c = rt_getopt("exec", argc, argv, "+:p:tde:u:g:c:h", opts)) != -1) {
		switch (c) {
		case 'p':
			a->process_file = optarg;
			break;
		case 't':
			a->tty = true;
			break;
		case OPT_CONSOLE_SOCKET:
			a->console_socket = optarg;
			break;
		case 'd':
			a->detach = true;
			break;
		case OPT_PID_FILE:
			a->pid_file = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return rt_usage_error("exec", "invalid --env '%s': must be NAME=VALUE", optarg);
			r = push(&a->env, &a->n_env, optarg);
			break;
		case OPT_CWD:
			a->cwd = optarg;
			break;
		case 'u':
			a->user = optarg;
			break;
		case 'g':
			r = push(&a->gids, &a->n_gids, optarg);
			break;
		case 'c':
			r = push(&a->caps, &a->n_caps, optarg);
			break;
		case OPT_NO_NEW_PRIVS:
			a->no_new_privs = true;
			break;
		case OPT_PRESERVE_FDS:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 0 || n > INT_MAX - 3)
				return rt_usage_error("exec", "invalid --preserve-fds '%s': must be a number of fds", optarg);
			a->preserve_fds = (int)n;
			break;
		case OPT_APPARMOR:
		case OPT_PROCESS_LABEL:
			/* No AppArmor or SELinux support: an empty value is what
			 * callers pass when they mean none. */
			if (*optarg)
				return rt_usage_error("exec", "%s is not supported by hullrt",
						      c == OPT_APPARMOR ? "--apparmor" : "--process-label");
			break;
		case OPT_IGNORE_PAUSED:
			a->ignore_paused = true;
			break;
		case 'h':
			rt_help("exec");
			return -1;
		default:
			return 1;
		}
		if (r < 0) {
			rt_error("exec: out of memory");
			return 1;
		}
	}
	if (optind >= argc)
		return rt_usage_error("exec", "missing container id");
	a->id = argv[optind];
	a->cmd = argv + optind + 1;
	a->n_cmd = argc - optind - 1;
	if (!a->process_file && a->n_cmd == 0)
		return rt_usage_error("exec", "missing the command to run (or --process FILE)");
	if (a->process_file && a->n_cmd > 0)
		return rt_usage_error("exec", "a command ('%s') and --process are mutually exclusive", a->cmd[0]);
	return 0;
}

static int parse_id(const char *s, const char *what, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > UINT32_MAX)
		return rt_usage_error("exec", "invalid %s '%s': must be a number", what, s);
	*ret = (uint32_t)v;
	return 0;
}

/* env with NAME=VALUE set: replaces NAME's entry, or is appended. */
static int env_set(struct hull_process *p, const char *kv)
{
	size_t len = (size_t)(strchr(kv, '=') - kv) + 1;
	char *copy = strdup(kv);

	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_env; i++)
		if (strncmp(p->env[i], kv, len) == 0) {
			free(p->env[i]);
			p->env[i] = copy;
			return 0;
		}
	char **nv = realloc(p->env, (p->n_env + 2) * sizeof(char *));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	nv[p->n_env++] = copy;
	nv[p->n_env] = NULL;
	p->env = nv;
	return 0;
}

/* The container's process with the command line's overrides (runc's
 * rules).  Returns 0 or the exit status after printing the error. */
static int apply_overrides(const struct exec_args *a, struct hull_process *p)
{
	char **args = calloc((size_t)a->n_cmd + 1, sizeof(char *));

	if (!args)
		goto oom;
	for (int i = 0; i < a->n_cmd; i++)
		if (!(args[i] = strdup(a->cmd[i]))) {
			strv_free(args);
			goto oom;
		}
	strv_free(p->args);
	p->args = args;
	p->n_args = (size_t)a->n_cmd;

	if (a->cwd) {
		if (a->cwd[0] != '/')
			return rt_usage_error("exec", "invalid --cwd '%s': must be an absolute path", a->cwd);
		char *cwd = strdup(a->cwd);
		if (!cwd)
			goto oom;
		free(p->cwd);
		p->cwd = cwd;
	}
	for (size_t i = 0; i < a->n_env; i++)
		if (env_set(p, a->env[i]) < 0)
			goto oom;
	/* The container's terminal setting is for its init, not for us. */
	p->terminal = a->tty;
	if (a->no_new_privs)
		p->no_new_privileges = true;
	if (a->user) {
		_cleanup_free_ char *u = strdup(a->user);
		if (!u)
			goto oom;
		char *colon = strchr(u, ':');
		if (colon)
			*colon = '\0';
		if (parse_id(u, "--user uid", &p->uid) || (colon && parse_id(colon + 1, "--user gid", &p->gid)))
			return 1;
	}
	if (a->n_gids) {
		uint32_t *gids = calloc(a->n_gids, sizeof(*gids));
		if (!gids)
			goto oom;
		for (size_t i = 0; i < a->n_gids; i++)
			if (parse_id(a->gids[i], "--additional-gids", &gids[i])) {
				free(gids);
				return 1;
			}
		free(p->additional_gids);
		p->additional_gids = gids;
		p->n_additional_gids = a->n_gids;
	}
	for (size_t i = 0; i < a->n_caps; i++) {
		int cap = hull_capability_from_name(a->caps[i]);
		if (cap < 0) {
			_cleanup_free_ char *full = NULL;
			if (asprintf(&full, "CAP_%s", a->caps[i]) >= 0)
				cap = hull_capability_from_name(full);
		}
		if (cap < 0)
			return rt_usage_error("exec", "unknown capability '%s'", a->caps[i]);
		p->has_caps = true;
		p->caps[HULL_CAP_BOUNDING] |= 1ULL << cap;
		p->caps[HULL_CAP_EFFECTIVE] |= 1ULL << cap;
		p->caps[HULL_CAP_PERMITTED] |= 1ULL << cap;
		/* As runc: ambient only where the inheritable set is used. */
		if (p->caps[HULL_CAP_INHERITABLE]) {
			p->caps[HULL_CAP_INHERITABLE] |= 1ULL << cap;
			p->caps[HULL_CAP_AMBIENT] |= 1ULL << cap;
		}
	}
	return 0;
oom:
	rt_error("exec: out of memory");
	return 1;
}

static int wait_foreground(pid_t pid, int sigfd, int master)
{
	if (master >= 0)
		run_tty_setup(master);
	int status = run_wait(pid, sigfd, master);
	run_tty_restore();
	if (status < 0) {
		rt_error("cannot wait for the exec'd process: %s", strerror(-status));
		return 1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int cmd_exec(int argc, char **argv)
{
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_free_ char *pid_file = NULL;
	_cleanup_close_ int sigfd = -1, master = -1;
	struct exec_args a = {};
	struct hull_spec *spec = NULL;
	struct hull_process *proc = NULL;
	const struct hull_process *p;
	pid_t pid;
	int r = parse_args(argc, argv, &a);

	if (r) {
		exec_args_done(&a);
		return r < 0 ? 0 : r;
	}
	if (a.process_file) {
		r = hull_process_load(a.process_file, &proc, &err);
		p = proc;
	} else {
		r = hull_container_load_spec(rt.root, a.id, &spec, &err);
		if (r == 0 && !spec->has_process)
			r = hull_error_plain(&err, EINVAL, "container '%s' has no process to start from", a.id);
		if (r == 0 && (r = apply_overrides(&a, &spec->process)) != 0)
			goto out; /* already printed */
		p = spec ? &spec->process : NULL;
	}
	if (r < 0) {
		rt_error("exec failed: %s", err && err->msg ? err->msg : strerror(-r));
		r = EXEC_FAILED;
		goto out;
	}
	if (a.console_socket && !p->terminal) {
		r = rt_usage_error("exec", "cannot use console socket if hullrt will not allocate tty");
		goto out;
	}
	if (p->terminal && a.detach && !a.console_socket) {
		r = rt_usage_error("exec", "cannot allocate tty if hullrt will detach without setting console socket");
		goto out;
	}
	if (a.pid_file && !(pid_file = rt_absolute(a.pid_file))) {
		rt_error("pid file '%s': %s", a.pid_file, strerror(errno));
		r = 1;
		goto out;
	}
	/* Signals are blocked for the signalfd before the process exists, so
	 * none meant for it is lost; it unblocks them itself. */
	if (!a.detach && (sigfd = run_signals_setup()) < 0) {
		rt_error("cannot set up signal forwarding: %s", strerror(-sigfd));
		r = 1;
		goto out;
	}

	struct hull_exec_opts o = {
		.root = rt.root,
		.id = a.id,
		.console_socket = a.console_socket,
		.ret_console_master = p->terminal && !a.console_socket ? &master : NULL,
		.pid_file = pid_file,
		.preserve_fds = a.preserve_fds,
		.ignore_paused = a.ignore_paused,
	};
	r = hull_container_exec(&o, p, &pid, &err);
	if (r < 0) {
		rt_error("exec failed: %s", err && err->msg ? err->msg : strerror(-r));
		r = EXEC_FAILED;
		goto out;
	}
	rt_debug("exec: process %d started in container '%s'", (int)pid, a.id);
	r = a.detach ? 0 : wait_foreground(pid, sigfd, master);
out:
	hull_spec_free(spec);
	hull_process_free(proc);
	exec_args_done(&a);
	return r;
}
