/* cmd-kill.c - `hullrt kill [--all] ID [SIGNAL]`. */
#include <getopt.h>
#include <signal.h>

#include "container.h"
#include "hullrt.h"
#include "spec.h"

int cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_error_ struct hull_error *err = NULL;
	bool all = false;
	const char *id;
	int c, r, sig = SIGTERM;

	/* "+": options end at the id, so "kill ID -9"-style arguments are
	 * taken as arguments, not options. */
	while ((c = rt_getopt("kill", argc, argv, "+:ah", opts)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'h')
			return rt_help("kill");
		else
			return 1;
	}
	id = rt_take_id("kill", argc, argv, 1);
	if (!id)
		return 1;
	if (optind + 1 < argc) {
		const char *name = argv[optind + 1];
		sig = hull_signal_from_name(name);
		if (sig < 0) {
			rt_error("invalid signal '%s'", name);
			return 1;
		}
	}
	r = hull_container_kill(rt.root, id, sig, all, &err);
	if (r < 0)
		return rt_fail(err, r, "cannot kill the container");
	return 0;
}
