/* libFuzzer target for layer unpacking (libarchive plus hull's whiteout
 * handling): any input must unpack or fail with a message, never crash,
 * hang, leak, or write outside the layer's directory.
 *
 * Safety on a shared machine: the process drops to uid/gid 65534 before
 * the first input, so even an escape could not touch root's files; the
 * layer is unpacked in <sandbox>/out and the sandbox is checked after
 * every input: anything beside "in" and "out" is an escape and aborts.
 * `make fuzz-tar` runs it for 30 s. */
#include <dirent.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "layer.h"
#include "path.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sandbox[] = "/tmp/hull-fuzz-tar-XXXXXX";
static char in_path[64], out_path[64];

static void remove_sandbox(void)
{
	unlink(in_path);
	path_remove_tree(out_path);
	rmdir(sandbox);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!mkdtemp(sandbox) || chown(sandbox, 65534, 65534) < 0)
		abort();
	if (getuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			      setresuid(65534, 65534, 65534) < 0))
		abort();
	if (geteuid() == 0)
		abort();
	snprintf(in_path, sizeof(in_path), "%s/in", sandbox);
	snprintf(out_path, sizeof(out_path), "%s/out", sandbox);
	atexit(remove_sandbox);
	return 0;
}

static void check_sandbox(void)
{
	DIR *d = opendir(sandbox);
	struct dirent *de;

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "in") &&
		    strcmp(de->d_name, "out")) {
			fprintf(stderr, "escape: '%s' written beside the layer\n", de->d_name);
			abort();
		}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hull_error *err = NULL;
	int64_t bytes = 0;
	FILE *f = fopen(in_path, "we");
	int r;

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (mkdir(out_path, 0755) < 0)
		abort();
	r = layer_unpack(in_path, "fuzz", out_path, &bytes, &err);
	if (r < 0 ? (!err || !err->msg) : (err != NULL || bytes < 0))
		abort();
	hull_error_free(err);
	check_sandbox();
	/* unpacked modes may deny us (0000 dirs): make it removable */
	if (path_remove_tree(out_path) < 0) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s && rm -rf %s", out_path, out_path);
		if (system(cmd) != 0)
			abort();
	}
	return 0;
}
