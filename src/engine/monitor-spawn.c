/* monitor-spawn.c - the hull side of a container's monitor: fork it (twice,
 * in its own session, with nothing of ours but the status pipe), exec the
 * lean static build/hull-monitor next to us (or run it in the fork if that
 * binary is missing), and read what it reports; the attach socket. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "util.h"

/* Execs hull-monitor with the options as arguments; returns only if it
 * cannot. */
static void exec_monitor(const struct monitor_opts *o)
{
	_cleanup_free_ char *self = realpath("/proc/self/exe", NULL), *bin = NULL;
	const char *argv[16];
	size_t n = 0;

	if (!self)
		return;
	if (asprintf(&bin, "%s/hull-monitor", dirname(self)) < 0 || access(bin, X_OK) < 0)
		return;
	argv[n++] = "hull-monitor";
	argv[n++] = eng.root;
	argv[n++] = eng.runroot;
	argv[n++] = o->id;
	argv[n++] = o->attach ? "attach" : "-";
	argv[n++] = o->stdin_open ? "stdin" : "-";
	argv[n++] = o->tty ? "tty" : "-";
	argv[n++] = o->runtime ? o->runtime : "-";
	argv[n] = NULL;
	fcntl(3, F_SETFD, 0); /* the status pipe goes through the exec */
	execv(bin, (char *const *)argv);
	fcntl(3, F_SETFD, FD_CLOEXEC);
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

int monitor_spawn(const struct monitor_opts *o, pid_t *ret_pid, int *ret_attach_fd)
{
	int p[2];
	pid_t child;

	if (pipe2(p, O_CLOEXEC) < 0)
		return eng_error("cannot start the container's monitor: %s", strerror(errno));
	fflush(NULL);
	child = fork();
	if (child < 0)
		return eng_error("cannot start the container's monitor: %s", strerror(errno));
	if (child == 0) {
		close(p[0]);
		setsid();
		pid_t mon = fork();
		if (mon != 0)
			_exit(mon < 0 ? 1 : 0);
		/* The monitor: stdio to /dev/null, no fd of hull's caller kept
		 * (a caller reading our stdout to EOF must not wait for it). */
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
		if (p[1] != 3) {
			dup2(p[1], 3);
			close(p[1]);
		}
		close_range(4, ~0U, 0);
		fcntl(3, F_SETFD, FD_CLOEXEC);
		if (chdir("/") < 0)
			_exit(EXIT_ENGINE);
		exec_monitor(o);
		prctl(PR_SET_NAME, "hull-monitor");
		monitor_run(o, 3);
	}
	close(p[1]);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;

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
