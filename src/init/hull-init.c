/* hull-init - the container's PID 1 for `hull run --init`: bind-mounted
 * at /dev/init, it runs "COMMAND ARG..." as its child, forwards every
 * signal it can catch to it, reaps every zombie the container's orphans
 * leave, and exits with the child's status (128+N if killed by signal N).
 *
 * Usage: /dev/init -- COMMAND [ARG...]
 * Static and small: nothing from the image is needed to run it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t all, old;
	pid_t child;
	int i = 1;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "hull-init: usage: %s -- COMMAND [ARG...]\n", argv[0]);
		return 125;
	}
	/* Everything blocked here; the child gets the old mask back. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	child = fork();
	if (child < 0) {
		perror("hull-init: fork");
		return 125;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* Its own process group, the terminal's foreground one if any. */
		setpgid(0, 0);
		tcsetpgrp(STDIN_FILENO, getpid());
		execvp(argv[i], argv + i);
		fprintf(stderr, "hull-init: exec %s: %s\n", argv[i], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* Job-control stops are for the child, not for PID 1. */
			kill(child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t w = waitpid(-1, &st, WNOHANG);
			if (w <= 0)
				break;
			if (w == child)
				return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
	}
}
