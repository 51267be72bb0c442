/* clone.c - see clone.h. */
#include "clone.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD 4096
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
/* The top of the stack the child surely uses: populated in one call
 * instead of a page fault each (5.14+; older kernels fault as usual). */
#define PREFAULT (64u << 10)

static void *kept; /* the stack put back, for the next get */

void *clone_stack_get(void)
{
	char *p = __atomic_exchange_n(&kept, NULL, __ATOMIC_ACQ_REL);

	if (p)
		return p;
	p = mmap(NULL, CLONE_STACK_SIZE + GUARD, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* A guard page below: an overflow faults instead of writing over
	 * whatever mapping lies there. */
	if (mprotect(p, GUARD, PROT_NONE) < 0) {
		int e = errno;
		munmap(p, CLONE_STACK_SIZE + GUARD);
		errno = e;
		return NULL;
	}
	(void)madvise(p + GUARD + CLONE_STACK_SIZE - PREFAULT, PREFAULT, MADV_POPULATE_WRITE);
	return p + GUARD;
}

static void stack_unmap(void *stack)
{
	if (stack)
		munmap((char *)stack - GUARD, CLONE_STACK_SIZE + GUARD);
}

void clone_stack_put(void *stack)
{
	void *none = NULL;

	if (stack && !__atomic_compare_exchange_n(&kept, &none, stack, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		stack_unmap(stack);
}

void clone_stack_drop_cache(void)
{
	stack_unmap(__atomic_exchange_n(&kept, NULL, __ATOMIC_ACQ_REL));
}

pid_t clone_vm_run(struct hull_clone_args *args, void *stack, void (*fn)(void *), void *arg)
{
#if defined(__x86_64__)
	long ret;

	args->flags |= CLONE_VM;
	args->stack = (uint64_t)(uintptr_t)stack;
	args->stack_size = CLONE_STACK_SIZE;
	/* The child returns from the syscall on the new stack (the kernel
	 * points its rsp at stack + size): it may not return into our
	 * frames, so it calls fn straight from here, and exits if fn ever
	 * returns.  r8/r9 survive the syscall in both. */
	register long r8 __asm__("r8") = (long)(uintptr_t)fn;
	register long r9 __asm__("r9") = (long)(uintptr_t)arg;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r9, %%rdi\n\t"
			 "call *%%r8\n\t"
			 "mov $127, %%edi\n\t"
			 "mov $60, %%eax\n\t" /* exit */
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)__NR_clone3), "D"(args), "S"(sizeof(*args)), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (pid_t)ret;
#else
	(void)args, (void)stack, (void)fn, (void)arg;
	errno = ENOSYS;
	return -1;
#endif
}
