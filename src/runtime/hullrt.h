/* hullrt.h - what the hullrt commands share: the global options, printing
 * errors once (stderr and --log), usage errors, and the command table.
 *
 * hullrt is a thin CLI over libhull: a command parses its arguments,
 * calls the library and prints.  Every command returns the process exit
 * status: 0, 1 for any failure (usage errors included, as runc does, so
 * that callers testing "!= 0" keep working), or the container's own status
 * for `run` in the foreground.
 */
#ifndef HULLRT_H
#define HULLRT_H

#include <stdbool.h>
#include <getopt.h>
#include <sys/types.h>

#include "error.h"

#define HULLRT_VERSION "0.1.0"
#define HULLRT_SPEC_VERSION "1.2.0"
#define HULLRT_DEFAULT_ROOT "/run/hullrt"

struct rt_globals {
	const char *root; /* absolute state root */
	bool debug;
	bool log_json; /* --log-format json */
	int log_fd;    /* --log, or -1 */
};

extern struct rt_globals rt;

/* "hullrt: <message>" on stderr, and a line in --log. */
void rt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a library error once: err->msg, or "<what>: strerror(-r)" when
 * the library had nothing more to say.  Returns 1, the exit status. */
int rt_fail(struct hull_error *err, int r, const char *what);

/* "hullrt: <cmd>: <message> (see 'hullrt <cmd> --help')".  Returns 1. */
int rt_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* With --debug: a debug line to --log, or to stderr without --log. */
void rt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* path made absolute against the current directory (not resolved); NULL
 * only when out of memory or the cwd is gone. */
char *rt_absolute(const char *path);

/* Runs getopt_long over a command's arguments (argv[0] is the command
 * name) and reports an unknown option or a missing argument as a usage
 * error.  Returns the option character, -1 at the end, or '?' after having
 * printed the error.  optstring must start with ':' (or "+:"). */
int rt_getopt(const char *cmd, int argc, char **argv, const char *optstring, const struct option *longopts);

/* The one container id a command takes, from argv[optind]; prints a usage
 * error and returns NULL when it is missing or followed by more
 * arguments than max_extra. */
const char *rt_take_id(const char *cmd, int argc, char **argv, int max_extra);

/* Parses the arguments of a command that takes only "CONTAINER_ID" (and
 * --help): 0 with *ret_id set, -1 after printing --help (exit 0), or 1
 * after a usage error. */
int rt_parse_id_only(const char *cmd, int argc, char **argv, const char **ret_id);

/* Prints a command's usage to stdout (for --help) and returns 0. */
int rt_help(const char *cmd);

struct rt_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage; /* full --help text, NULL for not-yet-implemented commands */
};

const struct rt_command *rt_find_command(const char *name);

int cmd_create(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_exec(int argc, char **argv);

/* run-io.c: the foreground part of `run`. */

/* Blocks the signals `run` forwards (and SIGCHLD) and returns a signalfd
 * for them, or -errno. */
int run_signals_setup(void);

/* Puts our stdin terminal (if it is one) in raw mode and gives master
 * our window size; run_tty_restore() undoes the raw mode. */
void run_tty_setup(int master);
void run_tty_restore(void);

/* Waits for the init (our child) to exit, forwarding signals to it and,
 * if master >= 0, relaying stdin -> master -> stdout.  Returns the
 * waitpid() status or -errno. */
int run_wait(pid_t pid, int sigfd, int master);

#endif
