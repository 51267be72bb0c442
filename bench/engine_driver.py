#!/usr/bin/python3
"""Timing driver for bench/engine.sh: W untimed then N timed runs of one
engine command (`hull run --rm busybox true`, `podman run --rm ... true`).

usage: engine_driver.py --runs N --warmup W --log FILE --out FILE.json
                        [--watch DIR --ids FILE] -- COMMAND [ARG...]

Timing is bench/driver.py's own spawn_wait(): time.perf_counter() taken
just before posix_spawn and just after the blocking wait4, stdin and
stdout on /dev/null, stderr to --log.  The command is the same every run
(the engines name their --rm containers themselves).  A non-zero exit
stops the bench with the tail of --log.

--watch DIR: the engine's containers directory (hull: ROOT/containers).
Every entry created in it (inotify) is appended to --ids as soon as the
run that made it ends, so engine.sh knows the ids of --rm containers,
whose cgroups are named after them, even if the bench is interrupted.

SIGTERM/SIGINT: the run in progress finishes, then the driver exits 130.
"""
import argparse
import ctypes
import json
import os
import signal
import statistics
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import driver  # noqa: E402  (spawn_wait, pct, the stop flag)

IN_CREATE = 0x100
IN_MOVED_TO = 0x80
IN_EVENT = struct.Struct("iIII")  # struct inotify_event without the name


class Watch:
    """The names created in one directory, read without blocking."""

    def __init__(self, path):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise SystemExit("engine_driver: inotify_init1: %s" % os.strerror(ctypes.get_errno()))
        if libc.inotify_add_watch(self.fd, os.fsencode(path), IN_CREATE | IN_MOVED_TO) < 0:
            raise SystemExit("engine_driver: cannot watch %s: %s" % (path, os.strerror(ctypes.get_errno())))

    def names(self):
        out = []
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            i = 0
            while i + IN_EVENT.size <= len(buf):
                _, _, _, n = IN_EVENT.unpack_from(buf, i)
                name = buf[i + IN_EVENT.size:i + IN_EVENT.size + n].rstrip(b"\0")
                if name:
                    out.append(os.fsdecode(name))
                i += IN_EVENT.size + n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--watch")
    ap.add_argument("--ids")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no command")
    if bool(a.watch) != bool(a.ids):
        ap.error("--watch and --ids go together")

    signal.signal(signal.SIGALRM, driver._alarm)
    signal.signal(signal.SIGTERM, driver._stop)
    signal.signal(signal.SIGINT, driver._stop)
    log_fd = os.open(a.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    watch = Watch(a.watch) if a.watch else None

    def note_ids():
        if watch:
            names = watch.names()
            if names:
                with open(a.ids, "a") as f:
                    f.write("".join(n + "\n" for n in names))

    def one():
        try:
            dt, rc = driver.spawn_wait(cmd, log_fd, devnull)
        finally:
            note_ids()
        driver.stopping()
        if rc != 0:
            with open(a.log) as f:
                tail = f.read()[-2000:]
            raise SystemExit("engine_driver: %s exited %d\n--- stderr (tail) ---\n%s" % (" ".join(cmd), rc, tail))
        return dt * 1000.0

    for _ in range(a.warmup):
        one()
    times = [one() for _ in range(a.runs)]

    s = sorted(times)
    res = {
        "cmd": cmd,
        "runs": a.runs,
        "warmup": a.warmup,
        "mean_ms": statistics.fmean(times),
        "stdev_ms": statistics.stdev(times) if len(times) > 1 else 0.0,
        "min_ms": s[0],
        "median_ms": statistics.median(times),
        "p90_ms": driver.pct(s, 90),
        "max_ms": s[-1],
    }
    with open(a.out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main()
