#!/usr/bin/python3
"""Memory readings and the markdown report for bench/engine.sh.

usage: engine_report.py smaps MEM.tsv OUT.json
       engine_report.py report ROWS.tsv MEM.json

smaps: MEM.tsv lines are "kind TAB pid TAB container"; kind is
hull-monitor or conmon.  Reads Rss, Pss and the private pages
(Private_Clean + Private_Dirty, the USS) of each pid from
/proc/<pid>/smaps_rollup, in KiB.

report: ROWS.tsv lines are
name TAB status TAB version TAB command TAB result.json TAB namespaced(0/1);
status is "ok" or why the engine was skipped.  Machine facts come from
the environment variables BENCH_FACT_* set by engine.sh.
"""
import json
import os
import statistics
import sys

LABEL = {
    "hull": "hull (libhull)",
    "hull-crun": "hull --runtime crun",
    "hull-runc": "hull --runtime runc",
    "podman": "podman (crun)",
    "podman-runc": "podman --runtime runc",
    "hullrt": "hullrt run (runtime alone, reference)",
}


def smaps(tsv, out):
    res = []
    with open(tsv) as f:
        for line in f:
            kind, pid, ctr = line.rstrip("\n").split("\t")
            v = {}
            with open("/proc/%s/smaps_rollup" % pid) as sf:
                for l in sf:
                    parts = l.split()
                    if len(parts) == 3 and parts[2] == "kB":
                        v[parts[0].rstrip(":")] = int(parts[1])
            res.append(dict(kind=kind, pid=int(pid), container=ctr, rss_kib=v["Rss"], pss_kib=v["Pss"],
                            uss_kib=v["Private_Clean"] + v["Private_Dirty"]))
    with open(out, "w") as f:
        json.dump(res, f)


def faster(hull_ms, other_ms, who):
    r = other_ms / hull_ms
    if r >= 1:
        return "%s is %.1fx faster than" % (who, r)
    return "%s is %.1fx slower than" % (who, 1 / r)


def cmd_text(cmd, tmp):
    return cmd.replace(tmp, "$TMP") if tmp else cmd


def report(rows_path, mem_path):
    env = os.environ.get
    tmp = env("BENCH_FACT_TMP")
    rows = []
    with open(rows_path) as f:
        for line in f:
            name, status, version, cmd, res, ns = line.rstrip("\n").split("\t")
            r = None
            if status == "ok":
                with open(res) as jf:
                    r = json.load(jf)
            rows.append(dict(name=name, status=status, version=version, cmd=cmd, res=r, ns=ns == "1"))
    by = {x["name"]: x["res"] for x in rows if x["res"]}
    hull = by.get("hull")

    out = ["### `run --rm` of busybox `true`: %s sequential runs per engine (after %s warm-up)"
           % (env("BENCH_FACT_N"), env("BENCH_FACT_WARMUP")), "",
           "| engine | version | ms/run mean | median | p90 | ratio vs hull |",
           "| --- | --- | ---: | ---: | ---: | ---: |"]
    for x in rows:
        r = x["res"]
        name = LABEL.get(x["name"], x["name"]) + (" †" if x["ns"] else "")
        if r is None:
            out.append("| %s | — | %s | | | |" % (name, x["status"]))
            continue
        ratio = "%.2fx" % (r["mean_ms"] / hull["mean_ms"]) if hull else "n/a"
        out.append("| %s | %s | %.1f | %.1f | %.1f | %s |" % (
            name, x["version"], r["mean_ms"], r["median_ms"], r["p90_ms"], ratio))
    out.append("")
    if hull:
        for x in rows:
            if x["res"] and x["name"] not in ("hull", "hullrt"):
                r = x["res"]
                out.append("- **%s %s** (mean %.1f vs %.1f ms/run; by median %.1fx)" % (
                    faster(hull["mean_ms"], r["mean_ms"], "hull"), LABEL[x["name"]],
                    hull["mean_ms"], r["mean_ms"], r["median_ms"] / hull["median_ms"]))
        if "podman" in by:
            ratio = by["podman"]["mean_ms"] / hull["mean_ms"]
            out.append("- goal (issue 4), hull at least 10x faster than podman: **%s** in this run (%.1fx)"
                       % ("met" if ratio >= 10 else "not met", ratio))
    if hull and "hullrt" in by:
        rt = by["hullrt"]
        out.append("- reference: `hullrt run` of the same rootfs as an OCI bundle takes %.1f ms/run (median %.1f): "
                   "hull's `run --rm` takes %.1f ms more per run (its image store, overlay rootfs, monitor, "
                   "json-file log and records; and its own container config, not mkbundle's)"
                   % (rt["mean_ms"], rt["median_ms"], hull["mean_ms"] - rt["mean_ms"]))
    # Same runtime, different engine: what the engine itself adds.
    for rt in ("crun", "runc"):
        h, p = by.get("hull-" + rt), by.get("podman" if rt == "crun" else "podman-runc")
        if h and p:
            out.append("- same runtime (%s), engine against engine: %s" % (
                rt, faster(h["mean_ms"], p["mean_ms"], "hull --runtime " + rt) + " podman (%s)" % rt))
    out.append("- ratio vs hull = the engine's mean ms/run / hull's (libhull in-process); above 1: hull faster.")
    out.append("- one run = the command below, waited for; stdin/stdout /dev/null; wall time from "
               "perf_counter around posix_spawn + wait4 (bench/driver.py's spawn_wait, through "
               "bench/engine_driver.py), the same driver for every engine.")
    for x in rows:
        if x["res"]:
            r = x["res"]
            out.append("  - %s: min %.1f / max %.1f / stdev %.1f ms: `%s`" % (
                LABEL[x["name"]], r["min_ms"], r["max_ms"], r["stdev_ms"], cmd_text(x["cmd"], tmp)))
    if any(x["ns"] for x in rows):
        out.append("- † the whole loop for this engine runs inside one `unshare -m --propagation private` "
                   "with /sys/fs/cgroup/unified unmounted in that namespace (crun refuses the hybrid "
                   "cgroup layout otherwise); the namespace setup is not in the per-run time.")
    out.append("- image: the busybox-static rootfs of scripts/mkbundle.sh as one tar, imported into hull's "
               "store (`hull import`) and into a private podman store (`podman import`, own --root/--runroot/"
               "--tmpdir under $TMP, --storage-driver %s, --cgroup-manager cgroupfs, --events-backend file)."
               % env("BENCH_FACT_STORAGE"))
    out.append("")

    mem = []
    if mem_path and os.path.exists(mem_path):
        with open(mem_path) as f:
            mem = json.load(f)
    if mem:
        out.append("### Memory of the per-container process: %s detached `sleep 1000` containers per engine"
                   % env("BENCH_FACT_MEM_N"))
        out.append("")
        out.append("| process | pid | RSS KiB | PSS KiB | USS KiB |")
        out.append("| --- | ---: | ---: | ---: | ---: |")
        for m in mem:
            out.append("| %s | %d | %d | %d | %d |" % (m["kind"], m["pid"], m["rss_kib"], m["pss_kib"], m["uss_kib"]))
        out.append("")
        means = {}
        for kind in ("hull-monitor", "conmon"):
            ms = [m for m in mem if m["kind"] == kind]
            if ms:
                means[kind] = {k: statistics.fmean(m[k] for m in ms) for k in ("rss_kib", "pss_kib", "uss_kib")}
                out.append("- %s, mean of %d: RSS %.0f KiB, PSS %.0f KiB, USS %.0f KiB" % (
                    kind, len(ms), means[kind]["rss_kib"], means[kind]["pss_kib"], means[kind]["uss_kib"]))
        if len(means) == 2:
            h, c = means["hull-monitor"], means["conmon"]
            out.append("- **conmon / hull-monitor: PSS %.2fx, RSS %.2fx, USS %.2fx** (above 1: hull-monitor smaller)"
                       % (c["pss_kib"] / h["pss_kib"], c["rss_kib"] / h["rss_kib"], c["uss_kib"] / h["uss_kib"]))
        out.append("- from /proc/PID/smaps_rollup 1 s after the last container started: Rss, Pss, USS = "
                   "Private_Clean + Private_Dirty. hull-monitor is the parent of the container's init (checked); "
                   "conmon is podman's `{{.State.ConmonPid}}`. PSS splits pages shared between processes "
                   "(the same binary, libc) among them: hull-monitor is static, conmon is dynamically linked "
                   "(glib, libc shared with every process on the host). Containers: "
                   "`hull run -d busybox sleep 1000` (libhull) and `podman run -d ... sleep 1000` (crun).")
        out.append("")
    out.append("Machine: kernel %s, nproc %s, %s, cgroups: %s; date %s."
               % (env("BENCH_FACT_KERNEL"), env("BENCH_FACT_NPROC"), env("BENCH_FACT_CPU"),
                  env("BENCH_FACT_CGROUPS"), env("BENCH_FACT_DATE")))
    print("\n".join(out))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "smaps":
        smaps(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
