/* terminal.c - see terminal.h */
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "path.h"
#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int terminal_open(int ptmx_fd, unsigned int rows, unsigned int cols, int *ret_master, int *ret_slave,
		  int *ret_index, struct hull_error **err)
{
	char buf[32];
	int unlock = 0, index = 0;

	/* Reopen the O_PATH fd: the master then belongs to the devpts
	 * instance mounted in the container, so the slave is visible there. */
	_cleanup_close_ int master = open(path_fd(buf, ptmx_fd), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return hull_error_set(err, errno, "cannot open the container's /dev/pts/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &index) < 0)
		return hull_error_set(err, errno, "cannot unlock the pty");

	/* TIOCGPTPEER opens the slave from the master itself: no path lookup
	 * that a rootfs symlink could redirect. */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return hull_error_set(err, errno, "cannot open the pty slave");
	if (rows && cols) {
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0) {
			close(slave);
			return hull_error_set(err, errno, "cannot set the console size");
		}
	}
	*ret_master = TAKE_FD(master);
	*ret_slave = slave;
	*ret_index = index;
	return 0;
}

int terminal_send_fd(int sock, int fd)
{
	char byte = 0;
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;

	memset(ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int terminal_recv_fd(int sock)
{
	char byte;
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	int fd;

	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0) /* EOF: errno is whatever an earlier call left */
		return -EPIPE;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int terminal_send_to_socket(const char *path, int fd, struct hull_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(addr.sun_path))
		return hull_error_set(err, ENAMETOOLONG, "console socket '%s'", path);
	strcpy(addr.sun_path, path);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return hull_error_set(err, errno, "cannot connect to console socket '%s'", path);
	if (terminal_send_fd(sock, fd) < 0)
		return hull_error_set(err, errno, "cannot send the pty to console socket '%s'", path);
	return 0;
}

int terminal_become_stdio(int slave, struct hull_error **err)
{
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return hull_error_set(err, errno, "cannot make the pty the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return hull_error_set(err, errno, "cannot make the pty stdio");
	return 0;
}
