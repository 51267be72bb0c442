/* cmd-delete.c - `hullrt delete [--force] ID`. */
#include <errno.h>
#include <getopt.h>

#include "container.h"
#include "hullrt.h"
#include "state.h"

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_error_ struct hull_error *err = NULL;
	bool force = false;
	const char *id;
	int c, r;

	while ((c = rt_getopt("delete", argc, argv, ":fh", opts)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return rt_help("delete");
		else
			return 1;
	}
	id = rt_take_id("delete", argc, argv, 0);
	if (!id)
		return 1;

	/* As runc: deleting with --force what does not exist succeeds, so a
	 * supervisor's cleanup can always call it. */
	if (force) {
		struct hull_state *st = NULL;
		r = hull_state_load(rt.root, id, &st, NULL);
		hull_state_free(st);
		if (r == -ENOENT)
			return 0;
	}
	r = hull_container_delete(rt.root, id, force, &err);
	if (r < 0)
		return rt_fail(err, r, "cannot delete the container");
	return 0;
}
