# Shared by bench/run.sh and bench/engine.sh (sourced; bash).  The caller
# defines say(), need_ns() (which of its runtimes/engines need the private
# namespace), cleanup(), and UNIFIED.

# crun refuses the hybrid cgroup layout, so what need_ns names runs in a
# private mount namespace with the cgroup2 hierarchy at $UNIFIED unmounted;
# only that namespace sees the umount.  Plain exec when there is no hybrid
# layout.  PRE=(...) is the prefix for $1 (empty for the others).
set_pre() {
	PRE=()
	if need_ns "$1"; then
		PRE=(unshare -m --propagation private sh -c
		     'if mountpoint -q "$0"; then umount "$0" || exit 1; fi; exec "$@"' "$UNIFIED")
	fi
}
wrap() { local PRE; set_pre "$1"; shift; "${PRE[@]}" "$@"; }

# The drivers run in the background so a signal reaches the traps at once;
# they pass it on as SIGTERM, and the driver finishes the run in progress,
# deletes its containers and exits.
CHILD=
run_child() { "$@" & CHILD=$!; wait "$CHILD"; local rc=$?; CHILD=; return $rc; }
on_signal() {
	trap '' INT TERM
	if [ -n "$CHILD" ]; then kill -TERM "$CHILD" 2>/dev/null; wait "$CHILD" || true; fi
	say "interrupted"
	exit "$1"
}
install_traps() {
	trap cleanup EXIT
	trap 'on_signal 130' INT
	trap 'on_signal 143' TERM
}
