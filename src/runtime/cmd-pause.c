/* cmd-pause.c - `hullrt pause ID` and `hullrt resume ID`: the cgroup
 * freezer. */
#include "container.h"
#include "hullrt.h"

static int set_paused(const char *cmd, bool pause, int argc, char **argv)
{
	_cleanup_error_ struct hull_error *err = NULL;
	const char *id;
	int r = rt_parse_id_only(cmd, argc, argv, &id);

	if (r)
		return r < 0 ? 0 : r;
	r = pause ? hull_container_pause(rt.root, id, &err) : hull_container_resume(rt.root, id, &err);
	if (r < 0)
		return rt_fail(err, r, pause ? "cannot pause the container" : "cannot resume the container");
	return 0;
}

int cmd_pause(int argc, char **argv)
{
	return set_paused("pause", true, argc, argv);
}

int cmd_resume(int argc, char **argv)
{
	return set_paused("resume", false, argc, argv);
}
