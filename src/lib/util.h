/* util.h - cleanup attributes and small helpers shared by every module.
 *
 * Modeled on systemd's and LXC's memory_utils.h: every owned resource is
 * declared with a cleanup attribute, and ownership is handed on with
 * TAKE_PTR / TAKE_FD.  Closing keeps errno, so an error path can close
 * and still report the errno that made it fail.
 */
#ifndef HULL_UTIL_H
#define HULL_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HULL_EXPORT __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

static inline void closedirp(DIR **d)
{
	if (*d) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}

/* Frees a NULL-terminated array of strings and the array itself. */
static inline void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static inline void strv_freep(char ***v)
{
	strv_free(*v);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_ _cleanup_(strv_freep)

/* Hand ownership on: returns the value and leaves the variable empty so
 * that its cleanup attribute does nothing. */
#define TAKE_PTR(p)                           \
	({                                    \
		__typeof__(p) _tmp_ = (p);    \
		(p) = NULL;                   \
		_tmp_;                        \
	})
#define TAKE_FD(fd)                 \
	({                          \
		int _tmp_ = (fd);   \
		(fd) = -1;          \
		_tmp_;              \
	})

static inline bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static inline bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

#endif
