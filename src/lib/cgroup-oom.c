/* cgroup-oom.c - hull_cgroup_oom_watch(): an fd that wakes the caller
 * when the cgroup's memory controller reports an OOM, for both backends
 * (v1: an eventfd registered through cgroup.event_control; v2: inotify on
 * memory.events and its oom_kill counter).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include "cgroup-internal.h"
#include "util.h"

/* v1: an eventfd registered for memory.oom_control through
 * cgroup.event_control; the kernel signals it on every OOM in the cgroup
 * (and once when the cgroup goes away). */
int cgroup_v1_oom_watch(struct hull_cgroup *cg, struct hull_oom_watch *w, struct hull_error **err)
{
	struct cgroup_hier *h = cgroup_find_hier(cg, "memory");
	_cleanup_free_ char *p = NULL;
	int r;

	if (!h)
		return hull_error_set(err, EOPNOTSUPP, "cannot watch for OOM kills: no memory cgroup hierarchy under %s",
				      cg->root);
	if (asprintf(&p, "%s/memory.oom_control", h->full) < 0)
		return -ENOMEM;
	w->control_fd = open(p, O_RDONLY | O_CLOEXEC);
	if (w->control_fd < 0)
		return hull_error_set(err, errno, "cannot open %s", p);
	w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->event_fd < 0)
		return hull_error_set(err, errno, "cannot make an eventfd");
	w->fd = w->event_fd;
	if ((r = cgroup_writef(cg, h->full, "cgroup.event_control", err, "%d %d", w->event_fd, w->control_fd)) < 0)
		return r;
	w->file = "memory.oom_control";
	w->dir = strdup(h->full);
	return w->dir ? 0 : -ENOMEM;
}

/* v2: memory.events changes (the kernel sends a modify notification)
 * whenever one of its counters moves; "oom_kill" is the one that counts
 * processes the OOM killer ended. */
int cgroup_v2_oom_watch(struct hull_cgroup *cg, struct hull_oom_watch *w, struct hull_error **err)
{
	const char *dir = cg->hiers[0].full;
	_cleanup_free_ char *p = NULL;

	if (!cgroup_file_exists(dir, "memory.events"))
		return hull_error_set(err, EOPNOTSUPP,
				      "cannot watch for OOM kills: %s has no memory.events (memory controller not enabled)",
				      dir);
	if (asprintf(&p, "%s/memory.events", dir) < 0)
		return -ENOMEM;
	w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->fd < 0)
		return hull_error_set(err, errno, "cannot make an inotify instance");
	if (inotify_add_watch(w->fd, p, IN_MODIFY) < 0)
		return hull_error_set(err, errno, "cannot watch %s", p);
	w->file = "memory.events";
	w->dir = strdup(dir);
	return w->dir ? 0 : -ENOMEM;
}

HULL_EXPORT void hull_oom_watch_free(struct hull_oom_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0 && w->fd != w->event_fd)
		close(w->fd);
	if (w->event_fd >= 0)
		close(w->event_fd);
	if (w->control_fd >= 0)
		close(w->control_fd);
	free(w->dir);
	free(w);
}

HULL_EXPORT int hull_cgroup_oom_watch(struct hull_cgroup *cg, struct hull_oom_watch **ret, struct hull_error **err)
{
	struct hull_oom_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return hull_error_set(err, ENOMEM, "cannot watch for OOM kills");
	w->fd = w->event_fd = w->control_fd = -1;
	r = cg->ops->oom_watch(cg, w, err);
	if (r < 0) {
		hull_oom_watch_free(w);
		return r == -ENOMEM ? hull_error_set(err, ENOMEM, "cannot watch for OOM kills") : r;
	}
	/* Only kills from now on count. */
	if (cgroup_read_key(w->dir, w->file, "oom_kill", &w->last) < 0)
		w->last = 0;
	*ret = w;
	return 0;
}

HULL_EXPORT int hull_oom_watch_fd(const struct hull_oom_watch *w)
{
	return w->fd;
}

HULL_EXPORT int hull_oom_watch_check(struct hull_oom_watch *w, uint64_t *ret_events, struct hull_error **err)
{
	char buf[4096];
	uint64_t events = 0, now = 0;
	bool have_counter;

	*ret_events = 0;
	/* Drain what woke the caller. */
	if (w->event_fd >= 0) {
		if (read(w->event_fd, &events, sizeof(events)) != sizeof(events))
			events = 0;
	} else {
		while (read(w->fd, buf, sizeof(buf)) > 0)
			;
	}
	have_counter = cgroup_read_key(w->dir, w->file, "oom_kill", &now) == 0;
	if (w->event_fd >= 0) {
		/* v1 signals the eventfd when the OOM starts, before the
		 * kill shows in oom_kill (and also with the killer off): as
		 * runc, every notification while the cgroup exists is one
		 * event.  The eventfd also fires once when the cgroup goes. */
		if (cgroup_file_exists(w->dir, "memory.oom_control"))
			*ret_events = events;
		if (have_counter)
			w->last = now;
		return 0;
	}
	if (have_counter) {
		*ret_events = now > w->last ? now - w->last : 0;
		w->last = now;
		return 0;
	}
	if (!cgroup_file_exists(w->dir, w->file))
		return 0; /* the cgroup is gone: nothing more will come */
	return hull_error_set(err, EIO, "cannot read the OOM kill counter in %s/%s", w->dir, w->file);
}
