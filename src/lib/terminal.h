/* terminal.h - the container's pseudo-terminal.
 *
 * The pty is made inside the container's own devpts instance; its master
 * goes to the caller (conmon, containerd, podman) over --console-socket as
 * SCM_RIGHTS, the way runc sends it.
 */
#ifndef HULL_TERMINAL_H
#define HULL_TERMINAL_H

#include "error.h"

/* Opens a new pty from the ptmx at ptmx_fd (an O_PATH fd of the
 * container's /dev/pts/ptmx): *ret_master and *ret_slave are O_CLOEXEC
 * fds, *ret_index the pty number.  Sets the window size when rows/cols
 * are non-zero. */
int terminal_open(int ptmx_fd, unsigned int rows, unsigned int cols, int *ret_master, int *ret_slave,
		  int *ret_index, struct hull_error **err);

/* Connects to the AF_UNIX socket at path and sends fd with SCM_RIGHTS. */
int terminal_send_to_socket(const char *path, int fd, struct hull_error **err);

/* Sends / receives one fd over a connected socket (with a one-byte payload). */
int terminal_send_fd(int sock, int fd);
int terminal_recv_fd(int sock);

/* Makes the slave the caller's controlling terminal and its stdio. */
int terminal_become_stdio(int slave, struct hull_error **err);

#endif
