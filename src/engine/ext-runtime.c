/* ext-runtime.c - `hull --runtime PATH`: the monitor drives an external
 * OCI runtime (runc, crun) over the same bundle instead of calling
 * libhull: `create` (the init, reparented to the monitor, a subreaper,
 * so it can still waitpid() it), `start`, `delete -f`.  Its state is in
 * <runroot>/ext-runtime; its errors are read back from its --log. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "terminal.h"
#include "util.h"

char *extrt_root(void)
{
	char *p;
	if (asprintf(&p, "%s/ext-runtime", eng.runroot) < 0)
		abort();
	return p;
}

/* The last message in the runtime's text log: msg="..." of its last line. */
static char *last_log_message(const char *log)
{
	_cleanup_fclose_ FILE *f = fopen(log, "re");
	char line[4096], last[4096] = "";

	while (f && fgets(line, sizeof(line), f))
		snprintf(last, sizeof(last), "%s", line);
	last[strcspn(last, "\n")] = '\0';
	char *m = strstr(last, "msg=\"");
	if (m) {
		m += 5;
		char *end = strrchr(m, '"');
		if (end)
			*end = '\0';
		return strdup(m);
	}
	return last[0] ? strdup(last) : NULL;
}

/* Runs RUNTIME --root R --log L ARGS... and waits for it. */
static int run(const char *runtime, const char *log, const char *const *args, struct hull_error **err)
{
	_cleanup_free_ char *root = extrt_root();
	const char *argv[16] = { runtime, "--root", root, "--log", log };
	size_t n = 5;
	int st;

	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return hull_error_set(err, errno, "cannot run '%s'", runtime);
	if (pid == 0) {
		execv(runtime, (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return hull_error_set(err, errno, "cannot wait for '%s'", runtime);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return hull_error_plain(err, ENOENT, "cannot run the OCI runtime '%s'", runtime);
	_cleanup_free_ char *msg = last_log_message(log);
	/* runc's text log escapes quotes. */
	for (char *p = msg; p && (p = strstr(p, "\\\"")); p++)
		memmove(p, p + 1, strlen(p));
	/* A command not found / not executable: as libhull says it, for 127 / 126. */
	int code = EIO;
	if (msg && strstr(msg, "exec: ") && strstr(msg, "not found"))
		code = ENOENT;
	else if (msg && strstr(msg, "exec: ") && strstr(msg, "permission denied"))
		code = EACCES;
	return hull_error_plain(err, code, "%s %s: %s", runtime, argv[5], msg ? msg : "failed");
}

int extrt_create(const char *runtime, const char *id, const char *bundle, const char *console_socket, pid_t *ret_pid,
		 struct hull_error **err)
{
	_cleanup_free_ char *pidfile = NULL, *log = NULL;
	char buf[32] = "";

	if (asprintf(&pidfile, "%s/init.pid", bundle) < 0 || asprintf(&log, "%s/runtime.log", bundle) < 0)
		abort();
	unlink(pidfile);
	const char *args[] = { "create", "--bundle", bundle, "--pid-file", pidfile, id, NULL, NULL, NULL };
	if (console_socket) {
		args[5] = "--console-socket";
		args[6] = console_socket;
		args[7] = id;
	}
	int r = run(runtime, log, args, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(pidfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return hull_error_set(err, errno ? errno : EIO, "%s create left no pid file", runtime);
	*ret_pid = (pid_t)atoi(buf);
	return 0;
}

int extrt_start(const char *runtime, const char *id, const char *bundle, struct hull_error **err)
{
	_cleanup_free_ char *log = NULL;
	if (asprintf(&log, "%s/runtime.log", bundle) < 0)
		abort();
	const char *args[] = { "start", id, NULL };
	return run(runtime, log, args, err);
}

void extrt_cgroup_dirs(const char *id, bool (*fn)(const char *dir, const char *controllers, void *data), void *data)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024], dir[PATH_MAX];
	/* cgroup2 is mounted there on a hybrid host, at the top on a v2 one. */
	bool hybrid = access("/sys/fs/cgroup/unified", F_OK) == 0;

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		*p++ = '\0';
		const char *ctrl = c + 1, *mnt = startswith(ctrl, "name=") ? ctrl + 5 : ctrl;
		if (!*mnt)
			mnt = hybrid ? "unified" : "";
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s%s%s/hull%s%s", *mnt ? "/" : "", mnt, streq(p, "/") ? "" : p,
			 id ? "/" : "", id ? id : "");
		if (fn(dir, ctrl, data))
			break;
	}
}

/* rmdir of the "hull" parent: under our own cgroup, where runc puts a
 * relative cgroupsPath, and at the hierarchy's top, where crun puts it.
 * rmdir only removes it empty, i.e. once its last container is gone. */
static bool rmdir_one(const char *dir, const char *controllers, void *data)
{
	char top[PATH_MAX];
	const char *mnt = dir + strlen("/sys/fs/cgroup/"), *end = strchr(mnt, '/');

	rmdir(dir);
	if (startswith(dir, "/sys/fs/cgroup/") && end) {
		snprintf(top, sizeof(top), "/sys/fs/cgroup/%.*s/hull", (int)(end - mnt), mnt);
		if (!streq(top, dir))
			rmdir(top);
	}
	return false;
}

void extrt_delete(const char *runtime, const char *id)
{
	_cleanup_free_ char *log = NULL, *run_dir = ctr_run_dir(id);
	if (asprintf(&log, "%s/runtime.log", run_dir) < 0)
		abort();
	const char *args[] = { "delete", "--force", id, NULL };
	run(runtime, log, args, NULL);
	/* The runtime leaves the "hull" parent it made: removed as libhull
	 * does once its last container goes. */
	extrt_cgroup_dirs(NULL, rmdir_one, NULL);
}

int extrt_update(const char *runtime, const char *id, const char *resources_file, struct hull_error **err)
{
	_cleanup_free_ char *log = NULL, *run_dir = ctr_run_dir(id);
	if (asprintf(&log, "%s/runtime.log", run_dir) < 0)
		abort();
	const char *args[] = { "update", "--resources", resources_file, id, NULL };
	return run(runtime, log, args, err);
}

int extrt_pause(const char *runtime, const char *id, bool pause, struct hull_error **err)
{
	_cleanup_free_ char *log = NULL, *run_dir = ctr_run_dir(id);
	if (asprintf(&log, "%s/runtime.log", run_dir) < 0)
		abort();
	const char *args[] = { pause ? "pause" : "resume", id, NULL };
	return run(runtime, log, args, err);
}

int extrt_console_open(struct extrt_console *c, struct hull_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	c->fd = -1;
	snprintf(c->dir, sizeof(c->dir), "/tmp/hull-console-XXXXXX");
	if (!mkdtemp(c->dir)) {
		c->dir[0] = '\0';
		return hull_error_set(err, errno, "cannot make a console socket directory");
	}
	snprintf(c->path, sizeof(c->path), "%s/sock", c->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(c->fd, 1) < 0) {
		int r = hull_error_set(err, errno, "cannot make the console socket");
		extrt_console_close(c);
		return r;
	}
	return 0;
}

int extrt_console_master(struct extrt_console *c, pid_t pid, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 100) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		siginfo_t si = { 0 };
		if (poll(&p, 1, 100) == 1) {
			_cleanup_close_ int conn = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
			return conn >= 0 ? terminal_recv_fd(conn) : -1;
		}
		/* Gone (or failed) before sending one: no use waiting on. */
		if (pid > 0 && (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == pid))
			return -1;
	}
	return -1;
}

void extrt_console_close(struct extrt_console *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->dir[0]) {
		unlink(c->path);
		rmdir(c->dir);
		c->dir[0] = '\0';
	}
}
