/* sync.c - see sync.h */
#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int sync_send(int fd, int type, int code, const char *text)
{
	struct sync_msg m = { .type = type, .code = code };
	size_t len = strlen(text);

	if (len >= sizeof(m.text))
		len = sizeof(m.text) - 1;
	memcpy(m.text, text, len);
	/* Send only the used part: most messages are a few bytes. */
	if (send(fd, &m, offsetof(struct sync_msg, text) + len + 1, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int sync_recv(int fd, struct sync_msg *msg)
{
	ssize_t n;

	do
		n = recv(fd, msg, sizeof(*msg), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if ((size_t)n < offsetof(struct sync_msg, text) + 1)
		return -EPROTO;
	/* The text ends with the message: a peer that sent no NUL must not
	 * leave the rest of the buffer (stale bytes) as part of it. */
	msg->text[(size_t)n - offsetof(struct sync_msg, text) - 1] = '\0';
	return msg->type;
}

int sync_send_error(int fd, const char *stage, int r, const struct hull_error *err)
{
	char text[sizeof(((struct sync_msg *)0)->text)];
	int code = err ? err->code : (r < 0 ? -r : r);

	snprintf(text, sizeof(text), "%s: %s", stage, err && err->msg ? err->msg : strerror(r < 0 ? -r : r));
	return sync_send(fd, SYNC_ERROR, code, text);
}
