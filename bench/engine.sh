#!/bin/bash
# Benchmark the engine: `hull run --rm busybox true` (libhull in-process)
# against podman on the same busybox rootfs, and against hull driving crun
# and runc (--runtime); then the memory of the per-container process each
# engine keeps (hull-monitor, conmon).  Prints a markdown report for
# bench/RESULTS.md on stdout, progress on stderr.  See bench/README.md.
# Needs root.
#
#   BENCH_N=50              timed runs per engine
#   BENCH_WARMUP=3          untimed warm-up runs per engine
#   BENCH_ENGINES="hull hull-crun hull-runc podman podman-runc hullrt"
#                           (hullrt: the runtime alone, `hullrt run` of the
#                           same rootfs as a bundle: a reference for what the
#                           engine adds)
#   BENCH_HULL=build/hull   (hullrt: build/hullrt next to it)
#   BENCH_MEM_N=3           detached `sleep 1000` containers per engine for
#                           the memory figures (0: skip them)
#   BENCH_PODMAN_STORAGE=overlay   podman's storage driver; if a first run
#                           with overlay fails, vfs is used (the report says)
#   BENCH_OUT=FILE          also write the report to FILE
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
PY=/usr/bin/python3
N=${BENCH_N:-50}
WARMUP=${BENCH_WARMUP:-3}
MEM_N=${BENCH_MEM_N:-3}
ENGINES=${BENCH_ENGINES:-hull hull-crun hull-runc podman podman-runc hullrt}
HULL=${BENCH_HULL:-$TOP/build/hull}
CRUN=/usr/bin/crun
RUNC=/usr/sbin/runc
STORAGE=${BENCH_PODMAN_STORAGE:-overlay}
UNIFIED=/sys/fs/cgroup/unified
# shellcheck source=bench/common.sh
. "$HERE/common.sh"

die() { echo "bench-engine: $*" >&2; exit 1; }
say() { echo "bench-engine: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (sudo make bench-engine, or sudo bench/engine.sh)"
case "$N$WARMUP$MEM_N" in *[!0-9]*) die "BENCH_N/BENCH_WARMUP/BENCH_MEM_N must be integers";; esac
[ "$N" -ge 2 ] || die "BENCH_N must be >= 2"
case "$STORAGE" in overlay|vfs) ;; *) die "BENCH_PODMAN_STORAGE must be overlay or vfs, not '$STORAGE'";; esac

# Decide what runs before creating anything.
[ -x "$HULL" ] || die "hull not built ($HULL missing): run \`make\` first"
HULL=$(cd "$(dirname "$HULL")" && pwd)/$(basename "$HULL")
[ -x "$(dirname "$HULL")/hull-monitor" ] || die "$(dirname "$HULL")/hull-monitor missing: run \`make\` first"
HULLRT=$(dirname "$HULL")/hullrt
PODMAN=$(command -v podman 2>/dev/null || true)
declare -A SKIP=()
for e in $ENGINES; do
	case "$e" in
	hull) ;;
	hull-crun) [ -x "$CRUN" ] || SKIP[$e]="$CRUN not installed";;
	hull-runc|podman-runc) [ -x "$RUNC" ] || SKIP[$e]="$RUNC not installed";;
	podman) ;;
	hullrt) [ -x "$HULLRT" ] || SKIP[$e]="$HULLRT not built";;
	*) die "unknown engine '$e' in BENCH_ENGINES (hull hull-crun hull-runc podman podman-runc hullrt)";;
	esac
	case "$e" in podman*) [ -n "$PODMAN" ] || SKIP[$e]="podman not installed";; esac
done

# Everything this script makes is named after TAG or lives under TMP:
# podman's cgroup parent /$TAG (its containers' cgroups and conmon's under
# it), container names $TAG-*, both engines' stores under $TMP.  hull names
# its cgroups <own cgroup>/hull/<container id>; the ids go to $IDS.
TAG=hullbench-e$$
TMP=$(mktemp -d /tmp/hull-bench-engine.XXXXXX)
IDS=$TMP/hull-ids        # every hull container id (for its cgroups)
PIDS=$TMP/pids           # "pid starttime" of every long-lived process started
HROOT=$TMP/hull/root
H=("$HULL" --root "$HROOT" --runroot "$TMP/hull/run")
PR=$TMP/podman
IMG=localhost/busybox:hullbench
pm_base() {
	PM=("$PODMAN" --root "$PR/root" --runroot "$PR/runroot" --tmpdir "$PR/tmp"
	    --cgroup-manager cgroupfs --events-backend file --storage-driver "$STORAGE")
}
pm_base
# podman's default nofile limit (1048576) is above what this host lets a
# process raise its hard limit to: pinned, as tests/integration/test_podman.py does.
POPTS=(--pull never --network none --cgroup-parent "/$TAG"
       --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
: >"$IDS"
: >"$PIDS"

# crun refuses the hybrid cgroup layout, so everything that ends up running
# crun (hull --runtime crun, podman with its default runtime crun) runs in a
# private mount namespace with the cgroup2 hierarchy at $UNIFIED unmounted,
# as bench/run.sh does (set_pre in common.sh).
need_ns() { [[ "$1" == hull-crun || "$1" == podman ]] && mountpoint -q "$UNIFIED"; }

proc_stat() {  # "state starttime" of pid $1, nothing if it is gone
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	set -- ${s##*) }
	echo "$1 ${20}"
}
note_pid() {  # pid: remembered with its start time (against pid reuse)
	local st
	st=$(proc_stat "$1")
	[ -z "$st" ] || echo "$1 ${st#* }" >>"$PIDS"
}
alive_pids() {  # the remembered processes still running (a zombie is not:
	local pid st now  # PID 1 here reaps orphans late)
	[ -f "$PIDS" ] || return 0
	while read -r pid st; do
		now=$(proc_stat "$pid")
		[ -n "$now" ] && [ "${now%% *}" != Z ] && [ "${now#* }" = "$st" ] && echo "$pid"
	done <"$PIDS"
	return 0
}
hull_id_cgroups() {  # cgroup directories named after one of our hull ids
	[ -s "$IDS" ] || return 0
	find /sys/fs/cgroup -type d -regextype posix-extended -regex '.*/[0-9a-f]{64}' 2>/dev/null |
		awk -F/ 'NR == FNR { id[$0] = 1; next } ($NF in id)' "$IDS" - | sort -r
}
podman_cgroups() {  # podman's cgroup parent and everything under it, deepest first
	find /sys/fs/cgroup -type d \( -path "*/$TAG" -o -path "*/$TAG/*" \) 2>/dev/null | sort -r
}
hullrt_cgroups() {  # the reference hullrt container's (<own cgroup>/hull/$TAG-rt)
	find /sys/fs/cgroup -type d -name "$TAG-rt" 2>/dev/null | sort -r
}
our_mounts() { awk -v t="$TMP" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r; }

# What is left; prints it and fails if anything is.
leftovers() {
	local left=0 x
	x=$(alive_pids); [ -z "$x" ] || { say "left running: pids $(echo $x)"; left=1; }
	x=$(hull_id_cgroups); [ -z "$x" ] || { say "cgroups of hull containers left:"; echo "$x" >&2; left=1; }
	x=$(podman_cgroups); [ -z "$x" ] || { say "podman cgroups left:"; echo "$x" >&2; left=1; }
	x=$(hullrt_cgroups); [ -z "$x" ] || { say "hullrt cgroups left:"; echo "$x" >&2; left=1; }
	x=$(our_mounts); [ -z "$x" ] || { say "mounts left:"; echo "$x" >&2; left=1; }
	return $left
}

remove_all() {
	local id pid m d
	set +e
	# hull's containers (a failed or interrupted run); a container of
	# --runtime crun is deleted in the crun namespace.
	if [ -d "$HROOT" ]; then
		for id in $("${H[@]}" ps -a -q --no-trunc 2>/dev/null); do
			"${H[@]}" rm -f "$id" >/dev/null 2>&1 ||
				wrap hull-crun "${H[@]}" rm -f "$id" >/dev/null 2>&1
		done
	fi
	[ -d "$TMP/hullrt" ] && "$HULLRT" --root "$TMP/hullrt" delete --force "$TAG-rt" >/dev/null 2>&1
	# podman's: its default runtime (crun) in the namespace, then the rest.
	if [ -n "$PODMAN" ] && [ -d "$PR/root" ]; then
		wrap podman "${PM[@]}" rm -a -f -t 0 >/dev/null 2>&1
		"${PM[@]}" rm -a -f -t 0 >/dev/null 2>&1
		"${PM[@]}" rmi -a -f >/dev/null 2>&1
	fi
	# Processes we started that survived that (pids checked against reuse).
	for pid in $(alive_pids); do kill -KILL "$pid" 2>/dev/null; done
	sleep 0.2
	# Mounts under TMP (podman's storage home, an interrupted container's
	# rootfs), deepest first.
	for m in $(our_mounts); do umount -l "$m"; done
	# Cgroups: podman's parent tree, and any named after our hull ids.
	for d in $(podman_cgroups) $(hull_id_cgroups) $(hullrt_cgroups); do rmdir "$d" 2>/dev/null; done
	set -e
}

cleanup() {
	local rc=$?
	# A second Ctrl-C must not cut the cleanup short (its commands
	# inherit the ignore too).
	trap - EXIT
	trap '' INT TERM
	set +e
	remove_all
	if ! leftovers; then
		say "WARNING: could not remove everything (above); $TMP kept"
		[ "$rc" = 0 ] && rc=1
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
install_traps

# --- image: the busybox-static rootfs of scripts/mkbundle.sh, as a tar ------
"$TOP/scripts/mkbundle.sh" "$TMP/bundle" >/dev/null || die "scripts/mkbundle.sh failed"
TAR=$TMP/rootfs.tar
tar --numeric-owner -C "$TMP/bundle/rootfs" -cf "$TAR" .
"${H[@]}" import -c 'CMD ["sh"]' \
	-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$TAR" busybox >/dev/null ||
	die "hull import failed"
podman_wanted=0
for e in $ENGINES; do [[ "$e" == podman* && -z "${SKIP[$e]:-}" ]] && podman_wanted=1; done
if [ "$podman_wanted" = 1 ]; then
	pm_import() {
		"${PM[@]}" import --change 'CMD ["sh"]' \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			"$TAR" "$IMG" >"$TMP/podman-import.log" 2>&1 &&
		wrap podman "${PM[@]}" run --rm "${POPTS[@]}" "$IMG" true >>"$TMP/podman-import.log" 2>&1
	}
	if ! pm_import; then
		[ "$STORAGE" = overlay ] || { cat "$TMP/podman-import.log" >&2; die "podman import/run failed"; }
		say "podman with --storage-driver overlay failed (below); using vfs"
		cat "$TMP/podman-import.log" >&2
		"${PM[@]}" rmi -a -f >/dev/null 2>&1 || true
		for m in $(our_mounts); do umount -l "$m"; done
		rm -rf "$PR"
		STORAGE=vfs
		pm_base
		pm_import || { cat "$TMP/podman-import.log" >&2; die "podman import/run failed with vfs too"; }
	fi
fi
# conmon's memory is measured when podman is (with its default runtime).
podman_mem=0
[[ " $ENGINES " == *" podman "* && -z "${SKIP[podman]:-}" ]] && podman_mem=1

# The reference hullrt row: the same rootfs as an OCI bundle (mkbundle's
# default config, args true), state in $TMP/hullrt.
if [[ " $ENGINES " == *" hullrt "* && -z "${SKIP[hullrt]:-}" ]]; then
	mkdir -p "$TMP/rt-bundle" "$TMP/hullrt"
	$PY - "$TMP/bundle/config.json" "$TMP/rt-bundle/config.json" "$TMP/bundle/rootfs" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["true"]
c["root"]["path"] = sys.argv[3]
json.dump(c, open(sys.argv[2], "w"), indent=2)
EOF2
fi

engine_cmd() {  # CMD=(...) for engine $1; the container runs `true`
	case "$1" in
	hull)        CMD=("${H[@]}" run --rm busybox true);;
	hull-crun)   CMD=("${H[@]}" --runtime "$CRUN" run --rm busybox true);;
	hull-runc)   CMD=("${H[@]}" --runtime "$RUNC" run --rm busybox true);;
	podman)      CMD=("${PM[@]}" run --rm "${POPTS[@]}" "$IMG" true);;
	podman-runc) CMD=("${PM[@]}" --runtime "$RUNC" run --rm "${POPTS[@]}" "$IMG" true);;
	# `run` deletes the container before it returns: the same id every run.
	hullrt)      CMD=("$HULLRT" --root "$TMP/hullrt" run --bundle "$TMP/rt-bundle" "$TAG-rt");;
	esac
}
engine_version() {
	case "$1" in
	hull)        "$HULL" --version | sed 's/^hull version //';;
	hull-crun)   echo "$("$HULL" --version | sed 's/^hull version //') + crun $("$CRUN" --version | sed -n 's/^crun version //p')";;
	hull-runc)   echo "$("$HULL" --version | sed 's/^hull version //') + runc $("$RUNC" --version | sed -n 's/^runc version //p')";;
	podman)      echo "$("$PODMAN" --version | sed 's/^podman version //') + crun $("$CRUN" --version | sed -n 's/^crun version //p'), conmon $(conmon --version | sed -n 's/^conmon version //p')";;
	podman-runc) echo "$("$PODMAN" --version | sed 's/^podman version //') + runc $("$RUNC" --version | sed -n 's/^runc version //p'), conmon $(conmon --version | sed -n 's/^conmon version //p')";;
	hullrt)      "$HULLRT" --version | head -n1 | sed 's/^.*version[: ]*//';;
	esac
}

# --- run --rm: timed ----------------------------------------------------------
ROWS=$TMP/rows.tsv
: >"$ROWS"
for e in $ENGINES; do
	if [ -n "${SKIP[$e]:-}" ]; then
		say "$e: ${SKIP[$e]}, skipped"
		printf '%s\t%s\t\t\t\t0\n' "$e" "${SKIP[$e]}" >>"$ROWS"
		continue
	fi
	engine_cmd "$e"
	ns=0; need_ns "$e" && ns=1
	watch=()
	[[ "$e" == hull* ]] && watch=(--watch "$HROOT/containers" --ids "$IDS")
	say "$e: $WARMUP warm-up + $N timed runs of: ${CMD[*]}$([ $ns = 1 ] && echo " (in a private mount ns without $UNIFIED)")"
	set_pre "$e"
	run_child "${PRE[@]}" $PY "$HERE/engine_driver.py" --runs "$N" --warmup "$WARMUP" \
		--log "$TMP/$e.log" --out "$TMP/$e.json" "${watch[@]}" -- "${CMD[@]}" ||
		die "$e failed (see above)"
	$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("bench-engine: %s: %.1f ms/run mean, %.1f median, %.1f p90" % (sys.argv[2], r["mean_ms"], r["median_ms"], r["p90_ms"]), file=sys.stderr)' "$TMP/$e.json" "$e"
	printf '%s\tok\t%s\t%s\t%s\t%s\n' "$e" "$(engine_version "$e")" "${CMD[*]}" "$TMP/$e.json" "$ns" >>"$ROWS"
done

# --- memory of the per-container process: hull-monitor vs conmon -------------
MEM=$TMP/mem.tsv
: >"$MEM"
if [ "$MEM_N" -gt 0 ]; then
	say "memory: $MEM_N detached \`hull run -d busybox sleep 1000\`"
	for i in $(seq 1 "$MEM_N"); do
		id=$("${H[@]}" run -d --name "$TAG-m$i" busybox sleep 1000) || die "hull run -d failed"
		echo "$id" >>"$IDS"
		pid=$("${H[@]}" inspect --format '{{.State.Pid}}' "$id") || die "hull inspect $id failed"
		mon=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
		note_pid "$pid"; note_pid "$mon"
		[ "$(cat "/proc/$mon/comm")" = hull-monitor ] ||
			die "container $id: parent of its init $pid is $(cat "/proc/$mon/comm"), not hull-monitor"
		printf 'hull-monitor\t%s\t%s\n' "$mon" "$id" >>"$MEM"
	done
	if [ "$podman_mem" = 1 ]; then
		say "memory: $MEM_N detached \`podman run -d ... sleep 1000\` (crun$(need_ns podman && echo ', in the private mount ns'))"
		for i in $(seq 1 "$MEM_N"); do
			wrap podman "${PM[@]}" run -d --name "$TAG-m$i" "${POPTS[@]}" "$IMG" sleep 1000 >/dev/null ||
				die "podman run -d failed"
			read -r pid mon < <("${PM[@]}" inspect --format '{{.State.Pid}} {{.State.ConmonPid}}' "$TAG-m$i") ||
				die "podman inspect $TAG-m$i failed"
			note_pid "$pid"; note_pid "$mon"
			[ "$(cat "/proc/$mon/comm")" = conmon ] || die "podman's ConmonPid $mon is $(cat "/proc/$mon/comm"), not conmon"
			printf 'conmon\t%s\t%s\n' "$mon" "$TAG-m$i" >>"$MEM"
		done
	fi
	sleep 1   # let the monitors settle after start-up
	$PY "$HERE/engine_report.py" smaps "$MEM" "$TMP/mem.json" || die "reading smaps_rollup failed"
	# Stop them the ordinary way; what fails is left to the cleanup (and reported).
	for i in $(seq 1 "$MEM_N"); do
		"${H[@]}" rm -f "$TAG-m$i" >/dev/null || die "hull rm -f $TAG-m$i failed"
	done
	if grep -q '^conmon' "$MEM"; then
		wrap podman "${PM[@]}" rm -f -t 0 $(seq -f "$TAG-m%g" 1 "$MEM_N") >/dev/null || die "podman rm -f failed"
	fi
fi

# --- leftovers: what the engines themselves left --------------------------------
sleep 0.5
x=$(alive_pids); [ -z "$x" ] || die "processes left running after rm -f: $(echo $x)"
x=$(hull_id_cgroups); [ -z "$x" ] || die "hull left cgroups of its containers:
$x"
x=$(hullrt_cgroups); [ -z "$x" ] || die "hullrt left cgroups of its container:
$x"
x=$(podman_cgroups | grep -v "/$TAG/conmon\$" | grep -v "/$TAG\$" || true)
[ -z "$x" ] || die "podman left cgroups of its containers:
$x"
[ -z "$("${H[@]}" ps -a -q)" ] || die "hull still lists containers"

# --- report --------------------------------------------------------------------
cg=cgroup2
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || { cg="v1"; mountpoint -q "$UNIFIED" && cg="hybrid (v1 + cgroup2 at $UNIFIED)"; }
export BENCH_FACT_N=$N BENCH_FACT_WARMUP=$WARMUP BENCH_FACT_MEM_N=$MEM_N \
	BENCH_FACT_KERNEL="$(uname -r)" BENCH_FACT_NPROC="$(nproc)" \
	BENCH_FACT_CPU="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" \
	BENCH_FACT_CGROUPS="$cg" BENCH_FACT_STORAGE="$STORAGE" BENCH_FACT_TMP="$TMP" \
	BENCH_FACT_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
if [ -n "${BENCH_OUT:-}" ]; then
	$PY "$HERE/engine_report.py" report "$ROWS" "$TMP/mem.json" | tee "$BENCH_OUT"
else
	$PY "$HERE/engine_report.py" report "$ROWS" "$TMP/mem.json"
fi
