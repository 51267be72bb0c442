/* container.c - see container.h: the parent side of the lifecycle. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "clone.h"
#include "exec.h"
#include "hooks.h"
#include "init.h"
#include "path.h"
#include "process.h"
#include "seccomp-filter.h"
#include "sync.h"
#include "syscalls.h"
#include "terminal.h"
#include "userns.h"
#include "util.h"

#define FIFO_NAME "exec.fifo"
#define HOOKS_CONFIG "config.json" /* a copy of the spec, kept only when it has poststart/poststop hooks */
#define EXEC_CONFIG HULL_EXEC_CONFIG /* a copy of the spec, always: see exec.c */

/* How the init starts: init_main(a), with the parent's end of the sync
 * socket closed (the child has a copy of our fd table either way). */
struct init_launch {
	struct init_args *a;
	int parent_fd;
};

/* Everything create() has made so far, undone in reverse on failure. */
struct create_ctx {
	const struct hull_create_opts *o;
	const struct hull_spec *spec;
	char *dir;
	char *rootfs;
	struct hull_cgroup *cg;
	pid_t pid;
	int sync_fd;
	int console_master;
	bool dir_made;
	struct hull_seccomp *seccomp;
	/* What the init reads of ours: here, not on do_create()'s stack, as
	 * they must outlive any return of do_create() before the init is
	 * reaped (create_undo) or has exec'd. */
	struct init_args init;
	struct init_launch launch;
	void *init_stack; /* the init shares our memory and runs on this (clone.h) */
	int dumpable;     /* ours before such an init made the shared mm non-dumpable */
};

/* Once the init no longer runs on our memory (it exec'd, or is reaped). */
static void init_stack_release(struct create_ctx *c)
{
	if (!c->init_stack)
		return;
	clone_stack_put(c->init_stack);
	c->init_stack = NULL;
	/* PR_SET_DUMPABLE is a property of the mm, which we shared. */
	if (c->dumpable == 1)
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void create_undo(struct create_ctx *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	init_stack_release(c);
	if (c->cg) {
		hull_cgroup_destroy(c->cg, NULL);
		hull_cgroup_free(c->cg);
		c->cg = NULL;
	}
	if (c->dir_made)
		path_remove_tree(c->dir);
	if (c->console_master >= 0)
		close(c->console_master);
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *out = NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		return NULL;
	return out;
}

/* The state handed to hooks and saved as state.json; strings borrowed. */
static void fill_state(struct create_ctx *c, struct hull_state *st, enum hull_status status, char *created,
		       char *cgroup)
{
	*st = (struct hull_state){
		.oci_version = c->spec->oci_version,
		.id = (char *)c->o->id,
		.status = status,
		.pid = c->pid,
		.pid_start = c->pid > 0 ? hull_pid_start_time(c->pid) : 0,
		.bundle = (char *)c->o->bundle,
		.rootfs = c->rootfs,
		.created = created,
		.cgroup = cgroup,
		.owner = (char *)"",
		.annotations = c->spec->annotations,
		.n_annotations = c->spec->n_annotations,
	};
}

static int write_file_atomic(const char *path, const char *text, struct hull_error **err)
{
	_cleanup_free_ char *tmp = NULL;

	if (asprintf(&tmp, "%s.tmp%d", path, getpid()) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return hull_error_set(err, errno, "cannot write '%s'", path);
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || rename(tmp, path) < 0) {
		int r = hull_error_set(err, errno ? errno : EIO, "cannot write '%s'", path);
		unlink(tmp);
		return r;
	}
	return 0;
}

/* A new file "to" with the content of "from" (the state dir is new and not
 * yet listed: no need to write it by rename). */
static int copy_file(const char *from, const char *to, struct hull_error **err)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (in < 0)
		return hull_error_set(err, errno, "cannot read '%s'", from);
	if ((r = path_read_fd(in, 64u << 20, &buf, &len)) < 0)
		return hull_error_set(err, -r, "cannot read '%s'", from);
	_cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0 || write(out, buf, len) != (ssize_t)len)
		return hull_error_set(err, errno ? errno : EIO, "cannot write '%s'", to);
	return 0;
}

/* Opens the namespaces the spec asks to join.  pid and time are joined
 * here by the parent (setns on them only affects children); the rest by
 * the init, the user namespace first so the others are joined with its
 * credentials. */
static int open_namespaces(const struct hull_spec *spec, struct init_args *a, int *pidns_fd, int *timens_fd,
			   struct hull_error **err)
{
	const struct hull_linux *l = &spec->linux;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < l->n_namespaces; i++) {
			const struct hull_namespace *ns = &l->namespaces[i];
			if (!ns->path || (pass == 0) != (ns->type == CLONE_NEWUSER))
				continue;
			int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return hull_error_set(err, errno, "cannot open %s namespace '%s'",
						      hull_namespace_type_to_name(ns->type), ns->path);
			if (ns->type == CLONE_NEWPID)
				*pidns_fd = fd;
			else if (ns->type == CLONE_NEWTIME)
				*timens_fd = fd;
			else {
				a->ns_fds[a->n_ns_fds] = fd;
				a->ns_types[a->n_ns_fds++] = ns->type;
			}
		}
	return 0;
}

/* A new time namespace must get its offsets before any process is in it,
 * so the parent makes it for its children (unshare), writes the offsets,
 * and after the clone returns to its own (restore_fd). */
static int prepare_timens(const struct hull_spec *spec, int *restore_fd, struct hull_error **err)
{
	char buf[256];
	size_t len = 0;

	*restore_fd = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
	if (*restore_fd < 0)
		return hull_error_set(err, errno, "time namespace not supported");
	if (unshare(CLONE_NEWTIME) < 0)
		return hull_error_set(err, errno, "cannot make the time namespace");
	for (size_t i = 0; i < spec->linux.n_time_offsets; i++) {
		const struct hull_time_offset *t = &spec->linux.time_offsets[i];
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %lld %u\n",
					t->clock == CLOCK_BOOTTIME ? "boottime" : "monotonic", (long long)t->secs,
					t->nanosecs);
	}
	if (len)
		return path_write_file("/proc/self/timens_offsets", buf, err);
	return 0;
}

/* The devices every container needs (runc's list): allowed after the
 * spec's rules, unless the spec denies that very device by number. */
static const struct hull_device_rule default_device_rules[] = {
	{ true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },   { true, 'c', 1, 3, "rwm" },
	{ true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 7, "rwm" },   { true, 'c', 1, 8, "rwm" },
	{ true, 'c', 1, 9, "rwm" },  { true, 'c', 5, 0, "rwm" },   { true, 'c', 5, 1, "rwm" },
	{ true, 'c', 5, 2, "rwm" },  { true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

static bool denied_by_number(const struct hull_resources *res, const struct hull_device_rule *d)
{
	for (size_t i = 0; i < res->n_devices; i++) {
		const struct hull_device_rule *r = &res->devices[i];
		if (!r->allow && r->type == d->type && r->major == d->major && r->minor == d->minor && d->major >= 0)
			return true;
	}
	return false;
}

static int apply_resources(struct create_ctx *c, struct hull_error **err)
{
	const struct hull_spec *spec = c->spec;
	struct hull_resources res = spec->linux.resources;
	size_t n = 0, max = res.n_devices + ARRAY_SIZE(default_device_rules) + spec->linux.n_devices;

	/* Rootless, device rules are ignored (as runc): an unprivileged
	 * user may not restrict devices, and cannot mknod anyway. */
	if (hull_rootless())
		res.n_devices = 0;
	if (!res.n_devices)
		return hull_cgroup_apply(c->cg, &res, err);
	_cleanup_free_ struct hull_device_rule *rules = calloc(max, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	for (size_t i = 0; i < res.n_devices; i++)
		rules[n++] = res.devices[i];
	for (size_t i = 0; i < ARRAY_SIZE(default_device_rules); i++)
		if (!denied_by_number(&res, &default_device_rules[i]))
			rules[n++] = default_device_rules[i];
	for (size_t i = 0; i < spec->linux.n_devices; i++) {
		const struct hull_device *d = &spec->linux.devices[i];
		if (d->type == 'c' || d->type == 'b' || d->type == 'u')
			rules[n++] = (struct hull_device_rule){ true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm" };
	}
	res.devices = rules;
	res.n_devices = n;
	return hull_cgroup_apply(c->cg, &res, err);
}

static void init_entry(void *arg)
{
	struct init_launch *l = arg;

	close(l->parent_fd);
	init_main(l->a);
}

/* cgroup_fd >= 0: born in that cgroup2 cgroup (CLONE_INTO_CGROUP, 5.7+);
 * a->cg_in_unified says whether it was, set before the child can read it.
 * With stack, the init shares our memory and starts on it (clone.h);
 * else the clone is fork-like and the child returns 0 (to call
 * init_entry itself). */
static pid_t clone_init_into(uint64_t flags, int cgroup_fd, void *stack, struct init_launch *l)
{
	/* clone3 takes no exit signal with CLONE_PARENT: the child gets the
	 * caller's own (SIGCHLD for a forked helper). */
	struct hull_clone_args args;
	pid_t pid = -1;

	for (int into = cgroup_fd >= 0; into >= 0 && pid < 0; into--) {
		/* Older kernels: a plain clone, then a cgroup.procs write. */
		args = (struct hull_clone_args){ .flags = flags, .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD };
		if (into) {
			args.flags |= CLONE_INTO_CGROUP;
			args.cgroup = (uint64_t)cgroup_fd;
		}
		l->a->cg_in_unified = into;
		if (stack) {
			/* Our signal handlers would run on our data. */
			args.flags |= CLONE_CLEAR_SIGHAND;
			pid = clone_vm_run(&args, stack, init_entry, l);
		} else
			pid = sys_clone3(&args);
	}
	if (pid < 0 && errno == ENOSYS && !stack)
		pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
	return pid;
}

/* The init may share our memory (see clone.h) unless it does something
 * that reaches every process on the mm, or needs to run after start:
 * a user namespace (the kernel refuses setns into one from a shared mm,
 * and the parent writes the maps), a time namespace (entered only by a
 * child with an mm of its own), oomScoreAdj (written to every process on
 * the mm), startContainer hooks (run between start and exec), or no
 * process; nor with a seccomp profile that can kill it once loaded: killed
 * in malloc (a denied brk or mmap), it would leave our heap locked.  It
 * needs the dmz to wait for start in. */
static bool init_may_share_memory(const struct hull_spec *spec, const struct init_args *a)
{
	return a->dmz_fd >= 0 && spec->has_process && !a->in_userns && !hull_spec_namespace(spec, CLONE_NEWTIME) &&
	       !spec->process.has_oom_score_adj && !spec->n_hooks[HULL_HOOK_START_CONTAINER] &&
	       !hull_seccomp_profile_kills(spec->linux.seccomp);
}

/* A user namespace joined by path must own the container's new
 * namespaces, or the init, once in it, would have no rights over them:
 * a short-lived helper joins it and clones the init from there, as the
 * caller's own child (CLONE_PARENT), so that run can still wait for it.
 * The helper passes the init's pid (or -errno) back through a pipe. */
static pid_t clone_init_in_userns(struct init_args *a, uint64_t flags, int parent_sync_fd, struct hull_error **err)
{
	int p[2], status;
	pid_t pid = -1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return hull_error_set(err, errno, "pipe");
	pid_t helper = fork();
	if (helper < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return hull_error_set(err, e, "cannot fork");
	}
	if (helper == 0) {
		close(parent_sync_fd);
		/* The user namespace is the first of ns_fds (see
		 * open_namespaces); the init must not join it again. */
		int r = setns(a->ns_fds[0], CLONE_NEWUSER) < 0 ? -errno : 0;
		if (r == 0) {
			close(a->ns_fds[0]);
			memmove(&a->ns_fds[0], &a->ns_fds[1], sizeof(a->ns_fds[0]) * (size_t)(a->n_ns_fds - 1));
			memmove(&a->ns_types[0], &a->ns_types[1], sizeof(a->ns_types[0]) * (size_t)(a->n_ns_fds - 1));
			a->n_ns_fds--;
			struct init_launch l = { .a = a, .parent_fd = p[0] };
			r = (int)clone_init_into(flags | CLONE_PARENT, -1, NULL, &l);
			if (r == 0) {
				close(p[1]);
				init_entry(&l);
			}
			if (r < 0)
				r = -errno;
		}
		(void)!write(p[1], &r, sizeof(r));
		_exit(0);
	}
	close(p[1]);
	int v = 0;
	ssize_t n;
	do
		n = read(p[0], &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(v))
		return hull_error_set(err, EPIPE, "cannot clone the container's init in the user namespace");
	if (v <= 0)
		return hull_error_set(err, v < 0 ? -v : EPROTO, "cannot clone the container's init in the user namespace '%s'",
				      hull_spec_namespace(a->spec, CLONE_NEWUSER)->path);
	pid = v;
	return pid;
}

/* The init closed the sync socket without a word: it died.  Say how; a
 * seccomp profile that denies what the init still does after loading it
 * (the sync, the exec) is the usual cause. */
static int init_died(struct create_ctx *c, struct hull_error **err)
{
	const char *hint = c->seccomp ? " (does linux.seccomp deny a syscall the runtime needs before exec?)" : "";
	int status = 0;

	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0; /* reaped: nothing left for create_undo() to kill */
	if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));
		return hull_error_plain(err, EPIPE, "the container's init was killed by signal %d (SIG%s) during setup%s",
					WTERMSIG(status), name ? name : "?", hint);
	}
	return hull_error_plain(err, EPIPE, "the container's init exited with status %d during setup%s",
				WEXITSTATUS(status), hint);
}

/* The init loaded a filter with NOTIFY rules: its listener fd goes to the
 * agent at listenerPath with the state (status "creating"), as runc does. */
static int send_listener(struct create_ctx *c, struct hull_error **err)
{
	struct hull_state st;
	_cleanup_close_ int fd = terminal_recv_fd(c->sync_fd);
	_cleanup_free_ char *json = NULL;

	if (fd < 0)
		return hull_error_set(err, -fd, "cannot receive the seccomp listener");
	fill_state(c, &st, HULL_STATUS_CREATING, NULL, NULL);
	json = hull_state_to_json(&st, false);
	if (!json)
		return -ENOMEM;
	return hull_seccomp_send_listener(c->seccomp, fd, c->pid, json, err);
}

/* Runs the parent's part of the sync protocol until the init is ready. */
static int parent_sync(struct create_ctx *c, struct hull_error **err)
{
	struct sync_msg msg;

	for (;;) {
		int t = sync_recv(c->sync_fd, &msg);
		if (t == SYNC_READY)
			return 0;
		if (t == SYNC_ERROR) {
			return hull_error_plain(err, msg.code, "%s", msg.text);
		}
		if (t == SYNC_HOOKS) {
			struct hull_state st;
			fill_state(c, &st, HULL_STATUS_CREATING, NULL, NULL);
			_cleanup_free_ char *json = hull_state_to_json(&st, false);
			for (int k = HULL_HOOK_PRESTART; k <= HULL_HOOK_CREATE_RUNTIME; k++) {
				int r = hooks_run(k, c->spec->hooks[k], c->spec->n_hooks[k], json ? json : "{}", err);
				if (r < 0)
					return r;
			}
			if (sync_send(c->sync_fd, SYNC_HOOKS_DONE, 0, "") < 0)
				return hull_error_set(err, errno, "sync with the container's init");
			continue;
		}
		if (t == SYNC_CONSOLE) {
			int fd = terminal_recv_fd(c->sync_fd);
			if (fd < 0)
				return hull_error_set(err, -fd, "cannot receive the pty master");
			c->console_master = fd;
			if (c->o->console_socket) {
				int r = terminal_send_to_socket(c->o->console_socket, fd, err);
				close(c->console_master);
				c->console_master = -1;
				if (r < 0)
					return r;
			}
			if (sync_send(c->sync_fd, SYNC_ACK, 0, "") < 0)
				return hull_error_set(err, errno, "sync with the container's init");
			continue;
		}
		if (t == SYNC_SECCOMP) {
			int r = send_listener(c, err);
			if (r < 0)
				return r;
			if (sync_send(c->sync_fd, SYNC_ACK, 0, "") < 0)
				return hull_error_set(err, errno, "sync with the container's init");
			continue;
		}
		if (t == 0)
			return init_died(c, err);
		return hull_error_set(err, t < 0 ? -t : EPROTO, "sync with the container's init");
	}
}

static uint64_t clone_flags(const struct hull_spec *spec, struct init_args *a)
{
	uint64_t flags = 0;

	for (size_t i = 0; i < spec->linux.n_namespaces; i++) {
		const struct hull_namespace *ns = &spec->linux.namespaces[i];
		if (ns->path)
			continue;
		switch (ns->type) {
		case CLONE_NEWCGROUP:
			a->new_cgroupns = true; /* unshared by the init, see init.c */
			break;
		case CLONE_NEWTIME:
			break; /* see prepare_timens() */
		default:
			flags |= (uint64_t)ns->type;
		}
	}
	a->new_mntns = flags & CLONE_NEWNS;
	a->new_userns = flags & CLONE_NEWUSER;
	a->in_userns = a->new_userns || hull_spec_namespace(spec, CLONE_NEWUSER) || hull_in_userns();
	a->new_utsns = flags & CLONE_NEWUTS;
	return flags;
}

/* Compiled filters are cached in the state root (where no container id
 * can start with a dot). */
static int compile_seccomp(struct create_ctx *c, struct hull_error **err)
{
	_cleanup_strv_ char **warnings = NULL;
	_cleanup_free_ char *cache = NULL;
	int r;

	if (c->spec->linux.seccomp && asprintf(&cache, "%s/.seccomp-cache", c->o->root) < 0)
		return -ENOMEM;
	r = hull_seccomp_compile_cached(c->spec->linux.seccomp, cache, &c->seccomp, &warnings, err);

	if (r < 0)
		return r;
	for (char **w = warnings; w && *w && c->o->warn; w++)
		c->o->warn(*w, c->o->warn_userdata);
	return 0;
}

static int do_create(struct create_ctx *c, pid_t *ret_pid, struct hull_error **err)
{
	const struct hull_spec *spec = c->spec;
	const struct hull_create_opts *o = c->o;
	struct init_args *a = &c->init;
	_cleanup_close_ int pidns_fd = -1, timens_fd = -1, pidns_restore = -1, timens_restore = -1;
	_cleanup_close_ int fifo_r = -1, fifo_w = -1, dmz = -1, child_sync = -1, hook_state = -1;
	_cleanup_free_ char *fifo = NULL, *created = NULL, *cgtext = NULL;
	bool in_unified = false, cg_self = false;
	int sv[2], r;

	*a = (struct init_args){ .spec = spec, .opts = o, .sync_fd = -1, .fifo_rfd = -1, .fifo_wfd = -1, .dmz_fd = -1,
				 .hook_state_fd = -1 };

	if (!hull_spec_namespace(spec, CLONE_NEWNS))
		return hull_error_plain(err, EINVAL, "config.json: linux.namespaces: a mount namespace is required");
	if (spec->has_process && spec->process.terminal && !o->console_socket && !o->ret_console_master)
		return hull_error_plain(err, EINVAL, "process.terminal is set but no --console-socket was given");
	if ((r = userns_check_spec(spec, err)) < 0)
		return r;

	/* Compiled before anything exists: a bad profile leaves nothing
	 * behind, and the init only loads the ready program. */
	r = compile_seccomp(c, err);
	if (r < 0)
		return r;

	c->rootfs = spec->root_path[0] == '/' ? realpath(spec->root_path, NULL) : NULL;
	if (spec->root_path[0] != '/') {
		_cleanup_free_ char *joined = NULL;
		if (asprintf(&joined, "%s/%s", o->bundle, spec->root_path) < 0)
			return -ENOMEM;
		c->rootfs = realpath(joined, NULL);
		if (!c->rootfs)
			return hull_error_set(err, errno, "rootfs '%s'", joined);
	} else if (!c->rootfs)
		return hull_error_set(err, errno, "rootfs '%s'", spec->root_path);

	r = path_mkdir_p(o->root, 0700);
	if (r < 0)
		return hull_error_set(err, -r, "cannot create state root '%s'", o->root);
	if (mkdir(c->dir, 0700) < 0) {
		if (errno == EEXIST)
			return hull_error_plain(err, EEXIST, "container '%s' already exists", o->id);
		return hull_error_set(err, errno, "cannot create '%s'", c->dir);
	}
	c->dir_made = true;

	/* exec.fifo: the init holds both ends (so its read blocks instead of
	 * seeing EOF) until start writes one byte. */
	if (asprintf(&fifo, "%s/%s", c->dir, FIFO_NAME) < 0)
		return -ENOMEM;
	if (mkfifo(fifo, 0600) < 0)
		return hull_error_set(err, errno, "cannot create '%s'", fifo);
	fifo_r = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	fifo_w = fifo_r < 0 ? -1 : open(fifo, O_WRONLY | O_CLOEXEC);
	if (fifo_w < 0 || fcntl(fifo_r, F_SETFL, 0) < 0)
		return hull_error_set(err, errno, "cannot open '%s'", fifo);

	/* exec reads the spec the container was made from (process defaults,
	 * seccomp) from EXEC_CONFIG, not from a bundle that may have changed
	 * since; the hooks copy is a link to it. */
	{
		_cleanup_free_ char *from = NULL, *to = NULL, *hooks = NULL;
		if (asprintf(&from, "%s/config.json", o->bundle) < 0 || asprintf(&to, "%s/" EXEC_CONFIG, c->dir) < 0 ||
		    asprintf(&hooks, "%s/" HOOKS_CONFIG, c->dir) < 0)
			return -ENOMEM;
		r = copy_file(from, to, err);
		if (r < 0)
			return r;
		if ((spec->n_hooks[HULL_HOOK_POSTSTART] || spec->n_hooks[HULL_HOOK_POSTSTOP]) && link(to, hooks) < 0)
			return hull_error_set(err, errno, "cannot write '%s'", hooks);
	}

	struct hull_error *cg_err = NULL;
	r = hull_cgroup_create(o->cgroup_root ? o->cgroup_root : "/sys/fs/cgroup", spec->linux.cgroups_path, o->id,
			       &c->cg, &cg_err);
	if (r < 0 && hull_rootless()) {
		/* a cgroup parent not delegated to us: see userns.h */
		_cleanup_free_ char *warning = NULL;
		r = userns_rootless_cgroup(spec, r, TAKE_PTR(cg_err), &warning, err);
		if (r == 0 && warning && o->warn)
			o->warn(warning, o->warn_userdata);
	} else if (r < 0 && err) {
		hull_error_free(*err);
		*err = cg_err;
	} else
		hull_error_free(cg_err);
	if (r < 0)
		return r;
	if (spec->linux.has_resources && c->cg) {
		r = apply_resources(c, err);
		if (r < 0)
			return r;
	}

	r = open_namespaces(spec, a, &pidns_fd, &timens_fd, err);
	if (r < 0)
		goto close_ns;
	uint64_t flags = clone_flags(spec, a);
	if (pidns_fd >= 0) {
		pidns_restore = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
		if (setns(pidns_fd, CLONE_NEWPID) < 0) {
			r = hull_error_set(err, errno, "cannot join the pid namespace");
			goto close_ns;
		}
	}
	if (timens_fd >= 0) {
		timens_restore = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (setns(timens_fd, CLONE_NEWTIME) < 0) {
			r = hull_error_set(err, errno, "cannot join the time namespace");
			goto close_ns;
		}
	} else {
		const struct hull_namespace *tns = hull_spec_namespace(spec, CLONE_NEWTIME);
		if (tns && !tns->path && (r = prepare_timens(spec, &timens_restore, err)) < 0)
			goto close_ns;
	}

	/* The in-container hooks get the state through a memfd the init
	 * inherits: the parent fills it after clone (the pid is known then). */
	if (spec->n_hooks[HULL_HOOK_CREATE_CONTAINER] || spec->n_hooks[HULL_HOOK_START_CONTAINER]) {
		hook_state = (int)syscall(SYS_memfd_create, "hull-hook-state", MFD_CLOEXEC);
		if (hook_state < 0) {
			r = hull_error_set(err, errno, "cannot create the hooks' state memfd");
			goto close_ns;
		}
	}
	dmz = process_dmz_fd(err);
	if (dmz < -1) {
		r = dmz;
		goto close_ns;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = hull_error_set(err, errno, "socketpair");
		goto close_ns;
	}
	c->sync_fd = sv[0];
	child_sync = sv[1];
	a->sync_fd = child_sync;
	a->fifo_rfd = fifo_r;
	a->fifo_wfd = fifo_w;
	a->dmz_fd = dmz;
	a->hook_state_fd = hook_state;
	a->rootfs = c->rootfs;
	a->seccomp = c->seccomp;

	const struct hull_namespace *userns = hull_spec_namespace(spec, CLONE_NEWUSER);
	if (userns && userns->path) {
		c->pid = clone_init_in_userns(a, flags, c->sync_fd, err);
		if (c->pid < 0) {
			r = c->pid;
			c->pid = 0;
		}
	} else {
		int cgfd = c->cg ? hull_cgroup_open_unified(c->cg) : -1;
		struct init_launch *l = &c->launch;
		*l = (struct init_launch){ .a = a, .parent_fd = c->sync_fd };
		/* Without a user namespace the init enters its cgroup itself
		 * (see init.h); in one, the parent moves it, as before. */
		cg_self = c->cg && !userns;
		a->cg_self = cg_self ? c->cg : NULL;
		if (init_may_share_memory(spec, a) && (c->init_stack = clone_stack_get())) {
			c->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
			a->wait_in_dmz = true;
			c->pid = clone_init_into(flags, cgfd, c->init_stack, l);
			if (c->pid < 0) { /* no CLONE_CLEAR_SIGHAND (5.5) or no entry point here: fork */
				init_stack_release(c);
				a->wait_in_dmz = false;
			}
		}
		if (!c->init_stack)
			c->pid = clone_init_into(flags, cgfd, NULL, l);
		if (cgfd >= 0) /* in the parent (and a forked init) */
			close(cgfd);
		if (c->pid == 0)
			init_entry(l);
		in_unified = a->cg_in_unified;
		if (c->pid < 0) {
			c->pid = 0;
			r = hull_error_set(err, errno, "cannot clone the container's init");
		}
	}

close_ns:
	/* Back to our own pid and time namespaces for what we start later. */
	if (pidns_restore >= 0)
		setns(pidns_restore, CLONE_NEWPID);
	if (timens_restore >= 0)
		setns(timens_restore, CLONE_NEWTIME);
	for (int i = 0; i < a->n_ns_fds; i++)
		close(a->ns_fds[i]);
	if (r < 0)
		return r;
	close(TAKE_FD(child_sync));

	if (a->new_userns && (r = userns_write_mappings(c->pid, spec, err)) < 0)
		return r;
	if (c->cg && !cg_self && (r = hull_cgroup_enter_single(c->cg, c->pid, in_unified, err)) < 0)
		return r;

	/* The state JSON for the in-container hooks rides on GO. */
	_cleanup_free_ char *hook_json = NULL;
	if (spec->n_hooks[HULL_HOOK_CREATE_CONTAINER] || spec->n_hooks[HULL_HOOK_START_CONTAINER]) {
		struct hull_state st;
		fill_state(c, &st, HULL_STATUS_CREATED, NULL, NULL);
		hook_json = hull_state_to_json(&st, false);
	}
	if (hook_json && hook_state >= 0 &&
	    pwrite(hook_state, hook_json, strlen(hook_json), 0) != (ssize_t)strlen(hook_json))
		return hull_error_set(err, errno ? errno : EIO, "cannot write the hooks' state");
	if (sync_send(c->sync_fd, SYNC_GO, 0, "") < 0)
		return hull_error_set(err, errno, "sync with the container's init");

	r = parent_sync(c, err);
	if (r < 0)
		return r;

	created = now_rfc3339();
	cgtext = c->cg ? hull_cgroup_serialize(c->cg) : NULL;
	struct hull_state st;
	fill_state(c, &st, HULL_STATUS_CREATED, created, cgtext);
	r = hull_state_save(o->root, &st, err);
	if (r < 0)
		return r;
	if (o->pid_file) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d", c->pid);
		r = write_file_atomic(o->pid_file, buf, err);
		if (r < 0)
			return hull_error_wrap(err, r, "pid file");
	}
	if (sync_send(c->sync_fd, SYNC_ACK, 0, "") < 0)
		return hull_error_set(err, errno, "sync with the container's init");
	/* Wait for EOF: the init closes its end only after clearing its
	 * parent-death signal, so our exit can no longer kill it; one that
	 * shares our memory closes it by exec'ing the dmz, and may still
	 * fail to. */
	struct sync_msg m;
	int t;
	while ((t = sync_recv(c->sync_fd, &m)) > 0)
		if (t == SYNC_ERROR)
			return hull_error_plain(err, m.code, "%s", m.text);
	init_stack_release(c);
	*ret_pid = c->pid;
	return 0;
}

HULL_EXPORT void hull_container_release_memory(void)
{
	clone_stack_drop_cache();
}

HULL_EXPORT int hull_container_create(const struct hull_create_opts *o, const struct hull_spec *spec, pid_t *ret_pid,
				      struct hull_error **err)
{
	struct create_ctx c = { .o = o, .spec = spec, .sync_fd = -1, .console_master = -1, .dumpable = -1 };
	int r = hull_state_check_id(o->id, err);

	if (r < 0)
		return r;
	c.dir = hull_state_dir(o->root, o->id);
	if (!c.dir)
		return -ENOMEM;
	r = do_create(&c, ret_pid, err);
	if (r < 0)
		create_undo(&c);
	else {
		if (o->ret_console_master)
			*o->ret_console_master = TAKE_FD(c.console_master);
		hull_cgroup_free(c.cg);
	}
	if (c.sync_fd >= 0)
		close(c.sync_fd);
	hull_seccomp_free(c.seccomp);
	free(c.rootfs);
	free(c.dir);
	return r;
}

/* Loads the spec copy kept for poststart/poststop hooks, if any. */
static struct hull_spec *load_hooks_spec(const char *dir)
{
	struct hull_spec *spec = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" HOOKS_CONFIG, dir);
	if (access(path, F_OK) < 0 || hull_spec_load(dir, &spec, NULL) < 0)
		return NULL;
	return spec;
}

HULL_EXPORT int hull_container_start(const char *root, const char *id, struct hull_error **err)
{
	struct hull_state *st = NULL;
	_cleanup_free_ char *dir = NULL, *fifo = NULL;
	_cleanup_close_ int fd = -1;
	int r = hull_state_load(root, id, &st, err);

	if (r < 0)
		return r;
	if (st->status != HULL_STATUS_CREATED) {
		r = hull_error_plain(err, EINVAL, "cannot start container '%s': it is %s, not created", id,
				   hull_status_name(st->status));
		goto out;
	}
	dir = hull_state_dir(root, id);
	if (asprintf(&fifo, "%s/%s", dir, FIFO_NAME) < 0) {
		r = -ENOMEM;
		goto out;
	}
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = hull_error_set(err, errno == ENXIO ? ESRCH : errno, "cannot start container '%s'", id);
		goto out;
	}
	if (write(fd, "0", 1) != 1) {
		r = hull_error_set(err, errno, "cannot start container '%s'", id);
		goto out;
	}
	unlink(fifo);

	struct hull_spec *spec = load_hooks_spec(dir);
	if (spec && spec->n_hooks[HULL_HOOK_POSTSTART]) {
		/* Poststart hooks run once the user's program is running:
		 * our write end sees POLLERR when the init, at exec, closes
		 * its read end (close-on-exec) or dies. */
		struct pollfd p = { .fd = fd, .events = 0 };
		poll(&p, 1, 10000);
		st->status = HULL_STATUS_RUNNING;
		_cleanup_free_ char *json = hull_state_to_json(st, false);
		r = hooks_run(HULL_HOOK_POSTSTART, spec->hooks[HULL_HOOK_POSTSTART], spec->n_hooks[HULL_HOOK_POSTSTART],
			      json ? json : "{}", err);
		if (r < 0) {
			/* As runc: a failed poststart hook stops the container. */
			kill(st->pid, SIGKILL);
		}
	}
	hull_spec_free(spec);
out:
	hull_state_free(st);
	return r;
}

/* Signals pid only if it still is the process recorded: a pidfd pins it,
 * then its start time is checked. */
static int signal_init(const struct hull_state *st, int sig)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);

	if (pidfd < 0)
		return errno == ENOSYS ? (kill(st->pid, sig) < 0 ? -errno : 0) : -errno;
	if (!hull_pid_alive(st->pid, st->pid_start))
		return -ESRCH;
	return sys_pidfd_send_signal(pidfd, sig) < 0 ? -errno : 0;
}

static int load_cgroup(const struct hull_state *st, struct hull_cgroup **ret)
{
	*ret = NULL;
	if (!st->cgroup)
		return -ENOENT;
	return hull_cgroup_load("/sys/fs/cgroup", st->cgroup, ret, NULL);
}

static int signal_all(const struct hull_state *st, int sig)
{
	struct hull_cgroup *cg;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;

	if (load_cgroup(st, &cg) < 0)
		return signal_init(st, sig);
	if (hull_cgroup_pids(cg, &pids, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			kill(pids[i], sig);
	hull_cgroup_free(cg);
	return 0;
}

HULL_EXPORT int hull_container_kill(const char *root, const char *id, int sig, bool all, struct hull_error **err)
{
	struct hull_state *st = NULL;
	int r = hull_state_load(root, id, &st, err);

	if (r < 0)
		return r;
	if (st->status == HULL_STATUS_STOPPED && !all)
		r = hull_error_plain(err, ESRCH, "cannot kill container '%s': it is not running", id);
	else {
		r = all ? signal_all(st, sig) : signal_init(st, sig);
		if (r < 0)
			r = hull_error_set(err, -r, "cannot kill container '%s'", id);
		/* A frozen process dies of SIGKILL only once thawed (v1
		 * freezer): as runc, thaw a paused container killed so. */
		if (r >= 0 && sig == SIGKILL && st->status == HULL_STATUS_PAUSED) {
			struct hull_cgroup *cg;
			if (load_cgroup(st, &cg) == 0) {
				hull_cgroup_freeze(cg, false, NULL);
				hull_cgroup_free(cg);
			}
		}
	}
	hull_state_free(st);
	return r;
}

/* Waits up to 5 s for the cgroup to empty, killing what is left (all of
 * it started by this container), then removes it. */
static int destroy_cgroup(struct hull_cgroup *cg, struct hull_error **err)
{
	for (int i = 0; i < 500; i++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		if (hull_cgroup_pids(cg, &pids, &n, NULL) == 0 && n == 0)
			break;
		for (size_t k = 0; k < n; k++)
			kill(pids[k], SIGKILL);
		usleep(10000);
	}
	/* A process that just died may still be leaving the cgroup: retry
	 * in short steps, for up to a second. */
	int r = -EBUSY;
	for (int i = 0; i < 1000 && r == -EBUSY; i++) {
		r = hull_cgroup_destroy(cg, i == 999 ? err : NULL);
		if (r == -EBUSY)
			usleep(1000);
	}
	return r;
}

HULL_EXPORT int hull_container_delete(const char *root, const char *id, bool force, struct hull_error **err)
{
	struct hull_state *st = NULL;
	struct hull_cgroup *cg = NULL;
	_cleanup_free_ char *dir = NULL;
	int r = hull_state_load(root, id, &st, err);

	if (r < 0)
		return r;
	if ((st->status == HULL_STATUS_RUNNING || st->status == HULL_STATUS_PAUSED) && !force) {
		r = hull_error_plain(err, EBUSY, "cannot delete container '%s': it is %s (stop it first or use --force)", id,
				   hull_status_name(st->status));
		goto out;
	}
	load_cgroup(st, &cg);
	if (st->status != HULL_STATUS_STOPPED) {
		if (st->status == HULL_STATUS_PAUSED && cg)
			hull_cgroup_freeze(cg, false, NULL);
		signal_init(st, SIGKILL);
		for (int i = 0; i < 1000 && hull_pid_alive(st->pid, st->pid_start); i++)
			usleep(2000);
	}
	if (cg) {
		r = destroy_cgroup(cg, err);
		if (r < 0)
			goto out;
	}
	dir = hull_state_dir(root, id);
	struct hull_spec *spec = load_hooks_spec(dir);
	r = path_remove_tree(dir);
	if (r < 0)
		r = hull_error_set(err, -r, "cannot remove '%s'", dir);
	if (spec && spec->n_hooks[HULL_HOOK_POSTSTOP]) {
		st->status = HULL_STATUS_STOPPED;
		_cleanup_free_ char *json = hull_state_to_json(st, false);
		/* Poststop failures are only warnings (runtime-spec): the
		 * container is gone either way. */
		hooks_run(HULL_HOOK_POSTSTOP, spec->hooks[HULL_HOOK_POSTSTOP], spec->n_hooks[HULL_HOOK_POSTSTOP],
			  json ? json : "{}", NULL);
	}
	hull_spec_free(spec);
out:
	hull_cgroup_free(cg);
	hull_state_free(st);
	return r;
}

static int set_frozen(const char *root, const char *id, bool frozen, struct hull_error **err)
{
	struct hull_state *st = NULL;
	struct hull_cgroup *cg = NULL;
	int r = hull_state_load(root, id, &st, err);

	if (r < 0)
		return r;
	if (frozen ? st->status != HULL_STATUS_RUNNING : st->status != HULL_STATUS_PAUSED)
		r = hull_error_plain(err, EINVAL, "cannot %s container '%s': it is %s", frozen ? "pause" : "resume", id,
				   hull_status_name(st->status));
	else if (load_cgroup(st, &cg) < 0)
		r = hull_error_plain(err, ENOENT, "container '%s' has no cgroup to freeze", id);
	else
		r = hull_cgroup_freeze(cg, frozen, err);
	hull_cgroup_free(cg);
	hull_state_free(st);
	return r;
}

HULL_EXPORT int hull_container_pause(const char *root, const char *id, struct hull_error **err)
{
	return set_frozen(root, id, true, err);
}

HULL_EXPORT int hull_container_resume(const char *root, const char *id, struct hull_error **err)
{
	return set_frozen(root, id, false, err);
}
