"""hullrt events: runc's stats JSON (the field names containerd decodes),
numbers checked against the host's cgroup files, a stats line every
interval until the container stops, and an oom event when the memory
controller kills inside the container."""
import json
import os
import subprocess

import pytest

from cgutil import WAIT_GO, go, need_v1, read, start, wait_file, wait_procs
from conftest import wait_for


def one_event(r):
    assert r.returncode == 0, r
    lines = r.out.splitlines()
    assert len(lines) == 1, r
    return json.loads(lines[0])


def test_events_stats(ctx, bundle):
    need_v1("memory", "cpuacct", "pids")
    cid = start(ctx, bundle, "sleep 1000 & sleep 1000 & exec sleep 1000",
                {"memory": {"limit": 64 << 20}, "pids": {"limit": 25}})
    pids = wait_procs(ctx, cid, 3)
    ev = one_event(ctx.rt("events", "--stats", cid))
    assert ev["type"] == "stats" and ev["id"] == cid
    d = ev["data"]
    assert set(d) >= {"cpu", "memory", "pids", "blkio", "hugetlb"}
    # cpu (nanoseconds)
    assert set(d["cpu"]["usage"]) >= {"total", "percpu", "kernel", "user"}
    assert set(d["cpu"]["throttling"]) == {"periods", "throttledPeriods", "throttledTime"}
    assert d["cpu"]["usage"]["total"] > 0
    percpu_host = read("cpuacct", cid, "cpuacct.usage_percpu").split()
    assert len(d["cpu"]["usage"]["percpu"]) == len(percpu_host)
    assert d["cpu"]["usage"]["total"] >= max(d["cpu"]["usage"]["percpu"])
    # memory (bytes): the limit as the file says, a usage that is there
    m = d["memory"]
    for k in ("usage", "swap", "kernel", "kernelTCP"):
        assert set(m[k]) == {"limit", "usage", "max", "failcnt"}, k
    assert m["usage"]["limit"] == int(read("memory", cid, "memory.limit_in_bytes")) == 64 << 20
    assert m["usage"]["usage"] > 0
    assert m["usage"]["max"] >= m["usage"]["usage"] or m["usage"]["max"] == 0
    assert m["usage"]["failcnt"] == int(read("memory", cid, "memory.failcnt"))
    stat_keys = {line.split()[0] for line in read("memory", cid, "memory.stat").splitlines()}
    assert set(m["raw"]) == stat_keys and "rss" in m["raw"]
    # pids: the three processes started, as ps and the host see them
    assert d["pids"]["current"] == 3 == len(pids) == int(read("pids", cid, "pids.current"))
    assert d["pids"]["limit"] == 25
    assert isinstance(d["blkio"]["ioServiceBytesRecursive"], list)
    assert isinstance(d["hugetlb"], dict)


def test_events_stats_unlimited_pids_is_zero(ctx, bundle):
    need_v1("pids")
    cid = start(ctx, bundle, "exec sleep 1000")
    assert read("pids", cid, "pids.max") == "max"
    d = one_event(ctx.rt("events", "--stats", "--interval", "1m30s", cid))["data"]
    assert d["pids"]["limit"] == 0 and d["pids"]["current"] == 1


def start_events(ctx, cid, *args):
    outp = ctx.tmp / f"events-{len(ctx.popens)}.out"
    errp = ctx.tmp / f"events-{len(ctx.popens)}.err"
    with open(outp, "wb") as o, open(errp, "wb") as e:
        p = subprocess.Popen([ctx.runtime, "--root", str(ctx.root), "events", *args, cid], stdout=o, stderr=e,
                             stdin=subprocess.DEVNULL)
    ctx.popens.append(p)
    return p, outp, errp


def events_in(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_events_stream_until_stop(ctx, bundle):
    need_v1("memory")
    cid = start(ctx, bundle, "exec sleep 1000")
    p, outp, errp = start_events(ctx, cid, "--interval", "100ms")
    wait_for(lambda: len(events_in(outp)) >= 3, 20, what="3 stats events")
    assert p.poll() is None
    r = ctx.rt("kill", cid, "KILL")
    assert r.returncode == 0, r
    assert p.wait(timeout=20) == 0, errp.read_text()
    evs = events_in(outp)
    assert len(evs) >= 3 and all(e["type"] == "stats" and e["id"] == cid for e in evs), evs
    assert errp.read_text() == ""


def test_events_oom(ctx, bundle):
    need_v1("memory")
    memsw = os.path.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
    mem = {"limit": 512 << 20, "swap": 512 << 20} if memsw else {"limit": 512 << 20}
    cid = start(ctx, bundle, WAIT_GO + "/probe alloc 64 > /out; echo done >> /out; exec sleep 1000", {"memory": mem})
    # a long interval: the oom event must not wait for it
    p, outp, errp = start_events(ctx, cid, "--interval", "1h")
    wait_for(lambda: len(events_in(outp)) >= 1, 20, what="the first stats event")
    r = ctx.rt("update", "--memory", "16m", *(["--memory-swap", "16m"] if memsw else []), cid)
    assert r.returncode == 0, r
    go(bundle)
    out = wait_file(bundle.rootfs / "out", "done")
    assert "allocated" not in out, out
    wait_for(lambda: any(e["type"] == "oom" for e in events_in(outp)), 20, what="an oom event")

    oom = [e for e in events_in(outp) if e["type"] == "oom"]
    assert oom[0] == {"type": "oom", "id": cid}
    assert ctx.rt("kill", cid, "KILL").returncode == 0
    assert p.wait(timeout=20) == 0, errp.read_text()


@pytest.mark.hull_wording
def test_events_errors(ctx, bundle):
    need_v1("memory")
    cid = start(ctx, bundle, "exec sleep 1000")
    for bad in ("0", "abc", "5", "-1s", "1x", ""):
        r = ctx.rt("events", "--interval", bad, cid)
        assert r.returncode == 1 and f"invalid --interval '{bad}'" in r.err, r
    r = ctx.rt("events", "--stats", "nosuch")
    assert r.returncode == 1 and "'nosuch' does not exist" in r.err, r
    stopped = start(ctx, bundle, "exit 0")
    ctx.wait_status(stopped, "stopped")
    r = ctx.rt("events", "--stats", stopped)
    assert r.returncode == 1 and "it is stopped" in r.err, r
    r = ctx.rt("events", "--help")
    assert r.returncode == 0 and "--interval" in r.out and "--stats" in r.out
