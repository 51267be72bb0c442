/* probe.c - a tiny static program copied into a test rootfs as /probe: it
 * prints what the container sees, one fact per line ("key value"), so
 * that a test can assert on it.  Several subcommands run in one go when
 * separated by "+":  /probe ids + umask + caps
 *
 * Failures print "error ENAME" (stdout) and make the exit status 1.
 * Built with: gcc -O2 -static -o probe probe.c (no other dependency).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int status;

static const char *ename(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
	E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
	E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE)
	E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS)
	E(EMLINK) E(EPIPE) E(ELOOP) E(ENAMETOOLONG) E(ENOSYS) E(EOPNOTSUPP)
#undef E
	default: return "EUNKNOWN";
	}
}

static void fail(const char *what)
{
	printf("error %s %s\n", ename(errno), what);
	status = 1;
}

/* Prints the lines of a file that start with one of the given prefixes. */
static void grep_status(const char *const *keys)
{
	char line[512];
	FILE *f = fopen("/proc/self/status", "re");
	if (!f) return fail("/proc/self/status");
	while (fgets(line, sizeof line, f))
		for (const char *const *k = keys; *k; k++)
			if (!strncmp(line, *k, strlen(*k)) && line[strlen(*k)] == ':') {
				char *v = line + strlen(*k) + 1;
				v += strspn(v, " \t");
				printf("%s %s", *k, v);
			}
	fclose(f);
}

static void cat(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return fail(path);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, n, stdout);
	if (n < 0) fail(path);
	close(fd);
}

static const struct { const char *name; int res; } rlimits[] = {
	{"AS", RLIMIT_AS}, {"CORE", RLIMIT_CORE}, {"CPU", RLIMIT_CPU},
	{"DATA", RLIMIT_DATA}, {"FSIZE", RLIMIT_FSIZE}, {"LOCKS", RLIMIT_LOCKS},
	{"MEMLOCK", RLIMIT_MEMLOCK}, {"MSGQUEUE", RLIMIT_MSGQUEUE},
	{"NICE", RLIMIT_NICE}, {"NOFILE", RLIMIT_NOFILE}, {"NPROC", RLIMIT_NPROC},
	{"RSS", RLIMIT_RSS}, {"RTPRIO", RLIMIT_RTPRIO}, {"RTTIME", RLIMIT_RTTIME},
	{"SIGPENDING", RLIMIT_SIGPENDING}, {"STACK", RLIMIT_STACK},
};

static void print_lim(rlim_t v)
{
	if (v == RLIM_INFINITY) printf("unlimited");
	else printf("%llu", (unsigned long long)v);
}

static void rlimit(const char *name)
{
	if (!strncmp(name, "RLIMIT_", 7)) name += 7;
	for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
		if (!strcmp(rlimits[i].name, name)) {
			struct rlimit r;
			if (getrlimit(rlimits[i].res, &r) < 0) return fail(name);
			print_lim(r.rlim_cur);
			putchar(' ');
			print_lim(r.rlim_max);
			putchar('\n');
			return;
		}
	errno = EINVAL;
	fail(name);
}

static void fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	if (!d) return fail("/proc/self/fd");
	while ((e = readdir(d))) {
		char p[64], t[4096];
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d)) continue;
		snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(p, t, sizeof t - 1);
		t[n < 0 ? 0 : n] = 0;
		printf("%d %s\n", fd, t);
	}
	closedir(d);
}

/* "mountpoint fstype mount-options super-options [optional fields]" */
static void mounts(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) return fail("/proc/self/mountinfo");
	while (fgets(line, sizeof line, f)) {
		char *fld[64], *save = NULL, *opt = NULL;
		int n = 0, sep = -1;
		for (char *t = strtok_r(line, " \n", &save); t && n < 64; t = strtok_r(NULL, " \n", &save)) {
			if (!strcmp(t, "-") && sep < 0) sep = n;
			fld[n++] = t;
		}
		if (sep < 6 || n < sep + 4) continue;
		printf("%s %s %s %s", fld[4], fld[sep + 1], fld[5], fld[sep + 3]);
		for (int i = 6; i < sep; i++) printf(" %s", fld[i]);
		(void)opt;
		putchar('\n');
	}
	fclose(f);
}

static void ns(void)
{
	DIR *d = opendir("/proc/self/ns");
	struct dirent *e;
	if (!d) return fail("/proc/self/ns");
	while ((e = readdir(d))) {
		char p[300], t[256];
		if (e->d_name[0] == '.') continue;
		snprintf(p, sizeof p, "/proc/self/ns/%s", e->d_name);
		ssize_t n = readlink(p, t, sizeof t - 1);
		if (n < 0) { fail(p); continue; }
		t[n] = 0;
		printf("%s %s\n", e->d_name, t);
	}
	closedir(d);
}

static void statp(const char *path)
{
	struct stat st;
	char t[4096];
	if (lstat(path, &st) < 0) return fail(path);
	const char *type = S_ISREG(st.st_mode) ? "f" : S_ISDIR(st.st_mode) ? "d" : S_ISLNK(st.st_mode) ? "l" :
			   S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b" : S_ISFIFO(st.st_mode) ? "p" : "s";
	printf("type %s\nmode %04o\nrdev %u:%u\nowner %u %u\nsize %lld\n", type, st.st_mode & 07777,
	       major(st.st_rdev), minor(st.st_rdev), st.st_uid, st.st_gid, (long long)st.st_size);
	ssize_t n = readlink(path, t, sizeof t - 1);
	if (n >= 0) { t[n] = 0; printf("link %s\n", t); }
}

static void writep(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) return fail(path);
	if (write(fd, text, strlen(text)) < 0) fail(path);
	else if (close(fd) < 0) fail(path);
	else printf("ok\n");
}

/* Tries to get write access to the binary behind /proc/<pid>/exe, directly
 * and through an O_PATH fd reopened via /proc/self/fd (CVE-2019-5736). */
static void open_exe_one(const char *path)
{
	char p[64];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	printf("%s %s\n", path, fd >= 0 ? "ok" : ename(errno));
	if (fd >= 0) { status = 1; close(fd); }
	int pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0) { printf("%s-reopen %s\n", path, ename(errno)); return; }
	snprintf(p, sizeof p, "/proc/self/fd/%d", pfd);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	printf("%s-reopen %s\n", path, fd >= 0 ? "ok" : ename(errno));
	if (fd >= 0) { status = 1; close(fd); }
	close(pfd);
}

static void open_exe(int argc, char **argv)
{
	open_exe_one("/proc/self/exe");
	open_exe_one("/proc/1/exe");
	for (int i = 0; i < argc; i++) {
		char p[64];
		snprintf(p, sizeof p, "/proc/%s/exe", argv[i]);
		open_exe_one(p);
	}
}

static void tty(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		const char *n = ttyname(fd);
		printf("%d %s %s\n", fd, isatty(fd) ? "tty" : "notty", n ? n : "-");
	}
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0) printf("size %u %u\n", ws.ws_row, ws.ws_col);
}

/* Walks ".." up from the cwd to the top: it must be the container's "/"
 * (a cwd outside the rootfs, e.g. a leaked host fd, reaches another top). */
static void cwd_inside(void)
{
	struct stat root, cur, up;
	int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || stat("/", &root) < 0) return fail("cwd");
	for (int i = 0; i < 4096; i++) {
		int next = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (next < 0 || fstat(fd, &cur) < 0 || fstat(next, &up) < 0) { close(fd); return fail(".."); }
		close(fd);
		fd = next;
		if (cur.st_dev == up.st_dev && cur.st_ino == up.st_ino) break;
	}
	fstat(fd, &cur);
	close(fd);
	printf("inside %s\n", cur.st_dev == root.st_dev && cur.st_ino == root.st_ino ? "yes" : "no");
}

static int got_signal;
static void on_signal(int sig) { got_signal = sig; }

/* Waits for any catchable signal, prints it and exits 128+sig. */
static void waitsig(const char *note)
{
	struct sigaction sa = {.sa_handler = on_signal};
	for (int s = 1; s < 65; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD) sigaction(s, &sa, NULL);
	if (note) { int fd = open(note, O_WRONLY | O_CREAT | O_TRUNC, 0644); if (fd >= 0) close(fd); }
	printf("waiting\n");
	fflush(stdout);
	while (!got_signal) pause();
	printf("signal %d\n", got_signal);
	fflush(stdout);
	exit(128 + got_signal);
}

/* Forks up to n children that wait (pause) until killed; prints how many
 * it could fork and the error that stopped it, if any. */
static void forkn(int n)
{
	int k = 0;
	fflush(stdout); /* the children never flush what they inherit */
	for (; k < n; k++) {
		pid_t p = fork();
		if (p < 0) {
			int e = errno;
			printf("forked %d\n", k);
			errno = e;
			fail("fork");
			return;
		}
		if (p == 0) {
			for (;;) pause();
		}
	}
	printf("forked %d\n", k);
}

/* Allocates and touches n MiB, one MiB at a time ("allocated N" when done). */
static void allocmb(int n)
{
	for (int i = 0; i < n; i++) {
		char *p = malloc(1 << 20);
		if (!p) return fail("malloc");
		memset(p, 0x5a, 1 << 20);
	}
	printf("allocated %d\n", n);
}

static void lsdir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d) return fail(path);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			printf("%s\n", e->d_name);
	closedir(d);
}

static void clock_show(void)
{
	struct timespec m, b;
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_BOOTTIME, &b);
	printf("monotonic %lld\nboottime %lld\n", (long long)m.tv_sec, (long long)b.tv_sec);
}

/* Makes one raw syscall, by name (from a short list) or number, with up to
 * six numeric arguments: prints "ret N", or "errno N ENAME" when it fails
 * (an expected outcome for seccomp tests, so not an error of the probe). */
static const struct { const char *name; long nr; } sysnames[] = {
	{"getpid", SYS_getpid}, {"getppid", SYS_getppid}, {"getuid", SYS_getuid},
	{"personality", SYS_personality}, {"mkdirat", SYS_mkdirat}, {"umask", SYS_umask},
	{"dup", SYS_dup}, {"close", SYS_close}, {"sched_yield", SYS_sched_yield},
	{"getpgid", SYS_getpgid}, {"uname", SYS_uname},
};

static void sys(int argc, char **argv)
{
	long nr = -1, a[6] = {0};
	for (size_t i = 0; i < sizeof sysnames / sizeof sysnames[0]; i++)
		if (!strcmp(argv[0], sysnames[i].name)) nr = sysnames[i].nr;
	if (nr < 0) nr = strtol(argv[0], NULL, 0);
	for (int i = 1; i < argc && i <= 6; i++) a[i - 1] = (long)strtoull(argv[i], NULL, 0);
	errno = 0;
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r == -1 && errno) printf("errno %d %s\n", errno, ename(errno));
	else printf("ret %ld\n", r);
}

static int usage(void)
{
	fprintf(stderr, "usage: probe CMD [ARGS] [+ CMD [ARGS]]...\n"
		"  hostname domainname ids caps nnp rlimit NAME umask cwd cwd-inside fds mounts pid ns\n"
		"  stat PATH write PATH TEXT cat PATH ls DIR readlink PATH open-exe [PID...]\n"
		"  sleep SEC exit N oomscore env sysctl NAME tty clock waitsig [FILE]\n"
		"  sys NAME|NR [ARG...] fork N alloc MIB\n");
	return 2;
}

/* Runs one subcommand: argv[0..argc-1]. */
static int one(int argc, char **argv)
{
	const char *c = argv[0], *a1 = argc > 1 ? argv[1] : NULL, *a2 = argc > 2 ? argv[2] : NULL;
	struct utsname u;
	char buf[4096];

	if (!strcmp(c, "hostname") || !strcmp(c, "domainname")) {
		uname(&u);
		printf("%s\n", c[0] == 'h' ? u.nodename : u.domainname);
	} else if (!strcmp(c, "ids")) {
		gid_t g[256];
		int n = getgroups(256, g);
		printf("uid %u\ngid %u\neuid %u\negid %u\ngroups", getuid(), getgid(), geteuid(), getegid());
		for (int i = 0; i < n; i++) printf(" %u", g[i]);
		putchar('\n');
	} else if (!strcmp(c, "caps")) {
		grep_status((const char *const[]){"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", NULL});
	} else if (!strcmp(c, "nnp")) {
		grep_status((const char *const[]){"NoNewPrivs", NULL});
	} else if (!strcmp(c, "rlimit") && a1) {
		rlimit(a1);
	} else if (!strcmp(c, "umask")) {
		mode_t m = umask(0);
		umask(m);
		printf("%04o\n", m);
	} else if (!strcmp(c, "cwd")) {
		if (getcwd(buf, sizeof buf)) printf("%s\n", buf);
		else fail("getcwd");
	} else if (!strcmp(c, "cwd-inside")) {
		cwd_inside();
	} else if (!strcmp(c, "fds")) {
		fds();
	} else if (!strcmp(c, "mounts")) {
		mounts();
	} else if (!strcmp(c, "pid")) {
		printf("pid %d\nppid %d\n", getpid(), getppid());
	} else if (!strcmp(c, "ns")) {
		ns();
	} else if (!strcmp(c, "stat") && a1) {
		statp(a1);
	} else if (!strcmp(c, "write") && a2) {
		writep(a1, a2);
	} else if (!strcmp(c, "cat") && a1) {
		cat(a1);
	} else if (!strcmp(c, "ls") && a1) {
		lsdir(a1);
	} else if (!strcmp(c, "readlink") && a1) {
		ssize_t n = readlink(a1, buf, sizeof buf - 1);
		if (n < 0) fail(a1);
		else printf("%.*s\n", (int)n, buf);
	} else if (!strcmp(c, "open-exe")) {
		open_exe(argc - 1, argv + 1);
	} else if (!strcmp(c, "sleep") && a1) {
		double s = atof(a1);
		struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR) ;
	} else if (!strcmp(c, "exit") && a1) {
		fflush(stdout);
		exit(atoi(a1));
	} else if (!strcmp(c, "oomscore")) {
		cat("/proc/self/oom_score_adj");
	} else if (!strcmp(c, "env")) {
		for (char **e = environ; *e; e++) printf("%s\n", *e);
	} else if (!strcmp(c, "sysctl") && a1) {
		snprintf(buf, sizeof buf, "/proc/sys/%s", a1);
		for (char *p = buf + 10; *p; p++) if (*p == '.') *p = '/';
		cat(buf);
	} else if (!strcmp(c, "tty")) {
		tty();
	} else if (!strcmp(c, "clock")) {
		clock_show();
	} else if (!strcmp(c, "sys") && a1) {
		sys(argc - 1, argv + 1);
	} else if (!strcmp(c, "fork") && a1) {
		forkn(atoi(a1));
	} else if (!strcmp(c, "alloc") && a1) {
		allocmb(atoi(a1));
	} else if (!strcmp(c, "waitsig")) {
		waitsig(a1);
	} else {
		return usage();
	}
	return 0;
}

int main(int argc, char **argv)
{
	int start = 1;
	if (argc < 2) return usage();
	for (int i = 1; i <= argc; i++)
		if (i == argc || !strcmp(argv[i], "+")) {
			if (i > start && one(i - start, argv + start)) return 2;
			start = i + 1;
		}
	fflush(stdout);
	return status;
}
