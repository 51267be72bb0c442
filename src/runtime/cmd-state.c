/* cmd-state.c - `hullrt state ID`: the OCI state, status checked now. */
#include <stdio.h>
#include <stdlib.h>

#include "hullrt.h"
#include "state.h"
#include "util.h"

int cmd_state(int argc, char **argv)
{
	_cleanup_error_ struct hull_error *err = NULL;
	struct hull_state *st = NULL;
	const char *id;
	int r = rt_parse_id_only("state", argc, argv, &id);

	if (r)
		return r < 0 ? 0 : r;
	r = hull_state_load(rt.root, id, &st, &err);
	if (r < 0)
		return rt_fail(err, r, "cannot read the container's state");
	_cleanup_free_ char *json = hull_state_to_json(st, true);
	hull_state_free(st);
	if (!json) {
		rt_error("cannot print the state of container '%s': out of memory", id);
		return 1;
	}
	printf("%s\n", json);
	return 0;
}
