/* attach.c - the client side of a container's stdio: a foreground `hull
 * run` / `start -a` relays the monitor's frames to our stdout and stderr,
 * our stdin to the container (-i), and our signals to its init; and
 * `hull logs` reads the json-file log. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "engine.h"
#include "util.h"

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int attach_run(int fd, bool use_stdin, bool tty, pid_t pid)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct termios saved, raw;
	bool raw_mode = false, stdin_open = use_stdin;
	sigset_t set;
	int code = -1;

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	_cleanup_close_ int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	if (tty && use_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		raw_mode = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				if (pid > 0)
					kill(pid, (int)si.ssi_signo);
		}
		if (p[2].revents) {
			char buf[16384];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0) {
				stdin_open = false;
				shutdown(fd, SHUT_WR);
			} else if (eng_write_all(fd, buf, (size_t)n) < 0)
				stdin_open = false;
		}
		if (p[0].revents) {
			unsigned char h[8];
			if (read_full(fd, h, sizeof(h)) < 0)
				break;
			size_t len = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
			_cleanup_free_ char *buf = malloc(len + 1);
			if (!buf || read_full(fd, buf, len) < 0)
				break;
			buf[len] = '\0';
			if (h[0] == ATTACH_EXIT) {
				code = atoi(buf);
				break;
			}
			eng_write_all(h[0] == ATTACH_STDERR ? STDERR_FILENO : STDOUT_FILENO, buf, len);
		}
	}
	if (raw_mode)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return code;
}

/* ---- logs ---- */

static void print_entry(const char *line, bool timestamps)
{
	struct json_object *o = json_tokener_parse(line);
	const char *log = jstr(o, "log"), *stream = jstr(o, "stream"), *t = jstr(o, "time");
	FILE *out = streq(stream, "stderr") ? stderr : stdout;

	if (log) {
		if (timestamps && t)
			fprintf(out, "%s ", t);
		fputs(log, out);
		fflush(out);
	}
	json_object_put(o);
}

int logs_print(const char *id, bool follow, long tail, bool timestamps)
{
	_cleanup_free_ char *path = NULL, *name = NULL;
	char **lines = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;

	if (asprintf(&name, "%s-json.log", id) < 0)
		abort();
	path = ctr_file(id, name);
	FILE *f = fopen(path, "re");
	if (!f && !follow)
		return 0;
	if (!f) {
		/* Not started yet: the monitor creates it. */
		for (int i = 0; i < 100 && !f; i++) {
			usleep(20000);
			f = fopen(path, "re");
		}
		if (!f)
			return 0;
	}
	/* --tail N: keep the last N lines in a ring. */
	while (getline(&line, &lcap, f) > 0) {
		if (tail < 0) {
			print_entry(line, timestamps);
			continue;
		}
		if (tail == 0)
			continue;
		if (n < (size_t)tail) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				lines = realloc(lines, cap * sizeof(char *));
			}
			lines[n++] = strdup(line);
		} else {
			free(lines[0]);
			memmove(lines, lines + 1, (n - 1) * sizeof(char *));
			lines[n - 1] = strdup(line);
		}
	}
	for (size_t i = 0; i < n; i++) {
		print_entry(lines[i], timestamps);
		free(lines[i]);
	}
	free(lines);
	if (follow) {
		/* Until the container stops: poll the file for new lines. */
		_cleanup_free_ char *partial = NULL;
		for (;;) {
			clearerr(f);
			ssize_t got = getline(&line, &lcap, f);
			if (got > 0 && line[got - 1] == '\n') {
				print_entry(line, timestamps);
				continue;
			}
			if (got > 0)
				fseek(f, -got, SEEK_CUR);
			struct json_object *rec = ctr_load(id, NULL);
			bool running = rec && ctr_is_running(rec);
			json_object_put(rec);
			if (!running) {
				clearerr(f);
				while (getline(&line, &lcap, f) > 0)
					print_entry(line, timestamps);
				break;
			}
			usleep(50000);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-stdin", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'H' },
		{},
	};
	bool no_stdin = false;
	int c;

	while ((c = eng_getopt("attach", argc, argv, "+:", opts)) != -1) {
		switch (c) {
		case 'n': no_stdin = true; break;
		case 'H': return eng_help("attach");
		default: return EXIT_ENGINE;
		}
	}
	if (argc - optind != 1)
		return eng_usage_error("attach", "requires exactly 1 argument");
	_cleanup_free_ char *id = ctr_resolve(argv[optind]);
	if (!id)
		return EXIT_ENGINE;
	struct json_object *rec = ctr_load(id, NULL);
	bool running = rec && streq(ctr_status(rec), "running");
	bool tty = jbool(jget(rec, "Config"), "Tty"), open_stdin = jbool(jget(rec, "Config"), "OpenStdin");
	pid_t pid = (pid_t)jint(jget(rec, "State"), "Pid");
	json_object_put(rec);
	if (!running)
		return eng_error("cannot attach to container '%s': it is not running", argv[optind]);
	int fd = monitor_attach_connect(id);
	if (fd < 0)
		return eng_error("cannot attach to container '%s': %s", argv[optind], strerror(-fd));
	int code = attach_run(fd, open_stdin && !no_stdin, tty, pid);
	close(fd);
	if (code < 0) {
		/* The monitor went away before telling the status. */
		rec = ctr_load(id, NULL);
		code = rec ? (int)jint(jget(rec, "State"), "ExitCode") : EXIT_ENGINE;
		json_object_put(rec);
	}
	return code;
}
