/* main.c - hull: global options and command dispatch.
 *
 * TEMPORARY (engine-store branch): the containers side (engine-ctr) owns
 * the real main.c; this one only dispatches the image commands so they can
 * be built and tested on their own. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "util.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "commit", cmd_commit, "Create a new image from a container's changes" },
	{ "diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem" },
	{ "export", cmd_export, "Export a container's filesystem as a tar archive" },
	{ "image", cmd_image, "Manage images" },
	{ "images", cmd_images, "List images" },
	{ "import", cmd_import, "Import the contents from a tarball to create a filesystem image" },
	{ "rmi", cmd_rmi, "Remove one or more images" },
	{ "tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: hull [OPTIONS] COMMAND\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nGlobal Options:\n"
		   "      --root DIR      engine state (default " HULL_DEFAULT_ROOT ")\n"
		   "      --runroot DIR   runtime state (default " HULL_DEFAULT_RUNROOT ")\n");
}

static const char *absolute(const char *p)
{
	char *r = realpath(p, NULL);

	if (r)
		return r;
	if (p[0] == '/')
		return p;
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&r, "%s/%s", cwd, p) < 0)
		return p;
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "runroot", required_argument, NULL, 'R' },
		{ "debug", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = cli_getopt("", argc, argv, "+:h", opts)) != -1) {
		switch (c) {
		case 'r':
			hull_cli.root = absolute(optarg);
			break;
		case 'R':
			hull_cli.runroot = absolute(optarg);
			break;
		case 'D':
			hull_cli.debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return HULL_EXIT_ENGINE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return HULL_EXIT_ENGINE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, argv[optind])) {
			argc -= optind;
			argv += optind;
			optind = 0; /* getopt restarts for the command */
			return commands[i].fn(argc, argv);
		}
	fprintf(stderr, "hull: '%s' is not a hull command.\nSee 'hull --help'\n", argv[optind]);
	return HULL_EXIT_ENGINE;
}
