/* clone.h - clone3 of a child that shares our memory (CLONE_VM) and runs a
 * function on a stack of its own, as posix_spawn's child does.
 *
 * Why: where page faults are dear (this project's VM, a PVM guest, pays
 * ~10 us a fault, ~16 us a copy-on-write fault), a fork of hullrt
 * costs about a millisecond in page tables and copy-on-write faults on
 * both sides; a child sharing the memory costs a few tens of microseconds.
 *
 * The price is discipline: parent and child must never run at the same
 * time on shared data (the heap, stdio, errno and the rest of TLS, which
 * they share too).  container.c keeps them strictly taking turns over its
 * sync socket; see init.h. */
#ifndef HULL_CLONE_H
#define HULL_CLONE_H

#include <stddef.h>
#include <sys/types.h>

#include "syscalls.h"

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

/* The stack for such a child: CLONE_STACK_SIZE bytes of address space,
 * only the pages it touches allocated (the top ones at once).  put hands
 * it back: one is kept for the next get, since unmapping it costs a TLB
 * shootdown on every CPU the child ran on (0.3-0.7 ms measured in this
 * project's VM), which a short-lived caller need not pay; drop_cache
 * unmaps the kept one.  get returns NULL on failure (errno).  Safe from
 * several threads (the slot is swapped atomically). */
#define CLONE_STACK_SIZE (1u << 20)
void *clone_stack_get(void);
void clone_stack_put(void *stack);
void clone_stack_drop_cache(void);

/* clone3(args) with CLONE_VM added, the child starting on stack (from
 * clone_stack_get) in fn(arg), which must not return (it execs or
 * _exits).  Returns the child's pid, or -1 with errno (ENOSYS where this
 * architecture has no such entry point: the caller forks instead). */
pid_t clone_vm_run(struct hull_clone_args *args, void *stack, void (*fn)(void *), void *arg);

#endif
