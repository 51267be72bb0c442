#!/usr/bin/python3
"""Markdown report for bench/run.sh.

usage: report.py ROWS.tsv [EXEC_ROWS.tsv]
ROWS.tsv lines: name TAB status TAB path TAB version TAB result.json TAB namespaced(0/1)
EXEC_ROWS.tsv (optional, same format): the `exec` latency results.
status is "ok" or "not installed".  Machine facts come from the environment
variables BENCH_FACT_* set by run.sh.
"""
import json
import os
import sys


def fmt_ratio(other, hull):
    r = other / hull
    if r >= 1:
        return "hullrt is %.2fx faster than" % r
    return "hullrt is %.2fx slower than" % (1 / r)


def read_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            name, status, path_, version, res, ns = line.rstrip("\n").split("\t")
            r = None
            if status == "ok":
                with open(res) as jf:
                    r = json.load(jf)
            rows.append(dict(name=name, status=status, path=path_, version=version, res=r, ns=ns == "1"))
    return rows


def exec_section(rows, env):
    """The `exec` latency table, or [] when it was not measured."""
    measured = [x for x in rows if x["res"]]
    if not measured:
        return []
    hull = next((x["res"] for x in measured if x["name"] == "hullrt"), None)
    gap = float(env("BENCH_FACT_EXEC_GAP") or 0)
    how = "isolated (%g s untimed sleep before each)" % gap if gap > 0 else "back-to-back"
    out = ["### `exec` latency: %s %s `exec ID /bin/true` (after %s warm-up) into one "
           "running container (`/bin/sleep 1000`)" % (env("BENCH_FACT_N"), how, env("BENCH_FACT_WARMUP")), "",
           "| runtime | version | ms/exec mean | median | p90 | ratio vs hullrt | peak RSS KiB | command (per exec) |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for x in measured:
        r = x["res"]
        ratio = "%.2fx" % (r["mean_ms"] / hull["mean_ms"]) if hull else "n/a"
        cmd = "`%s --root $ROOT exec $ID /bin/true`%s" % (x["path"], " †" if x["ns"] else "")
        out.append("| %s | %s | %.2f | %.2f | %.2f | %s | %s | %s |" % (
            x["name"], x["version"], r["mean_ms"], r["median_ms"], r["p90_ms"], ratio, r["rss_kib_time"], cmd))
    out.append("")
    if hull:
        for x in measured:
            if x["name"] != "hullrt":
                out.append("- **%s %s** at exec (%.2f vs %.2f ms/exec)" % (
                    fmt_ratio(x["res"]["mean_ms"], hull["mean_ms"]), x["name"], hull["mean_ms"],
                    x["res"]["mean_ms"]))
    out.append("- one exec = `RUNTIME exec ID /bin/true`, waited for (foreground), stdin/stdout /dev/null; "
               "the container is started once with `run -d` (not timed) and deleted afterwards; same "
               "driver and timing as above (bench/driver.py --mode exec).")
    for x in measured:
        r = x["res"]
        out.append("  - %s: min %.2f / max %.2f / stdev %.2f ms" % (x["name"], r["min_ms"], r["max_ms"], r["stdev_ms"]))
    out.append("")
    return out


def main():
    exec_rows = read_rows(sys.argv[2]) if len(sys.argv) > 2 else []
    rows = []
    with open(sys.argv[1]) as f:
        for line in f:
            name, status, path, version, res, ns = line.rstrip("\n").split("\t")
            r = None
            if status == "ok":
                with open(res) as jf:
                    r = json.load(jf)
            rows.append(dict(name=name, status=status, path=path, version=version,
                             res=r, ns=ns == "1"))

    if not any(x["name"] == "hullrt" for x in rows):
        rows.insert(0, dict(name="hullrt", status="pending (not measured)", path="",
                            version="", res=None, ns=False))
    env = os.environ.get
    n = env("BENCH_FACT_N")
    hull = next((x["res"] for x in rows if x["name"] == "hullrt" and x["res"]), None)
    ns_note = False

    out = []
    run_gap = float(env("BENCH_FACT_RUN_GAP") or 0)
    run_how = "isolated (%g s untimed sleep before each)" % run_gap if run_gap > 0 else "sequential"
    out.append("### `run` lifecycle: %s %s runs (after %s warm-up), busybox `/bin/true`"
               % (n, run_how, env("BENCH_FACT_WARMUP")))
    out.append("")
    out.append("| runtime | version | ms/run mean | median | p90 | ratio vs hullrt "
               "| peak RSS KiB | command (per run) |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for x in rows:
        cmd = "`%s --root $ROOT run --bundle $BUNDLE $ID`" % x["path"]
        if x["ns"]:
            cmd += " †"
            ns_note = True
        r = x["res"]
        if r is None:
            out.append("| %s | — | %s | | | | | |" % (x["name"], x["status"]))
            continue
        ratio = "%.2fx" % (r["mean_ms"] / hull["mean_ms"]) if hull else "n/a"
        out.append("| %s | %s | %.1f | %.1f | %.1f | %s | %s | %s |" % (
            x["name"], x["version"], r["mean_ms"], r["median_ms"], r["p90_ms"],
            ratio, r["rss_kib_time"], cmd))
    out.append("")

    measured = [x for x in rows if x["res"]]
    if hull:
        for x in measured:
            if x["name"] != "hullrt":
                out.append("- **%s %s** (%.1f vs %.1f ms/run)" % (
                    fmt_ratio(x["res"]["mean_ms"], hull["mean_ms"]), x["name"],
                    hull["mean_ms"], x["res"]["mean_ms"]))
    else:
        out.append("- hullrt: not measured in this invocation (pending).")
        by = {x["name"]: x["res"] for x in measured}
        if "crun" in by and "runc" in by:
            out.append("- for reference: crun is %.2fx faster than runc"
                       % (by["runc"]["mean_ms"] / by["crun"]["mean_ms"]))
    out.append("- ratio vs hullrt = runtime's mean ms/run / hullrt's (above 1: hullrt faster).")
    out.append("- one run = `RUNTIME run` = create + start + wait + delete in one command, "
               "fresh container id each run, stdin/stdout /dev/null; wall time from "
               "perf_counter around posix_spawn + wait4 in bench/driver.py, the same "
               "driver for every runtime.")
    out.append("- peak RSS = max over %s runs of `/usr/bin/time -f %%M` (ru_maxrss of the "
               "runtime process and everything it reaped: helper processes and the "
               "container's /bin/true, a static busybox far smaller than any runtime)."
               % env("BENCH_FACT_RSS_RUNS"))
    out.append("  Floor for reference: `/usr/bin/time -f %%M busybox true` alone = %s KiB."
               % env("BENCH_FACT_RSS_FLOOR"))
    for x in measured:
        r = x["res"]
        out.append("  - %s: min %.1f / max %.1f / stdev %.1f ms"
                   % (x["name"], r["min_ms"], r["max_ms"], r["stdev_ms"]))
    if ns_note:
        out.append("- † the whole loop for this runtime runs inside one "
                   "`unshare -m --propagation private` with /sys/fs/cgroup/unified "
                   "unmounted in that namespace (crun refuses the hybrid cgroup layout "
                   "otherwise); the namespace setup is not in the per-run time.")
    out.append("- bundle: busybox-static rootfs, `runc spec` default config.json (built by "
               "%s), args `[\"/bin/true\"]`, terminal false; each runtime has its own "
               "temporary --root, in %s." % (env("BENCH_FACT_BUNDLE"), env("BENCH_FACT_TMPDIR") or "/tmp"))
    out.append("")
    out.extend(exec_section(exec_rows, env))
    out.append("Machine: kernel %s, nproc %s, %s, cgroups: %s; date %s."
               % (env("BENCH_FACT_KERNEL"), env("BENCH_FACT_NPROC"), env("BENCH_FACT_CPU"),
                  env("BENCH_FACT_CGROUPS"), env("BENCH_FACT_DATE")))
    print("\n".join(out))


if __name__ == "__main__":
    main()
