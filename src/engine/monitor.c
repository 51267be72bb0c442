/* monitor.c - one small supervisor per running container.
 *
 * `hull start` (and run) starts it as its grandchild (monitor-spawn.c),
 * in a session of its own; it outlives hull.  It is the parent of the
 * container's init (libhull clones the init from the caller of
 * hull_container_create), so it can waitpid()
 * it.  It owns the container's stdio: the pipes (or the pty master), the
 * json-file log, and an attach socket <runroot>/containers/<id>/attach that
 * a foreground `hull run` / `start -a` reads the output and the exit status
 * from.  When the init exits it records the status (and OOMKilled) in the
 * record, deletes libhull's container (cgroup), unmounts the rootfs,
 * applies --restart and --rm, and exits.
 *
 * It execs nothing and holds no JSON between events: it reads and writes
 * the record only when the state changes.
 *
 * Messages to the spawning hull over the status pipe, one line each:
 * "C" (created; the attach socket listens), "S <pid>" (started),
 * "E <exit status> <message>" (failed: nothing is left running).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "engine.h"
#include "path.h"
#include "spec.h"
#include "state.h"
#include "terminal.h"
#include "util.h"

#define MAX_CLIENTS 8

struct mon {
	const char *id;
	char *run_dir, *rt_root, *log_path;
	int status_fd;     /* to the spawning hull, -1 once it has been told */
	int run_dirfd;     /* O_PATH of run_dir: the socket is bound through /proc/self/fd */
	int listen_fd;
	int sigfd;
	int log_fd;
	int out_fd, err_fd; /* our ends of the container's stdout/stderr (or the pty master in out_fd) */
	int in_fd;          /* our end of its stdin (the pty master with a tty), or -1 */
	int stdin_client;   /* the client whose input goes to stdin, or -1 */
	int clients[MAX_CLIENTS];
	bool client_eof[MAX_CLIENTS]; /* read side done: poll it no more */
	bool tty, stdin_open;
	const char *runtime; /* external OCI runtime, or NULL for libhull */
	pid_t pid;
	/* partial lines per stream for the json-file log */
	char line[2][16384];
	size_t line_len[2];
};

static void report(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct mon *m, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	if (m->status_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	/* One line: a message's own newlines would end it early. */
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[n++] = '\n';
	if (write(m->status_fd, buf, (size_t)n) < 0) {
		/* The spawning hull is gone: nothing more to tell. */
	}
}

static void report_error(struct mon *m, struct hull_error *err, int r, const char *what)
{
	const char *msg;
	int len, code = eng_exec_status(err, r, &msg, &len);

	if (msg)
		report(m, "E %d %.*s", code, len, msg);
	else
		report(m, "E %d %s: %s", code, what, strerror(-r));
}

/* ---- the json-file log ---- */

static void json_escape(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
}

static void log_line(struct mon *m, int stream, const char *s, size_t n)
{
	char buf[65536];
	FILE *f;
	_cleanup_free_ char *now = eng_now();

	if (m->log_fd < 0)
		return;
	f = fmemopen(buf, sizeof(buf), "w");
	if (!f)
		return;
	fputs("{\"log\":\"", f);
	json_escape(f, s, n);
	fprintf(f, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream ? "stderr" : "stdout", now);
	long len = ftell(f);
	fclose(f);
	if (len > 0 && len < (long)sizeof(buf)) {
		if (write(m->log_fd, buf, (size_t)len) < 0) {
			/* A full disk loses log lines, not the container. */
		}
	}
}

/* Splits output into lines (Docker logs a long line in 16 KiB parts). */
static void log_output(struct mon *m, int stream, const char *data, size_t n)
{
	char *line = m->line[stream];
	size_t *len = &m->line_len[stream];

	for (size_t i = 0; i < n; i++) {
		line[(*len)++] = data[i];
		if (data[i] == '\n' || *len == sizeof(m->line[0])) {
			log_line(m, stream, line, *len);
			*len = 0;
		}
	}
}

static void log_flush(struct mon *m)
{
	for (int s = 0; s < 2; s++)
		if (m->line_len[s]) {
			log_line(m, s, m->line[s], m->line_len[s]);
			m->line_len[s] = 0;
		}
}

/* ---- attach clients ---- */

static void client_drop(struct mon *m, int i)
{
	if (m->clients[i] == m->stdin_client)
		m->stdin_client = -1;
	close(m->clients[i]);
	m->clients[i] = -1;
	m->client_eof[i] = false;
}

static void client_send(struct mon *m, int kind, const char *data, size_t n)
{
	unsigned char h[8] = { (unsigned char)kind, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };

	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (m->clients[i] < 0)
			continue;
		if (send(m->clients[i], h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h) ||
		    (n && send(m->clients[i], data, n, MSG_NOSIGNAL) != (ssize_t)n))
			client_drop(m, i);
	}
}

static int client_add(struct mon *m, int fd)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i] < 0) {
			m->clients[i] = fd;
			return i;
		}
	close(fd);
	return -1;
}

static int listen_attach(struct mon *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* Through the dir's fd: a long --runroot would not fit sun_path. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", m->run_dirfd);
	unlinkat(m->run_dirfd, "attach", 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* ---- state in the record ---- */

/* final: the container has ended for good; its rootfs is unmounted first,
 * under the same lock, so that whoever holds the lock and reads an ended
 * container finds it unmounted (`hull cp` then mounts it for itself). */
static void update_record(struct mon *m, void (*fn)(struct json_object *rec, void *data), void *data, bool final)
{
	_cleanup_close_ int lock = ctr_lock(m->id);
	struct json_object *rec = ctr_load_raw(m->id, NULL);

	if (!rec)
		return;
	if (final)
		rootfs_umount(rec);
	fn(rec, data);
	ctr_save(m->id, rec, NULL);
	json_object_put(rec);
}

static void set_running(struct json_object *rec, void *data)
{
	struct mon *m = data;
	struct json_object *st = jget(rec, "State");
	_cleanup_free_ char *now = eng_now();

	ctr_state_set(st, "running", m->pid, 0, false);
	jset(st, "PidStartTime", json_object_new_int64((int64_t)hull_pid_start_time(m->pid)));
	jset(st, "Error", json_object_new_string(""));
	jset(st, "StartedAt", json_object_new_string(now));
	jset(st, "FinishedAt", json_object_new_string("0001-01-01T00:00:00Z"));
}

struct exit_info {
	int code;
	bool oom;
	bool restarting;
};

static void set_exited(struct json_object *rec, void *data)
{
	struct exit_info *e = data;
	_cleanup_free_ char *now = eng_now();

	ctr_state_set_exited(rec, e->code, e->oom, now);
	if (e->restarting) {
		struct json_object *st = jget(rec, "State");
		jset(st, "Status", json_object_new_string("restarting"));
		jset(st, "Restarting", json_object_new_boolean(true));
		jset(rec, "RestartCount", json_object_new_int((int)jint(rec, "RestartCount") + 1));
	}
}

/* Whether a memory.oom_control (v1) or memory.events (v2) file counts an
 * OOM kill; -1 if it cannot be read. */
static int file_says_oom(const char *dir, const char *name)
{
	char path[PATH_MAX], line[256];
	bool oom = false;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (startswith(line, "oom_kill ") && strtoull(line + 9, NULL, 10) > 0)
			oom = true;
	return oom;
}

static bool ext_memory_oom(const char *dir, const char *controllers, void *data)
{
	int r = -1;

	if (streq(controllers, "memory"))
		r = file_says_oom(dir, "memory.oom_control");
	else if (!*controllers)
		r = file_says_oom(dir, "memory.events");
	if (r > 0)
		*(bool *)data = true;
	return r >= 0;
}

/* OOM kills counted by the memory cgroup (v1 memory.oom_control, v2
 * memory.events), read before the cgroup goes. */
static bool oom_killed(struct mon *m)
{
	struct hull_state *st = NULL;
	struct hull_cgroup *cg = NULL;
	bool oom = false;

	if (m->runtime) {
		extrt_cgroup_dirs(m->id, ext_memory_oom, &oom);
		return oom;
	}
	if (hull_state_load(m->rt_root, m->id, &st, NULL) < 0)
		return false;
	if (st->cgroup && hull_cgroup_load("/sys/fs/cgroup", st->cgroup, &cg, NULL) == 0) {
		const char *files[][3] = { { "memory", "/sys/fs/cgroup/memory", "memory.oom_control" },
					   { "", "/sys/fs/cgroup", "memory.events" } };
		for (size_t i = 0; i < ARRAY_SIZE(files) && !oom; i++) {
			const char *p = hull_cgroup_path(cg, files[i][0]);
			char dir[PATH_MAX];
			if (!p)
				continue;
			snprintf(dir, sizeof(dir), "%s%s", files[i][1], p);
			oom = file_says_oom(dir, files[i][2]) > 0;
		}
		hull_cgroup_free(cg);
	}
	hull_state_free(st);
	return oom;
}

/* ---- one run of the container ---- */

static int open_null(int flags)
{
	return open("/dev/null", flags | O_CLOEXEC);
}

/* Brings "lo" up in the container's own network namespace (--net none
 * gives it loopback, as Docker).  A socket belongs to the namespace it was
 * made in: the monitor (single-threaded) steps into the container's just
 * to make one, then back into its own, and sets the flags through it. */
static void loopback_up(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	_cleanup_close_ int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int theirs = open(path, O_RDONLY | O_CLOEXEC);
	if (own < 0 || theirs < 0 || setns(theirs, CLONE_NEWNET) < 0)
		return;
	_cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (setns(own, CLONE_NEWNET) < 0)
		abort(); /* never stay in the container's network */
	struct ifreq ifr = { .ifr_name = "lo" };
	if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return;
	ifr.ifr_flags |= IFF_UP;
	(void)ioctl(sock, SIOCSIFFLAGS, &ifr);
}

/* Deletes the runtime's container (its cgroup): libhull's or the external one's. */
static void mon_delete(struct mon *m)
{
	if (m->runtime)
		extrt_delete(m->runtime, m->id);
	else
		hull_container_delete(m->rt_root, m->id, true, NULL);
}

/* An external runtime with a terminal: it sends the pty master over a
 * console socket, as to conmon. */
static int extrt_create_tty(struct mon *m, int *ret_master, struct hull_error **err)
{
	struct extrt_console c;
	int r = extrt_console_open(&c, err);

	if (r == 0)
		r = extrt_create(m->runtime, m->id, m->run_dir, c.path, &m->pid, err);
	if (r == 0) {
		*ret_master = extrt_console_master(&c, -1, 10000);
		if (*ret_master < 0) {
			r = hull_error_plain(err, EIO, "%s sent no terminal", m->runtime);
			extrt_delete(m->runtime, m->id);
		}
	}
	extrt_console_close(&c);
	return r;
}

/* Creates and starts the container; 0, or reported and -1. */
static int mon_start(struct mon *m, bool attach)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_spec *spec = NULL;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, in[2] = { -1, -1 }, master = -1;
	int r;

	r = hull_spec_load(m->run_dir, &spec, &err);
	if (r < 0) {
		report_error(m, err, r, "cannot load the container's spec");
		return -1;
	}
	m->tty = spec->has_process && spec->process.terminal;
	const struct hull_namespace *netns = hull_spec_namespace(spec, CLONE_NEWNET);
	bool own_netns = netns && !netns->path;
	if (!m->tty) {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
		    (m->stdin_open && pipe2(in, O_CLOEXEC) < 0)) {
			report(m, "E %d cannot make the container's stdio pipes: %s", EXIT_ENGINE, strerror(errno));
			hull_spec_free(spec);
			return -1;
		}
		if (!m->stdin_open)
			in[0] = open_null(O_RDONLY);
		/* The init inherits 0, 1, 2 across clone and exec. */
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		close(in[0]);
		close(out[1]);
		close(errp[1]);
	}

	struct hull_create_opts o = {
		.root = m->rt_root,
		.id = m->id,
		.bundle = m->run_dir,
		.ret_console_master = m->tty ? &master : NULL,
	};
	if (m->runtime && m->tty)
		r = extrt_create_tty(m, &master, &err);
	else if (m->runtime)
		r = extrt_create(m->runtime, m->id, m->run_dir, NULL, &m->pid, &err);
	else
		r = hull_container_create(&o, spec, &m->pid, &err);
	hull_spec_free(spec);
	/* Our 0, 1, 2 back to /dev/null: only the container holds the write
	 * ends, so its exit is our EOF. */
	int null = open_null(O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	close(null);
	if (r < 0) {
		report_error(m, err, r, "cannot create the container");
		if (!m->tty) {
			close(out[0]);
			close(errp[0]);
			if (in[1] >= 0)
				close(in[1]);
		}
		return -1;
	}
	if (own_netns)
		loopback_up(m->pid);
	if (m->tty) {
		m->out_fd = master;
		m->in_fd = master;
		m->err_fd = -1;
	} else {
		m->out_fd = out[0];
		m->err_fd = errp[0];
		m->in_fd = in[1];
	}

	if (attach) {
		report(m, "C");
		struct pollfd p = { .fd = m->listen_fd, .events = POLLIN };
		if (poll(&p, 1, 30000) == 1) {
			int c = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				int i = client_add(m, c);
				if (i >= 0 && m->stdin_open)
					m->stdin_client = c;
			}
		}
	}

	r = m->runtime ? extrt_start(m->runtime, m->id, m->run_dir, &err) : hull_container_start(m->rt_root, m->id, &err);
	if (r < 0) {
		report_error(m, err, r, "cannot start the container");
		mon_delete(m);
		while (waitpid(m->pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	update_record(m, set_running, m, false);
	report(m, "S %d", (int)m->pid);
	/* What create kept for a next create (the init's stack): we make no
	 * other, and hull no longer waits on us. */
	hull_container_release_memory();
	return 0;
}

static void close_stdio(struct mon *m)
{
	if (m->out_fd >= 0)
		close(m->out_fd);
	if (m->err_fd >= 0)
		close(m->err_fd);
	if (m->in_fd >= 0 && m->in_fd != m->out_fd)
		close(m->in_fd);
	m->out_fd = m->err_fd = m->in_fd = -1;
}

/* Reads what is there on fd into the log and the clients; false at EOF. */
static bool pump_output(struct mon *m, int fd, int stream)
{
	char buf[16384];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return true;
	if (n <= 0)
		return false;
	log_output(m, stream, buf, (size_t)n);
	client_send(m, stream ? ATTACH_STDERR : ATTACH_STDOUT, buf, (size_t)n);
	return true;
}

static void pump_client(struct mon *m, int i)
{
	char buf[16384];
	ssize_t n = read(m->clients[i], buf, sizeof(buf));
	bool is_stdin = m->clients[i] == m->stdin_client;

	if (n <= 0) {
		/* EOF of an attached stdin closes the container's stdin (not a
		 * tty's: that stays with the terminal). */
		if (is_stdin && !m->tty && m->in_fd >= 0) {
			close(m->in_fd);
			m->in_fd = -1;
		}
		if (n == 0) {
			m->stdin_client = is_stdin ? -1 : m->stdin_client;
			m->client_eof[i] = true;
			/* keep it for the output and the exit status */
			return;
		}
		client_drop(m, i);
		return;
	}
	if (is_stdin && m->in_fd >= 0)
		eng_write_all(m->in_fd, buf, (size_t)n);
}

/* Runs the event loop until the init is reaped; returns its wait status. */
static int mon_loop(struct mon *m)
{
	int status = 0;
	bool reaped = false;

	for (;;) {
		struct pollfd p[4 + MAX_CLIENTS];
		int n = 0, idx_out = -1, idx_err = -1, idx_listen, idx_sig, idx_client[MAX_CLIENTS];

		p[idx_sig = n++] = (struct pollfd){ .fd = m->sigfd, .events = POLLIN };
		p[idx_listen = n++] = (struct pollfd){ .fd = m->listen_fd, .events = POLLIN };
		if (m->out_fd >= 0)
			p[idx_out = n++] = (struct pollfd){ .fd = m->out_fd, .events = POLLIN };
		if (m->err_fd >= 0)
			p[idx_err = n++] = (struct pollfd){ .fd = m->err_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++) {
			idx_client[i] = -1;
			if (m->clients[i] >= 0 && !m->client_eof[i])
				p[idx_client[i] = n++] = (struct pollfd){ .fd = m->clients[i], .events = POLLIN };
		}
		/* Once reaped, drain what the container wrote, then stop. */
		int timeout = reaped ? 200 : -1;
		if (reaped && m->out_fd < 0 && m->err_fd < 0)
			break;
		int k = poll(p, (nfds_t)n, timeout);
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0 && reaped)
			break;
		if (p[idx_sig].revents) {
			struct signalfd_siginfo si;
			while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo != SIGCHLD && m->pid > 0 && !reaped)
					kill(m->pid, (int)si.ssi_signo); /* our unreaped child */
			}
			for (;;) {
				int st;
				pid_t w = waitpid(-1, &st, WNOHANG);
				if (w <= 0)
					break;
				if (w == m->pid) {
					status = st;
					reaped = true;
				}
			}
		}
		if (p[idx_listen].revents & POLLIN) {
			int c = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			/* `hull attach`: the first client while nobody writes the
			 * container's open stdin gets it. */
			if (c >= 0 && client_add(m, c) >= 0 && m->stdin_open && m->stdin_client < 0 && m->in_fd >= 0)
				m->stdin_client = c;
		}
		if (idx_out >= 0 && p[idx_out].revents && !pump_output(m, m->out_fd, 0)) {
			if (m->in_fd == m->out_fd)
				m->in_fd = -1;
			close(m->out_fd);
			m->out_fd = -1;
		}
		if (idx_err >= 0 && p[idx_err].revents && !pump_output(m, m->err_fd, 1)) {
			close(m->err_fd);
			m->err_fd = -1;
		}
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (idx_client[i] >= 0 && p[idx_client[i]].revents && m->clients[i] >= 0)
				pump_client(m, i);
	}
	log_flush(m);
	close_stdio(m);
	return status;
}

static bool stop_requested(struct mon *m)
{
	return faccessat(m->run_dirfd, "stop-requested", F_OK, 0) == 0;
}

/* Restarting -> exited, keeping the recorded status. */
static void set_stopped(struct json_object *rec, void *data)
{
	struct json_object *st = jget(rec, "State");

	(void)data;
	jset(st, "Status", json_object_new_string("exited"));
	jset(st, "Restarting", json_object_new_boolean(false));
}

/* --restart: whether to run again after an exit with code. */
static bool want_restart(struct mon *m, int code)
{
	struct json_object *rec = ctr_load_raw(m->id, NULL);
	struct json_object *rp = jget(jget(rec, "HostConfig"), "RestartPolicy");
	const char *name = jstr(rp, "Name");
	int64_t max = jint(rp, "MaximumRetryCount"), count = jint(rec, "RestartCount");
	bool again = false;

	if (stop_requested(m))
		again = false; /* `hull stop` / `kill` / `rm -f`: no restart */
	else if (streq(name, "always") || streq(name, "unless-stopped"))
		again = true;
	else if (streq(name, "on-failure"))
		again = code != 0 && (max <= 0 || count < max);
	json_object_put(rec);
	return again;
}

static void mon_finish(struct mon *m, int code)
{
	struct json_object *rec = ctr_load_raw(m->id, NULL);
	bool auto_remove = jbool(jget(rec, "HostConfig"), "AutoRemove");

	rootfs_umount(rec);
	if (auto_remove) {
		_cleanup_free_ char *dir = ctr_dir(m->id);
		volume_remove_anonymous(rec);
		path_remove_tree(dir);
		path_remove_tree(m->run_dir);
	} else {
		/* The bundle stays for a restart; the socket and pid go. */
		_cleanup_free_ char *p = NULL;
		unlinkat(m->run_dirfd, "attach", 0);
		unlinkat(m->run_dirfd, "monitor.pid", 0);
		(void)p;
	}
	json_object_put(rec);
	(void)code;
}

static void write_pid_file(struct mon *m)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d %llu\n", (int)getpid(), hull_pid_start_time(getpid()));
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s/monitor.pid", m->run_dir) < 0)
		abort();
	eng_write_file(p, buf, (size_t)n, 0644, false, NULL);
}

_Noreturn void monitor_run(const struct monitor_opts *o, int status_fd)
{
	struct mon m = {
		.id = o->id,
		.status_fd = status_fd,
		.listen_fd = -1,
		.log_fd = -1,
		.out_fd = -1,
		.err_fd = -1,
		.in_fd = -1,
		.stdin_client = -1,
		.stdin_open = o->stdin_open,
		.runtime = o->runtime,
		.run_dir = ctr_run_dir(o->id),
		.rt_root = eng_runtime_root(),
		.log_path = NULL,
	};
	sigset_t set;
	int code = EXIT_ENGINE;

	for (int i = 0; i < MAX_CLIENTS; i++)
		m.clients[i] = -1;
	fcntl(status_fd, F_SETFD, FD_CLOEXEC);
	if (asprintf(&m.log_path, "%s/containers/%s/%s-json.log", eng.root, o->id, o->id) < 0)
		_exit(EXIT_ENGINE);
	m.log_fd = open(m.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	m.run_dirfd = open(m.run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	/* Signals: SIGCHLD and those that `hull kill` might send us by
	 * mistake come through a signalfd; the container's are forwarded. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	m.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	/* A closed stdin or client gives EPIPE, not death.  Blocked rather
	 * than ignored: an ignored disposition would pass on to the container
	 * across exec, a blocked one libhull's init clears. */
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	m.listen_fd = listen_attach(&m);
	if (m.run_dirfd < 0 || m.sigfd < 0 || m.listen_fd < 0) {
		report(&m, "E %d cannot set up the container's monitor: %s", EXIT_ENGINE, strerror(errno));
		goto out;
	}
	write_pid_file(&m);
	/* An external runtime's init is the child of its `create`, which
	 * exits: as a subreaper we get it, and can waitpid() it. */
	if (m.runtime)
		prctl(PR_SET_CHILD_SUBREAPER, 1);

	bool first = true;
	for (int backoff = 100;; backoff = backoff < 1600 ? backoff * 2 : backoff) {
		if (mon_start(&m, first && o->attach) < 0) {
			if (first)
				goto out;
			code = EXIT_ENGINE;
			break;
		}
		if (first && m.status_fd >= 0) {
			close(m.status_fd);
			m.status_fd = -1;
		}
		first = false;
		int st = mon_loop(&m);
		code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : EXIT_ENGINE;
		struct exit_info e = { .code = code, .oom = oom_killed(&m) };
		mon_delete(&m);
		e.restarting = want_restart(&m, code);
		update_record(&m, set_exited, &e, !e.restarting);
		if (!e.restarting)
			break;
		usleep((useconds_t)backoff * 1000);
		/* A stop during the back-off is final. */
		if (stop_requested(&m)) {
			e.restarting = false;
			update_record(&m, set_stopped, &e, true);
			break;
		}
	}
	/* Unmounted (and removed, with --rm) before the attached client
	 * hears the status: `run --rm` returns with nothing left. */
	mon_finish(&m, code);
	{
		char c[16];
		int n = snprintf(c, sizeof(c), "%d", code);
		client_send(&m, ATTACH_EXIT, c, (size_t)n);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m.clients[i] >= 0)
			client_drop(&m, i);
	_exit(0);
out: {
	/* Failed before the container ran: leave it created, unmounted. */
	struct json_object *rec = ctr_load_raw(m.id, NULL);
	rootfs_umount(rec);
	json_object_put(rec);
	if (m.run_dirfd >= 0) {
		unlinkat(m.run_dirfd, "attach", 0);
		unlinkat(m.run_dirfd, "monitor.pid", 0);
	}
	_exit(EXIT_ENGINE);
}
}
