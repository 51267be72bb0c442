/* init.c - see init.h.
 *
 * Everything here runs in the cloned child.  It may allocate, but it
 * reports errors only through the sync socket and ends with _exit().  It
 * may share the parent's memory (a->wait_in_dmz, see init.h): then it runs
 * only while the parent waits for its next message.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hooks.h"
#include "mount.h"
#include "path.h"
#include "process.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

struct init_state {
	struct init_args *a;
	const struct hull_spec *spec;
	struct mount_ctx mnt;
	char *state_json; /* for the in-container hooks, or "" */
	char *exec_path;
};

/* Sends "<stage>: <message>" to the parent and ends the child. */
__attribute__((noreturn)) static void fail(struct init_state *s, const char *stage, int r, struct hull_error *err)
{
	sync_send_error(s->a->sync_fd, stage, r, err);
	_exit(1);
}

#define TRY(stage, expr)                                   \
	do {                                               \
		int _r = (expr);                           \
		if (_r < 0)                                \
			fail(s, stage, _r, err);           \
	} while (0)

static int expect(int fd, int type, struct sync_msg *msg)
{
	int t = sync_recv(fd, msg);
	if (t < 0)
		return t;
	return t == type ? 0 : -EPROTO;
}

/* hull has handled what we sent (it may be sharing our memory: we wait). */
static int expect_ack(int fd, struct hull_error **err)
{
	struct sync_msg msg;
	int r = expect(fd, SYNC_ACK, &msg);

	return r < 0 ? hull_error_set(err, -r, "sync with hull") : 0;
}

static int join_namespaces(struct init_args *a, struct hull_error **err)
{
	for (int i = 0; i < a->n_ns_fds; i++)
		if (setns(a->ns_fds[i], a->ns_types[i]) < 0)
			return hull_error_set(err, errno, "cannot join %s namespace",
					      hull_namespace_type_to_name(a->ns_types[i]));
	for (int i = 0; i < a->n_ns_fds; i++)
		close(a->ns_fds[i]);
	return 0;
}

static int set_names(const struct hull_spec *spec, bool new_uts, struct hull_error **err)
{
	if ((spec->hostname || spec->domainname) && !new_uts)
		return hull_error_set(err, EINVAL, "hostname or domainname set without a uts namespace of the container's own");
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return hull_error_set(err, errno, "cannot set hostname '%s'", spec->hostname);
	if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		return hull_error_set(err, errno, "cannot set domainname '%s'", spec->domainname);
	return 0;
}

/* A sysctl is set only in a namespace of the container's own, else it
 * would change the host's (runc's rules): net.* needs a network
 * namespace, the IPC ones an ipc namespace, the names a uts namespace. */
static int check_sysctl(const struct hull_spec *spec, const char *key, struct hull_error **err)
{
	static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
					   "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };
	const struct hull_namespace *ns;

	if (strstr(key, "..") || key[0] == '/' || key[0] == '.' || strchr(key, '/'))
		return hull_error_set(err, EINVAL, "sysctl '%s': invalid name", key);
	if (startswith(key, "net.")) {
		ns = hull_spec_namespace(spec, CLONE_NEWNET);
		if (!ns || ns->path)
			return hull_error_set(err, EPERM, "sysctl '%s' needs a network namespace of the container's own", key);
		return 0;
	}
	if (startswith(key, "fs.mqueue.")) {
		if (!hull_spec_namespace(spec, CLONE_NEWIPC))
			return hull_error_set(err, EPERM, "sysctl '%s' needs an ipc namespace", key);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
		if (streq(key, ipc[i])) {
			if (!hull_spec_namespace(spec, CLONE_NEWIPC))
				return hull_error_set(err, EPERM, "sysctl '%s' needs an ipc namespace", key);
			return 0;
		}
	if (streq(key, "kernel.hostname") || streq(key, "kernel.domainname")) {
		if (!hull_spec_namespace(spec, CLONE_NEWUTS))
			return hull_error_set(err, EPERM, "sysctl '%s' needs a uts namespace", key);
		return 0;
	}
	return hull_error_set(err, EPERM, "sysctl '%s' is not namespaced: it would change the host", key);
}

static int set_sysctls(const struct hull_spec *spec, struct hull_error **err)
{
	for (size_t i = 0; i < spec->linux.n_sysctl; i++) {
		char file[PATH_MAX];
		const char *key = spec->linux.sysctl[i].key;
		int r = check_sysctl(spec, key, err);

		if (r < 0)
			return r;
		snprintf(file, sizeof(file), "/proc/sys/%s", key);
		for (char *p = file + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		r = path_write_file(file, spec->linux.sysctl[i].value, err);
		if (r < 0)
			return hull_error_wrap(err, r, "sysctl '%s'", key);
	}
	return 0;
}

static int set_oom_score_adj(const struct hull_process *p, struct hull_error **err)
{
	char buf[16];

	if (!p->has_oom_score_adj)
		return 0;
	snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	return path_write_file("/proc/self/oom_score_adj", buf, err);
}

/* Sets up the terminal before pivot_root, while the container's devpts is
 * reachable: the slave becomes /dev/console and the init's stdio, the
 * master goes to the parent. */
static int setup_terminal(struct init_state *s, struct hull_error **err)
{
	const struct hull_process *p = &s->spec->process;
	int master, slave, index, r;

	if (s->mnt.ptmx_fd < 0)
		return hull_error_set(err, ENOENT, "process.terminal needs a devpts mount at /dev/pts");
	r = terminal_open(s->mnt.ptmx_fd, p->console_height, p->console_width, &master, &slave, &index, err);
	if (r < 0)
		return r;
	r = mount_console(&s->mnt, slave, err);
	if (r == 0)
		r = terminal_become_stdio(slave, err);
	close(slave);
	if (r == 0) {
		if (sync_send(s->a->sync_fd, SYNC_CONSOLE, 0, "") < 0 || terminal_send_fd(s->a->sync_fd, master) < 0)
			r = hull_error_set(err, errno, "cannot pass the pty master to hull");
	}
	close(master);
	if (r == 0)
		r = expect_ack(s->a->sync_fd, err);
	return r;
}

/* Loads the filter; a notify listener fd goes to the parent at once, which
 * passes it on to the agent at listenerPath. */
static int load_seccomp(struct init_state *s, struct hull_error **err)
{
	int fd = hull_seccomp_load(s->a->seccomp, err);
	int r = 0;

	if (fd <= 0)
		return fd;
	if (sync_send(s->a->sync_fd, SYNC_SECCOMP, 0, "") < 0 || terminal_send_fd(s->a->sync_fd, fd) < 0)
		r = hull_error_set(err, errno, "cannot pass the seccomp listener to hull");
	close(fd);
	if (r == 0)
		r = expect_ack(s->a->sync_fd, err);
	return r;
}

/* The state JSON the parent wrote into hook_state_fd before GO (any size:
 * many annotations do not fit a sync message); "" without in-container
 * hooks.  pread: the file offset is shared with the parent. */
static int read_hook_state(struct init_args *a, char **ret, struct hull_error **err)
{
	struct stat st;
	char *buf;

	if (a->hook_state_fd < 0) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	if (fstat(a->hook_state_fd, &st) < 0)
		return hull_error_set(err, errno, "cannot read the container's state for the hooks");
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(a->hook_state_fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n <= 0) {
			free(buf);
			return hull_error_set(err, n < 0 ? errno : EIO, "cannot read the container's state for the hooks");
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(a->hook_state_fd);
	a->hook_state_fd = -1;
	*ret = buf;
	return 0;
}

__attribute__((noreturn)) void init_main(struct init_args *a)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct init_state st = { .a = a, .spec = a->spec }, *s = &st;
	const struct hull_spec *spec = a->spec;
	const struct hull_process *p = &spec->process;
	struct sync_msg msg;

	/* Die with the parent until the container is created; cleared below
	 * once the parent has recorded it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	TRY("sync", expect(a->sync_fd, SYNC_GO, &msg));
	TRY("hooks", read_hook_state(a, &s->state_json, &err));

	if (a->cg_self)
		TRY("cgroup", hull_cgroup_enter_self(a->cg_self, a->cg_in_unified, &err));
	TRY("namespaces", join_namespaces(a, &err));
	/* In a new user namespace our host ids are unmapped until we take
	 * the namespace's root: files we create would get EOVERFLOW. */
	if ((a->new_userns || hull_spec_namespace(spec, CLONE_NEWUSER)) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		TRY("user namespace", hull_error_set(&err, errno, "cannot become root in the user namespace"));
	/* The cgroup namespace is made only now, after we entered the
	 * container's cgroup, so that cgroup becomes its root. */
	if (a->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		TRY("namespaces", hull_error_set(&err, errno, "cannot make the cgroup namespace"));
	if (setsid() < 0)
		TRY("setsid", hull_error_set(&err, errno, "setsid"));
	/* Non-dumpable: no container process may open /proc/<init>/exe
	 * (the hullrt binary) or our fds until we exec. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	s->mnt = (struct mount_ctx){ .spec = spec, .rootfs = a->rootfs, .rootfd = -1, .ptmx_fd = -1,
				     .new_cgroupns = a->new_cgroupns, .userns = a->in_userns };
	if (a->new_mntns) {
		TRY("rootfs", mount_prepare_root(&s->mnt, &err));
		TRY("mounts", mount_setup(&s->mnt, &err));
		if (p->cwd && !streq(p->cwd, "/")) {
			/* Made now, as root, so a user without rights on
			 * the image's dirs still gets its cwd (as runc). */
			int fd = path_open_in_root(s->mnt.rootfd, p->cwd, true, false, NULL);
			if (fd >= 0)
				close(fd);
		}
	}
	if (spec->has_process && p->terminal)
		TRY("terminal", setup_terminal(s, &err));
	TRY("hostname", set_names(spec, a->new_utsns, &err));

	if (spec->n_hooks[HULL_HOOK_PRESTART] || spec->n_hooks[HULL_HOOK_CREATE_RUNTIME]) {
		TRY("sync", sync_send(a->sync_fd, SYNC_HOOKS, 0, ""));
		TRY("sync", expect(a->sync_fd, SYNC_HOOKS_DONE, &msg));
	}
	TRY("createContainer hooks", hooks_run(HULL_HOOK_CREATE_CONTAINER, spec->hooks[HULL_HOOK_CREATE_CONTAINER],
					       spec->n_hooks[HULL_HOOK_CREATE_CONTAINER], s->state_json, &err));

	if (a->new_mntns)
		TRY("pivot_root", mount_pivot(&s->mnt, a->opts->no_pivot, &err));
	/* Before mount_finish: /proc/sys is usually one of the readonlyPaths. */
	TRY("sysctl", set_sysctls(spec, &err));
	if (a->new_mntns)
		TRY("mounts", mount_finish(&s->mnt, &err));
	if (s->mnt.ptmx_fd >= 0)
		close(s->mnt.ptmx_fd);
	if (s->mnt.rootfd >= 0)
		close(s->mnt.rootfd);

	if (spec->has_process) {
		TRY("oom_score_adj", set_oom_score_adj(p, &err));
		TRY("rlimits", process_set_rlimits(p, &err));
		if (!a->opts->no_new_keyring) {
			char name[300];
			snprintf(name, sizeof(name), "_ses.%s", a->opts->id);
			/* A session keyring of the container's own; kernels
			 * without keys (ENOSYS) or denying it are fine. */
			(void)syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
		}
		/* Without no_new_privs, loading a filter takes CAP_SYS_ADMIN:
		 * before the capabilities go (runc's order). */
		if (!p->no_new_privileges)
			TRY("seccomp", load_seccomp(s, &err));
		TRY("user", process_set_user_and_caps(p, a->in_userns, &err));
		TRY("cwd", process_enter_cwd(p->cwd ? p->cwd : "/", &err));
		TRY("exec", process_find_exec(p, &s->exec_path, &err));
		if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			TRY("no_new_privs", hull_error_set(&err, errno, "cannot set no_new_privs"));
		TRY("fds", process_prepare_fds(a->opts->preserve_fds, &err));
		umask(p->has_umask ? p->umask : 022);
		/* With no_new_privs: as late as can still be reported, so the
		 * profile needs to allow as little of hull's own work as
		 * possible (what is left: the sync, the exec.fifo read, the
		 * startContainer hooks and the exec, as in runc). */
		if (p->no_new_privileges)
			TRY("seccomp", load_seccomp(s, &err));
	}

	TRY("sync", sync_send(a->sync_fd, SYNC_READY, 0, ""));
	TRY("sync", expect(a->sync_fd, SYNC_ACK, &msg));
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (a->wait_in_dmz) {
		int fifo[2] = { a->fifo_rfd, a->fifo_wfd };
		TRY("exec", process_exec(p, s->exec_path, a->dmz_fd, fifo, &err));
	}
	close(a->sync_fd);

	/* Created: wait until `start` writes a byte into exec.fifo. */
	char byte;
	ssize_t n;
	do
		n = read(a->fifo_rfd, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);

	/* From here on there is no one to report to but the container's
	 * own stderr. */
	if (spec->n_hooks[HULL_HOOK_START_CONTAINER] &&
	    hooks_run(HULL_HOOK_START_CONTAINER, spec->hooks[HULL_HOOK_START_CONTAINER],
		      spec->n_hooks[HULL_HOOK_START_CONTAINER], s->state_json, &err) < 0) {
		fprintf(stderr, "hullrt: %s\n", err->msg);
		_exit(1);
	}
	if (!spec->has_process)
		_exit(0);
	process_exec(p, s->exec_path, a->dmz_fd, NULL, &err);
	fprintf(stderr, "hullrt: %s\n", err ? err->msg : "exec failed");
	_exit(127);
}
