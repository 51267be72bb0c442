/* exec.c - see exec.h.
 *
 *   parent (hullrt)                        child (forked, then exec)
 *   state, pidfd of the init, cgroup
 *   setns(pidfd, NEWPID) for children
 *   fork ---------------------------------> enters the cgroup (host paths)
 *   back to its own pid namespace           setns(pidfd, user|mnt|uts|ipc|net|cgroup|time)
 *                                           chroot to the init's root, setsid
 *                                      <--  CONSOLE + pty master (process.terminal)
 *                                           rlimits, user, caps, cwd, fds
 *                                      <--  ERROR {stage, errno, message}, or
 *   EOF: the program is running             exec through dmz (the socket is O_CLOEXEC)
 *
 * The child is born in the container's pid namespace (a setns() on a pid
 * namespace only applies to children), so it is the parent's child and
 * also a process of the container.  It enters the cgroup itself, before
 * joining anything, while the host's cgroupfs is still its view: no round
 * trip with the parent.  Only a paused container (--ignore-paused) needs
 * one, see late_cgroup.
 */
#include "exec.h"
#include "seccomp-filter.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "path.h"
#include "process.h"
#include "state.h"
#include "sync.h"
#include "syscalls.h"
#include "terminal.h"
#include "util.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1

/* Every namespace setns() takes, user first (the order a pidfd setns()
 * joins them in anyway). */
static const struct {
	const char *name;
	int flag;
} ns_kinds[] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },  { "pid", CLONE_NEWPID },       { "uts", CLONE_NEWUTS },
	{ "ipc", CLONE_NEWIPC },   { "net", CLONE_NEWNET }, { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

struct exec_child {
	const struct hull_exec_opts *o;
	const struct hull_process *p;
	struct hull_cgroup *cg;
	const struct hull_seccomp *seccomp; /* the container's linux.seccomp, compiled, or NULL */
	int pidfd, rootfd, sync_fd, dmz_fd;
	int ns_flags;     /* namespaces the child joins (not pid: the parent did) */
	bool late_cgroup; /* paused: the parent moves us, just before exec */
	bool in_unified;  /* born in the cgroup2 hierarchy's cgroup (CLONE_INTO_CGROUP) */
};

/* The namespaces of pid that are not ours.  Joining one's own user
 * namespace is an error (EINVAL), joining the others would be a no-op. */
static int ns_differing(pid_t pid, int *ret_flags, struct hull_error **err)
{
	char path[64];
	int flags = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
		struct stat theirs, ours;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_kinds[i].name);
		if (stat(path, &theirs) < 0) {
			if (errno == ENOENT && ns_kinds[i].flag == CLONE_NEWTIME)
				continue; /* a kernel without time namespaces */
			return hull_error_set(err, errno, "cannot read '%s'", path);
		}
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_kinds[i].name);
		if (stat(path, &ours) < 0 || theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
			flags |= ns_kinds[i].flag;
	}
	*ret_flags = flags;
	return 0;
}

/* ---- the child ---- */

__attribute__((noreturn)) static void child_fail(struct exec_child *c, const char *stage, int r,
						 struct hull_error *err)
{
	sync_send_error(c->sync_fd, stage, r, err);
	_exit(255);
}

#define TRY(stage, expr)                                   \
	do {                                               \
		int _r = (expr);                           \
		if (_r < 0)                                \
			child_fail(c, stage, _r, err);     \
	} while (0)

/* A new pty from the container's own devpts; the slave becomes our
 * controlling terminal and stdio, the master goes to the parent. */
static int child_terminal(struct exec_child *c, struct hull_error **err)
{
	const struct hull_process *p = c->p;
	struct stat st;
	int master, slave, index, r;
	/* O_NOFOLLOW: a symlink planted there is refused below, not followed;
	 * no magic links on the way (/dev/pts -> /proc/self/fd/N, one of the
	 * caller's fds, would lead out of the container). */
	_cleanup_close_ int ptmx = sys_openat2(AT_FDCWD, "/dev/pts/ptmx", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
					      RESOLVE_NO_MAGICLINKS);

	if (ptmx < 0)
		return hull_error_set(err, errno, "cannot open the container's /dev/pts/ptmx");
	if (fstat(ptmx, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
		return hull_error_set(err, ENODEV, "the container's /dev/pts/ptmx is not a pty multiplexer");
	r = terminal_open(ptmx, p->console_height, p->console_width, &master, &slave, &index, err);
	if (r < 0)
		return r;
	r = terminal_become_stdio(slave, err);
	close(slave);
	if (r == 0 && (sync_send(c->sync_fd, SYNC_CONSOLE, 0, "") < 0 || terminal_send_fd(c->sync_fd, master) < 0))
		r = hull_error_set(err, errno, "cannot pass the pty master to hull");
	close(master);
	return r;
}

/* Loads the container's filter; a NOTIFY listener fd goes to the parent,
 * which hands it to the agent (see parent_sync). */
static int load_seccomp(struct exec_child *c, struct hull_error **err)
{
	int fd = hull_seccomp_load(c->seccomp, err);
	int r = 0;

	if (fd <= 0)
		return fd;
	if (sync_send(c->sync_fd, SYNC_SECCOMP, 0, "") < 0 || terminal_send_fd(c->sync_fd, fd) < 0)
		r = hull_error_set(err, errno, "cannot pass the seccomp listener to hull");
	close(fd);
	return r;
}

static int set_oom_score_adj(const struct hull_process *p, struct hull_error **err)
{
	char buf[16];

	if (!p->has_oom_score_adj)
		return 0;
	snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	return path_write_file("/proc/self/oom_score_adj", buf, err);
}

/* HOME from the container's /etc/passwd (read by hand: NSS modules would
 * be loaded from the container's rootfs), "/" if the user has no entry;
 * as runc, only when the environment has no HOME.  *ret is malloc'd. */
static char *lookup_home(uid_t uid)
{
	/* Non-blocking and regular files only: a FIFO planted at
	 * /etc/passwd must not hang us.  No magic links: /etc/passwd ->
	 * /proc/self/fd/N would read one of the caller's (host) files into
	 * the container's HOME. */
	int fd = sys_openat2(AT_FDCWD, "/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0,
			     RESOLVE_NO_MAGICLINKS);
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st;
	char line[1024];

	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))))
		close(fd);

	while (f && fgets(line, sizeof(line), f)) {
		char *fields[7] = {}, *s = line;
		int n = 0;
		for (char *t; n < 7 && (t = strsep(&s, ":\n")); n++)
			fields[n] = t;
		if (n >= 6 && fields[2] && strtoul(fields[2], NULL, 10) == uid && fields[2][0] && fields[5][0])
			return strdup(fields[5]);
	}
	return strdup("/");
}

/* The process's env with HOME added when missing.  NULL only when out of
 * memory. */
static char **env_with_home(const struct hull_process *p)
{
	size_t n = 0;
	char **env;

	for (char **e = p->env; e && *e; e++, n++)
		if (startswith(*e, "HOME="))
			return p->env;
	env = calloc(n + 2, sizeof(char *));
	_cleanup_free_ char *home = lookup_home(p->uid);
	if (!env || !home || asprintf(&env[n], "HOME=%s", home) < 0) {
		free(env);
		return NULL;
	}
	if (n)
		memcpy(env, p->env, n * sizeof(char *));
	return env;
}

/* fd moved at or above min (O_CLOEXEC), so that --preserve-fds cannot hand
 * it to the process. */
static int move_above(int fd, int min)
{
	if (fd < 0 || fd >= min)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (n >= 0)
		close(fd);
	return n;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every fd from first on but the n in keep (all >= first): the
 * caller's fds that were not passed with --preserve-fds are gone before
 * we join anything, so no path through /proc/self/fd/N met in the
 * container can reach them. */
static void close_others(int first, int *keep, size_t n)
{
	int from = first;

	qsort(keep, n, sizeof(int), cmp_int);
	for (size_t i = 0; i <= n; i++) {
		int to = i < n ? keep[i] - 1 : INT_MAX;
		if (to >= from && sys_close_range((unsigned)from, (unsigned)to, 0) < 0)
			for (int fd = from; fd <= to && fd < 65536; fd++)
				close(fd); /* before 5.9 */
		if (i < n)
			from = keep[i] + 1;
	}
}

__attribute__((noreturn)) static void child_main(struct exec_child *c)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_process proc = *c->p;
	const struct hull_process *p = &proc;
	char *exec_path = NULL;
	struct sync_msg msg;
	sigset_t none;

	/* No process of the container may ptrace us or open our (host) fds
	 * through /proc until we exec. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The caller may block signals for its signalfd and ignore SIGPIPE. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	/* Our own fds above the preserved ones, then nothing else there. */
	int first = 3 + c->o->preserve_fds;
	c->sync_fd = move_above(c->sync_fd, first);
	if (c->sync_fd < 0)
		_exit(255);
	int *fds[] = { &c->dmz_fd, &c->pidfd, &c->rootfd };
	int keep[4] = { c->sync_fd };
	size_t n_keep = 1;
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] < 0)
			continue;
		if ((*fds[i] = move_above(*fds[i], first)) < 0)
			TRY("fds", hull_error_set(&err, errno, "cannot move an fd above the preserved ones"));
		keep[n_keep++] = *fds[i];
	}
	close_others(first, keep, n_keep);

	if (c->cg && !c->late_cgroup)
		TRY("cgroup", hull_cgroup_enter_self(c->cg, c->in_unified, &err));
	/* Still with the host's credentials, before joining a user
	 * namespace: lowering oom_score_adj and raising a hard rlimit need
	 * privileges the container's user namespace does not give. */
	TRY("oom_score_adj", set_oom_score_adj(p, &err));
	TRY("rlimits", process_set_rlimits(p, &err));
	if (c->ns_flags && setns(c->pidfd, c->ns_flags) < 0)
		TRY("namespaces", hull_error_set(&err, errno, "cannot join the container's namespaces"));
	close(c->pidfd);
	/* setns() put us at the root of the mount namespace; the init's root
	 * is where its program runs (the same unless --no-pivot). */
	if (c->rootfd >= 0) {
		if (fchdir(c->rootfd) < 0 || chroot(".") < 0)
			TRY("rootfs", hull_error_set(&err, errno, "cannot enter the container's root"));
		close(c->rootfd);
	}
	if (setsid() < 0)
		TRY("setsid", hull_error_set(&err, errno, "setsid"));
	if (p->terminal)
		TRY("terminal", child_terminal(c, &err));

	if (!(proc.env = env_with_home(c->p)))
		TRY("env", -ENOMEM);
	{
		char name[300];
		snprintf(name, sizeof(name), "_ses.%s", c->o->id);
		/* The container's session keyring (as runc); kernels without
		 * keys (ENOSYS) or denying it are fine. */
		(void)syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
	}
	/* Without no_new_privs, loading a filter takes CAP_SYS_ADMIN: before
	 * the capabilities go (runc's order, as in init.c). */
	if (!p->no_new_privileges)
		TRY("seccomp", load_seccomp(c, &err));
	TRY("user", process_set_user_and_caps(p, c->ns_flags & CLONE_NEWUSER, &err));
	TRY("cwd", process_enter_cwd(p->cwd ? p->cwd : "/", &err));
	TRY("exec", process_find_exec(p, &exec_path, &err));
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		TRY("no_new_privs", hull_error_set(&err, errno, "cannot set no_new_privs"));

	TRY("fds", process_prepare_fds(c->o->preserve_fds, &err));
	umask(p->has_umask ? p->umask : 022);
	/* With no_new_privs: the last step that can still be reported. */
	if (p->no_new_privileges)
		TRY("seccomp", load_seccomp(c, &err));

	if (c->late_cgroup) {
		/* Paused: the parent moves us into the frozen cgroup now; we
		 * stop there until it is thawed, then exec. */
		TRY("sync", sync_send(c->sync_fd, SYNC_READY, 0, ""));
		if (sync_recv(c->sync_fd, &msg) != SYNC_ACK)
			_exit(255);
	}
	process_exec(p, exec_path, c->dmz_fd, NULL, &err);
	child_fail(c, "cannot start the process", -errno, err);
}

/* ---- the parent ---- */

static int refuse_status(const struct hull_state *st, bool ignore_paused, struct hull_error **err)
{
	/* runc's words; a created container is fine (its namespaces exist). */
	if (st->status == HULL_STATUS_STOPPED)
		return hull_error_plain(err, ESRCH, "cannot exec in a stopped container");
	if (st->status == HULL_STATUS_PAUSED && !ignore_paused)
		return hull_error_plain(err, EBUSY, "cannot exec in a paused container (use --ignore-paused to override)");
	return 0;
}

/* Runs the parent's side of the protocol until the child has exec'd (EOF
 * on the socket) or reported an error. */
static int parent_sync(const struct hull_exec_opts *o, int sync_fd, struct hull_cgroup *cg, pid_t pid,
		       bool late_cgroup, int *console_master, const struct hull_seccomp *seccomp,
		       const struct hull_state *st, struct hull_error **err)
{
	struct sync_msg msg;

	for (;;) {
		int t = sync_recv(sync_fd, &msg);
		if (t == 0)
			return 0;
		if (t == SYNC_SECCOMP) {
			_cleanup_close_ int fd = terminal_recv_fd(sync_fd);
			_cleanup_free_ char *json = hull_state_to_json(st, false);
			if (fd < 0)
				return hull_error_set(err, -fd, "cannot receive the seccomp listener");
			if (!json)
				return -ENOMEM;
			int r = hull_seccomp_send_listener(seccomp, fd, pid, json, err);
			if (r < 0)
				return r;
			continue;
		}
		if (t == SYNC_ERROR)
			return hull_error_plain(err, msg.code ? msg.code : EINVAL, "%s", msg.text);
		if (t == SYNC_CONSOLE) {
			int fd = terminal_recv_fd(sync_fd);
			if (fd < 0)
				return hull_error_set(err, -fd, "cannot receive the pty master");
			if (o->console_socket) {
				int r = terminal_send_to_socket(o->console_socket, fd, err);
				close(fd);
				if (r < 0)
					return r;
			} else
				*console_master = fd;
			continue;
		}
		if (t == SYNC_READY && late_cgroup) {
			int r = hull_cgroup_enter(cg, pid, err);
			if (r < 0)
				return r;
			if (sync_send(sync_fd, SYNC_ACK, 0, "") < 0)
				return hull_error_set(err, errno, "sync with the exec'd process");
			/* It execs once thawed: there is nothing to wait for. */
			return 0;
		}
		return hull_error_set(err, t < 0 ? -t : EPROTO, "sync with the exec'd process");
	}
}

static int write_pid_file(const char *file, pid_t pid, struct hull_error **err)
{
	_cleanup_free_ char *tmp = NULL;
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (asprintf(&tmp, "%s.tmp%d", file, (int)getpid()) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return hull_error_set(err, errno, "cannot write pid file '%s'", file);
	if (write(fd, buf, (size_t)len) != len || rename(tmp, file) < 0) {
		int r = hull_error_set(err, errno ? errno : EIO, "cannot write pid file '%s'", file);
		unlink(tmp);
		return r;
	}
	return 0;
}

/* fork(), born in the cgroup2 cgroup at cgroup_fd when it is >= 0 and
 * the kernel can (clone3 with CLONE_INTO_CGROUP, 5.7+): no migration, so
 * none of the threadgroup lock a cgroup.procs write takes. */
static pid_t fork_into(int cgroup_fd, bool *ret_in)
{
	*ret_in = false;
	if (cgroup_fd >= 0) {
		struct hull_clone_args args = { .flags = CLONE_INTO_CGROUP,
						.exit_signal = SIGCHLD,
						.cgroup = (uint64_t)cgroup_fd };
		pid_t pid = sys_clone3(&args);
		if (pid >= 0) {
			*ret_in = true;
			return pid;
		}
		/* ENOSYS, E2BIG or EINVAL (older kernels), EOPNOTSUPP...:
		 * a plain fork, then a cgroup.procs write. */
	}
	return fork();
}

static int do_exec(const struct hull_exec_opts *o, const struct hull_process *p, const struct hull_state *st,
		   pid_t *ret_pid, struct hull_error **err)
{
	struct exec_child c = { .o = o, .p = p, .pidfd = -1, .rootfd = -1, .sync_fd = -1, .dmz_fd = -1 };
	_cleanup_close_ int pidfd = -1, rootfd = -1, dmz = -1, sync_fd = -1, child_fd = -1, pidns_restore = -1;
	_cleanup_close_ int console_master = -1, cgroup_fd = -1;
	struct hull_cgroup *cg = NULL;
	struct hull_seccomp *seccomp = NULL;
	int flags = 0, sv[2], r;
	pid_t pid = 0;

	pidfd = (int)syscall(__NR_pidfd_open, st->pid, 0);
	if (pidfd < 0 || !hull_pid_alive(st->pid, st->pid_start))
		return hull_error_plain(err, ESRCH, "cannot exec in a stopped container");
	r = ns_differing(st->pid, &flags, err);
	if (r < 0)
		return r;
	if (flags & CLONE_NEWNS) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/root", (int)st->pid);
		rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return hull_error_set(err, errno, "cannot open the container's root '%s'", path);
	}
	if (o->spec && o->spec->linux.seccomp) {
		/* Compiled in the parent, from the cache create filled. */
		_cleanup_free_ char *cache = NULL;
		_cleanup_strv_ char **warnings = NULL;
		if (asprintf(&cache, "%s/.seccomp-cache", o->root) < 0)
			return -ENOMEM;
		r = hull_seccomp_compile_cached(o->spec->linux.seccomp, cache, &seccomp, &warnings, err);
		if (r < 0)
			return r;
	}
	c.seccomp = seccomp;
	dmz = process_dmz_fd(err);
	if (dmz < -1) {
		hull_seccomp_free(seccomp);
		return dmz;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		hull_seccomp_free(seccomp);
		return hull_error_set(err, errno, "socketpair");
	}
	sync_fd = sv[0];
	child_fd = sv[1];
	if (st->cgroup && (r = hull_cgroup_load("/sys/fs/cgroup", st->cgroup, &cg, err)) < 0)
		goto out;
	/* Not when paused: the child would freeze before its setup. */
	if (cg && st->status != HULL_STATUS_PAUSED)
		cgroup_fd = hull_cgroup_open_unified(cg);

	c.cg = cg;
	c.pidfd = pidfd;
	c.rootfd = rootfd;
	c.sync_fd = child_fd;
	c.dmz_fd = dmz;
	c.ns_flags = flags & ~CLONE_NEWPID;
	c.late_cgroup = cg && st->status == HULL_STATUS_PAUSED;

	/* Born in the container's pid namespace: setns() on one sets only
	 * where our children go; we go back to ours right after the fork. */
	if (flags & CLONE_NEWPID) {
		pidns_restore = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
		if (pidns_restore < 0 || setns(pidfd, CLONE_NEWPID) < 0) {
			r = hull_error_set(err, errno, "cannot join the container's pid namespace");
			goto out;
		}
	}
	pid = fork_into(cgroup_fd, &c.in_unified);
	if (pid == 0) {
		close(sync_fd);
		child_main(&c);
	}
	if (pid < 0)
		r = hull_error_set(err, errno, "cannot fork the process to exec");
	if (pidns_restore >= 0 && setns(pidns_restore, CLONE_NEWPID) < 0 && r >= 0)
		r = hull_error_set(err, errno, "cannot return to hull's own pid namespace");
	if (r < 0)
		goto kill;
	close(TAKE_FD(child_fd));

	r = parent_sync(o, sync_fd, cg, pid, c.late_cgroup, &console_master, seccomp, st, err);
	if (r < 0)
		goto kill;
	if (p->terminal && !o->console_socket && console_master < 0) {
		r = hull_error_plain(err, EPROTO, "the exec'd process did not send its pty");
		goto kill;
	}
	if (o->pid_file && (r = write_pid_file(o->pid_file, pid, err)) < 0)
		goto kill;
	if (o->ret_console_master)
		*o->ret_console_master = TAKE_FD(console_master);
	*ret_pid = pid;
	goto out;

kill:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
out:
	hull_cgroup_free(cg);
	hull_seccomp_free(seccomp);
	return r;
}

HULL_EXPORT int hull_container_exec(const struct hull_exec_opts *o, const struct hull_process *p, pid_t *ret_pid,
				    struct hull_error **err)
{
	struct hull_state *st = NULL;
	int r;

	if (p->terminal && !o->console_socket && !o->ret_console_master)
		return hull_error_plain(err, EINVAL, "process.terminal is set but no --console-socket was given");
	if (!p->args || !p->args[0])
		return hull_error_plain(err, EINVAL, "no command to exec");
	r = hull_state_load(o->root, o->id, &st, err);
	if (r < 0)
		return r;
	r = refuse_status(st, o->ignore_paused, err);
	if (r == 0)
		r = do_exec(o, p, st, ret_pid, err);
	hull_state_free(st);
	return r;
}

HULL_EXPORT int hull_container_load_spec(const char *root, const char *id, struct hull_spec **ret,
					 struct hull_error **err)
{
	_cleanup_free_ char *dir = NULL;
	int r = hull_state_check_id(id, err);

	if (r < 0)
		return r;
	dir = hull_state_dir(root, id);
	if (!dir)
		return -ENOMEM;
	/* hull_spec_load reads <dir>/config.json; ours is exec.json. */
	_cleanup_free_ char *path = NULL, *json = NULL;
	size_t len = 0;
	if (asprintf(&path, "%s/" HULL_EXEC_CONFIG, dir) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		/* A container made before create kept exec.json: its
		 * bundle's config.json, as runc reads it. */
		struct hull_state *st = NULL;
		r = hull_state_load(root, id, &st, err);
		if (r == 0)
			r = hull_spec_load(st->bundle, ret, err);
		hull_state_free(st);
		return r;
	}
	if (fd < 0)
		return hull_error_set(err, errno, "cannot open '%s'", path);
	r = path_read_fd(fd, 64u << 20, &json, &len);
	if (r < 0)
		return hull_error_set(err, -r, "cannot read '%s'", path);
	return hull_spec_parse(json, len, ret, err);
}
