"""Helpers shared by test_update.py, test_events.py and test_ps.py: a
running container whose cgroupsPath is its id (so its directory is found by
name under each v1 hierarchy), and reading its cgroup files from the host."""
import json
import os
import time

import pytest

from conftest import CGROUP_ROOT, find_cgroup, wait_for

# A script for the container's init: wait until the test creates /go in the
# rootfs, then run CMD, keeping the container alive afterwards.
WAIT_GO = "while [ ! -e /go ]; do sleep 0.05; done; "


def v1_has(controller):
    p = os.path.join(CGROUP_ROOT, controller)
    return os.path.isdir(p) and not os.path.exists(os.path.join(p, "cgroup.controllers"))


def need_v1(*controllers):
    for c in controllers:
        if not v1_has(c):
            pytest.skip(f"no cgroup v1 {c} controller on this host")


def cgdir(controller, cid):
    d = find_cgroup(controller, cid)
    assert d, f"no cgroup named {cid} under {CGROUP_ROOT}/{controller}"
    return d


def read(controller, cid, name):
    with open(os.path.join(cgdir(controller, cid), name)) as f:
        return f.read().strip()


def procs(controller, cid):
    return sorted(int(x) for x in read(controller, cid, "cgroup.procs").split())


def start(ctx, bundle, script, resources=None):
    """run -d with `sh -c script` as the init, cgroupsPath = the id."""
    cid = ctx.new_id()
    bundle.linux["cgroupsPath"] = cid
    if resources:
        bundle.linux["resources"].update(resources)
    bundle.args("sh", "-c", script)
    bundle.run_detached(cid)
    return cid


def go(bundle):
    (bundle.rootfs / "go").write_text("")


def wait_file(path, text, timeout=20):
    def has():
        try:
            t = path.read_text()
        except OSError:
            return None
        return t if text in t else None
    return wait_for(has, timeout, what=f"'{text}' in {path}")


def ps_json(ctx, cid):
    r = ctx.rt("ps", "--format", "json", cid)
    assert r.returncode == 0, r
    pids = json.loads(r.out)
    for p in pids:
        ctx.note_pid(p)
    return pids


def wait_procs(ctx, cid, n, timeout=10):
    """Waits until the container has exactly n processes; returns them."""
    end = time.monotonic() + timeout
    while True:
        pids = ps_json(ctx, cid)
        if len(pids) == n:
            return pids
        if time.monotonic() > end:
            raise AssertionError(f"{cid} has {len(pids)} processes, want {n}: {pids}")
        time.sleep(0.05)
