/* main.c - hullrt: global options, the command table, logging and error
 * printing.  The commands are in cmd-*.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hullrt.h"
#include "userns.h"
#include "util.h"

#ifndef HULL_COMMIT
#define HULL_COMMIT "unknown"
#endif

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

struct rt_globals rt = { .root = HULLRT_DEFAULT_ROOT, .log_fd = -1 };

static const char main_usage_head[] =
	"Usage: hullrt [global options] command [command options] [arguments...]\n"
	"\n"
	"hullrt runs containers from OCI bundles, as runc does.\n"
	"\n"
	"Commands:\n";
static const char main_usage_tail[] =
	"\n"
	"Global options:\n"
	"   --root DIR           state directory (default: " HULLRT_DEFAULT_ROOT ")\n"
	"   --log FILE           append errors (and debug lines) to FILE\n"
	"   --log-format FORMAT  text or json (default: text)\n"
	"   --debug              log debug lines\n"
	"   --systemd-cgroup     use the systemd cgroup manager (not supported yet)\n"
	"   -v, --version        print the version\n"
	"   -h, --help           print this help\n"
	"\n"
	"Run 'hullrt COMMAND --help' for a command's options.\n";

#define CREATE_OPTIONS                                                                              \
	"   -b, --bundle DIR          the bundle: holds config.json (default: the current directory)\n" \
	"   --console-socket PATH     AF_UNIX socket that receives the pty master (process.terminal)\n" \
	"   --pid-file FILE           write the init's pid to FILE\n"                                   \
	"   --no-pivot                chroot into the rootfs instead of pivot_root\n"                   \
	"   --no-new-keyring          keep the caller's session keyring\n"                              \
	"   --preserve-fds N          pass fds 3 .. 3+N-1 to the container\n"                           \
	"   -h, --help                print this help\n"

static const struct rt_command commands[] = {
	{ "create", cmd_create, "create a container (its init waits for 'start')",
	  "Usage: hullrt create [options] CONTAINER_ID\n"
	  "\n"
	  "Creates a container from a bundle.  Its process waits until 'hullrt start'.\n"
	  "\n"
	  "Options:\n" CREATE_OPTIONS },
	{ "run", cmd_run, "create and start a container, wait for it unless -d",
	  "Usage: hullrt run [options] CONTAINER_ID\n"
	  "\n"
	  "Creates and starts a container.  In the foreground, hullrt forwards signals to\n"
	  "the container's process, relays its terminal, deletes the container when it\n"
	  "exits (unless --keep) and exits with its status (128+N if killed by signal N).\n"
	  "\n"
	  "Options:\n" CREATE_OPTIONS "   -d, --detach              exit once the container is started\n"
	  "   --keep                    do not delete the container after it exits\n"
	  "   --no-subreaper            accepted for runc compatibility, no effect\n" },
	{ "start", cmd_start, "start the process of a created container",
	  "Usage: hullrt start CONTAINER_ID\n"
	  "\n"
	  "Lets a created container's process run the user's program.\n" },
	{ "state", cmd_state, "print a container's state as JSON",
	  "Usage: hullrt state CONTAINER_ID\n"
	  "\n"
	  "Prints the container's state (OCI state JSON, status checked now).\n" },
	{ "kill", cmd_kill, "send a signal to a container's process",
	  "Usage: hullrt kill [options] CONTAINER_ID [SIGNAL]\n"
	  "\n"
	  "Sends SIGNAL (default TERM) to the container's init.  SIGNAL is a name, with or\n"
	  "without SIG, in any case (KILL, SIGKILL, kill) or a number (9).\n"
	  "\n"
	  "Options:\n"
	  "   -a, --all    send the signal to every process of the container\n"
	  "   -h, --help   print this help\n" },
	{ "delete", cmd_delete, "delete a stopped or created container",
	  "Usage: hullrt delete [options] CONTAINER_ID\n"
	  "\n"
	  "Deletes a container: its remaining processes, cgroup and state.\n"
	  "\n"
	  "Options:\n"
	  "   -f, --force  kill a running container first; no error if it does not exist\n"
	  "   -h, --help   print this help\n" },
	{ "list", cmd_list, "list containers",
	  "Usage: hullrt list [options]\n"
	  "\n"
	  "Lists the containers under the state root.\n"
	  "\n"
	  "Options:\n"
	  "   -f, --format FORMAT  table or json (default: table)\n"
	  "   -q, --quiet          print the ids only\n"
	  "   -h, --help           print this help\n" },
	{ "pause", cmd_pause, "freeze every process of a container",
	  "Usage: hullrt pause CONTAINER_ID\n"
	  "\n"
	  "Freezes the container's cgroup.\n" },
	{ "resume", cmd_resume, "thaw a paused container",
	  "Usage: hullrt resume CONTAINER_ID\n"
	  "\n"
	  "Thaws the container's cgroup.\n" },
	{ "checkpoint", NULL, "not implemented yet", NULL },
	{ "events", cmd_events, "print a container's resource usage and OOM events",
	  "Usage: hullrt events [options] CONTAINER_ID\n"
	  "\n"
	  "Prints JSON events, one per line, as runc does: every interval a\n"
	  "{\"type\":\"stats\",\"id\":ID,\"data\":{cpu, memory, pids, blkio, hugetlb}} and an\n"
	  "{\"type\":\"oom\",\"id\":ID} when the memory controller kills a process of the\n"
	  "container, until the container stops.\n"
	  "\n"
	  "Options:\n"
	  "   --stats          print the statistics once and exit\n"
	  "   --interval D     time between stats events, a duration such as 5s, 500ms, 1m\n"
	  "                    (default: 5s)\n"
	  "   -h, --help       print this help\n" },
	{ "exec", cmd_exec, "run a new process in a running container",
	  "Usage: hullrt exec [options] CONTAINER_ID COMMAND [ARG...]\n"
	  "       hullrt exec [options] --process FILE CONTAINER_ID\n"
	  "\n"
	  "Runs a process in the container's namespaces and cgroup.  Without --process it\n"
	  "starts from the container's own process (env, cwd, user, capabilities, rlimits)\n"
	  "with the options below.  In the foreground, hullrt forwards signals, relays the\n"
	  "terminal and exits with the process's status (128+N if killed by signal N);\n"
	  "255 if it could not be started.\n"
	  "\n"
	  "Options:\n"
	  "   -p, --process FILE        the process as runtime-spec JSON (what containerd passes)\n"
	  "   -t, --tty                 allocate a pseudo-terminal\n"
	  "   --console-socket PATH     AF_UNIX socket that receives the pty master\n"
	  "   -d, --detach              exit once the process is started\n"
	  "   --pid-file FILE           write the process's pid to FILE\n"
	  "   -e, --env NAME=VALUE      set an environment variable (repeatable)\n"
	  "   --cwd DIR                 the working directory inside the container\n"
	  "   -u, --user UID[:GID]      run as this numeric user (and group)\n"
	  "   -g, --additional-gids GID supplementary group (repeatable)\n"
	  "   -c, --cap CAP             add a capability (repeatable)\n"
	  "   --no-new-privs            set no_new_privs\n"
	  "   --preserve-fds N          pass fds 3 .. 3+N-1 to the process\n"
	  "   --ignore-paused           exec into a paused container (the process waits for resume)\n"
	  "   --apparmor, --process-label  accepted only empty: not supported\n"
	  "   -h, --help                print this help\n" },
	{ "features", cmd_features, "print the features this runtime supports, as JSON",
	  "Usage: hullrt features\n"
	  "\n"
	  "Prints the runtime-spec features document: the spec versions, hooks, mount\n"
	  "options, namespaces, capabilities, cgroup and seccomp support hullrt has.\n" },
	{ "ps", cmd_ps, "list the processes of a container",
	  "Usage: hullrt ps [options] CONTAINER_ID [ps options]\n"
	  "\n"
	  "Lists the processes in the container's cgroup (host pids).  With the table\n"
	  "format, runs the host's ps with the ps options (default: -ef) and prints its\n"
	  "header and the container's lines.\n"
	  "\n"
	  "Options:\n"
	  "   -f, --format FORMAT  table or json (a JSON array of pids) (default: table)\n"
	  "   -h, --help           print this help\n" },
	{ "restore", NULL, "not implemented yet", NULL },
	{ "spec", cmd_spec, "write a default config.json",
	  "Usage: hullrt spec [options]\n"
	  "\n"
	  "Writes a default config.json (runc's) in the bundle; refuses to overwrite one.\n"
	  "\n"
	  "Options:\n"
	  "   -b, --bundle DIR  the bundle directory (default: the current directory)\n"
	  "   --rootless        a spec for a non-root user: a user namespace mapping its uid\n"
	  "                     and gid to 0, no network namespace, /sys bind-mounted\n"
	  "   -h, --help        print this help\n" },
	{ "update", cmd_update, "change the resource limits of a container",
	  "Usage: hullrt update [options] CONTAINER_ID\n"
	  "\n"
	  "Changes the cgroup limits of a created, running or paused container.  Only the\n"
	  "limits given change.  If the kernel refuses one, the others are put back.\n"
	  "\n"
	  "Options:\n"
	  "   -r, --resources FILE        read the limits from FILE ('-': standard input), a\n"
	  "                               runtime-spec linux.resources JSON object; memory,\n"
	  "                               cpu, pids, blockIO.weight and unified are used\n"
	  "   --memory SIZE               memory limit (bytes, or 64m, 1g, ...; -1: none)\n"
	  "   --memory-swap SIZE          memory + swap limit (-1: unlimited swap)\n"
	  "   --memory-reservation SIZE   memory soft limit\n"
	  "   --kernel-memory SIZE        obsolete, ignored with a warning (as runc)\n"
	  "   --cpu-shares N              CPU shares (relative weight)\n"
	  "   --cpu-quota N               CFS quota in microseconds per period (-1: none)\n"
	  "   --cpu-period N              CFS period in microseconds\n"
	  "   --cpu-rt-runtime N          real-time runtime in microseconds (cgroup v1)\n"
	  "   --cpu-rt-period N           real-time period in microseconds (cgroup v1)\n"
	  "   --cpuset-cpus LIST          CPUs to run on (0-2,4)\n"
	  "   --cpuset-mems LIST          memory nodes to use\n"
	  "   --pids-limit N              maximum number of processes (-1: none)\n"
	  "   --blkio-weight N            block I/O weight, 10 to 1000\n"
	  "   -h, --help                  print this help\n"
	  "\n"
	  "As in runc, 0 leaves a memory value, the CPU quota or the pids limit as it is.\n" },
};

const struct rt_command *rt_find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* RFC 3339 in UTC, as log timestamps. */
static void now_rfc3339(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One line in --log: logrus' text format, or a JSON object per line
 * (containerd reads the last "msg" of a failed command). */
static void log_line(const char *level, const char *msg)
{
	_cleanup_free_ char *line = NULL;
	char when[64];
	int n;

	if (rt.log_fd < 0)
		return;
	now_rfc3339(when, sizeof(when));
	if (rt.log_json) {
		struct json_object *o = json_object_new_object();
		if (!o)
			return;
		json_object_object_add(o, "level", json_object_new_string(level));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(when));
		const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		n = s ? asprintf(&line, "%s\n", s) : -1;
		json_object_put(o);
	} else {
		/* msg="..." with '"', '\' and control characters escaped */
		_cleanup_free_ char *q = malloc(strlen(msg) * 4 + 1);
		char *p = q;
		if (!q)
			return;
		for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
			if (*c == '"' || *c == '\\')
				p += sprintf(p, "\\%c", *c);
			else if (*c == '\n')
				p += sprintf(p, "\\n");
			else if (*c < 0x20)
				p += sprintf(p, "\\x%02x", *c);
			else
				*p++ = (char)*c;
		}
		*p = '\0';
		n = asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, q);
	}
	/* One write on an O_APPEND fd: lines of concurrent hullrt runs do
	 * not interleave. */
	if (n > 0 && write(rt.log_fd, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}

__attribute__((format(printf, 1, 0))) static void vlog_error(const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	fprintf(stderr, "hullrt: %s\n", msg);
	log_line("error", msg);
}

void rt_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_error(fmt, ap);
	va_end(ap);
}

void rt_warn(const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(stderr, "hullrt: warning: %s\n", msg);
	log_line("warning", msg);
}

int rt_fail(struct hull_error *err, int r, const char *what)
{
	if (err && err->msg)
		rt_error("%s", err->msg);
	else
		rt_error("%s: %s", what, strerror(r < 0 ? -r : (r ? r : EINVAL)));
	return 1;
}

int rt_usage_error(const char *cmd, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 1;
	if (cmd)
		rt_error("%s: %s (see 'hullrt %s --help')", cmd, msg, cmd);
	else
		rt_error("%s (see 'hullrt --help')", msg);
	return 1;
}

void rt_debug(const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	if (!rt.debug)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (rt.log_fd >= 0)
		log_line("debug", msg);
	else
		fprintf(stderr, "hullrt: debug: %s\n", msg);
}

char *rt_absolute(const char *path)
{
	_cleanup_free_ char *cwd = NULL;
	char *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&out, "%s%s%s", cwd, streq(cwd, "/") ? "" : "/", path) < 0)
		return NULL;
	return out;
}

/* The option as the user wrote it, for messages.  glibc leaves optopt 0
 * for an unknown long option and sets it to the option's value for a long
 * one missing its argument; the word itself is argv[optind - 1] then. */
static const char *bad_option(char **argv, bool missing_arg, char *buf, size_t size)
{
	const char *word = optind > 0 ? argv[optind - 1] : NULL;

	if (word && (optopt == 0 || (missing_arg && startswith(word, "--")))) {
		snprintf(buf, size, "%s", word);
		char *eq = strchr(buf, '=');
		if (eq)
			*eq = '\0';
	} else
		snprintf(buf, size, "-%c", optopt);
	return buf;
}

int rt_getopt(const char *cmd, int argc, char **argv, const char *optstring, const struct option *longopts)
{
	char buf[128];
	int c;

	opterr = 0; /* we print our own messages, once */
	c = getopt_long(argc, argv, optstring, longopts, NULL);
	if (c == '?') {
		rt_usage_error(cmd, "unknown option '%s'", bad_option(argv, false, buf, sizeof(buf)));
		return '?';
	}
	if (c == ':') {
		rt_usage_error(cmd, "option '%s' needs an argument", bad_option(argv, true, buf, sizeof(buf)));
		return '?';
	}
	return c;
}

const char *rt_take_id(const char *cmd, int argc, char **argv, int max_extra)
{
	if (optind >= argc) {
		rt_usage_error(cmd, "missing container id");
		return NULL;
	}
	if (argc - optind - 1 > max_extra) {
		rt_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1 + max_extra]);
		return NULL;
	}
	return argv[optind];
}

int rt_parse_id_only(const char *cmd, int argc, char **argv, const char **ret_id)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	while ((c = rt_getopt(cmd, argc, argv, ":h", opts)) != -1) {
		if (c != 'h')
			return 1;
		rt_help(cmd);
		return -1;
	}
	*ret_id = rt_take_id(cmd, argc, argv, 0);
	return *ret_id ? 0 : 1;
}

int rt_help(const char *cmd)
{
	const struct rt_command *c = rt_find_command(cmd);

	if (c && c->usage)
		fputs(c->usage, stdout);
	return 0;
}

static void print_main_usage(FILE *f)
{
	char list[2048];
	size_t len = 0;
	bool first = true;
	int n;

	/* the commands, then one line naming those still to come */
	list[0] = '\0';
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
			const struct rt_command *c = &commands[i];
			if (pass == 0 && c->run)
				n = snprintf(list + len, sizeof(list) - len, "   %-10s%s\n", c->name, c->summary);
			else if (pass == 1 && !c->run) {
				n = snprintf(list + len, sizeof(list) - len, "%s%s", first ? "\n   Not implemented yet: " : ", ",
					     c->name);
				first = false;
			} else
				continue;
			if (n < 0 || (size_t)n >= sizeof(list) - len)
				break;
			len += (size_t)n;
		}
	if (!first && len + 1 < sizeof(list))
		strcat(list, "\n");
	fputs(main_usage_head, f);
	fputs(list, f);
	fputs(main_usage_tail, f);
}

static int print_version(void)
{
	const struct scmp_version *v = seccomp_version();

	printf("hullrt version " HULLRT_VERSION "\n");
	printf("commit: %s\n", HULL_COMMIT);
	printf("spec: " HULLRT_SPEC_VERSION "\n");
	if (v)
		printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
	return 0;
}

/* As runc: a rootless caller keeps its state in $XDG_RUNTIME_DIR/hullrt
 * (root in a user namespace only when $USER is not root).  NULL: the
 * default root. */
static char *rootless_default_root(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *user = getenv("USER");
	char *out = NULL;

	if (!xdg || xdg[0] != '/' || !hull_rootless())
		return NULL;
	if (geteuid() == 0 && user && streq(user, "root"))
		return NULL;
	if (asprintf(&out, "%s/hullrt", xdg) < 0)
		return NULL;
	return out;
}

/* `hullrt help [COMMAND]` */
static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		print_main_usage(stdout);
		return 0;
	}
	const struct rt_command *c = rt_find_command(argv[1]);
	if (!c)
		return rt_usage_error(NULL, "unknown command '%s'", argv[1]);
	if (!c->usage) {
		rt_error("'%s' is not implemented yet", c->name);
		return 1;
	}
	return rt_help(c->name);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define HEAP_PREFAULT (128 << 10)

/* The heap a create uses (the spec, the init's work: it shares our
 * memory), made present in one call: where page faults are dear (about
 * 10 us each in this project's VM) that is cheaper than the
 * dozen or two faults of growing it page by page.  Kernels before 5.14
 * do not know MADV_POPULATE_WRITE: they fault as usual. */
static void heap_prefault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *first;
	char *start, *end;

	mallopt(M_TOP_PAD, HEAP_PREFAULT);
	first = malloc(1);
	end = sbrk(0);
	if (first && end != (char *)-1 && page > 0) {
		start = (char *)((uintptr_t)first & ~(uintptr_t)(page - 1));
		if (end > start)
			(void)madvise(start, (size_t)(end - start), MADV_POPULATE_WRITE);
	}
	free(first);
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD_CGROUP };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *root = NULL, *log = NULL, *log_format = NULL;
	bool version = false, help = false, systemd_cgroup = false;
	_cleanup_free_ char *abs_root = NULL;
	int c;

	heap_prefault();
	/* "+": the global options end at the command's name. */
	while ((c = rt_getopt(NULL, argc, argv, "+:vh", opts)) != -1) {
		switch (c) {
		case OPT_ROOT:
			root = optarg;
			break;
		case OPT_LOG:
			log = optarg;
			break;
		case OPT_LOG_FORMAT:
			log_format = optarg;
			break;
		case OPT_DEBUG:
			rt.debug = true;
			break;
		case OPT_SYSTEMD_CGROUP:
			systemd_cgroup = true;
			break;
		case 'v':
			version = true;
			break;
		case 'h':
			help = true;
			break;
		default:
			return 1;
		}
	}

	/* The log first: every later error goes there too. */
	if (log_format && !streq(log_format, "text") && !streq(log_format, "json")) {
		rt_error("invalid --log-format '%s': must be text or json", log_format);
		return 1;
	}
	rt.log_json = streq(log_format, "json");
	if (log && *log) {
		rt.log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
		if (rt.log_fd < 0) {
			rt_error("cannot open log file '%s': %s", log, strerror(errno));
			return 1;
		}
	}

	if (version)
		return print_version();
	if (help) {
		print_main_usage(stdout);
		return 0;
	}
	if (systemd_cgroup) {
		rt_error("--systemd-cgroup is not supported yet; use the cgroupfs manager");
		return 1;
	}
	if (optind >= argc) {
		print_main_usage(stderr);
		return 1;
	}

	if (root) {
		if (!*root)
			return rt_usage_error(NULL, "--root must not be empty");
		abs_root = rt_absolute(root);
		if (!abs_root) {
			rt_error("--root '%s': %s", root, strerror(errno));
			return 1;
		}
		rt.root = abs_root;
	} else if ((abs_root = rootless_default_root()))
		rt.root = abs_root;

	const char *name = argv[optind];
	int cargc = argc - optind;
	char **cargv = argv + optind;

	optind = 0; /* glibc: start afresh for the command's options */
	if (streq(name, "help"))
		return cmd_help(cargc, cargv);
	const struct rt_command *cmd = rt_find_command(name);
	if (!cmd)
		return rt_usage_error(NULL, "unknown command '%s'", name);
	if (!cmd->run) {
		rt_error("'%s' is not implemented yet", name);
		return 1;
	}
	rt_debug("%s: root '%s'", name, rt.root);
	return cmd->run(cargc, cargv);
}
