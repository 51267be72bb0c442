/* error.h - how libhull reports failure.
 *
 * A function that can fail returns a negative errno value.  Where there is
 * more to say, it also fills *err (the last parameter) with a message; the
 * caller may add context on the way up with hull_error_wrap().  The library
 * never prints: the CLI prints err->msg once.
 *
 * Passing err == NULL is allowed everywhere: the message is then dropped and
 * only the return value is left.
 */
#ifndef HULL_ERROR_H
#define HULL_ERROR_H

#include <stdarg.h>

struct hull_error {
	int code;  /* positive errno value, 0 if none applies */
	char *msg; /* "what failed: reason" */
};

/* Sets *err to a new error "<fmt>: strerror(errnum)" (or just "<fmt>" when
 * errnum is 0) and returns -errnum (or -EINVAL when errnum is 0).  An error
 * already in *err is freed first. */
int hull_error_set(struct hull_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As hull_error_set(), but the message is exactly fmt (no strerror
 * appended) while the error still carries code: for refusals whose
 * message already says why ("container 'x' already exists"). */
int hull_error_plain(struct hull_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the message in *err with "<fmt>: " and returns -(*err)->code
 * (or -EINVAL).  If *err is empty, behaves as hull_error_set(err, errnum,
 * ...) with the errno the caller passes in ret (negative). */
int hull_error_wrap(struct hull_error **err, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void hull_error_free(struct hull_error *err);

static inline void hull_error_freep(struct hull_error **err)
{
	hull_error_free(*err);
}
#define _cleanup_error_ __attribute__((cleanup(hull_error_freep)))

#endif
