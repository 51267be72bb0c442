/* cmd-image.c - hull import, images / image ls, image inspect, tag, rmi. */
#include "cmds.h"
#include "store.h"

int cmd_import(int argc, char **argv) { return HULL_EXIT_ENGINE; }
int cmd_images(int argc, char **argv) { return HULL_EXIT_ENGINE; }
int cmd_image(int argc, char **argv) { return HULL_EXIT_ENGINE; }
int cmd_tag(int argc, char **argv) { return HULL_EXIT_ENGINE; }
int cmd_rmi(int argc, char **argv) { return HULL_EXIT_ENGINE; }
