/* devices.h - the container's /dev: the default devices every container
 * gets (null, zero, full, random, urandom, tty), the spec's own devices,
 * and the standard symlinks (fd, stdin, stdout, stderr, ptmx, core). */
#ifndef HULL_DEVICES_H
#define HULL_DEVICES_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

/* Creates the default devices and symlinks under rootfd's /dev (default
 * true when /dev is a fresh mount), then spec->linux.devices.  In a user
 * namespace, where mknod is refused, devices are bind mounts of the
 * host's. */
int devices_setup(int rootfd, const struct hull_spec *spec, bool defaults, bool userns, struct hull_error **err);

#endif
