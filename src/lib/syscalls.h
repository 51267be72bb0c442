/* syscalls.h - raw system calls glibc does not wrap (or wraps only in newer
 * versions), as static inline functions.  Callers fall back when the kernel
 * answers ENOSYS. */
#ifndef HULL_SYSCALLS_H
#define HULL_SYSCALLS_H

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

struct hull_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

/* fork()-like: returns 0 in the child, the pid in the parent, -1 + errno. */
static inline pid_t sys_clone3(struct hull_clone_args *args)
{
	return (pid_t)syscall(__NR_clone3, args, sizeof(*args));
}

#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif

struct hull_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

static inline int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct hull_open_how how = { .flags = flags, .mode = mode, .resolve = resolve };

	return (int)syscall(__NR_openat2, dirfd, path, &how, sizeof(how));
}

#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* mount_setattr's MOUNT_ATTR_* (<linux/mount.h> clashes with glibc's
 * <sys/mount.h> before 2.37). */
#define MNT_ATTR_RDONLY 0x1ULL
#define MNT_ATTR_NOSUID 0x2ULL
#define MNT_ATTR_NODEV 0x4ULL
#define MNT_ATTR_NOEXEC 0x8ULL
#define MNT_ATTR__ATIME 0x70ULL
#define MNT_ATTR_NOATIME 0x10ULL
#define MNT_ATTR_STRICTATIME 0x20ULL
#define MNT_ATTR_NODIRATIME 0x80ULL
#define MNT_ATTR_NOSYMFOLLOW 0x200000ULL

struct hull_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

static inline int sys_mount_setattr(int dirfd, const char *path, unsigned int flags, struct hull_mount_attr *attr)
{
	return (int)syscall(__NR_mount_setattr, dirfd, path, flags, attr, sizeof(*attr));
}

static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

static inline int sys_close_range(unsigned int first, unsigned int last, unsigned int flags)
{
	return (int)syscall(__NR_close_range, first, last, flags);
}

static inline int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(__NR_pidfd_send_signal, pidfd, sig, NULL, 0);
}

#endif
