"""Robustness: kill -9 of hull at any point leaves nothing a later command
cannot see or clean; many hull commands at once keep the store consistent."""
import os
import random
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from .conftest import cgroup_dirs_named, mounts_under, procs_mentioning, wait_for


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cgroup_procs(cid):
    """pids in any cgroup named after the container."""
    pids = set()
    for d in cgroup_dirs_named(cid):
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                pids |= {int(x) for x in f.read().split()}
        except OSError:
            pass
    return pids


def assert_ps_truthful(hull):
    """Every container hull ps -a lists is as it says; every trace hull
    left (a container directory, a mount, a cgroup) belongs to one it lists."""
    listed = set(hull.ok("ps", "-aq", "--no-trunc").split())
    for cid in listed:
        st = hull.inspect(cid)["State"]
        if st["Running"]:
            assert st["Pid"] > 0 and pid_alive(st["Pid"]), (cid, st)
        else:
            assert not [p for p in cgroup_procs(cid) if pid_alive(p)], (cid, st, cgroup_procs(cid))
    cdir = hull.root / "containers"
    on_disk = {p.name for p in cdir.iterdir() if len(p.name) == 64} if cdir.exists() else set()
    # a directory ps cannot see is one only a command still at work may hold
    assert on_disk <= listed, on_disk - listed
    for mp in mounts_under(hull.tmp):
        assert any(cid in mp for cid in listed), mp
    return listed


def assert_all_gone(hull, ids):
    listed = hull.ok("ps", "-aq", "--no-trunc").split()
    if listed:
        hull.ok("rm", "-f", *listed, timeout=120)
    assert hull.ok("ps", "-aq") == ""
    wait_for(lambda: not procs_mentioning(str(hull.root)), timeout=10, what="monitors gone")
    assert not mounts_under(hull.tmp)
    for cid in ids:
        assert not cgroup_dirs_named(cid), cid
    cdir = hull.root / "containers"
    assert not cdir.exists() or list(cdir.iterdir()) == []
    rdir = hull.runroot / "containers"
    assert not rdir.exists() or list(rdir.iterdir()) == []


def kill_after(hull, args, delay):
    p = subprocess.Popen(hull.argv(*args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    return p.returncode


def all_cgroup_ids(hull):
    """Ids of containers seen anywhere: records, cgroups named after them."""
    ids = set(hull.ok("ps", "-aq", "--no-trunc").split())
    cdir = hull.root / "containers"
    if cdir.exists():
        ids |= {p.name[:64] for p in cdir.iterdir()}
    return ids


def test_kill_9_of_run_create_rm_at_random_points(hull):
    rng = random.Random(int(os.environ.get("HULL_ROBUST_SEED", "4")))
    seen = set()
    for i in range(12):
        delay = rng.uniform(0.0, 0.25)
        kill_after(hull, ("run", "-d", "-v", "/anon", "busybox", "sleep", "1000"), delay)
        kill_after(hull, ("create", "busybox", "true"), delay)
        seen |= all_cgroup_ids(hull)
        listed = assert_ps_truthful(hull)
        if listed:
            kill_after(hull, ("rm", "-f", "-v", sorted(listed)[0]), delay / 2)
        seen |= all_cgroup_ids(hull)
        assert_ps_truthful(hull)
    # a later command can use the store as before
    assert hull.ok("run", "--rm", "busybox", "echo", "still fine") == "still fine\n"
    assert_all_gone(hull, seen)
    # the anonymous volumes are visible, and prune cleans them
    hull.ok("volume", "prune", "-f")
    assert hull.ok("volume", "ls", "-q") == ""


def test_concurrent_detached_runs_and_removals(hull):
    def run(argv):
        return subprocess.run(hull.argv(*argv), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=120)

    names = [f"c{i}" for i in range(8)]
    with ThreadPoolExecutor(8) as ex:
        outs = list(ex.map(run, [("run", "-d", "--name", n, "busybox", "sleep", "1000") for n in names]))
    assert all(r.returncode == 0 and len(r.stdout.strip()) == 64 for r in outs), outs
    ids = {r.stdout.strip() for r in outs}
    assert sorted(hull.ok("ps", "--format", "{{.Names}}").split()) == names
    # removals and new runs at the same time
    more = [f"d{i}" for i in range(4)]
    with ThreadPoolExecutor(8) as ex:
        rms = [ex.submit(run, ("rm", "-f", n)) for n in names]
        runs = [ex.submit(run, ("run", "-d", "--name", n, "busybox", "sleep", "1000")) for n in more]
        rms = [f.result() for f in rms]
        runs = [f.result() for f in runs]
    assert all(r.returncode == 0 for r in rms + runs), rms + runs
    ids |= {r.stdout.strip() for r in runs}
    assert sorted(hull.ok("ps", "-a", "--format", "{{.Names}}").split()) == more
    for cid in ids - {r.stdout.strip() for r in runs}:
        assert not cgroup_dirs_named(cid)
    assert_ps_truthful(hull)
    assert_all_gone(hull, ids)


def test_concurrent_renames_and_creates_keep_names_unique(hull):
    def run(argv):
        return subprocess.run(hull.argv(*argv), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=60)

    ids = [hull.ok("create", "--name", f"r{i}", "busybox", "true").strip() for i in range(4)]
    for attempt in range(3):
        want = f"taken{attempt}"
        argvs = [("rename", cid, want) for cid in ids] + [("create", "--name", want, "busybox", "true")] * 2
        with ThreadPoolExecutor(6) as ex:
            res = list(ex.map(run, argvs))
        assert sum(r.returncode == 0 for r in res) == 1, res
        assert all("already in use" in r.stderr for r in res if r.returncode), res
        names = hull.ok("ps", "-a", "--format", "{{.Names}}").split()
        assert len(names) == len(set(names)) and names.count(want) == 1, names


def freezer_state(cid):
    d = [p for p in cgroup_dirs_named(cid) if p.startswith("/sys/fs/cgroup/freezer/")]
    if not d:
        return None
    with open(os.path.join(d[0], "freezer.state")) as f:
        return f.read().strip()


def test_kill_9_of_commit_leaves_no_frozen_container(hull):
    """commit freezes the container while it reads its layer: killed then,
    the next command thaws it (its record says running, nobody holds its
    lock), and ps, exec and commit work on."""
    cid = hull.run_d("--name", "big", "busybox", "sh", "-c",
                     "head -c 150000000 /dev/zero > /big; touch /ready; sleep 1000")
    wait_for(lambda: hull("exec", "big", "test", "-e", "/ready").returncode == 0, timeout=60, what="/big written")
    caught = 0
    for delay in (0.05, 0.1, 0.15, 0.2, 0.3):
        kill_after(hull, ("commit", "big", "img"), delay)
        caught += freezer_state(cid) == "FROZEN"
        assert hull.ok("ps", "--format", "{{.State}}") == "running\n"
        assert freezer_state(cid) == "THAWED"
        assert hull.ok("exec", "big", "echo", "alive") == "alive\n"
    # it was caught frozen at least once, or the test proved nothing
    assert caught, "no kill landed while the container was frozen"
    assert hull.ok("commit", "big", "img2").startswith("sha256:")
    assert hull.ok("inspect", "-f", "{{.State.Status}}", "big") == "running\n"
