/* cmd-ps.c - `hullrt ps [-f table|json] ID [ps options]`: the processes
 * of a container, as runc lists them.
 *
 * json: the host pids in the container's cgroup, a JSON array (what
 * containerd reads).  table: the host's ps(1) run with the given options
 * (default -ef), its header and the lines whose PID column is one of the
 * container's pids.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container-cgroup.h"
#include "hullrt.h"
#include "util.h"

/* Runs ps with args, its stdout into *ret; stderr is ours. */
static int run_ps(char **args, int n_args, char **ret)
{
	_cleanup_free_ char **argv = calloc((size_t)n_args + 3, sizeof(char *));
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	int fds[2], status;
	pid_t pid;

	if (!argv)
		return -ENOMEM;
	argv[0] = (char *)"ps";
	if (n_args == 0)
		argv[1] = (char *)"-ef";
	for (int i = 0; i < n_args; i++)
		argv[i + 1] = args[i];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		if (dup2(fds[1], 1) < 0)
			_exit(127);
		execvp("ps", argv);
		fprintf(stderr, "hullrt: cannot run ps: %s\n", strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	FILE *m = open_memstream(&out, &len);
	if (m) {
		char buf[8192];
		ssize_t n;
		while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				fwrite(buf, 1, (size_t)n, m);
		fclose(m);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!m)
		return -ENOMEM;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	*ret = TAKE_PTR(out);
	return 0;
}

/* The 0-based index of the "PID" column in ps's header, or -1. */
static int pid_column(const char *header)
{
	_cleanup_free_ char *copy = strdup(header);
	char *save = NULL;
	int i = 0;

	if (!copy)
		return -1;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save), i++)
		if (streq(w, "PID"))
			return i;
	return -1;
}

/* Field col of line (whitespace-separated) as a pid, or -1. */
static pid_t field_pid(const char *line, int col)
{
	const char *p = line;

	for (int i = 0;; i++) {
		p += strspn(p, " \t");
		if (!*p)
			return -1;
		if (i == col) {
			char *end = NULL;
			long v = strtol(p, &end, 10);
			return end != p && (!*end || *end == ' ' || *end == '\t') && v > 0 ? (pid_t)v : -1;
		}
		p += strcspn(p, " \t");
	}
}

static int print_table(pid_t *pids, size_t n, char **args, int n_args)
{
	_cleanup_free_ char *out = NULL;
	char *save = NULL, *line;
	int col, r = run_ps(args, n_args, &out);

	if (r < 0) {
		rt_error("cannot run ps: %s", strerror(-r));
		return 1;
	}
	if (r > 0) {
		rt_error("ps failed (exit status %d)", r);
		return 1;
	}
	line = strtok_r(out, "\n", &save);
	if (!line || (col = pid_column(line)) < 0) {
		rt_error("cannot find the PID column in the output of ps");
		return 1;
	}
	printf("%s\n", line);
	while ((line = strtok_r(NULL, "\n", &save))) {
		pid_t p = field_pid(line, col);
		if (p < 0) {
			rt_error("cannot read a pid in this line of ps: %s", line);
			return 1;
		}
		for (size_t i = 0; i < n; i++)
			if (pids[i] == p) {
				printf("%s\n", line);
				break;
			}
	}
	return 0;
}

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_error_ struct hull_error *err = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	const char *format = "table", *id;
	size_t n = 0;
	int c, r;

	/* "+": options end at the id; what follows goes to ps. */
	while ((c = rt_getopt("ps", argc, argv, "+:f:h", opts)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'h')
			return rt_help("ps");
		else
			return 1;
	}
	if (!streq(format, "table") && !streq(format, "json"))
		return rt_usage_error("ps", "invalid format '%s': must be table or json", format);
	id = rt_take_id("ps", argc, argv, argc);
	if (!id)
		return 1;
	r = hull_container_pids(rt.root, id, &pids, &n, &err);
	if (r < 0)
		return rt_fail(err, r, "cannot list the container's processes");
	if (streq(format, "json")) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}
	return print_table(pids, n, argv + optind + 1, argc - optind - 1);
}
