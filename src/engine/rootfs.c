/* rootfs.c - a container's root filesystem: overlayfs over the image's
 * layers, with an init layer on top of them holding the files the engine
 * writes for each container (/etc/hosts, /etc/hostname, /etc/resolv.conf),
 * so they are never part of the rw layer that `commit` reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "util.h"

/* The host's resolv.conf without loopback resolvers (a 127.0.0.53
 * stub resolver is not reachable from the container's network
 * namespace); Google's public ones if nothing is left, as Docker does. */
static char *resolv_conf(void)
{
	_cleanup_fclose_ FILE *in = fopen("/etc/resolv.conf", "re");
	char *buf = NULL, line[1024];
	size_t size = 0;
	bool ns = false;
	FILE *out = open_memstream(&buf, &size);

	while (in && fgets(line, sizeof(line), in)) {
		if (startswith(line, "nameserver")) {
			const char *a = line + 10;
			while (*a == ' ' || *a == '\t')
				a++;
			if (startswith(a, "127.") || startswith(a, "::1"))
				continue;
			ns = true;
		}
		fputs(line, out);
	}
	if (!ns)
		fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", out);
	fclose(out);
	return buf;
}

/* A new file of the new init layer: written in place, as nothing reads
 * the layer before the record naming it exists (no temporary and rename). */
static int write_in(int dirfd, const char *dir, const char *name, const char *text, struct hull_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int r = fd < 0 ? -errno : eng_write_all(fd, text, strlen(text));

	if (r < 0)
		return hull_error_set(err, -r, "cannot write '%s/%s'", dir, name);
	return 0;
}

int rootfs_prepare(const char *id, struct json_object *rec, char **layers, struct hull_error **err)
{
	_cleanup_free_ char *dir = ctr_dir(id), *diff = NULL, *work = NULL, *init = NULL, *merged = NULL,
			    *etc = NULL, *lower = NULL, *hosts = NULL, *resolv = resolv_conf();
	const char *hostname = jstr(jget(rec, "Config"), "Hostname");
	size_t len = 0;
	int r;

	if (asprintf(&diff, "%s/diff", dir) < 0 || asprintf(&work, "%s/work", dir) < 0 ||
	    asprintf(&init, "%s/init", dir) < 0 || asprintf(&merged, "%s/merged", dir) < 0 ||
	    asprintf(&etc, "%s/init/etc", dir) < 0)
		abort();
	if (!layers || !layers[0])
		return hull_error_plain(err, EINVAL, "the image has no layers");
	/* In the container's new directory. */
	const char *dirs[] = { diff, work, init, etc, merged };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdir(dirs[i], 0755) < 0)
			return hull_error_set(err, errno, "cannot make '%s'", dirs[i]);
	if (asprintf(&hosts,
		     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
		     "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\t%s\n",
		     hostname) < 0)
		abort();
	_cleanup_free_ char *hn = NULL;
	if (asprintf(&hn, "%s\n", hostname) < 0)
		abort();
	_cleanup_close_ int etcfd = open(etc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (etcfd < 0)
		return hull_error_set(err, errno, "cannot open '%s'", etc);
	if ((r = write_in(etcfd, etc, "hosts", hosts, err)) < 0 || (r = write_in(etcfd, etc, "hostname", hn, err)) < 0 ||
	    (r = write_in(etcfd, etc, "resolv.conf", resolv ? resolv : "", err)) < 0)
		return r;

	/* lowerdir: the init layer first, then the image's, top first. */
	FILE *m = open_memstream(&lower, &len);
	fputs(init, m);
	for (char **l = layers; *l; l++)
		fprintf(m, ":%s", *l);
	fclose(m);

	struct json_object *data = json_object_new_object();
	jset(data, "LowerDir", json_object_new_string(lower));
	jset(data, "UpperDir", json_object_new_string(diff));
	jset(data, "WorkDir", json_object_new_string(work));
	jset(data, "MergedDir", json_object_new_string(merged));
	struct json_object *gd = json_object_new_object();
	jset(gd, "Name", json_object_new_string("overlay"));
	jset(gd, "Data", data);
	jset(rec, "GraphDriver", gd);

	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/etc/hosts", init) >= 0)
		jset(rec, "HostsPath", json_object_new_string(p));
	free(p);
	if (asprintf(&p, "%s/etc/hostname", init) >= 0)
		jset(rec, "HostnamePath", json_object_new_string(p));
	free(p);
	if (asprintf(&p, "%s/etc/resolv.conf", init) >= 0)
		jset(rec, "ResolvConfPath", json_object_new_string(p));
	return 0;
}

bool rootfs_is_mounted(const char *dir)
{
	_cleanup_free_ char *parent = NULL;
	struct stat a, b;

	if (asprintf(&parent, "%s/..", dir) < 0)
		abort();
	if (stat(dir, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev;
}

int rootfs_mount(struct json_object *rec, struct hull_error **err)
{
	struct json_object *data = jget(jget(rec, "GraphDriver"), "Data");
	const char *lower = jstr(data, "LowerDir"), *upper = jstr(data, "UpperDir"), *work = jstr(data, "WorkDir"),
		   *merged = jstr(data, "MergedDir");
	_cleanup_free_ char *opts = NULL;
	long page = sysconf(_SC_PAGESIZE);

	if (!lower || !upper || !work || !merged)
		return hull_error_plain(err, EINVAL, "the container record has no overlay layers (GraphDriver.Data)");
	if (rootfs_is_mounted(merged))
		return 0;
	if (asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) < 0)
		abort();
	if ((long)strlen(opts) >= page)
		return hull_error_plain(err, E2BIG, "cannot mount the overlay on '%s': too many layers (%zu bytes of options)",
					merged, strlen(opts));
	if (mount("overlay", merged, "overlay", 0, opts) < 0)
		return hull_error_set(err, errno, "cannot mount overlay on '%s'", merged);
	return 0;
}

int rootfs_umount(struct json_object *rec)
{
	const char *merged = jstr(jget(jget(rec, "GraphDriver"), "Data"), "MergedDir");

	if (!merged)
		return 0;
	for (int i = 0; i < 16 && rootfs_is_mounted(merged); i++)
		if (umount2(merged, 0) < 0 && errno == EBUSY)
			umount2(merged, MNT_DETACH);
	return rootfs_is_mounted(merged) ? -EBUSY : 0;
}
