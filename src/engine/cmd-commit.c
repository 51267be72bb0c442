/* cmd-commit.c - hull commit, diff, export. */
#include "cmds.h"
#include "store.h"

int cmd_commit(int argc, char **argv) { return HULL_EXIT_ENGINE; }
int cmd_diff(int argc, char **argv) { return HULL_EXIT_ENGINE; }
int cmd_export(int argc, char **argv) { return HULL_EXIT_ENGINE; }
