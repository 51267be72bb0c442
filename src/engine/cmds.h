/* cmds.h - one entry point per hull command (int cmd_X(int argc, char
 * **argv), argv[0] being the command's name, returning the exit status).
 *
 * Exit statuses follow docker's CLI: 0, 125 when hull itself fails (usage
 * errors included), or the container's own status where one applies.
 * Printing errors, parsing options and formatting: engine.h.
 */
#ifndef HULL_CMDS_H
#define HULL_CMDS_H

#include "engine.h"

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
