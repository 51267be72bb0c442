/* container-exec.c - `hull exec`: a new process in a running container,
 * through libhull's hull_container_exec() (it joins the init's namespaces
 * and cgroup, takes the container's process settings); the engine only
 * sets what the flags change and relays the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <termios.h>
#include <unistd.h>

#include "cmds.h"
#include "engine.h"
#include "exec.h"
#include "path.h"
#include "util.h"

/* Relays stdin -> master -> stdout until the process is gone. */
static void relay_tty(int master, bool use_stdin)
{
	struct termios saved, raw;
	bool restore = false;
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
	if (use_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = master, .events = POLLIN }, { .fd = use_stdin ? 0 : -1, .events = POLLIN } };
		char buf[16384];
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0)
				use_stdin = false;
			else if (write(master, buf, (size_t)n) < 0)
				break;
		}
		if (p[0].revents) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0 || write(STDOUT_FILENO, buf, (size_t)n) < 0)
				break;
		}
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

static void env_put(char ***env, size_t *n, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	for (size_t i = 0; i < *n; i++)
		if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
			(*env)[i] = (char *)kv;
			return;
		}
	*env = realloc(*env, (*n + 2) * sizeof(char *));
	(*env)[(*n)++] = (char *)kv;
	(*env)[*n] = NULL;
}

/* This process's capability bounding set (CapBnd in /proc/self/status). */
static uint64_t host_bounding_set(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (startswith(line, "CapBnd:"))
			return strtoull(line + 7, NULL, 16);
	return 0;
}

/* The runtime's own failure (255): its log says whether the command was
 * missing (127) or not executable (126), as Docker reports. */
static int runtime_exec_status(const char *log, int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 255) {
		_cleanup_free_ char *text = NULL;
		size_t len;
		_cleanup_close_ int fd = open(log, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && path_read_fd(fd, 1 << 20, &text, &len) == 0) {
			if (strstr(text, "exec failed") && strstr(text, "executable file not found"))
				return EXIT_NOT_FOUND;
			if (strstr(text, "exec failed") && strstr(text, "permission denied"))
				return EXIT_CANNOT_INVOKE;
		}
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* `RUNTIME exec` for a container run by --runtime: the runtime joins it;
 * our stdio is the process's; its status is ours.  With -t the runtime
 * runs it detached and sends the pty master to a console socket (runc
 * relays a pty itself only onto a controlling terminal of ours); in the
 * foreground we relay it and, a child subreaper, reap the process the
 * runtime leaves behind for its status. */
static int exec_runtime(const char *runtime, const char *id, pid_t init, int n_cmd, char **cmd, char **envs,
			size_t n_envs, const char *workdir, const char *user, bool interactive, bool tty, bool detach,
			bool privileged)
{
	_cleanup_error_ struct hull_error *cerr = NULL;
	struct extrt_console con = { .fd = -1 };
	_cleanup_free_ char *root = extrt_root(), *userspec = NULL, *run = ctr_run_dir(id), *log = NULL,
			    *pidfile = NULL;
	_cleanup_free_ char **argv = calloc((size_t)n_cmd + 2 * n_envs + 2 * 64 + 20, sizeof(char *));
	bool relay = tty && !detach;
	size_t n = 0;

	if (user) {
		_cleanup_error_ struct hull_error *err = NULL;
		char rootfs[64];
		uint32_t uid, gid;
		snprintf(rootfs, sizeof(rootfs), "/proc/%d/root", (int)init);
		int r = specgen_user(rootfs, user, &uid, &gid, &err);
		if (r < 0)
			return eng_fail(err, r, "cannot resolve the user");
		if (asprintf(&userspec, "%u:%u", uid, gid) < 0)
			abort();
	}
	if (asprintf(&log, "%s/exec.log", run) < 0 || asprintf(&pidfile, "%s/exec.pid", run) < 0)
		abort();
	unlink(log);
	unlink(pidfile);
	argv[n++] = (char *)runtime;
	argv[n++] = (char *)"--root";
	argv[n++] = root;
	argv[n++] = (char *)"--log";
	argv[n++] = log;
	argv[n++] = (char *)"exec";
	if (detach || tty)
		argv[n++] = (char *)"--detach";
	if (tty) {
		if (extrt_console_open(&con, &cerr) < 0)
			return eng_fail(cerr, -EIO, "cannot exec with a terminal");
		argv[n++] = (char *)"--tty";
		argv[n++] = (char *)"--console-socket";
		argv[n++] = con.path;
		if (relay) {
			argv[n++] = (char *)"--pid-file";
			argv[n++] = pidfile;
		}
		bool term = false;
		for (size_t i = 0; i < n_envs; i++)
			term |= startswith(envs[i], "TERM=");
		if (!term) { /* as our own exec -t; a given one wins */
			argv[n++] = (char *)"--env";
			argv[n++] = (char *)"TERM=xterm";
		}
	}
	/* --privileged: --cap for every capability this host's bounding set
	 * has (the runtime cannot grant one it lacks, and would fail). */
	if (privileged) {
		uint64_t bound = host_bounding_set();
		for (unsigned int c = 0; c < 64 && specgen_cap_name(c); c++)
			if (bound & (1ULL << c)) {
				argv[n++] = (char *)"--cap";
				argv[n++] = (char *)specgen_cap_name(c);
			}
	}
	if (workdir) {
		argv[n++] = (char *)"--cwd";
		argv[n++] = (char *)workdir;
	}
	if (userspec) {
		argv[n++] = (char *)"--user";
		argv[n++] = userspec;
	}
	for (size_t i = 0; i < n_envs; i++)
		if (strchr(envs[i], '=')) {
			argv[n++] = (char *)"--env";
			argv[n++] = envs[i];
		}
	argv[n++] = (char *)id;
	for (int i = 0; i < n_cmd; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;
	/* The process outlives the detached runtime: reparented to us. */
	if (relay)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		extrt_console_close(&con);
		return eng_error("cannot run '%s': %s", runtime, strerror(errno));
	}
	if (pid == 0) {
		if (!interactive || tty) {
			int null = open("/dev/null", O_RDONLY);
			if (null >= 0)
				dup2(null, STDIN_FILENO);
		}
		execv(runtime, argv);
		fprintf(stderr, "hull: cannot run '%s': %s\n", runtime, strerror(errno));
		_exit(EXIT_ENGINE);
	}
	int master = tty ? extrt_console_master(&con, pid, 10000) : -1;
	extrt_console_close(&con);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			if (master >= 0)
				close(master);
			return eng_error("cannot wait for '%s': %s", runtime, strerror(errno));
		}
	bool started = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (!relay || !started) {
		if (master >= 0)
			close(master);
		return runtime_exec_status(log, st);
	}

	/* Detached for us: relay its terminal, then reap it. */
	char buf[32] = "";
	_cleanup_close_ int pfd = open(pidfile, O_RDONLY | O_CLOEXEC);
	ssize_t len = pfd >= 0 ? read(pfd, buf, sizeof(buf) - 1) : -1;
	pid_t proc = len > 0 ? (pid_t)atoi(buf) : 0;
	unlink(pidfile);
	if (master < 0) {
		/* Started, but its terminal never came: not left running. */
		if (proc > 0 && kill(proc, SIGKILL) == 0)
			waitpid(proc, NULL, 0);
		return eng_error("%s sent no terminal", runtime);
	}
	relay_tty(master, interactive);
	close(master);
	if (proc <= 0)
		return eng_error("%s wrote no pid to '%s'", runtime, pidfile);
	while (waitpid(proc, &st, 0) < 0)
		if (errno != EINTR)
			return eng_error("cannot wait for the process: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "privileged", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	_cleanup_error_ struct hull_error *err = NULL;
	bool interactive = false, tty = false, detach = false, privileged = false;
	const char *workdir = NULL, *user = NULL;
	char **envs = NULL;
	size_t n_envs = 0;
	int c, r;

	while ((c = eng_getopt("exec", argc, argv, "+:itde:w:u:", opts)) != -1) {
		switch (c) {
		case 'i': interactive = true; break;
		case 't': tty = true; break;
		case 'd': detach = true; break;
		case 'e':
			envs = realloc(envs, (n_envs + 2) * sizeof(char *));
			envs[n_envs++] = optarg;
			envs[n_envs] = NULL;
			break;
		case 'w':
			if (optarg[0] != '/') {
				free(envs);
				return eng_usage_error("exec", "invalid --workdir '%s': must be an absolute path", optarg);
			}
			workdir = optarg;
			break;
		case 'u': user = optarg; break;
		case 'P': privileged = true; break;
		case 'H': free(envs); return eng_help("exec");
		default: free(envs); return EXIT_ENGINE;
		}
	}
	_cleanup_free_ char **env_keep = envs;
	if (argc - optind < 2)
		return eng_usage_error("exec", "requires at least 2 arguments: CONTAINER COMMAND [ARG...]");
	_cleanup_free_ char *id = ctr_resolve(argv[optind]), *rt = eng_runtime_root();
	if (!id)
		return EXIT_ENGINE;
	struct json_object *rec = ctr_load(id, &err);
	if (!rec)
		return eng_fail(err, -ENOENT, "cannot load the container");
	_cleanup_free_ char *runtime = jstr(jget(rec, "HostConfig"), "Runtime") ? strdup(jstr(jget(rec, "HostConfig"), "Runtime")) : NULL;
	const char *status = ctr_status(rec);
	pid_t init = (pid_t)jint(jget(rec, "State"), "Pid");
	if (!streq(status, "running")) {
		r = eng_error("container '%s' is not running (%s)", argv[optind], status);
		json_object_put(rec);
		return r;
	}
	json_object_put(rec);

	if (runtime)
		return exec_runtime(runtime, id, init, argc - optind - 1, argv + optind + 1, envs, n_envs, workdir, user,
				    interactive, tty, detach, privileged);

	struct hull_spec *spec = NULL;
	r = hull_container_load_spec(rt, id, &spec, &err);
	if (r < 0)
		return eng_fail(err, r, "cannot load the container's spec");
	struct hull_process p = spec->process;
	_cleanup_free_ char **env = NULL;
	size_t n_env = 0;
	for (size_t i = 0; i < spec->process.n_env; i++)
		env_put(&env, &n_env, spec->process.env[i]);
	if (tty)
		env_put(&env, &n_env, "TERM=xterm");
	for (size_t i = 0; i < n_envs; i++)
		if (strchr(envs[i], '='))
			env_put(&env, &n_env, envs[i]);
	if (!env)
		env = calloc(1, sizeof(char *));
	p.env = env;
	p.n_env = n_env;
	p.args = argv + optind + 1;
	p.n_args = (size_t)(argc - optind - 1);
	p.terminal = tty;
	/* --privileged: every capability in the bounding, effective and
	 * permitted sets (not ambient: a non-root user stays unprivileged). */
	if (privileged) {
		p.has_caps = true;
		for (int set = HULL_CAP_BOUNDING; set <= HULL_CAP_PERMITTED; set++)
			if (set != HULL_CAP_INHERITABLE)
				p.caps[set] = (CAP_LAST_CAP >= 63 ? ~0ULL : (1ULL << (CAP_LAST_CAP + 1)) - 1);
	}
	if (workdir)
		p.cwd = (char *)workdir;
	if (user) {
		char root[64];
		snprintf(root, sizeof(root), "/proc/%d/root", (int)init);
		r = specgen_user(root, user, &p.uid, &p.gid, &err);
		if (r < 0) {
			hull_spec_free(spec);
			return eng_fail(err, r, "cannot resolve the user");
		}
		p.additional_gids = NULL;
		p.n_additional_gids = 0;
	}
	/* Without -i the process reads nothing: our stdin is not its. */
	if (!interactive) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			close(null);
		}
	}
	int master = -1;
	pid_t pid;
	struct hull_exec_opts o = {
		.root = rt,
		.id = id,
		.ret_console_master = tty ? &master : NULL,
	};
	fflush(NULL);
	r = hull_container_exec(&o, &p, &pid, &err);
	hull_spec_free(spec);
	if (r < 0) {
		const char *msg;
		int len, code = eng_exec_status(err, r, &msg, &len);
		if (msg)
			eng_error("%.*s", len, msg);
		else
			eng_error("cannot exec in the container: %s", strerror(-r));
		return code;
	}
	if (detach)
		return 0;

	/* Forward what a shell user sends a foreground job. */
	if (master >= 0)
		relay_tty(master, interactive);
	int st;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return eng_error("cannot wait for the process: %s", strerror(errno));
	if (master >= 0)
		close(master);
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : EXIT_ENGINE;
}
