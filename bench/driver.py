#!/usr/bin/python3
"""Timing driver for bench/run.sh: N sequential `RUNTIME run` lifecycles,
or (--mode exec) N sequential `RUNTIME exec ID /bin/true` in one running
container.

usage: driver.py --runtime PATH --root DIR --bundle DIR --prefix ID
                 --runs N --warmup W --rss-runs R --log FILE --out FILE.json
                 [--mode run|exec]

--mode exec: the bundle's process must keep running (run.sh gives it
`sleep 1000`); the container is started once with `run -d` (not timed) and
deleted at the end; every timed run is one `exec` of /bin/true, waited for.

Every runtime is measured the same way: posix_spawn + a blocking wait4,
wall time from time.perf_counter() taken just before the spawn and just
after the reap.  stdin is /dev/null, stdout /dev/null, stderr goes to --log.
Each run uses a fresh container id (PREFIX-w0.., PREFIX-0..); `run` itself
creates, starts, waits for and deletes the container.  Whatever is still
listed under --root afterwards (a failed run) is `delete --force`d.

Peak RSS: /usr/bin/time -f %M on --rss-runs extra runs (max taken); that
is the ru_maxrss of the runtime process and everything it reaped (helper
processes and the container's own /bin/true, a static busybox, which is
far smaller than any runtime).  Not wait4's ru_maxrss of the timed runs:
posix_spawn's vfork-style child shares this python process's memory until
exec, so that figure would include the driver's own ~12 MiB.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

RUN_TIMEOUT = 60  # seconds; a hung lifecycle aborts the bench


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


STOP = []  # set by SIGTERM/SIGINT: finish the current run, clean up, exit 130


def _stop(signum, frame):
    STOP.append(signum)


def stopping():
    if STOP:
        raise SystemExit(130)


def spawn_wait(argv, log_fd, devnull):
    """Run argv, return (seconds, exit status)."""
    fa = [
        (os.POSIX_SPAWN_DUP2, devnull, 0),
        (os.POSIX_SPAWN_DUP2, devnull, 1),
        (os.POSIX_SPAWN_DUP2, log_fd, 2),
    ]
    signal.alarm(RUN_TIMEOUT)
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa, setsigmask=(),
                         setsigdef=(signal.SIGINT, signal.SIGQUIT, signal.SIGTERM))
    try:
        _, status, _ = os.wait4(pid, 0)
    except Timeout:
        os.kill(pid, signal.SIGKILL)
        os.wait4(pid, 0)
        raise SystemExit("driver: %s timed out after %ds" % (" ".join(argv), RUN_TIMEOUT))
    t1 = time.perf_counter()
    signal.alarm(0)
    return t1 - t0, os.waitstatus_to_exitcode(status)


def leftover_ids(rt, root, prefix):
    try:
        out = subprocess.run([rt, "--root", root, "list", "-q"], capture_output=True,
                             text=True, timeout=30).stdout
    except Exception:
        return []
    return [l.strip() for l in out.splitlines() if l.strip().startswith(prefix)]


def cleanup(rt, root, prefix):
    for cid in leftover_ids(rt, root, prefix):
        subprocess.run([rt, "--root", root, "delete", "--force", cid],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    return leftover_ids(rt, root, prefix)


def pct(sorted_xs, p):
    """Nearest-rank percentile."""
    k = max(0, min(len(sorted_xs) - 1, -(-len(sorted_xs) * p // 100) - 1))
    return sorted_xs[int(k)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--rss-runs", type=int, default=3)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", choices=("run", "exec"), default="run")
    a = ap.parse_args()

    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    rt = a.runtime
    log_fd = os.open(a.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDWR)

    exec_id = "%s-exec" % a.prefix

    def argv(cid):
        if a.mode == "exec":
            return [rt, "--root", a.root, "exec", exec_id, "/bin/true"]
        return [rt, "--root", a.root, "run", "--bundle", a.bundle, cid]

    def check(rc, cid):
        stopping()
        if rc != 0:
            os.close(log_fd)
            with open(a.log) as f:
                tail = f.read()[-2000:]
            sys.stderr.write("driver: %s exited %d\n--- stderr (tail) ---\n%s\n"
                             % (" ".join(argv(cid)), rc, tail))
            raise SystemExit(1)

    try:
        if a.mode == "exec":
            _, rc = spawn_wait([rt, "--root", a.root, "run", "-d", "--bundle", a.bundle, exec_id], log_fd, devnull)
            check(rc, exec_id)
        for i in range(a.warmup):
            cid = "%s-w%d" % (a.prefix, i)
            _, rc = spawn_wait(argv(cid), log_fd, devnull)
            check(rc, cid)

        times = []
        for i in range(a.runs):
            cid = "%s-%d" % (a.prefix, i)
            dt, rc = spawn_wait(argv(cid), log_fd, devnull)
            check(rc, cid)
            times.append(dt * 1000.0)

        rss_time = []
        for i in range(a.rss_runs):
            cid = "%s-r%d" % (a.prefix, i)
            stopping()
            p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv(cid),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, timeout=RUN_TIMEOUT)
            if p.returncode != 0:
                os.write(log_fd, p.stderr.encode())
            check(p.returncode, cid)
            rss_time.append(int(p.stderr.strip().splitlines()[-1]))
    finally:
        left = cleanup(rt, a.root, a.prefix)

    if left:
        raise SystemExit("driver: containers left behind under %s: %s" % (a.root, left))

    s = sorted(times)
    res = {
        "runtime": rt,
        "mode": a.mode,
        "runs": a.runs,
        "warmup": a.warmup,
        "mean_ms": statistics.fmean(times),
        "stdev_ms": statistics.stdev(times) if len(times) > 1 else 0.0,
        "min_ms": s[0],
        "median_ms": statistics.median(times),
        "p90_ms": pct(s, 90),
        "max_ms": s[-1],
        "rss_kib_time": max(rss_time) if rss_time else None,
    }
    with open(a.out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main()
