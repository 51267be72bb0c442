/* Unit tests for error.c: the message and errno each helper leaves. */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "unit.h"

TEST(set_appends_strerror_and_returns_minus_errno)
{
	struct hull_error *err = NULL;
	int r = hull_error_set(&err, ENOENT, "cannot open '%s'", "/x");

	CHECK(r == -ENOENT);
	CHECK(err && err->code == ENOENT);
	CHECK_STREQ(err ? err->msg : NULL, "cannot open '/x': No such file or directory");
	hull_error_free(err);
}

TEST(set_takes_negative_errno_too)
{
	struct hull_error *err = NULL;

	CHECK(hull_error_set(&err, -EACCES, "x") == -EACCES);
	CHECK(err && err->code == EACCES);
	CHECK_STREQ(err ? err->msg : NULL, "x: Permission denied");
	hull_error_free(err);
}

TEST(set_without_errno_is_einval_and_bare_message)
{
	struct hull_error *err = NULL;

	CHECK(hull_error_set(&err, 0, "bad value %d", 7) == -EINVAL);
	CHECK(err && err->code == 0);
	CHECK_STREQ(err ? err->msg : NULL, "bad value 7");
	hull_error_free(err);
}

TEST(set_replaces_an_earlier_error)
{
	struct hull_error *err = NULL;

	hull_error_set(&err, EIO, "first");
	CHECK(hull_error_set(&err, EPERM, "second") == -EPERM);
	CHECK(err && err->code == EPERM);
	CHECK_STREQ(err ? err->msg : NULL, "second: Operation not permitted");
	hull_error_free(err); /* ASan reports the first one if it leaked */
}

TEST(null_err_only_returns)
{
	CHECK(hull_error_set(NULL, EBUSY, "x") == -EBUSY);
	CHECK(hull_error_set(NULL, 0, "x") == -EINVAL);
	CHECK(hull_error_plain(NULL, EEXIST, "x") == -EEXIST);
	CHECK(hull_error_plain(NULL, 0, "x") == -EINVAL);
	CHECK(hull_error_wrap(NULL, -ENOSPC, "x") == -ENOSPC);
	CHECK(hull_error_wrap(NULL, 0, "x") == -EINVAL);
}

TEST(plain_keeps_message_exact)
{
	struct hull_error *err = NULL;

	CHECK(hull_error_plain(&err, EEXIST, "container '%s' already exists", "c1") == -EEXIST);
	CHECK(err && err->code == EEXIST);
	CHECK_STREQ(err ? err->msg : NULL, "container 'c1' already exists");
	CHECK(hull_error_plain(&err, -ENOENT, "gone") == -ENOENT);
	CHECK(err && err->code == ENOENT);
	CHECK_STREQ(err ? err->msg : NULL, "gone");
	CHECK(hull_error_plain(&err, 0, "no code") == -EINVAL);
	CHECK(err && err->code == EINVAL);
	hull_error_free(err);
}

TEST(wrap_prefixes_and_keeps_code)
{
	struct hull_error *err = NULL;

	hull_error_set(&err, ENOENT, "cannot open '%s'", "/etc/x");
	CHECK(hull_error_wrap(&err, -EIO, "mount '%s'", "/mnt") == -ENOENT);
	CHECK(hull_error_wrap(&err, -EIO, "container %s", "c1") == -ENOENT);
	CHECK(err && err->code == ENOENT);
	CHECK_STREQ(err ? err->msg : NULL, "container c1: mount '/mnt': cannot open '/etc/x': No such file or directory");
	hull_error_free(err);
}

TEST(wrap_of_a_codeless_error_returns_the_callers_errno)
{
	struct hull_error *err = NULL;

	hull_error_set(&err, 0, "bad");
	CHECK(hull_error_wrap(&err, -ERANGE, "field") == -ERANGE);
	CHECK_STREQ(err ? err->msg : NULL, "field: bad");
	CHECK(hull_error_wrap(&err, 0, "top") == -EINVAL);
	CHECK_STREQ(err ? err->msg : NULL, "top: field: bad");
	hull_error_free(err);
}

TEST(wrap_of_nothing_sets_from_ret)
{
	struct hull_error *err = NULL;

	CHECK(hull_error_wrap(&err, -ENOTDIR, "path '%s'", "/a") == -ENOTDIR);
	CHECK(err && err->code == ENOTDIR);
	CHECK_STREQ(err ? err->msg : NULL, "path '/a': Not a directory");
	hull_error_free(err);

	err = NULL;
	CHECK(hull_error_wrap(&err, 0, "just this") == -EINVAL);
	CHECK_STREQ(err ? err->msg : NULL, "just this");
	hull_error_free(err);
}

TEST(long_messages_are_whole)
{
	struct hull_error *err = NULL;
	char big[5000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hull_error_plain(&err, EINVAL, "%s", big);
	hull_error_wrap(&err, -EINVAL, "p");
	CHECK(err && strlen(err->msg) == 3 + sizeof(big) - 1);
	CHECK(err && strncmp(err->msg, "p: aaa", 6) == 0);
	hull_error_free(err);
}

TEST(free_and_cleanup_accept_null)
{
	hull_error_free(NULL);
	{
		_cleanup_error_ struct hull_error *e = NULL;
		(void)e;
	}
	{
		_cleanup_error_ struct hull_error *e = NULL;
		hull_error_set(&e, EIO, "freed by the cleanup attribute");
		CHECK(e != NULL);
	}
}
