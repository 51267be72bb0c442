#!/bin/bash
# Benchmark the OCI `run` lifecycle (create+start+wait+delete in one command)
# of hullrt against crun and runc on one busybox /bin/true bundle.
# Prints a markdown table for bench/RESULTS.md on stdout; progress on stderr.
# See bench/README.md.  Needs root.
#
#   BENCH_N=100             timed runs per runtime
#   BENCH_WARMUP=5          untimed warm-up runs per runtime
#   BENCH_RSS_RUNS=3        extra runs under /usr/bin/time -f %M for peak RSS
#   BENCH_RUNTIMES="hullrt crun runc"
#   BENCH_HULLRT=build/hullrt
#   BENCH_NS="crun"         runtimes run in a private mount ns without the
#                           hybrid layout's cgroup2 (crun refuses hybrid)
#   BENCH_HYPERFINE=0       1: also cross-check each runtime with hyperfine
#   BENCH_EXEC=1            also time `exec ID /bin/true` in a running
#                           container (0: only the run lifecycle)
#   BENCH_TMPDIR=/tmp       where the bundle and the state roots go (/dev/shm: tmpfs)
#   BENCH_RUN_GAP=0         seconds slept (untimed) before each timed run:
#                           isolated runs instead of back to back
#   BENCH_EXEC_GAP=0        seconds slept (untimed) before each timed exec:
#                           isolated execs instead of back-to-back ones
#   BENCH_OUT=FILE          also write the report to FILE
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
PY=/usr/bin/python3
N=${BENCH_N:-100}
WARMUP=${BENCH_WARMUP:-5}
RSS_RUNS=${BENCH_RSS_RUNS:-3}
RUNTIMES=${BENCH_RUNTIMES:-hullrt crun runc}
HULLRT=${BENCH_HULLRT:-$TOP/build/hullrt}
UNIFIED=/sys/fs/cgroup/unified
# shellcheck source=bench/common.sh
. "$HERE/common.sh"

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (sudo make bench, or sudo bench/run.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
case "$N$WARMUP$RSS_RUNS" in *[!0-9]*) die "BENCH_N/BENCH_WARMUP/BENCH_RSS_RUNS must be integers";; esac
[ "$N" -ge 2 ] || die "BENCH_N must be >= 2"

# Decide what runs before creating anything.
declare -A RT_PATH=()
for rt in $RUNTIMES; do
	case "$rt" in
	hullrt)
		[ -x "$HULLRT" ] || die "hullrt not built ($HULLRT missing): run \`make\` first" \
			"(or leave it out: BENCH_RUNTIMES=\"crun runc\")"
		RT_PATH[$rt]=$(cd "$(dirname "$HULLRT")" && pwd)/$(basename "$HULLRT");;
	*)
		RT_PATH[$rt]=$(command -v "$rt" 2>/dev/null || true);;
	esac
done

TAG=hullbench-$$
TMP=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/hull-bench.XXXXXX")
B=$TMP/bundle

# The runtimes in $BENCH_NS (crun: it refuses the hybrid cgroup layout) run
# in a private mount namespace without $UNIFIED: set_pre in common.sh.
NS_RUNTIMES=" ${BENCH_NS-crun} "
need_ns() { [[ "$NS_RUNTIMES" == *" $1 "* ]] && mountpoint -q "$UNIFIED"; }

cleanup() {
	local rc=$? rt p id d
	trap - EXIT INT TERM
	set +e
	# Containers a failed run may have left (the driver already tries).
	for rt in "${!RT_PATH[@]}"; do
		p=${RT_PATH[$rt]}
		[ -n "$p" ] && [ -d "$TMP/root-$rt" ] || continue
		for id in $(wrap "$rt" "$p" --root "$TMP/root-$rt" list -q 2>/dev/null); do
			wrap "$rt" "$p" --root "$TMP/root-$rt" delete --force "$id" >/dev/null 2>&1
		done
	done
	# Cgroups named after our container ids, deepest first.
	find /sys/fs/cgroup -depth -type d -name "$TAG-*" -exec rmdir {} + 2>/dev/null
	d=$(find /sys/fs/cgroup -type d -name "$TAG-*" 2>/dev/null)
	[ -z "$d" ] || { echo "bench: WARNING: cgroups left behind:" >&2; echo "$d" >&2; }
	# Mounts under our temp dir (none expected: runtimes mount in their own namespaces).
	grep -F " $TMP" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$TMP"
	exit "$rc"
}
install_traps

# --- bundle -----------------------------------------------------------------
BUNDLE_HOW="scripts/mkbundle.sh"
if [ -f "$TOP/scripts/mkbundle.sh" ]; then
	if [ -x "$TOP/scripts/mkbundle.sh" ]; then MK=("$TOP/scripts/mkbundle.sh"); else MK=(sh "$TOP/scripts/mkbundle.sh"); fi
	"${MK[@]}" "$B" >&2 || die "scripts/mkbundle.sh $B failed"
else
	# Stopgap until scripts/mkbundle.sh lands: same recipe.
	say "WARNING: scripts/mkbundle.sh not found, building the bundle inline"
	BUNDLE_HOW="run.sh's inline stopgap (scripts/mkbundle.sh missing)"
	command -v runc >/dev/null || die "need scripts/mkbundle.sh or runc (for \`runc spec\`)"
	mkdir -p "$B/rootfs/bin"
	cp /bin/busybox "$B/rootfs/bin/busybox"
	for a in $("$B/rootfs/bin/busybox" --list); do
		[ -e "$B/rootfs/bin/$a" ] || ln -s busybox "$B/rootfs/bin/$a"
	done
	(cd "$B" && runc spec)
fi
[ -f "$B/config.json" ] || die "bundle has no config.json"
[ -e "$B/rootfs/bin/true" ] || die "bundle rootfs has no /bin/true"
$PY - "$B/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
json.dump(c, open(p, "w"), indent=2)
EOF

# The exec benchmark's bundle: the same rootfs and config, but a process
# that keeps the container running.
EB=$TMP/exec-bundle
mkdir -p "$EB"
$PY - "$B/config.json" "$EB/config.json" "$B/rootfs" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/sleep", "1000"]
c["root"]["path"] = sys.argv[3]
json.dump(c, open(sys.argv[2], "w"), indent=2)
EOF

# --- runs -------------------------------------------------------------------
ROWS=$TMP/rows.tsv
EXEC_ROWS=$TMP/exec-rows.tsv
: >"$ROWS"
: >"$EXEC_ROWS"
for rt in $RUNTIMES; do
	p=${RT_PATH[$rt]}
	if [ -z "$p" ]; then
		say "$rt: not installed, skipped"
		printf '%s\tnot installed\t\t\t\t0\n' "$rt" >>"$ROWS"
		continue
	fi
	ver=$("$p" --version 2>/dev/null | head -n1 | sed 's/^.*version[: ]*//' || true)
	root=$TMP/root-$rt
	mkdir -p "$root"
	ns=0; need_ns "$rt" && ns=1
	say "$rt ($p, $ver): $WARMUP warm-up + $N timed + $RSS_RUNS RSS runs$([ $ns = 1 ] && echo ', in a private mount ns without '"$UNIFIED")"
	set_pre "$rt"
	if ! run_child "${PRE[@]}" $PY "$HERE/driver.py" --runtime "$p" --root "$root" --bundle "$B" \
		--prefix "$TAG-$rt" --runs "$N" --warmup "$WARMUP" --rss-runs "$RSS_RUNS" --gap "${BENCH_RUN_GAP:-0}" \
		--log "$TMP/$rt.log" --out "$TMP/$rt.json"; then
		die "$rt failed (see above)"
	fi
	$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("bench: %s: %.1f ms/run mean, %.1f median, %.1f p90, peak RSS %s KiB" % (sys.argv[2], r["mean_ms"], r["median_ms"], r["p90_ms"], r["rss_kib_time"]), file=sys.stderr)' "$TMP/$rt.json" "$rt"
	if [ "${BENCH_HYPERFINE:-0}" = 1 ]; then
		# Same id every run: `run` deletes the container before returning.
		run_child "${PRE[@]}" hyperfine -N --style basic --warmup "$WARMUP" --runs "$N" \
			"$p --root $root run --bundle $B $TAG-$rt-hf" >&2 || die "$rt: hyperfine failed"
		wrap "$rt" "$p" --root "$root" delete --force "$TAG-$rt-hf" >/dev/null 2>&1 || true
	fi
	printf '%s\tok\t%s\t%s\t%s\t%s\n' "$rt" "$p" "$ver" "$TMP/$rt.json" "$ns" >>"$ROWS"

	if [ "${BENCH_EXEC:-1}" = 1 ]; then
		say "$rt: exec: $WARMUP warm-up + $N timed + $RSS_RUNS RSS runs of 'exec ID /bin/true' in one running container"
		if ! run_child "${PRE[@]}" $PY "$HERE/driver.py" --mode exec --runtime "$p" --root "$root" --bundle "$EB" \
			--prefix "$TAG-$rt-x" --runs "$N" --warmup "$WARMUP" --rss-runs "$RSS_RUNS" --gap "${BENCH_EXEC_GAP:-0}" \
			--log "$TMP/$rt-exec.log" --out "$TMP/$rt-exec.json"; then
			die "$rt exec failed (see above)"
		fi
		$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("bench: %s: exec %.1f ms mean, %.1f median, %.1f p90, peak RSS %s KiB" % (sys.argv[2], r["mean_ms"], r["median_ms"], r["p90_ms"], r["rss_kib_time"]), file=sys.stderr)' "$TMP/$rt-exec.json" "$rt"
		printf '%s\tok\t%s\t%s\t%s\t%s\n' "$rt" "$p" "$ver" "$TMP/$rt-exec.json" "$ns" >>"$EXEC_ROWS"
	fi
done

# --- leftovers ----------------------------------------------------------------
left=$(find /sys/fs/cgroup -type d -name "$TAG-*" 2>/dev/null || true)
[ -z "$left" ] || die "cgroups left behind by the runtimes:
$left"
! grep -qF "$TMP" /proc/self/mountinfo || die "mounts left behind under $TMP"

# --- report -----------------------------------------------------------------
cg=cgroup2
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || { cg="v1"; mountpoint -q "$UNIFIED" && cg="hybrid (v1 + cgroup2 at $UNIFIED)"; }
export BENCH_FACT_N=$N BENCH_FACT_WARMUP=$WARMUP BENCH_FACT_RSS_RUNS=$RSS_RUNS \
	BENCH_FACT_KERNEL="$(uname -r)" BENCH_FACT_NPROC="$(nproc)" \
	BENCH_FACT_CPU="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" \
	BENCH_FACT_CGROUPS="$cg" BENCH_FACT_BUNDLE="$BUNDLE_HOW" \
	BENCH_FACT_RSS_FLOOR="$( { /usr/bin/time -f %M "$B/rootfs/bin/busybox" true; } 2>&1 | tail -n1)" \
	BENCH_FACT_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" BENCH_FACT_EXEC_GAP="${BENCH_EXEC_GAP:-0}" BENCH_FACT_RUN_GAP="${BENCH_RUN_GAP:-0}" \
	BENCH_FACT_TMPDIR="$(dirname "$TMP") ($(stat -f -c %T "$TMP"))"
if [ -n "${BENCH_OUT:-}" ]; then
	$PY "$HERE/report.py" "$ROWS" "$EXEC_ROWS" | tee "$BENCH_OUT"
else
	$PY "$HERE/report.py" "$ROWS" "$EXEC_ROWS"
fi
