/* seccomp-filter.h - linux.seccomp (runtime-spec) compiled with libseccomp
 * and loaded into the container's process.
 *
 * (Named seccomp-filter.h, not seccomp.h: src/lib is on the include path,
 * and a "seccomp.h" there would hide libseccomp's <seccomp.h>.)
 *
 * The profile is compiled in the parent, before any process exists, into a
 * ready BPF program: every error in the profile and every warning comes back
 * to the caller there.  The child only hands that program to seccomp(2).
 *
 *   struct hull_seccomp *sc = NULL;
 *   char **warnings = NULL;
 *   r = hull_seccomp_compile(spec->linux.seccomp, &sc, &warnings, &err);
 *       (or hull_seccomp_compile_cached(..., cache_dir, ...), as create does)
 *   ... print each warnings[i], strv_free(warnings) ...
 *   ... in the child, at the right moment: hull_seccomp_load(sc, &err) ...
 *   hull_seccomp_free(sc);
 *
 * Supported: defaultAction, defaultErrnoRet, architectures, flags,
 * syscalls (names, action, errnoRet, args) with every action, and
 * listenerPath / listenerMetadata for SCMP_ACT_NOTIFY: the filter is then
 * loaded with a listener fd, which the parent sends to the agent at
 * listenerPath with the container's process state, as runc does
 * (hull_seccomp_send_listener()).  Not allowed, as in runc: NOTIFY as the
 * default action, or on the syscalls the init needs to hand the fd over
 * (write, sendto, sendmsg, close).
 */
#ifndef HULL_SECCOMP_FILTER_H
#define HULL_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct json_object;

/* A compiled filter: the BPF program and the seccomp(2) flags.  Plain
 * memory, so a child made by fork or clone (without CLONE_VM) can load the
 * copy it inherited. */
struct hull_seccomp;

/* Compiles linux.seccomp (the JSON object as config.json gives it; NULL
 * means no filter: *ret = NULL and 0).  On success *ret is a new filter
 * the caller frees with hull_seccomp_free(), and *ret_warnings (if
 * ret_warnings is not NULL) a NULL-terminated vector of warnings the caller
 * frees with strv_free() (NULL when there are none): a syscall name that
 * libseccomp does not know is skipped, as runc does, with a warning such
 * as "config.json: linux.seccomp.syscalls[3].names[0]: unknown syscall 'foo',
 * ignoring".
 * Bad input is -EINVAL with *err naming the field, e.g.
 * "config.json: linux.seccomp.syscalls[3].action: unknown action 'X'". */
int hull_seccomp_compile(struct json_object *seccomp, struct hull_seccomp **ret, char ***ret_warnings,
			 struct hull_error **err);

/* As hull_seccomp_compile(), through a cache of compiled filters in
 * cache_dir (made 0700 if missing; NULL = no cache): a profile compiled
 * before (same JSON, libseccomp, kernel) is read back, with the same
 * warnings, instead of compiled again.  The cache is an optimisation only:
 * any problem with it means a plain compile.  cache_dir must be writable
 * by root only, as the state root is: a filter read from it is trusted. */
int hull_seccomp_compile_cached(struct json_object *seccomp, const char *cache_dir, struct hull_seccomp **ret,
				char ***ret_warnings, struct hull_error **err);

/* Whether two filters are the same program with the same flags and
 * listener (for tests). */
bool hull_seccomp_equal(const struct hull_seccomp *a, const struct hull_seccomp *b);

/* Loads the filter into the calling thread with seccomp(2).  sc == NULL
 * loads nothing and returns 0.  Allocates nothing unless it fails.  The
 * caller needs no_new_privs or CAP_SYS_ADMIN in its user namespace: with
 * noNewPrivileges load it last before exec, else before dropping
 * capabilities (runc's order).  Returns 0, or, when the profile uses
 * SCMP_ACT_NOTIFY (hull_seccomp_notify()), the listener fd (> 0,
 * close-on-exec), which must reach the agent through
 * hull_seccomp_send_listener() before the process makes a notified call:
 * until then such a call blocks. */
int hull_seccomp_load(const struct hull_seccomp *sc, struct hull_error **err);

/* Whether the profile uses SCMP_ACT_NOTIFY (false for NULL). */
bool hull_seccomp_notify(const struct hull_seccomp *sc);

/* Whether the profile (linux.seccomp, already compiled: so valid) can end
 * a process: a KILL or TRAP action, by default or in a rule. */
bool hull_seccomp_profile_kills(struct json_object *seccomp);

/* Connects to the profile's listenerPath and sends, in one message, the
 * runtime spec's container process state ({"ociVersion", "fds":
 * ["seccompFd"], "pid", "metadata", "state"}, state parsed from state_json)
 * with listener_fd as SCM_RIGHTS.  Does not close listener_fd.  A failure
 * is an error naming the socket (the container cannot be created then). */
int hull_seccomp_send_listener(const struct hull_seccomp *sc, int listener_fd, pid_t pid, const char *state_json,
			       struct hull_error **err);

void hull_seccomp_free(struct hull_seccomp *sc);

/* Number of BPF instructions in the program (for tests and debug lines). */
size_t hull_seccomp_length(const struct hull_seccomp *sc);

/* The names hull_seccomp_compile() accepts, from the tables it parses
 * with, for `hullrt features`: the i-th name, NULL past the end.  (An
 * architecture of the other byte order than this machine's is accepted
 * and skipped with a warning: it cannot share a filter with the native
 * one, and no process here makes its syscalls.) */
const char *hull_seccomp_action_name(size_t i);   /* "SCMP_ACT_ALLOW", ... */
const char *hull_seccomp_operator_name(size_t i); /* "SCMP_CMP_EQ", ... */
const char *hull_seccomp_arch_name(size_t i);     /* "SCMP_ARCH_X86_64", ... */
const char *hull_seccomp_flag_name(size_t i);     /* "SECCOMP_FILTER_FLAG_LOG", ... */

/* Whether a flag hull_seccomp_flag_name() lists takes effect here, i.e.
 * the running kernel knows it (false for unknown names); a known flag the
 * kernel lacks makes hull_seccomp_compile() fail. */
bool hull_seccomp_flag_supported(const char *name);

#endif
