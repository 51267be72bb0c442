/* Unit tests for terminal.c: a pty from a ptmx fd with the console size
 * applied, the master passed over a socket (SCM_RIGHTS) still working, and
 * the slave becoming a session's controlling terminal and stdio. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "path.h"
#include "terminal.h"
#include "unit.h"

static int open_pty(unsigned rows, unsigned cols, int *master, int *slave, int *index)
{
	int ptmx = open("/dev/ptmx", O_PATH | O_CLOEXEC);
	struct hull_error *err = NULL;
	CHECK(ptmx >= 0);
	int r = terminal_open(ptmx, rows, cols, master, slave, index, &err);
	if (r < 0)
		fprintf(stderr, "  terminal_open: %s\n", err ? err->msg : "?");
	hull_error_free(err);
	close(ptmx);
	return r;
}

static bool cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl >= 0 && (fl & FD_CLOEXEC);
}

/* Writes s on one side and reads it back on the other (raw mode on the
 * slave so no line discipline changes the bytes). */
static bool passes(int from, int to, const char *s)
{
	char buf[64] = { 0 };
	size_t len = strlen(s), got = 0;
	if (write(from, s, len) != (ssize_t)len)
		return false;
	while (got < len) {
		ssize_t n = read(to, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return got == len && memcmp(buf, s, len) == 0;
}

static void make_raw(int slave)
{
	struct termios t;
	CHECK(tcgetattr(slave, &t) == 0);
	cfmakeraw(&t);
	CHECK(tcsetattr(slave, TCSANOW, &t) == 0);
}

TEST(open_applies_the_console_size)
{
	int master = -1, slave = -1, index = -1;
	struct winsize ws = { 0 };

	CHECK(open_pty(37, 113, &master, &slave, &index) == 0);
	CHECK(ioctl(slave, TIOCGWINSZ, &ws) == 0);
	CHECK(ws.ws_row == 37 && ws.ws_col == 113);
	CHECK(cloexec(master) && cloexec(slave));

	/* index is the slave's number: /dev/pts/<index> is the slave. */
	char want[64], p[32], link[PATH_MAX] = { 0 };
	snprintf(want, sizeof(want), "/dev/pts/%d", index);
	CHECK(readlink(path_fd(p, slave), link, sizeof(link) - 1) > 0);
	CHECK_STREQ(link, want);
	int n = -1;
	CHECK(ioctl(master, TIOCGPTN, &n) == 0 && n == index);
	close(master);
	close(slave);
}

TEST(open_without_size_leaves_it_alone)
{
	int master = -1, slave = -1, index = -1;
	struct winsize ws = { .ws_row = 99, .ws_col = 99 };

	CHECK(open_pty(0, 0, &master, &slave, &index) == 0);
	CHECK(ioctl(slave, TIOCGWINSZ, &ws) == 0);
	CHECK(ws.ws_row == 0 && ws.ws_col == 0);
	close(master);
	close(slave);
}

TEST(master_and_slave_talk)
{
	int master = -1, slave = -1, index = -1;

	CHECK(open_pty(24, 80, &master, &slave, &index) == 0);
	make_raw(slave);
	CHECK(passes(master, slave, "to the container"));
	CHECK(passes(slave, master, "from the container"));
	close(master);
	close(slave);
}

TEST(bad_ptmx_fd_is_an_error)
{
	struct hull_error *err = NULL;
	int master = -1, slave = -1, index = -1;

	CHECK(terminal_open(-1, 0, 0, &master, &slave, &index, &err) < 0);
	CHECK(err && strstr(err->msg, "/dev/pts/ptmx"));
	hull_error_free(err);
	err = NULL;

	/* Not a ptmx: opens, but is no pty master. */
	int null = open("/dev/null", O_PATH | O_CLOEXEC);
	CHECK(terminal_open(null, 0, 0, &master, &slave, &index, &err) < 0);
	CHECK(err && strstr(err->msg, "pty"));
	CHECK(master == -1 && slave == -1);
	close(null);
	hull_error_free(err);
}

TEST(master_sent_over_a_socket_still_works)
{
	int master = -1, slave = -1, index = -1, sv[2];

	CHECK(open_pty(24, 80, &master, &slave, &index) == 0);
	make_raw(slave);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(terminal_send_fd(sv[0], master) == 0);
	close(master); /* only the received copy is left */
	int got = terminal_recv_fd(sv[1]);
	CHECK(got >= 0);
	CHECK(cloexec(got));
	int n = -1;
	CHECK(ioctl(got, TIOCGPTN, &n) == 0 && n == index);
	CHECK(passes(got, slave, "over SCM_RIGHTS"));
	CHECK(passes(slave, got, "and back"));
	close(got);
	close(slave);
	close(sv[0]);
	close(sv[1]);
}

TEST(recv_without_an_fd_or_at_eof_fails)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);

	/* A byte but no SCM_RIGHTS. */
	CHECK(send(sv[0], "x", 1, 0) == 1);
	CHECK(terminal_recv_fd(sv[1]) == -EBADMSG);

	/* EOF: the peer is gone, whatever errno said before. */
	close(sv[0]);
	errno = ENOENT;
	CHECK(terminal_recv_fd(sv[1]) == -EPIPE);
	close(sv[1]);

	CHECK(terminal_send_fd(-1, 0) == -EBADF);
	CHECK(terminal_recv_fd(-1) == -EBADF);
}

TEST(send_to_console_socket)
{
	char tmpl[] = "/tmp/hull-unit-term-XXXXXX", path[PATH_MAX];
	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(path, sizeof(path), "%s/console.sock", tmpl);

	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%.100s", path);
	int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(listen(lsock, 1) == 0);

	int master = -1, slave = -1, index = -1;
	struct hull_error *err = NULL;
	CHECK(open_pty(10, 20, &master, &slave, &index) == 0);
	make_raw(slave);
	/* connect() completes against the backlog before accept(). */
	CHECK(terminal_send_to_socket(path, master, &err) == 0);
	int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	CHECK(conn >= 0);
	int got = terminal_recv_fd(conn);
	CHECK(got >= 0);
	CHECK(passes(got, slave, "console socket"));
	struct winsize ws = { 0 };
	CHECK(ioctl(got, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 10 && ws.ws_col == 20);
	close(got);
	close(conn);

	/* Nobody listening at the path: an error naming it. */
	char missing[PATH_MAX + 16];
	snprintf(missing, sizeof(missing), "%s/nobody.sock", tmpl);
	CHECK(terminal_send_to_socket(missing, master, &err) == -ENOENT);
	CHECK(err && strstr(err->msg, missing));

	/* Longer than sun_path. */
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	CHECK(terminal_send_to_socket(longp, master, &err) == -ENAMETOOLONG);
	CHECK(err && strstr(err->msg, longp));
	hull_error_free(err);

	close(master);
	close(slave);
	close(lsock);
	CHECK(path_remove_tree(tmpl) == 0);
}

TEST(slave_becomes_controlling_terminal_and_stdio)
{
	int master = -1, slave = -1, index = -1;

	CHECK(open_pty(24, 80, &master, &slave, &index) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* A new session has no controlling terminal to begin with. */
		if (setsid() < 0)
			_exit(10);
		if (terminal_become_stdio(slave, NULL) < 0)
			_exit(11);
		for (int fd = 0; fd < 3; fd++) {
			struct stat a, b;
			if (fstat(fd, &a) < 0 || fstat(slave, &b) < 0 || a.st_rdev != b.st_rdev)
				_exit(12);
		}
		if (tcgetsid(0) != getpid() || tcgetpgrp(0) != getpgrp())
			_exit(13);
		_exit(0);
	}
	int status = -1;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "  child status %d\n", status);

	/* Not a tty at all: an error. */
	struct hull_error *err = NULL;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(terminal_become_stdio(null, &err) < 0);
	CHECK(err && strstr(err->msg, "controlling terminal"));
	hull_error_free(err);
	close(null);
	close(master);
	close(slave);
}
