/* cmd-start.c - `hullrt start ID`. */
#include "container.h"
#include "hullrt.h"

int cmd_start(int argc, char **argv)
{
	_cleanup_error_ struct hull_error *err = NULL;
	const char *id;
	int r = rt_parse_id_only("start", argc, argv, &id);

	if (r)
		return r < 0 ? 0 : r;
	r = hull_container_start(rt.root, id, &err);
	if (r < 0)
		return rt_fail(err, r, "cannot start the container");
	return 0;
}
