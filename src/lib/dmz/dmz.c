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
#define NR_write 1
#define NR_execve 59
#define NR_exit 60
#else
#define NR_write 64
#define NR_execve 221
#define NR_exit 93
#endif

static unsigned long len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

__attribute__((used)) void dmz_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	static const char msg[] = "hull: exec failed: ";

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
