/* cli.c - see cmds.h: error printing and small formatting helpers shared by
 * the hull commands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "util.h"

struct hull_cli hull_cli = { .root = HULL_DEFAULT_ROOT, .runroot = HULL_DEFAULT_RUNROOT };

int cli_fail(struct hull_error *err, int r, const char *what)
{
	if (err && err->msg)
		fprintf(stderr, "hull: %s\n", err->msg);
	else
		fprintf(stderr, "hull: %s: %s\n", what, strerror(r < 0 ? -r : r));
	return HULL_EXIT_ENGINE;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hull: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'hull %s --help'.\n", cmd);
	return HULL_EXIT_ENGINE;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *optstring, const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, optstring, longopts, NULL);
	if (c == '?') {
		if (optopt)
			cli_usage(cmd, "unknown shorthand flag: '%c'", optopt);
		else
			cli_usage(cmd, "unknown flag: %s", argv[optind - 1]);
	} else if (c == ':') {
		cli_usage(cmd, "flag needs an argument: %s", argv[optind - 1]);
		c = '?';
	}
	return c;
}

static time_t parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return (time_t)-1;
	return timegm(&tm);
}

/* docker's go-units HumanDuration, with " ago". */
void cli_human_since(const char *rfc3339, char *buf, size_t size)
{
	time_t t = parse_rfc3339(rfc3339);
	long long s, m, h, d;

	if (t == (time_t)-1) {
		snprintf(buf, size, "N/A");
		return;
	}
	s = (long long)(time(NULL) - t);
	if (s < 1)
		snprintf(buf, size, "Less than a second ago");
	else if (s == 1)
		snprintf(buf, size, "1 second ago");
	else if (s < 60)
		snprintf(buf, size, "%lld seconds ago", s);
	else if ((m = s / 60) == 1)
		snprintf(buf, size, "About a minute ago");
	else if (m < 60)
		snprintf(buf, size, "%lld minutes ago", m);
	else if ((h = m / 60) == 1)
		snprintf(buf, size, "About an hour ago");
	else if (h < 48)
		snprintf(buf, size, "%lld hours ago", h);
	else if ((d = h / 24) < 7 * 2)
		snprintf(buf, size, "%lld days ago", d);
	else if (d < 30 * 3)
		snprintf(buf, size, "%lld weeks ago", d / 7);
	else if (d < 365 * 2)
		snprintf(buf, size, "%lld months ago", d / 30);
	else
		snprintf(buf, size, "%lld years ago", d / 365);
}

/* go-units HumanSize: decimal units, 4 significant digits, "%.4g%s". */
void cli_human_size(long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1000 && i + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		i++;
	}
	snprintf(buf, size, "%.4g%s", v, units[i]);
}
