/* main.c - hull, the engine's CLI: global options, the command table and
 * every command's help.  Exit statuses as Docker's CLI: 125 when hull
 * itself fails (usage errors included), 126/127 when the container's
 * command cannot be invoked / found, else the container's own status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "engine.h"
#include "util.h"

struct eng_globals eng = { .root = ENG_DEFAULT_ROOT, .runroot = ENG_DEFAULT_RUNROOT };

#define RUN_OPTIONS \
	"  -d, --detach                 run in the background and print the container's id\n" \
	"  -i, --interactive            keep stdin open (attached in the foreground)\n" \
	"  -t, --tty                    allocate a pseudo-terminal\n" \
	"      --rm                     remove the container when it exits\n" \
	"      --name NAME              name the container (default: a random name)\n" \
	"  -e, --env KEY=VALUE          set an environment variable (KEY alone: the caller's value)\n" \
	"      --env-file FILE          read KEY=VALUE lines\n" \
	"  -w, --workdir DIR            working directory inside the container\n" \
	"  -u, --user USER[:GROUP]      user (name or uid) and group to run as\n" \
	"      --entrypoint CMD         override the image's entrypoint (\"\" clears it)\n" \
	"  -h, --hostname NAME          container hostname (default: the short id)\n" \
	"      --read-only              mount the container's root read-only\n" \
	"      --tmpfs DIR[:OPTS]       mount a tmpfs\n" \
	"      --cap-add CAP            add a capability (ALL for every one)\n" \
	"      --cap-drop CAP           drop a capability (ALL for every one)\n" \
	"      --privileged             every capability, every device, no masked paths\n" \
	"      --ulimit NAME=SOFT[:HARD]  resource limit (nofile, nproc, core, ...)\n" \
	"      --stop-signal SIG        signal `stop` sends first (default SIGTERM)\n" \
	"      --stop-timeout N         seconds `stop` waits before SIGKILL (default 10)\n" \
	"  -l, --label KEY=VALUE        set a label\n" \
	"  -m, --memory BYTES           memory limit (e.g. 64m)\n" \
	"      --memory-swap BYTES      memory plus swap limit (-1: unlimited)\n" \
	"      --memory-reservation BYTES  memory soft limit\n" \
	"      --oom-kill-disable       disable the OOM killer\n" \
	"      --cpus N                 number of CPUs (e.g. 1.5)\n" \
	"  -c, --cpu-shares N           CPU shares (relative weight)\n" \
	"      --cpu-period US          CFS period\n" \
	"      --cpu-quota US           CFS quota\n" \
	"      --cpuset-cpus LIST       CPUs allowed (0-1,3)\n" \
	"      --cpuset-mems LIST       memory nodes allowed\n" \
	"      --pids-limit N           maximum number of processes (-1: unlimited)\n" \
	"      --blkio-weight N         block IO weight (10 to 1000)\n" \
	"      --device-read-bps DEV:RATE, --device-write-bps DEV:RATE\n" \
	"      --device-read-iops DEV:N, --device-write-iops DEV:N  block IO throttles\n" \
	"      --device HOST[:CTR][:rwm]  give the container a host device\n" \
	"      --network, --net MODE    none (default: own empty namespace), host, container:NAME\n" \
	"      --ipc MODE               private (default), shareable, host, container:NAME\n" \
	"      --pid MODE               private (default), host, container:NAME\n" \
	"      --uts MODE               private (default), host, container:NAME\n" \
	"  -v, --volume SPEC            /host:/ctr[:ro], NAME:/ctr[:ro] or /ctr (anonymous)\n" \
	"      --mount SPEC             type=bind|volume|tmpfs,source=...,target=...[,readonly]\n" \
	"      --init                   run hull-init as PID 1 (reaps zombies, forwards signals)\n" \
	"      --restart POLICY         no, always, unless-stopped, on-failure[:N]\n" \
	"      --help                   print this help\n"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *help; /* NULL: the command prints its own */
} commands[] = {
	{ "run", cmd_run, "Create and run a new container from an image",
	  "Usage: hull run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
	  "Creates a container and starts it.  In the foreground (no -d), hull prints its\n"
	  "output, forwards signals to it and exits with its status; 125 if hull failed,\n"
	  "126 if the command cannot be invoked, 127 if it is not found.\n\nOptions:\n" RUN_OPTIONS },
	{ "create", cmd_create, "Create a new container",
	  "Usage: hull create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
	  "Creates a container (its rootfs and record) and prints its id; 'hull start' runs it.\n\n"
	  "Options: those of 'hull run' but -d.\n" },
	{ "start", cmd_start, "Start one or more stopped containers",
	  "Usage: hull start [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	  "Options:\n  -a, --attach        print the output and exit with the container's status\n"
	  "  -i, --interactive   attach stdin\n" },
	{ "exec", cmd_exec, "Execute a command in a running container",
	  "Usage: hull exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
	  "Runs a command in the container's namespaces and cgroup; exits with its status\n"
	  "(126/127 if it cannot be invoked / found).\n\n"
	  "Options:\n  -i, --interactive   keep stdin open\n  -t, --tty           allocate a pseudo-terminal\n"
	  "  -d, --detach        run in the background\n  -e, --env KEY=VALUE set an environment variable\n"
	  "  -w, --workdir DIR   working directory\n  -u, --user USER[:GROUP]  user to run as\n"
	  "      --privileged    every capability\n" },
	{ "attach", cmd_attach, "Attach to a running container's output (and its stdin, if open)",
	  "Usage: hull attach [--no-stdin] CONTAINER\n\n"
	  "Prints the container's output from now on and exits with its status when it ends.\n"
	  "With -i at run, our stdin goes to the container unless --no-stdin.\n" },
	{ "ps", cmd_ps, "List containers",
	  "Usage: hull ps [OPTIONS]\n\n"
	  "Options:\n  -a, --all           all containers (default: running ones)\n"
	  "  -q, --quiet         only ids\n  -l, --latest        the newest container\n"
	  "  -f, --filter K=V    status=running|exited|created|paused, name=, id=, label=K[=V], ancestor=IMAGE\n"
	  "      --no-trunc      full ids and commands\n"
	  "      --format FMT    json, or a template like '{{.ID}}\\t{{.Status}}' (fields: ID, Image,\n"
	  "                      Command, CreatedAt, RunningFor, Status, State, Ports, Names, Labels)\n" },
	{ "inspect", cmd_inspect, "Return low-level information on containers",
	  "Usage: hull inspect [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	  "Prints a JSON array of the containers' records.\n\n"
	  "Options:\n  -f, --format FMT    a template like '{{.State.Status}}' or '{{json .Config}}'\n" },
	{ "logs", cmd_logs, "Fetch the logs of a container",
	  "Usage: hull logs [OPTIONS] CONTAINER\n\n"
	  "Options:\n  -f, --follow        follow the output until the container stops\n"
	  "  -n, --tail N        only the last N lines (or 'all')\n  -t, --timestamps    show the times\n" },
	{ "stop", cmd_stop, "Stop one or more running containers",
	  "Usage: hull stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	  "Sends the stop signal, then SIGKILL after the timeout.\n\n"
	  "Options:\n  -t, --time N        seconds to wait (default: --stop-timeout or 10)\n" },
	{ "kill", cmd_kill, "Kill one or more running containers",
	  "Usage: hull kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	  "Options:\n  -s, --signal SIG    signal to send (default KILL)\n" },
	{ "rm", cmd_rm, "Remove one or more containers",
	  "Usage: hull rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	  "Options:\n  -f, --force         kill a running container first\n"
	  "  -v, --volumes       remove its anonymous volumes\n" },
	{ "wait", cmd_wait, "Block until containers stop, then print their exit codes",
	  "Usage: hull wait CONTAINER [CONTAINER...]\n" },
	{ "restart", cmd_restart, "Restart one or more containers",
	  "Usage: hull restart [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	  "Options:\n  -t, --time N        seconds to wait for the stop before SIGKILL\n" },
	{ "rename", cmd_rename, "Rename a container", "Usage: hull rename CONTAINER NEW_NAME\n" },
	{ "pause", cmd_pause, "Pause all processes within one or more containers",
	  "Usage: hull pause CONTAINER [CONTAINER...]\n" },
	{ "unpause", cmd_unpause, "Unpause all processes within one or more containers",
	  "Usage: hull unpause CONTAINER [CONTAINER...]\n" },
	{ "port", cmd_port, "List port mappings (none: hull has no networking yet)",
	  "Usage: hull port CONTAINER\n" },
	{ "top", cmd_top, "Display the running processes of a container", "Usage: hull top CONTAINER\n" },
	{ "stats", cmd_stats, "Display a container's resource usage",
	  "Usage: hull stats --no-stream [--format FMT] CONTAINER...\n\n"
	  "CPU % (over 0.2 s), memory usage / limit, memory %, processes, from the container's cgroup.\n"
	  "Fields for --format: ID, Name, CPUPerc, MemUsage, MemPerc, PIDs.\n" },
	{ "update", cmd_update, "Update the resource limits of one or more containers",
	  "Usage: hull update [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	  "Options (as for 'hull run'): -m, --memory-swap, --memory-reservation, --cpus, --cpu-shares,\n"
	  "--cpu-period, --cpu-quota, --cpuset-cpus, --cpuset-mems, --pids-limit, --blkio-weight, --restart.\n"
	  "A running container's cgroup gets the new values at once.\n" },
	{ "cp", cmd_cp, "Copy files between a container and the host",
	  "Usage: hull cp CONTAINER:SRC DEST | hull cp SRC CONTAINER:DEST\n\n"
	  "Paths in the container are resolved inside its root (symlinks cannot lead out).\n" },
	{ "volume", cmd_volume, "Manage volumes",
	  "Usage: hull volume COMMAND\n\n"
	  "Commands:\n"
	  "  create [--label K=V] [NAME]     create a volume (<root>/volumes/NAME/_data)\n"
	  "  ls [-q] [--format FMT]          list volumes\n"
	  "  inspect [-f FMT] NAME...        print volumes as JSON\n"
	  "  rm [-f] NAME...                 remove volumes no container uses\n"
	  "  prune [-a] [-f]                 remove unused anonymous volumes (-a: all unused)\n" },
	{ "commit", cmd_commit, "Create a new image from a container's changes", NULL },
	{ "diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem", NULL },
	{ "export", cmd_export, "Export a container's filesystem as a tar archive", NULL },
	{ "image", cmd_image, "Manage images", NULL },
	{ "images", cmd_images, "List images", NULL },
	{ "import", cmd_import, "Import the contents from a tarball to create a filesystem image", NULL },
	{ "rmi", cmd_rmi, "Remove one or more images", NULL },
	{ "tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", NULL },
};

int eng_help(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, name) && commands[i].help) {
			fputs(commands[i].help, stdout);
			return 0;
		}
	printf("Usage: hull %s\n", name);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: hull [OPTIONS] COMMAND\n\nA container engine: images, containers, volumes.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal Options:\n"
		   "      --root DIR      engine state: images, containers, volumes (default " ENG_DEFAULT_ROOT ")\n"
		   "      --runroot DIR   runtime state: bundles, monitors, libhull state (default " ENG_DEFAULT_RUNROOT ")\n"
		   "      --runtime PATH  containers created now run under this OCI runtime (runc) instead of libhull\n"
		   "  -v, --version       print the version\n"
		   "  -h, --help          print this help\n"
		   "\nRun 'hull COMMAND --help' for a command's options.\n");
}

int eng_help_only(const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'H' }, {} };
	int c = eng_getopt(cmd, argc, argv, "+:", opts);

	if (c == -1)
		return -1;
	return c == 'H' ? eng_help(cmd) : EXIT_ENGINE;
}

static const char *absolute(const char *p)
{
	char *r;
	char cwd[4096];

	if (p[0] == '/')
		return p;
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&r, "%s/%s", cwd, p) < 0)
		return p;
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "runroot", required_argument, NULL, 'R' },
		{ "runtime", required_argument, NULL, 'T' },
		{ "debug", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = eng_getopt("", argc, argv, "+:hv", opts)) != -1) {
		switch (c) {
		case 'r':
			eng.root = absolute(optarg);
			break;
		case 'R':
			eng.runroot = absolute(optarg);
			break;
		case 'T':
			eng.runtime = absolute(optarg);
			break;
		case 'D':
			break; /* accepted, as docker's -D; hull has no debug output yet */
		case 'v':
			printf("hull version " HULL_ENGINE_VERSION "\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_ENGINE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_ENGINE;
	}
	/* `hull container ls|rm|...`: Docker's management-command spelling. */
	if (streq(argv[optind], "container") && optind + 1 < argc) {
		optind++;
		if (streq(argv[optind], "ls") || streq(argv[optind], "list"))
			argv[optind] = (char *)"ps";
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, argv[optind])) {
			argc -= optind;
			argv += optind;
			optind = 0; /* getopt restarts for the command */
			return commands[i].fn(argc, argv);
		}
	fprintf(stderr, "hull: '%s' is not a hull command.\nSee 'hull --help'\n", argv[optind]);
	return EXIT_ENGINE;
}
