/* cmd-create.c - `hullrt create` and `hullrt run`. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "hullrt.h"
#include "spec.h"
#include "util.h"

struct create_args {
	const char *cmd;
	const char *id;
	const char *bundle;
	const char *console_socket;
	const char *pid_file;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	bool detach; /* run only */
	bool keep;   /* run only */
};

enum {
	OPT_CONSOLE_SOCKET = 256,
	OPT_PID_FILE,
	OPT_NO_PIVOT,
	OPT_NO_NEW_KEYRING,
	OPT_PRESERVE_FDS,
	OPT_KEEP,
	OPT_NO_SUBREAPER,
};

/* Returns 0, or the exit status after printing a usage error; -1 after
 * --help was printed (exit 0). */
static int parse_args(bool run, int argc, char **argv, struct create_args *a)
{
#define COMMON_OPTS                                                                  \
	{ "bundle", required_argument, NULL, 'b' },                                  \
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },           \
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },                       \
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },                             \
	{ "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },                 \
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },               \
	{ "help", no_argument, NULL, 'h' }
	static const struct option create_opts[] = { COMMON_OPTS, {} };
	static const struct option run_opts[] = {
		COMMON_OPTS,
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
		{},
	};
#undef COMMON_OPTS
	char *end;
	long n;
	int c;

	*a = (struct create_args){ .cmd = run ? "run" : "create", .bundle = "." };
	while ((c = rt_getopt(a->cmd, argc, argv, run ? ":b:hd" : ":b:h", run ? run_opts : create_opts)) != -1) {
		switch (c) {
		case 'b':
			a->bundle = optarg;
			break;
		case OPT_CONSOLE_SOCKET:
			a->console_socket = optarg;
			break;
		case OPT_PID_FILE:
			a->pid_file = optarg;
			break;
		case OPT_NO_PIVOT:
			a->no_pivot = true;
			break;
		case OPT_NO_NEW_KEYRING:
			a->no_new_keyring = true;
			break;
		case OPT_PRESERVE_FDS:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 0 || n > INT_MAX - 3)
				return rt_usage_error(a->cmd, "invalid --preserve-fds '%s': must be a number of fds", optarg);
			a->preserve_fds = (int)n;
			break;
		case 'd':
			a->detach = true;
			break;
		case OPT_KEEP:
			a->keep = true;
			break;
		case OPT_NO_SUBREAPER:
			break;
		case 'h':
			rt_help(a->cmd);
			return -1;
		default:
			return 1;
		}
	}
	a->id = rt_take_id(a->cmd, argc, argv, 0);
	return a->id ? 0 : 1;
}

/* Everything `create` and `run` do before the container exists: the
 * bundle's real path, the spec, the options for the library. */
struct prepared {
	char *bundle;
	char *pid_file;
	struct hull_spec *spec;
};

static void prepared_done(struct prepared *p)
{
	free(p->bundle);
	free(p->pid_file);
	hull_spec_free(p->spec);
}

static int prepare(const struct create_args *a, struct prepared *p)
{
	_cleanup_free_ char *abs = rt_absolute(a->bundle);
	_cleanup_error_ struct hull_error *err = NULL;
	int r;

	if (!abs) {
		rt_error("bundle '%s': %s", a->bundle, strerror(errno));
		return 1;
	}
	p->bundle = realpath(abs, NULL);
	if (!p->bundle) {
		rt_error("bundle '%s': %s", abs, strerror(errno));
		return 1;
	}
	/* The library writes the pid file; a relative one means relative to
	 * where the caller ran us. */
	if (a->pid_file && !(p->pid_file = rt_absolute(a->pid_file))) {
		rt_error("pid file '%s': %s", a->pid_file, strerror(errno));
		return 1;
	}
	r = hull_spec_load(p->bundle, &p->spec, &err);
	if (r < 0)
		return rt_fail(err, r, "cannot load the bundle's config.json");

	bool terminal = p->spec->has_process && p->spec->process.terminal;
	if (a->console_socket && !terminal) {
		rt_error("cannot use console socket if hullrt will not allocate tty (process.terminal is false)");
		return 1;
	}
	if (terminal && !a->console_socket && (a->detach || streq(a->cmd, "create"))) {
		rt_error("cannot allocate tty if hullrt will detach without setting console socket");
		return 1;
	}
	rt_debug("%s: container '%s', bundle '%s'", a->cmd, a->id, p->bundle);
	return 0;
}

static void create_warn(const char *msg, void *userdata)
{
	rt_warn("%s", msg);
}

static int create(const struct create_args *a, const struct prepared *p, int *ret_master, pid_t *ret_pid)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_create_opts o = {
		.root = rt.root,
		.id = a->id,
		.bundle = p->bundle,
		.console_socket = a->console_socket,
		.pid_file = p->pid_file,
		.no_pivot = a->no_pivot,
		.no_new_keyring = a->no_new_keyring,
		.preserve_fds = a->preserve_fds,
		.ret_console_master = ret_master,
		.warn = create_warn,
	};
	int r = hull_container_create(&o, p->spec, ret_pid, &err);

	if (r < 0)
		return rt_fail(err, r, "cannot create the container");
	rt_debug("%s: container '%s' created, init pid %d", a->cmd, a->id, (int)*ret_pid);
	return 0;
}

int cmd_create(int argc, char **argv)
{
	struct create_args a;
	struct prepared p = {};
	pid_t pid;
	int r = parse_args(false, argc, argv, &a);

	if (r)
		return r < 0 ? 0 : r;
	r = prepare(&a, &p);
	if (r == 0)
		r = create(&a, &p, NULL, &pid);
	prepared_done(&p);
	return r;
}

/* Deletes what run made after a failure; the error is already printed. */
static void run_cleanup(const char *id)
{
	_cleanup_error_ struct hull_error *err = NULL;
	int r = hull_container_delete(rt.root, id, true, &err);

	if (r < 0)
		rt_fail(err, r, "cannot delete the container");
}

static int run_foreground(const struct create_args *a, const struct prepared *p)
{
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_close_ int master = -1, sigfd = -1;
	bool terminal = p->spec->has_process && p->spec->process.terminal;
	pid_t pid;
	int r, status;

	/* The init is cloned from us: it would inherit a blocked signal
	 * mask, so signals are blocked (for the signalfd) only once it
	 * exists.  Until start it waits on the exec fifo, so no signal meant
	 * for the user's program is lost meanwhile. */
	r = create(a, p, terminal && !a->console_socket ? &master : NULL, &pid);
	if (r)
		return r;
	sigfd = run_signals_setup();
	if (sigfd < 0) {
		rt_error("cannot set up signal forwarding: %s", strerror(-sigfd));
		run_cleanup(a->id);
		return 1;
	}
	if (master >= 0)
		run_tty_setup(master);

	r = hull_container_start(rt.root, a->id, &err);
	if (r < 0) {
		run_tty_restore();
		rt_fail(err, r, "cannot start the container");
		run_cleanup(a->id);
		return 1;
	}

	status = run_wait(pid, sigfd, master);
	run_tty_restore();
	if (status < 0) {
		rt_error("cannot wait for the container's process: %s", strerror(-status));
		run_cleanup(a->id);
		return 1;
	}
	rt_debug("run: container '%s' exited, wait status 0x%x", a->id, (unsigned int)status);

	if (!a->keep) {
		hull_error_free(TAKE_PTR(err));
		r = hull_container_delete(rt.root, a->id, false, &err);
		if (r < 0)
			rt_fail(err, r, "cannot delete the container");
	}
	/* The container's own status, as a shell reports it. */
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int cmd_run(int argc, char **argv)
{
	struct create_args a;
	struct prepared p = {};
	pid_t pid;
	int r = parse_args(true, argc, argv, &a);

	if (r)
		return r < 0 ? 0 : r;
	r = prepare(&a, &p);
	if (r == 0 && a.detach) {
		/* The init, our child, is reparented when we exit. */
		r = create(&a, &p, NULL, &pid);
		if (r == 0) {
			_cleanup_error_ struct hull_error *err = NULL;
			int s = hull_container_start(rt.root, a.id, &err);
			if (s < 0) {
				r = rt_fail(err, s, "cannot start the container");
				run_cleanup(a.id);
			}
		}
	} else if (r == 0)
		r = run_foreground(&a, &p);
	prepared_done(&p);
	return r;
}
