/* cmd-list.c - `hullrt list [--format table|json] [--quiet]`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hullrt.h"
#include "state.h"
#include "util.h"

enum { COLS = 6 };

/* Prints rows as Go's tabwriter does for runc (minwidth 12, padding 3):
 * every column but the last is as wide as its widest cell plus 3, at
 * least 12. */
static void print_table(char *(*rows)[COLS], size_t n)
{
	size_t width[COLS];

	for (int c = 0; c < COLS; c++)
		width[c] = 12;
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < COLS - 1; c++) {
			size_t w = strlen(rows[i][c]) + 3;
			if (w > width[c])
				width[c] = w;
		}
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < COLS - 1; c++)
			printf("%-*s", (int)width[c], rows[i][c]);
		printf("%s\n", rows[i][COLS - 1]);
	}
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_strv_ char **ids = NULL;
	const char *format = "table";
	bool quiet = false;
	int c, r;

	while ((c = rt_getopt("list", argc, argv, ":f:qh", opts)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = true;
		else if (c == 'h')
			return rt_help("list");
		else
			return 1;
	}
	if (!streq(format, "table") && !streq(format, "json"))
		return rt_usage_error("list", "invalid format '%s': must be table or json", format);
	if (optind < argc)
		return rt_usage_error("list", "unexpected argument '%s'", argv[optind]);

	r = hull_state_list(rt.root, &ids, &err);
	if (r < 0)
		return rt_fail(err, r, "cannot list the containers");

	size_t n = 0;
	while (ids[n])
		n++;
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", ids[i]);
		return 0;
	}

	/* Row 0 is the table's header. */
	_cleanup_free_ char *(*rows)[COLS] = calloc(n + 1, sizeof(*rows));
	_cleanup_free_ struct hull_state **states = calloc(n + 1, sizeof(*states));
	_cleanup_free_ char(*pids)[16] = calloc(n + 1, sizeof(*pids));
	size_t m = 0;
	if (!rows || !states || !pids) {
		rt_error("cannot list the containers: %s", strerror(ENOMEM));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct hull_error *e = NULL;
		r = hull_state_load(rt.root, ids[i], &states[m], &e);
		/* Deleted since we listed it: not an error. */
		if (r == -ENOENT) {
			hull_error_free(e);
			continue;
		}
		if (r < 0) {
			rt_error("%s, ignoring", e && e->msg ? e->msg : strerror(-r));
			hull_error_free(e);
			continue;
		}
		m++;
	}

	r = 0;
	if (streq(format, "json")) {
		/* One line, like runc's encoder; [] rather than null when empty. */
		fputs("[", stdout);
		for (size_t i = 0; i < m; i++) {
			_cleanup_free_ char *json = hull_state_to_json(states[i], false);
			printf("%s%s", i ? "," : "", json ? json : "{}");
		}
		fputs("]\n", stdout);
	} else {
		static char header[COLS][8] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
		for (int col = 0; col < COLS; col++)
			rows[0][col] = header[col];
		for (size_t i = 0; i < m; i++) {
			struct hull_state *st = states[i];
			/* as runc: pid 0 once stopped */
			snprintf(pids[i], sizeof(pids[i]), "%d", st->status == HULL_STATUS_STOPPED ? 0 : (int)st->pid);
			rows[i + 1][0] = st->id;
			rows[i + 1][1] = pids[i];
			rows[i + 1][2] = (char *)hull_status_name(st->status);
			rows[i + 1][3] = st->bundle ? st->bundle : (char *)"";
			rows[i + 1][4] = st->created ? st->created : (char *)"";
			rows[i + 1][5] = st->owner ? st->owner : (char *)"";
		}
		print_table(rows, m + 1);
	}
	for (size_t i = 0; i < m; i++)
		hull_state_free(states[i]);
	return r;
}
