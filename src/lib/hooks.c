/* hooks.c - see hooks.h */
#include "hooks.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char *const kind_names[HULL_HOOK__MAX] = {
	[HULL_HOOK_PRESTART] = "prestart",
	[HULL_HOOK_CREATE_RUNTIME] = "createRuntime",
	[HULL_HOOK_CREATE_CONTAINER] = "createContainer",
	[HULL_HOOK_START_CONTAINER] = "startContainer",
	[HULL_HOOK_POSTSTART] = "poststart",
	[HULL_HOOK_POSTSTOP] = "poststop",
};

const char *hooks_kind_name(enum hull_hook_kind kind)
{
	return kind < HULL_HOOK__MAX ? kind_names[kind] : "unknown";
}

/* Waits for pid for at most timeout seconds (0 = forever) through a pidfd,
 * so no SIGCHLD handler and no busy loop are needed. */
static int wait_with_timeout(pid_t pid, int timeout, int *ret_status)
{
	if (timeout > 0) {
		_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			int r;
			do
				r = poll(&p, 1, timeout * 1000);
			while (r < 0 && errno == EINTR);
			if (r == 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				return -ETIMEDOUT;
			}
		}
	}
	while (waitpid(pid, ret_status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int hook_run(enum hull_hook_kind kind, const struct hull_hook *h, const char *state_json,
		    struct hull_error **err)
{
	int sv[2];
	char *default_argv[] = { h->path, NULL };
	char *empty_env[] = { NULL };
	int status = 0, r;
	pid_t pid;

	/* A socketpair rather than a pipe: send() with MSG_NOSIGNAL cannot
	 * kill us with SIGPIPE when a hook exits without reading its stdin. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return hull_error_set(err, errno, "%s hook '%s': socketpair", hooks_kind_name(kind), h->path);

	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return hull_error_set(err, -r, "%s hook '%s': fork", hooks_kind_name(kind), h->path);
	}
	if (pid == 0) {
		if (dup2(sv[1], STDIN_FILENO) < 0)
			_exit(127);
		execve(h->path, h->args ? h->args : default_argv, h->env ? h->env : empty_env);
		_exit(127);
	}
	close(sv[1]);
	shutdown(sv[0], SHUT_RD);
	(void)!send(sv[0], state_json, strlen(state_json), MSG_NOSIGNAL);
	close(sv[0]);

	r = wait_with_timeout(pid, h->timeout, &status);
	if (r == -ETIMEDOUT)
		return hull_error_set(err, 0, "%s hook '%s': timed out after %d s", hooks_kind_name(kind), h->path,
				      h->timeout);
	if (r < 0)
		return hull_error_set(err, -r, "%s hook '%s': wait", hooks_kind_name(kind), h->path);
	if (WIFSIGNALED(status))
		return hull_error_set(err, 0, "%s hook '%s': killed by signal %d", hooks_kind_name(kind), h->path,
				      WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return hull_error_set(err, 0, "%s hook '%s': exited with status %d", hooks_kind_name(kind), h->path,
				      WEXITSTATUS(status));
	return 0;
}

int hooks_run(enum hull_hook_kind kind, const struct hull_hook *hooks, size_t n, const char *state_json,
	      struct hull_error **err)
{
	for (size_t i = 0; i < n; i++) {
		int r = hook_run(kind, &hooks[i], state_json, err);
		if (r < 0)
			return r;
	}
	return 0;
}
