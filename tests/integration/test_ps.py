"""hullrt ps: the container's processes as the host sees them: a JSON
array of host pids (what containerd reads) or the host's ps(1) output
cut down to the container's lines."""
import json
import os

import pytest

from cgutil import need_v1, procs, start, wait_procs


def ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


THREE = "sleep 1000 & sleep 1000 & exec sleep 1000"


def test_ps_json(ctx, bundle):
    need_v1("pids")
    cid = start(ctx, bundle, THREE)
    pids = wait_procs(ctx, cid, 3)
    init = ctx.state(cid)["pid"]
    # the host's view: the cgroup's procs, the init and its two children
    assert sorted(pids) == procs("pids", cid)
    assert init in pids
    assert sorted(p for p in pids if p != init) == sorted(p for p in pids if ppid(p) == init)
    assert all(comm(p) == "sleep" for p in pids)


def table_pids(out):
    lines = out.splitlines()
    col = lines[0].split().index("PID")
    return lines[0], [int(line.split()[col]) for line in lines[1:]], lines[1:]


def test_ps_table(ctx, bundle):
    need_v1("pids")
    cid = start(ctx, bundle, THREE)
    pids = wait_procs(ctx, cid, 3)
    r = ctx.rt("ps", cid)
    assert r.returncode == 0, r
    header, listed, lines = table_pids(r.out)
    assert header.split()[:3] == ["UID", "PID", "PPID"]  # ps -ef
    assert sorted(listed) == sorted(pids)
    assert all("sleep 1000" in line for line in lines)
    # ps options after the id go to ps
    r = ctx.rt("ps", cid, "-o", "pid,ppid,comm")
    assert r.returncode == 0, r
    header, listed, lines = table_pids(r.out)
    assert header.split() == ["PID", "PPID", "COMMAND"]
    assert sorted(listed) == sorted(pids)
    init = ctx.state(cid)["pid"]
    assert sorted(int(line.split()[1]) for line in lines if int(line.split()[0]) != init) == [init, init]


def test_ps_created_container(ctx, bundle):
    need_v1("pids")
    cid = ctx.new_id()
    bundle.linux["cgroupsPath"] = cid
    bundle.args("sleep", "1000")
    bundle.create(cid)
    r = ctx.rt("ps", "-f", "json", cid)
    assert r.returncode == 0, r
    assert json.loads(r.out) == [ctx.state(cid)["pid"]]


@pytest.mark.hull_wording
def test_ps_errors(ctx, bundle):
    need_v1("pids")
    r = ctx.rt("ps", "nosuch")
    assert r.returncode == 1 and "'nosuch' does not exist" in r.err, r
    cid = start(ctx, bundle, "exit 0")
    ctx.wait_status(cid, "stopped")
    r = ctx.rt("ps", "--format", "json", cid)
    assert r.returncode == 1 and f"container '{cid}': it is stopped" in r.err, r
    live = start(ctx, bundle, "exec sleep 1000")
    r = ctx.rt("ps", "--format", "yaml", live)
    assert r.returncode == 1 and "invalid format 'yaml'" in r.err, r
    r = ctx.rt("ps", live, "--no-such-ps-option")
    assert r.returncode == 1 and "ps failed" in r.err, r
    r = ctx.rt("ps", live, "-o", "comm=")  # no header, so no PID column
    assert r.returncode == 1 and "cannot find the PID column" in r.err, r
    r = ctx.rt("ps")
    assert r.returncode == 1 and "missing container id" in r.err, r
    r = ctx.rt("ps", "--help")
    assert r.returncode == 0 and "--format" in r.out
