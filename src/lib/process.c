/* process.c - see process.h */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscalls.h"
#include "util.h"

extern const unsigned char hull_dmz_blob[];
extern const unsigned char hull_dmz_blob_end[];

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int process_set_rlimits(const struct hull_process *p, struct hull_error **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return hull_error_set(err, errno, "cannot set rlimit %d to %llu:%llu", p->rlimits[i].resource,
					      (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	}
	return 0;
}

static int set_caps(const struct hull_process *p, uint64_t available, struct hull_error **err)
{
	static const cap_flag_t flags[] = { CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE };
	static const int sets[] = { HULL_CAP_EFFECTIVE, HULL_CAP_PERMITTED, HULL_CAP_INHERITABLE };
	cap_t caps = cap_init();
	int r = 0;

	if (!caps)
		return hull_error_set(err, errno, "cannot allocate capabilities");
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++)
		for (cap_value_t c = 0; c < 64; c++)
			if (p->caps[sets[s]] & available & (1ULL << c))
				cap_set_flag(caps, flags[s], 1, &c, CAP_SET);
	if (cap_set_proc(caps) < 0)
		r = hull_error_set(err, errno, "cannot set capabilities");
	cap_free(caps);
	if (r < 0)
		return r;

	/* One call (libcap's cap_reset_ambient asks about every capability
	 * first); EINVAL: a kernel without ambient capabilities. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return hull_error_set(err, errno, "cannot reset ambient capabilities");
	/* The kernel allows an ambient capability only if it is both
	 * permitted and inheritable; others are left out, as runc does. */
	uint64_t ambient = p->caps[HULL_CAP_AMBIENT] & p->caps[HULL_CAP_PERMITTED] & p->caps[HULL_CAP_INHERITABLE];
	for (cap_value_t c = 0; c < 64; c++)
		if (ambient & available & (1ULL << c) && cap_set_ambient(c, CAP_SET) < 0)
			return hull_error_set(err, errno, "cannot raise ambient capability %d", c);
	return 0;
}

int process_set_user_and_caps(const struct hull_process *p, bool userns, struct hull_error **err)
{
	uint64_t available = 0;
	int last = (int)cap_max_bits();

	if (p->has_caps) {
		uint64_t wanted = 0;
		for (int s = 0; s < HULL_CAP__MAX; s++)
			wanted |= p->caps[s];
		/* What this host's bounding set lacks cannot be granted;
		 * asking for it would only fail the container.  Only the
		 * wanted ones are asked about (a syscall each); a drop of
		 * one the set lacks succeeds. */
		for (int c = 0; c < last && c < 64; c++)
			if ((wanted & (1ULL << c)) && cap_get_bound(c) == 1)
				available |= 1ULL << c;
		for (int c = 0; c < last && c < 64; c++)
			if (!(p->caps[HULL_CAP_BOUNDING] & (1ULL << c)) && cap_drop_bound(c) < 0)
				return hull_error_set(err, errno, "cannot drop capability %d from the bounding set", c);
		available &= p->caps[HULL_CAP_BOUNDING] | p->caps[HULL_CAP_PERMITTED];
		/* Keep the permitted set across the uid change below. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return hull_error_set(err, errno, "cannot set keepcaps");
	}

	if (setgroups(p->n_additional_gids, p->additional_gids) < 0 && !(userns && errno == EPERM))
		return hull_error_set(err, errno, "cannot set additional gids");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return hull_error_set(err, errno, "cannot set gid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return hull_error_set(err, errno, "cannot set uid %u", p->uid);

	if (p->has_caps) {
		int r = set_caps(p, available, err);
		if (r < 0)
			return r;
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return hull_error_set(err, errno, "cannot clear keepcaps");
	}
	return 0;
}

int process_enter_cwd(const char *cwd, struct hull_error **err)
{
	char buf[PATH_MAX];

	if (chdir(cwd) < 0)
		return hull_error_set(err, errno, "cannot chdir to cwd '%s'", cwd);
	/* getcwd() fails with ENOENT, or names "(unreachable)/...", when the
	 * cwd is not below the root: the sign of a path through a leaked fd. */
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return hull_error_set(err, errno ? errno : EPERM, "cwd '%s' is outside the container's root", cwd);
	return 0;
}

static const char *env_get(char **env, const char *name)
{
	size_t len = strlen(name);

	for (char **e = env; e && *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static bool is_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES; /* as execve says for a directory; not a stale errno */
		return false;
	}
	return access(path, X_OK) == 0;
}

int process_find_exec(const struct hull_process *p, char **ret_path, struct hull_error **err)
{
	const char *name = p->args[0];

	if (strchr(name, '/')) {
		if (!is_executable(name))
			return hull_error_set(err, errno ? errno : EACCES, "'%s'", name);
		*ret_path = strdup(name);
		return *ret_path ? 0 : -ENOMEM;
	}

	const char *path = env_get(p->env, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (const char *dir = path; *dir;) {
		size_t n = strcspn(dir, ":");
		char cand[PATH_MAX];
		if (snprintf(cand, sizeof(cand), "%.*s/%s", (int)(n ? n : 1), n ? dir : ".", name) < (int)sizeof(cand) &&
		    is_executable(cand)) {
			*ret_path = strdup(cand);
			return *ret_path ? 0 : -ENOMEM;
		}
		dir += n;
		if (*dir == ':')
			dir++;
	}
	return hull_error_plain(err, ENOENT, "'%s': executable file not found in $PATH", name);
}

int process_prepare_fds(int preserve_fds, struct hull_error **err)
{
	unsigned int first = 3 + (unsigned int)preserve_fds;

	if (sys_close_range(first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		/* Before 5.11: walk the fds one by one. */
		for (int fd = (int)first; fd < 65536; fd++) {
			int fl = fcntl(fd, F_GETFD);
			if (fl >= 0)
				fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
		}
	}
	for (int fd = 3; fd < (int)first; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
			return hull_error_set(err, errno, "cannot preserve fd %d", fd);
	}
	return 0;
}

int process_dmz_fd(struct hull_error **err)
{
	size_t len = (size_t)(hull_dmz_blob_end - hull_dmz_blob);
	int fd;

	if (len == 0)
		return -1;
	fd = (int)syscall(SYS_memfd_create, "hull-dmz", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* before 6.3: no MFD_EXEC, memfds are executable */
		fd = (int)syscall(SYS_memfd_create, "hull-dmz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return hull_error_set(err, errno, "cannot create the dmz memfd");
	if (write(fd, hull_dmz_blob, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		int r = hull_error_set(err, errno ? errno : EIO, "cannot seal the dmz memfd");
		close(fd);
		return r;
	}
	return fd;
}

int process_exec(const struct hull_process *p, const char *path, int dmz_fd, const int wait_fifo[2],
		 struct hull_error **err)
{
	char *empty[] = { NULL };
	char **env = p->env ? p->env : empty;
	char name[48] = "hull-dmz";

	if (wait_fifo) {
		/* The dmz finds the fifo's fds in its argv[0] (it has no
		 * libc to parse more), and they must survive this exec. */
		if (dmz_fd < 0)
			return hull_error_set(err, EINVAL, "waiting for start needs the dmz");
		snprintf(name, sizeof(name), "hull-dmz:%d:%d", wait_fifo[0], wait_fifo[1]);
		if (fcntl(wait_fifo[0], F_SETFD, 0) < 0 || fcntl(wait_fifo[1], F_SETFD, 0) < 0)
			return hull_error_set(err, errno, "exec.fifo");
	}
	if (dmz_fd >= 0) {
		/* dmz argv: [dmz, path, args...] */
		char **argv = calloc(p->n_args + 3, sizeof(char *));
		if (!argv)
			return -ENOMEM;
		argv[0] = name;
		argv[1] = (char *)path;
		memcpy(argv + 2, p->args, p->n_args * sizeof(char *));
		syscall(SYS_execveat, dmz_fd, "", argv, env, AT_EMPTY_PATH);
		free(argv);
		if (errno != ENOSYS || wait_fifo)
			return hull_error_set(err, errno, "exec: '%s' through the dmz", path);
	}
	execve(path, p->args, env);
	return hull_error_set(err, errno, "exec: '%s'", path);
}
