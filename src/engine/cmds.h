/* cmds.h - what the hull commands share: the global options, printing
 * errors, and one entry point per command (int cmd_X(int argc, char
 * **argv), argv[0] being the command's name, returning the exit status).
 *
 * Exit statuses follow docker's CLI: 0, 125 when hull itself fails (usage
 * errors included), or the container's own status where one applies.
 */
#ifndef HULL_CMDS_H
#define HULL_CMDS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define HULL_EXIT_ENGINE 125
#define HULL_DEFAULT_ROOT "/var/lib/hull"
#define HULL_DEFAULT_RUNROOT "/run/hull"

struct hull_cli {
	const char *root;    /* --root, absolute */
	const char *runroot; /* --runroot, absolute */
	bool debug;
};

/* Defined in cli.c with the defaults; main.c sets root and runroot from
 * the global options before calling a command. */
extern struct hull_cli hull_cli;

/* cli.c: "hull: <err->msg>" (or "<what>: strerror(-r)") on stderr; returns
 * HULL_EXIT_ENGINE. */
int cli_fail(struct hull_error *err, int r, const char *what);
/* "hull: <cmd>: <message>\nSee 'hull <cmd> --help'." on stderr; returns
 * HULL_EXIT_ENGINE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt_long with errors reported as usage errors ('?' once printed);
 * optstring must start with ':' (or "+:"). */
int cli_getopt(const char *cmd, int argc, char **argv, const char *optstring, const struct option *longopts);
/* "3 minutes ago" from an RFC 3339 time, as docker prints it. */
void cli_human_since(const char *rfc3339, char *buf, size_t size);
/* "1.5MB" (decimal units, as docker). */
void cli_human_size(long long bytes, char *buf, size_t size);

/* Images (cmd-image.c, cmd-commit.c): the store side. */
int cmd_import(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_image(int argc, char **argv); /* image ls | inspect | rm | tag | import */
int cmd_tag(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_history(int argc, char **argv); /* also `hull image history` */

/* Containers (container-run.c, container-cmds.c, volume.c, ...): the
 * containers side. */
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_attach(int argc, char **argv);

#endif
