/* hooks.h - OCI lifecycle hooks.
 *
 * Each hook runs as path with args and env, the container state JSON on
 * its stdin; it must exit 0 within its timeout (seconds, 0 = no limit) or
 * it is killed and the hook fails.
 */
#ifndef HULL_HOOKS_H
#define HULL_HOOKS_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

const char *hooks_kind_name(enum hull_hook_kind kind); /* "prestart", ... */

/* Runs hooks[0..n) in order; stops at the first failure, which names the
 * kind, the hook's path and why ("prestart hook '/x': exited with status 1"). */
int hooks_run(enum hull_hook_kind kind, const struct hull_hook *hooks, size_t n, const char *state_json,
	      struct hull_error **err);

#endif
