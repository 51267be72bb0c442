/* Unit tests for init.c: the container's init driven through its sync
 * protocol by the test (playing hull's part), in a forked child and
 * without namespaces: GO, READY, ACK, exec.fifo, then the user's program
 * with its rlimits, cwd, umask and no leaked fds; failures reported as
 * "<stage>: <message>" with an errno. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <unistd.h>

#include "container.h"
#include "init.h"
#include "path.h"
#include "process.h"
#include "spec.h"
#include "sync.h"
#include "unit.h"
#include "unit-child.h"

static char dir[PATH_MAX];

static void setup(void)
{
	char tmpl[] = "/tmp/hull-unit-init-XXXXXX";
	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(dir, sizeof(dir), "%s", tmpl);
}

static void teardown(void)
{
	CHECK(path_remove_tree(dir) == 0);
}

static struct hull_spec *spec_from(const char *tmpl)
{
	return unit_spec_from(tmpl, dir);
}

static const char *slurp(const char *name)
{
	static char buf[16384];
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return fd < 0 ? NULL : buf;
}

struct init_run {
	pid_t pid;
	int sync;          /* hull's end */
	int fifo_w;        /* write a byte: `start` */
	int dmz_fd;
	int hook_fd;       /* the memfd hull fills with the hooks' state before GO */
	struct hull_create_opts opts;
	struct init_args args;
};

/* Forks the init for spec; the test then speaks hull's part on r->sync.
 * wait_in_dmz: the init leaves for the dmz at ACK, which waits for start. */
static void start_init_mode(struct init_run *r, const struct hull_spec *spec, bool dmz, bool wait_in_dmz)
{
	int sv[2], fifo[2];

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(pipe2(fifo, O_CLOEXEC) == 0);
	r->opts = (struct hull_create_opts){ .id = "unit", .no_new_keyring = true };
	r->dmz_fd = dmz ? process_dmz_fd(NULL) : -1;
	r->hook_fd = (int)syscall(SYS_memfd_create, "unit-hook-state", MFD_CLOEXEC);
	CHECK(r->hook_fd >= 0);
	r->args = (struct init_args){ .spec = spec, .opts = &r->opts, .rootfs = dir, .sync_fd = sv[1],
				      .fifo_rfd = fifo[0], .fifo_wfd = wait_in_dmz ? fifo[1] : -1,
				      .dmz_fd = r->dmz_fd, .hook_state_fd = r->hook_fd, .wait_in_dmz = wait_in_dmz };
	fflush(NULL);
	r->pid = fork();
	if (r->pid == 0) {
		close(sv[0]);
		if (!wait_in_dmz)
			close(fifo[1]);
		init_main(&r->args);
	}
	close(sv[1]);
	close(fifo[0]);
	if (r->dmz_fd >= 0)
		close(r->dmz_fd);
	r->sync = sv[0];
	r->fifo_w = fifo[1];
}

static void start_init(struct init_run *r, const struct hull_spec *spec, bool dmz)
{
	start_init_mode(r, spec, dmz, false);
}

static int end_init(struct init_run *r)
{
	int status = -1;
	close(r->sync);
	close(r->fifo_w);
	CHECK(waitpid(r->pid, &status, 0) == r->pid);
	return status;
}

static const char full_config[] =
	"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
	"\"process\":{\"cwd\":\"@/cwd\",\"user\":{\"uid\":0,\"gid\":0,\"umask\":63},"
	"\"args\":[\"/bin/sh\",\"-c\",\"echo started > @/out; ulimit -n >> @/out; pwd >> @/out; umask >> @/out;"
	" ls /proc/self/fd > @/fds\"],"
	"\"env\":[\"PATH=/usr/bin:/bin\"],"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":123,\"hard\":456}]},"
	"\"hooks\":{\"createContainer\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > @/hook-stdin\"]}]}}";

static void run_full(bool dmz, bool wait_in_dmz)
{
	setup();
	char cwd[PATH_MAX + 16];
	snprintf(cwd, sizeof(cwd), "%s/cwd", dir);
	CHECK(mkdir(cwd, 0755) == 0);
	struct hull_spec *spec = spec_from(full_config);
	struct init_run r;
	struct sync_msg m;
	const char *state = "{\"ociVersion\":\"1.2.0\",\"id\":\"unit\",\"status\":\"created\"}";

	/* An fd of "hull" without O_CLOEXEC: it must not reach the program. */
	int leak = open("/dev/null", O_RDONLY);
	start_init_mode(&r, spec, dmz, wait_in_dmz);
	close(leak);

	/* More than a sync message holds: the state may be any size. */
	char big[6000];
	snprintf(big, sizeof(big), "{\"ociVersion\":\"1.2.0\",\"id\":\"unit\",\"status\":\"created\",\"annotations\":{\"k\":\"%0*d\"}}",
		 5000, 7);
	state = big;
	CHECK(pwrite(r.hook_fd, state, strlen(state), 0) == (ssize_t)strlen(state));
	CHECK(sync_send(r.sync, SYNC_GO, 0, "") == 0);
	int t = sync_recv(r.sync, &m);
	CHECK(t == SYNC_READY);
	if (t == SYNC_ERROR)
		fprintf(stderr, "  init: %s\n", m.text);
	/* The createContainer hook got the whole state hull wrote before GO. */
	CHECK_STREQ(slurp("hook-stdin"), state);
	/* Created, not started: the program has not run. */
	CHECK(slurp("out") == NULL);

	CHECK(sync_send(r.sync, SYNC_ACK, 0, "") == 0);
	/* The init closes its end after ACK (or by exec'ing the dmz): EOF. */
	CHECK(sync_recv(r.sync, &m) == 0);
	if (wait_in_dmz) {
		/* Now the dmz waits on the fifo, in the init's place. */
		char exe[PATH_MAX] = "", path[64];
		snprintf(path, sizeof(path), "/proc/%d/exe", r.pid);
		CHECK(readlink(path, exe, sizeof(exe) - 1) > 0);
		CHECK(strstr(exe, "memfd:hull-dmz") != NULL);
	}
	CHECK(slurp("out") == NULL);
	CHECK(write(r.fifo_w, "0", 1) == 1);
	int status = end_init(&r);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "started\n123\n%s\n0077\n", cwd);
	CHECK_STREQ(slurp("out"), want);
	/* stdio and the fd ls opens for /proc/self/fd, nothing else. */
	CHECK_STREQ(slurp("fds"), "0\n1\n2\n3\n");
	hull_spec_free(spec);
	teardown();
}

TEST(created_then_started_runs_the_program)
{
	REQUIRE_ROOT();
	run_full(false, false);
}

TEST(started_through_the_dmz)
{
	REQUIRE_ROOT();
	run_full(true, false);
}

TEST(waits_for_start_in_the_dmz)
{
	REQUIRE_ROOT();
	run_full(true, true);
}

/* Runs an init for config until its first answer to GO. */
static int first_answer(const char *config, struct sync_msg *m, int *ret_status)
{
	struct hull_spec *spec = spec_from(config);
	struct init_run r;

	start_init(&r, spec, false);
	CHECK(sync_send(r.sync, SYNC_GO, 0, "{}") == 0);
	int t = sync_recv(r.sync, m);
	*ret_status = end_init(&r);
	hull_spec_free(spec);
	return t;
}

TEST(failures_name_their_stage)
{
	REQUIRE_ROOT();
	setup();
	static const struct {
		const char *config, *text;
		int code;
	} cases[] = {
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"hostname\":\"h\"}",
		  "hostname: hostname or domainname set without a uts namespace of the container's own", EINVAL },
		/* Names no kernel has: were the check broken, nothing would be written. */
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"sysctl\":{\"kernel.hull_unit_x\":\"1\"}}}",
		  "sysctl: sysctl 'kernel.hull_unit_x' is not namespaced: it would change the host", EPERM },
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"sysctl\":{\"net.hull_unit_x\":\"1\"}}}",
		  "sysctl: sysctl 'net.hull_unit_x' needs a network namespace of the container's own", EPERM },
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"sysctl\":{\"kernel/../x\":\"1\"}}}",
		  "sysctl: sysctl 'kernel/../x': invalid name", EINVAL },
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"/nonexistent/prog\"]}}",
		  "exec: '/nonexistent/prog': No such file or directory", ENOENT },
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/nonexistent-cwd\",\"args\":[\"/bin/true\"]}}",
		  "cwd: cannot chdir to cwd '/nonexistent-cwd': No such file or directory", ENOENT },
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"/bin/true\"],"
		  "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":20,\"hard\":10}]}}",
		  "rlimits: cannot set rlimit 7 to 20:10: Invalid argument", EINVAL },
		{ "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"/bin/true\"]},"
		  "\"hooks\":{\"createContainer\":[{\"path\":\"/bin/false\"}]}}",
		  "createContainer hooks: createContainer hook '/bin/false': exited with status 1", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sync_msg m;
		int status = -1;
		CHECK(first_answer(cases[i].config, &m, &status) == SYNC_ERROR);
		/* The message, whether or not a strerror() tail follows. */
		CHECK(strncmp(m.text, cases[i].text, strlen(cases[i].text)) == 0);
		if (strncmp(m.text, cases[i].text, strlen(cases[i].text)) != 0)
			fprintf(stderr, "  got '%s'\n", m.text);
		CHECK(m.code == cases[i].code);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	}
	teardown();
}

TEST(hull_gone_or_confused)
{
	setup();
	struct hull_spec *spec = spec_from("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"}}");
	struct init_run r;
	struct sync_msg m;
	int status;

	/* hull exits before GO: the init ends too, with a failure. */
	start_init(&r, spec, false);
	status = end_init(&r);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);

	/* Something else than GO: a protocol error. */
	start_init(&r, spec, false);
	CHECK(sync_send(r.sync, SYNC_ACK, 0, "") == 0);
	CHECK(sync_recv(r.sync, &m) == SYNC_ERROR);
	CHECK(m.code == EPROTO && strncmp(m.text, "sync: ", 6) == 0);
	status = end_init(&r);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);

	/* hull exits after READY, before start: the init does not run on. */
	start_init(&r, spec, false);
	CHECK(sync_send(r.sync, SYNC_GO, 0, "{}") == 0);
	CHECK(sync_recv(r.sync, &m) == SYNC_READY);
	status = end_init(&r);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);

	/* No process: started, it just exits 0. */
	start_init(&r, spec, false);
	CHECK(sync_send(r.sync, SYNC_GO, 0, "{}") == 0);
	CHECK(sync_recv(r.sync, &m) == SYNC_READY);
	CHECK(sync_send(r.sync, SYNC_ACK, 0, "") == 0);
	CHECK(sync_recv(r.sync, &m) == 0);
	CHECK(write(r.fifo_w, "0", 1) == 1);
	status = end_init(&r);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	hull_spec_free(spec);
	teardown();
}
