/* monitor-spawn.c - the hull side of a container's monitor: start the
 * lean static build/hull-monitor next to us, detached (in a session of its
 * own, not its leader, with nothing of ours but the status pipe), and read
 * what it reports; the attach socket. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "util.h"

char *monitor_binary(void)
{
	char self[PATH_MAX], *slash, *bin;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0 || !(self[n] = '\0', slash = strrchr(self, '/'))) {
		eng_error("cannot find the hull binary: %s", strerror(n < 0 ? errno : ENOENT));
		return NULL;
	}
	*slash = '\0';
	if (asprintf(&bin, "%s/hull-monitor", self) < 0)
		abort();
	if (access(bin, X_OK) < 0) {
		eng_error("cannot start the container's monitor: '%s': %s", bin, strerror(errno));
		free(bin);
		return NULL;
	}
	return bin;
}

/* What the two CLONE_VM children of spawn_detached() share with hull,
 * all of it made before the clone. */
struct spawn {
	const char *bin;
	char *const *argv;
	int status_fd;     /* becomes the monitor's fd 3 */
	int null_fd;       /* /dev/null, for its 0, 1, 2 */
	sigset_t mask;     /* hull's signal mask, the monitor's too */
	char *stack;       /* two SPAWN_STACK halves: the session's and the monitor's */
	int exec_errno;    /* set by the grandchild if execve fails */
};

#define SPAWN_STACK (32 * 1024)
/* Not instrumented under ASan: on a stack it does not know, it warns at
 * every call that does not return (_exit, execve). */
#define SPAWN_CHILD __attribute__((no_sanitize_address))

/* The grandchild, in memory it shares with hull (which waits): only
 * syscalls, on its own stack, then execve. */
SPAWN_CHILD static int spawn_exec(void *arg)
{
	struct spawn *s = arg;

	dup2(s->null_fd, 0);
	dup2(s->null_fd, 1);
	dup2(s->null_fd, 2);
	if (s->status_fd != 3)
		dup2(s->status_fd, 3);
	/* No fd of hull's caller kept (a caller reading our stdout to EOF
	 * must not wait for the monitor); fd 3 goes through the exec. */
	close_range(4, ~0U, 0);
	fcntl(3, F_SETFD, 0);
	if (chdir("/") == 0) {
		sigprocmask(SIG_SETMASK, &s->mask, NULL);
		execve(s->bin, s->argv, environ);
	}
	s->exec_errno = errno;
	_exit(127);
}

/* The child: makes the new session, starts the monitor in it (so the
 * monitor is not the session's leader, and no terminal it opens can
 * become its controlling terminal), and exits once that has exec'd. */
SPAWN_CHILD static int spawn_session(void *arg)
{
	struct spawn *s = arg;

	if (setsid() < 0) {
		s->exec_errno = errno;
		_exit(1);
	}
	pid_t pid = clone(spawn_exec, s->stack + SPAWN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, s);
	if (pid < 0)
		s->exec_errno = errno;
	_exit(0);
}

/* Starts bin in a session of its own, as the grandchild of hull, which
 * reaps the child: the double fork of a daemon, but with CLONE_VM |
 * CLONE_VFORK children that share hull's memory until the exec, so
 * neither copies hull's page tables (a fork of hull costs about 1 ms here,
 * and every page hull writes afterwards a copy-on-write fault).  0 or
 * -errno. */
static int spawn_detached(const char *bin, char *const *argv, int status_fd)
{
	struct spawn s = { .bin = bin, .argv = argv, .status_fd = status_fd };
	_cleanup_free_ char *stack = malloc(2 * SPAWN_STACK);
	sigset_t all;
	int r = 0;

	if (!stack)
		return -ENOMEM;
	s.stack = stack;
	s.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (s.null_fd < 0)
		return -errno;
	/* No signal handler of hull's may run on the children's stacks in
	 * hull's memory. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &s.mask);
	pid_t child = clone(spawn_session, stack + 2 * SPAWN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
	if (child < 0)
		r = -errno;
	else {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		if (s.exec_errno)
			r = -s.exec_errno;
	}
	sigprocmask(SIG_SETMASK, &s.mask, NULL);
	close(s.null_fd);
	return r;
}

char *monitor_socket_path(const char *id)
{
	_cleanup_free_ char *dir = ctr_run_dir(id);
	char *p;

	if (asprintf(&p, "%s/attach", dir) < 0)
		abort();
	return p;
}

/* Connects to the monitor's attach socket through an O_PATH fd of its
 * directory (sun_path is short). */
int monitor_attach_connect(const char *id)
{
	_cleanup_free_ char *dir = ctr_run_dir(id);
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (dfd < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", dfd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int monitor_spawn(const struct monitor_opts *o, const char *bin, pid_t *ret_pid, int *ret_attach_fd)
{
	char *const argv[] = {
		"hull-monitor",
		(char *)eng.root,
		(char *)eng.runroot,
		(char *)o->id,
		o->attach ? "attach" : "-",
		o->stdin_open ? "stdin" : "-",
		o->tty ? "tty" : "-",
		o->runtime ? (char *)o->runtime : "-",
		NULL,
	};
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return eng_error("cannot start the container's monitor: %s", strerror(errno));
	r = spawn_detached(bin, argv, p[1]);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return eng_error("cannot start the container's monitor '%s': %s", bin, strerror(-r));
	}

	_cleanup_fclose_ FILE *f = fdopen(p[0], "r");
	char line[4096];
	int fd = -1;

	if (ret_attach_fd)
		*ret_attach_fd = -1;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'C' && o->attach) {
			fd = monitor_attach_connect(o->id);
			if (fd < 0)
				eng_error("cannot attach to the container: %s", strerror(-fd));
		} else if (line[0] == 'S') {
			*ret_pid = (pid_t)atoi(line + 2);
			if (ret_attach_fd)
				*ret_attach_fd = fd;
			else if (fd >= 0)
				close(fd);
			return 0;
		} else if (line[0] == 'E') {
			char *msg = NULL;
			int code = (int)strtol(line + 2, &msg, 10);
			while (msg && *msg == ' ')
				msg++;
			if (fd >= 0)
				close(fd);
			eng_error("%s", msg && *msg ? msg : "the container failed to start");
			return code ? code : EXIT_ENGINE;
		}
	}
	if (fd >= 0)
		close(fd);
	return eng_error("the container's monitor exited before starting it");
}
