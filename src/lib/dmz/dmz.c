/* dmz.c - the trampoline between hull's container init and the user's
 * program.
 *
 * The init is a clone of hullrt, so /proc/self/exe names the hullrt
 * binary until it execs.  A program whose interpreter is /proc/self/exe
 * ("#!/proc/self/exe") would then run hullrt inside the container, where
 * another container process could reopen it for writing
 * (CVE-2019-5736).  So the init first execs this tiny static program from a
 * sealed memfd: from then on /proc/self/exe is the sealed copy of this
 * trampoline, which no one can write.  It only execs argv[1] with
 * argv[2..] as the program's argv.
 *
 * Called "hull-dmz:R:W", it is the created container's init waiting for
 * start: it first reads one byte from fd R (exec.fifo), closes R and W,
 * then execs.  An init that shares hullrt's memory (see src/lib/init.h)
 * execs it this way as soon as it is ready, to leave that memory.
 *
 * Built with -nostdlib: no libc, a few hundred bytes, so the extra exec
 * costs a few microseconds.
 */
#if !defined(__x86_64__) && !defined(__aarch64__)
#error "dmz: unsupported architecture"
#endif

static long sys3(long n, long a, long b, long c)
{
	long ret;
#if defined(__x86_64__)
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
#else
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	ret = x0;
#endif
	return ret;
}

#if defined(__x86_64__)
#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_execve 59
#define NR_exit 60
#else
#define NR_read 63
#define NR_write 64
#define NR_close 57
#define NR_execve 221
#define NR_exit 93
#endif
#define EINTR 4

static unsigned long len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

/* The decimal number at *s, up to ':' or the end; -1 if there is none. */
static long number(const char **s)
{
	long n = -1;

	for (; **s >= '0' && **s <= '9'; (*s)++)
		n = (n < 0 ? 0 : n * 10) + (**s - '0');
	if (**s == ':')
		(*s)++;
	return n;
}

/* "hull-dmz:R:W": wait for start on R; exits 1 if the fifo closes first
 * (the container was deleted before it started). */
static void wait_for_start(const char *name)
{
	static const char prefix[] = "hull-dmz:";
	unsigned long i;
	long r, w, n;
	char byte;

	for (i = 0; i < sizeof(prefix) - 1; i++)
		if (name[i] != prefix[i])
			return;
	name += i;
	r = number(&name);
	w = number(&name);
	if (r < 0 || w < 0)
		return;
	do
		n = sys3(NR_read, r, (long)&byte, 1);
	while (n == -EINTR);
	if (n != 1)
		sys3(NR_exit, 1, 0, 0);
	sys3(NR_close, r, 0, 0);
	sys3(NR_close, w, 0, 0);
}

__attribute__((used)) void dmz_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	static const char msg[] = "hull: exec failed: ";

	if (argc >= 1)
		wait_for_start(argv[0]);

	if (argc >= 2)
		sys3(NR_execve, (long)argv[1], (long)(argv + 2), (long)envp);
	sys3(NR_write, 2, (long)msg, sizeof(msg) - 1);
	if (argc >= 2) {
		sys3(NR_write, 2, (long)argv[1], len(argv[1]));
	}
	sys3(NR_write, 2, (long)"\n", 1);
	sys3(NR_exit, 127, 0, 0);
	for (;;)
		;
}

#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call dmz_main\n");
#else
__asm__(".globl _start\n_start:\n mov x0, sp\n bl dmz_main\n");
#endif
