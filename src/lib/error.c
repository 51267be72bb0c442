/* error.c - see error.h */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static struct hull_error *error_new(int code, char *msg)
{
	struct hull_error *e = calloc(1, sizeof(*e));

	if (!e) {
		free(msg);
		return NULL;
	}
	e->code = code;
	e->msg = msg;
	return e;
}

HULL_EXPORT int hull_error_set(struct hull_error **err, int errnum, const char *fmt, ...)
{
	char *base = NULL, *msg = NULL;
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	if (!err)
		return errnum ? -errnum : -EINVAL;

	va_start(ap, fmt);
	if (vasprintf(&base, fmt, ap) < 0)
		base = NULL;
	va_end(ap);

	if (base && errnum) {
		if (asprintf(&msg, "%s: %s", base, strerror(errnum)) < 0)
			msg = NULL;
		free(base);
	} else
		msg = base;

	hull_error_free(*err);
	*err = error_new(errnum, msg);
	return errnum ? -errnum : -EINVAL;
}

HULL_EXPORT int hull_error_plain(struct hull_error **err, int code, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	if (code < 0)
		code = -code;
	if (!code)
		code = EINVAL;
	if (!err)
		return -code;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	hull_error_free(*err);
	*err = error_new(code, msg);
	return -code;
}

HULL_EXPORT int hull_error_wrap(struct hull_error **err, int ret, const char *fmt, ...)
{
	char *prefix = NULL, *msg = NULL;
	va_list ap;

	if (!err)
		return ret < 0 ? ret : -EINVAL;

	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);

	if (!*err) {
		int r = hull_error_set(err, ret < 0 ? -ret : ret, "%s", prefix ? prefix : "error");
		free(prefix);
		return r;
	}

	if (prefix && asprintf(&msg, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "error") >= 0) {
		free((*err)->msg);
		(*err)->msg = msg;
	}
	free(prefix);
	return (*err)->code ? -(*err)->code : (ret < 0 ? ret : -EINVAL);
}

HULL_EXPORT void hull_error_free(struct hull_error *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err);
}
