#!/usr/bin/python3
"""Markdown report for bench/run.sh.

usage: report.py ROWS.tsv
ROWS.tsv lines: name TAB status TAB path TAB version TAB result.json TAB namespaced(0/1)
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


def main():
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
    out.append("### `run` lifecycle: %s sequential runs (after %s warm-up), busybox `/bin/true`"
               % (n, env("BENCH_FACT_WARMUP")))
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
               "temporary --root." % env("BENCH_FACT_BUNDLE"))
    out.append("")
    out.append("Machine: kernel %s, nproc %s, %s, cgroups: %s; date %s."
               % (env("BENCH_FACT_KERNEL"), env("BENCH_FACT_NPROC"), env("BENCH_FACT_CPU"),
                  env("BENCH_FACT_CGROUPS"), env("BENCH_FACT_DATE")))
    print("\n".join(out))


if __name__ == "__main__":
    main()
