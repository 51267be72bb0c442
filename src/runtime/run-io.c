/* run-io.c - `hullrt run` in the foreground: forward our signals to the
 * container's init, relay its terminal, wait for it.
 *
 * One poll loop over a signalfd (the forwarded signals and SIGCHLD),
 * stdin and the pty master: no signal handlers, so nothing runs between
 * a signal and the loop, and waitpid() only ever runs in the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hullrt.h"
#include "util.h"

/* What a shell user sends a foreground job, and what supervisors send
 * (runc forwards every signal but SIGCHLD, SIGWINCH and SIGURG).  SIGWINCH
 * resizes the pty instead when we relay one. */
static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGCONT, SIGTSTP, SIGWINCH, SIGPWR,
};

int run_signals_setup(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/* A reader gone from our stdout must not kill us before we reap. */
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static struct termios saved_termios;
static bool termios_saved;

static void copy_winsize(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

void run_tty_setup(int master)
{
	struct termios raw;

	copy_winsize(master);
	/* Raw: keys (^C, ^Z included) go to the container's terminal, which
	 * does the line discipline; ours would do it twice. */
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	termios_saved = true;
	raw = saved_termios;
	/* OPOST off too: the container's terminal already turned "\n" into
	 * "\r\n". */
	cfmakeraw(&raw);
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

void run_tty_restore(void)
{
	if (termios_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
		termios_saved = false;
	}
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies what is readable on from to to.  Returns false once from is at
 * its end (EOF, or EIO: a pty master whose slave is closed everywhere) or
 * to cannot be written. */
static bool pump(int from, int to)
{
	char buf[16384];
	ssize_t n;

	do
		n = read(from, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return true;
	if (n <= 0)
		return false;
	return write_all(to, buf, (size_t)n) == 0;
}

/* Handles pending signals; returns true once pid has been reaped. */
static bool handle_signals(int sigfd, pid_t pid, int master, int *status)
{
	struct signalfd_siginfo si;
	bool reaped = false;

	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD)
			continue; /* reaped below, however many were merged */
		if (sig == SIGWINCH && master >= 0) {
			copy_winsize(master);
			continue;
		}
		rt_debug("run: forwarding signal %d to pid %d", sig, (int)pid);
		/* pid is our unreaped child: it cannot be another process. */
		kill(pid, sig);
	}
	for (;;) {
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w < 0 && errno == EINTR)
			continue;
		if (w == pid) {
			*status = st;
			reaped = true;
		}
		break;
	}
	return reaped;
}

int run_wait(pid_t pid, int sigfd, int master)
{
	bool in_open = master >= 0, master_open = master >= 0;
	int status = 0;

	/* The init may be gone already: its SIGCHLD came before we blocked
	 * it and was dropped. */
	if (handle_signals(sigfd, pid, master, &status))
		goto drain;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = master_open ? master : -1, .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents && handle_signals(sigfd, pid, master, &status))
			break;
		/* stdin at its end: the container keeps its terminal, it just
		 * gets no more input from us. */
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			in_open = pump(STDIN_FILENO, master);
		if (p[1].revents & POLLNVAL)
			in_open = false;
		/* The master hangs up when every copy of the slave is closed;
		 * the init may live on without its terminal. */
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			master_open = pump(master, STDOUT_FILENO);
		if (p[2].revents & POLLNVAL)
			master_open = false;
	}

drain:
	/* What the container wrote just before it exited is still in the
	 * pty: copy it until the master hangs up, or stays quiet for a
	 * moment (a process outside the init may hold the slave open). */
	while (master_open) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		int n = poll(&p, 1, 200);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		master_open = pump(master, STDOUT_FILENO);
	}
	return status;
}
