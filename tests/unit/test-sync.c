/* Unit tests for sync.c: the create-time messages over a SOCK_SEQPACKET
 * socketpair, as container.c and init.c use it. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync.h"
#include "unit.h"

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		sv[0] = sv[1] = -1;
		CHECK(!"socketpair");
	}
}

TEST(every_type_round_trips)
{
	static const int types[] = { SYNC_GO, SYNC_HOOKS, SYNC_HOOKS_DONE, SYNC_CONSOLE, SYNC_READY, SYNC_ACK, SYNC_ERROR };
	int sv[2];
	pair(sv);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char text[64];
		struct sync_msg m;
		snprintf(text, sizeof(text), "message %zu", i);
		CHECK(sync_send(sv[0], types[i], (int)i * 3, text) == 0);
		memset(&m, 0x5a, sizeof(m));
		CHECK(sync_recv(sv[1], &m) == types[i]);
		CHECK(m.type == types[i]);
		CHECK(m.code == (int)i * 3);
		CHECK_STREQ(m.text, text);
	}
	close(sv[0]);
	close(sv[1]);
}

TEST(both_directions_and_boundaries_kept)
{
	int sv[2];
	struct sync_msg m;
	pair(sv);

	/* Queued messages come out one by one, each whole. */
	CHECK(sync_send(sv[0], SYNC_HOOKS, 0, "") == 0);
	CHECK(sync_send(sv[0], SYNC_ERROR, EACCES, "mounts: cannot mount proc on '/proc'") == 0);
	CHECK(sync_send(sv[1], SYNC_GO, 0, "{\"ociVersion\":\"1.2.0\"}") == 0);
	CHECK(sync_recv(sv[1], &m) == SYNC_HOOKS);
	CHECK_STREQ(m.text, "");
	CHECK(sync_recv(sv[1], &m) == SYNC_ERROR);
	CHECK(m.code == EACCES);
	CHECK_STREQ(m.text, "mounts: cannot mount proc on '/proc'");
	CHECK(sync_recv(sv[0], &m) == SYNC_GO);
	CHECK_STREQ(m.text, "{\"ociVersion\":\"1.2.0\"}");
	close(sv[0]);
	close(sv[1]);
}

TEST(longest_text_whole_longer_truncated)
{
	int sv[2];
	struct sync_msg m;
	size_t max = sizeof(m.text) - 1;
	char *text = malloc(max + 1000);
	pair(sv);

	memset(text, 'j', max);
	text[max] = '\0';
	CHECK(sync_send(sv[0], SYNC_GO, 0, text) == 0);
	CHECK(sync_recv(sv[1], &m) == SYNC_GO);
	CHECK(strlen(m.text) == max);
	CHECK(memcmp(m.text, text, max) == 0);

	memset(text, 'k', max + 999);
	text[max + 999] = '\0';
	CHECK(sync_send(sv[0], SYNC_ERROR, 5, text) == 0);
	memset(&m, 0, sizeof(m));
	CHECK(sync_recv(sv[1], &m) == SYNC_ERROR);
	CHECK(m.code == 5);
	CHECK(strlen(m.text) == max);
	CHECK(m.text[0] == 'k' && m.text[max - 1] == 'k');
	free(text);
	close(sv[0]);
	close(sv[1]);
}

TEST(eof_is_zero)
{
	int sv[2];
	struct sync_msg m;
	pair(sv);

	CHECK(sync_send(sv[0], SYNC_READY, 0, "") == 0);
	close(sv[0]);
	/* What was sent before the close still arrives, then EOF. */
	CHECK(sync_recv(sv[1], &m) == SYNC_READY);
	CHECK(sync_recv(sv[1], &m) == 0);
	CHECK(sync_recv(sv[1], &m) == 0);
	close(sv[1]);
}

TEST(send_to_a_closed_peer_is_epipe_not_sigpipe)
{
	int sv[2];
	pair(sv);

	close(sv[1]);
	CHECK(sync_send(sv[0], SYNC_ACK, 0, "") == -EPIPE);
	close(sv[0]);
}

TEST(bad_fd_is_an_errno)
{
	struct sync_msg m;

	CHECK(sync_send(-1, SYNC_GO, 0, "") == -EBADF);
	CHECK(sync_recv(-1, &m) == -EBADF);
}

TEST(short_message_is_eproto)
{
	int sv[2];
	struct sync_msg m;
	pair(sv);

	/* Shorter than type + code + the text's NUL. */
	int type = SYNC_READY;
	CHECK(send(sv[0], &type, sizeof(type), 0) == (ssize_t)sizeof(type));
	CHECK(sync_recv(sv[1], &m) == -EPROTO);
	/* The next, well-formed message is still read. */
	CHECK(sync_send(sv[0], SYNC_READY, 0, "ok") == 0);
	CHECK(sync_recv(sv[1], &m) == SYNC_READY);
	CHECK_STREQ(m.text, "ok");
	close(sv[0]);
	close(sv[1]);
}

TEST(text_without_nul_ends_where_the_message_ends)
{
	int sv[2];
	struct sync_msg m;
	char raw[offsetof(struct sync_msg, text) + 3];
	int type = SYNC_ERROR, code = EIO;
	pair(sv);

	/* A peer that sends no NUL: the text must not run into whatever the
	 * receiver's buffer held before. */
	memcpy(raw, &type, sizeof(type));
	memcpy(raw + offsetof(struct sync_msg, code), &code, sizeof(code));
	memcpy(raw + offsetof(struct sync_msg, text), "abc", 3);
	CHECK(send(sv[0], raw, sizeof(raw), 0) == (ssize_t)sizeof(raw));
	memset(&m, 'X', sizeof(m));
	CHECK(sync_recv(sv[1], &m) == SYNC_ERROR);
	CHECK(m.code == EIO);
	CHECK(strlen(m.text) <= 3);
	CHECK(strncmp(m.text, "abc", strlen(m.text)) == 0);
	close(sv[0]);
	close(sv[1]);
}
