/* sync.h - the messages between hull and a container's init while it is
 * being created, over a SOCK_SEQPACKET socketpair.
 *
 *   parent                         init (in the new namespaces)
 *   clone3 -------------------->   waits for GO
 *   uid/gid maps, cgroup, GO -->   joins namespaces, mounts
 *                             <--  HOOKS (if prestart/createRuntime hooks)
 *   runs them, HOOKS_DONE ----->   pivot_root, process attributes
 *                             <--  CONSOLE (+ pty master as SCM_RIGHTS)
 *   to --console-socket, ACK -->
 *                             <--  SECCOMP (+ notify listener fd), once the
 *                                   filter is loaded, if it has NOTIFY rules
 *   sends it to listenerPath, ACK ->
 *                             <--  READY, or ERROR {stage, errno, message}
 *   state.json, pid file, ACK ->   waits on exec.fifo for start (in the dmz,
 *   waits for EOF                  if it shares hull's memory: see init.h)
 *
 * Every message of the init waits for hull's answer, so that an init
 * sharing hull's memory never runs while hull does.
 */
#ifndef HULL_SYNC_H
#define HULL_SYNC_H

#include "error.h"

#include <stddef.h>

enum sync_type {
	SYNC_GO = 1,
	SYNC_HOOKS,
	SYNC_HOOKS_DONE,
	SYNC_CONSOLE,
	SYNC_READY,
	SYNC_ACK,
	SYNC_ERROR,
	SYNC_SECCOMP,
};

struct sync_msg {
	int type;
	int code;       /* SYNC_ERROR: positive errno */
	char text[4000]; /* SYNC_ERROR: "stage: message"; SYNC_GO: state JSON for hooks */
};

int sync_send(int fd, int type, int code, const char *text);
/* Returns the message type, 0 on EOF, or a negative errno. */
int sync_recv(int fd, struct sync_msg *msg);

/* The child's report of a failure: SYNC_ERROR with "<stage>: <message>"
 * (err's message, else strerror of r) and err's errno (else -r). */
int sync_send_error(int fd, const char *stage, int r, const struct hull_error *err);

#endif
