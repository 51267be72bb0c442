/* hull-monitor - a container's monitor as its own small static binary:
 * `hull start` forks, then execs it, so the supervisor that stays for the
 * container's whole life carries only libhull, json-c, libseccomp and
 * libcap, not the engine's image libraries (libarchive, libcrypto, ...).
 *
 * Usage (by hull only, the status pipe on fd 3):
 *   hull-monitor ROOT RUNROOT ID attach|- stdin|- tty|- RUNTIME|-
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "engine.h"

struct eng_globals eng;

/* volume.c's commands are not in this binary. */
int eng_help(const char *cmd)
{
	(void)cmd;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "hull-monitor: started by hull only\n");
		return 125;
	}
	eng.root = argv[1];
	eng.runroot = argv[2];
	struct monitor_opts o = {
		.id = argv[3],
		.attach = strcmp(argv[4], "attach") == 0,
		.stdin_open = strcmp(argv[5], "stdin") == 0,
		.tty = strcmp(argv[6], "tty") == 0,
		.runtime = strcmp(argv[7], "-") ? argv[7] : NULL,
	};
	prctl(PR_SET_NAME, "hull-monitor");
	monitor_run(&o, 3);
}
