"""hull --runtime PATH: the monitor drives an external OCI runtime (runc)
over the same bundle instead of libhull."""
import os
import shutil

import pytest

from .conftest import find_cgroup, mounts_under

RUNC = shutil.which("runc") or "/usr/sbin/runc"
pytestmark = pytest.mark.skipif(not os.access(RUNC, os.X_OK), reason="runc is not installed")


def test_runc_runs_the_container(hull):
    r = hull("--runtime", RUNC, "run", "--rm", "busybox", "sh", "-c", "echo via runc; echo $$; exit 4")
    assert r.returncode == 4, r
    assert r.out.split() == ["via", "runc", "1"]
    r = hull("--runtime", RUNC, "run", "--rm", "busybox", "no-such-cmd")
    assert r.returncode == 127 and "no-such-cmd" in r.err
    assert hull.ok("ps", "-aq") == ""


def test_runc_detached_limits_stop_rm(hull):
    cid = hull.ok("--runtime", RUNC, "run", "-d", "--name", "rc", "-m", "32m", "busybox", "sleep", "1000").strip()
    info = hull.inspect("rc")
    assert info["HostConfig"]["Runtime"] == RUNC
    assert info["State"]["Status"] == "running"
    # the container's cgroup, under ours as libhull would place it
    d = find_cgroup("memory", cid)
    assert d and os.path.basename(os.path.dirname(d)) == "hull"
    with open(os.path.join(d, "memory.limit_in_bytes")) as f:
        assert f.read().strip() == str(32 << 20)
    assert (hull.runroot / "ext-runtime" / cid).is_dir()
    # a plain `hull stop` (no --runtime) knows the container's runtime
    hull.ok("stop", "-t", "1", "rc")
    st = hull.inspect("rc")["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 137
    assert not (hull.runroot / "ext-runtime" / cid).exists()
    hull.ok("start", "rc")
    assert hull.status("rc") == "running"
    hull.ok("rm", "-f", "rc")
    assert not mounts_under(hull.tmp)
    assert find_cgroup("memory", cid) is None


def test_bad_runtime(hull):
    r = hull("--runtime", "/no/such/runtime", "run", "--rm", "busybox", "true")
    assert r.returncode == 125 and "/no/such/runtime" in r.err
    assert hull.ok("ps", "-aq") == ""


def test_runc_with_a_terminal(hull):
    out = hull.ok("--runtime", RUNC, "run", "--rm", "-t", "busybox", "sh", "-c", "tty; echo $TERM")
    assert out.split() == ["/dev/pts/0", "xterm"]
    r = hull("--runtime", RUNC, "run", "--rm", "-i", "-t", "busybox", "sh", input="echo in-tty; exit 3\n")
    assert r.returncode == 3 and "in-tty" in r.out
    assert not [d for d in os.listdir("/tmp") if d.startswith("hull-console-")]


def test_runc_exec(hull):
    cid = hull.ok("--runtime", RUNC, "run", "-d", "--name", "rx", "busybox", "sleep", "1000").strip()
    init = hull.inspect("rx")["State"]["Pid"]
    out = hull.ok("exec", "-e", "X=1", "-w", "/tmp", "-u", "nobody", "rx", "sh", "-c",
                  "echo $X; pwd; id -un; readlink /proc/self/ns/pid")
    assert out.split() == ["1", "/tmp", "nobody", os.readlink(f"/proc/{init}/ns/pid")]
    assert hull("exec", "rx", "sh", "-c", "exit 3").returncode == 3
    assert hull("exec", "rx", "no-such-cmd").returncode == 127
    assert hull("exec", "-i", "rx", "cat", input="in\n").out == "in\n"


def test_runc_exec_privileged(hull):
    """exec --privileged through the runtime: every capability the host can
    grant (--cap each), as hull's own exec --privileged."""
    hull.ok("--runtime", RUNC, "run", "-d", "--name", "rp", "busybox", "sleep", "1000")
    eff = lambda *a: int(hull.ok("exec", *a, "rp", "grep", "CapEff", "/proc/self/status").split()[1], 16)
    with open("/proc/self/status") as f:
        bnd = int([l for l in f if l.startswith("CapBnd:")][0].split()[1], 16)
    assert not eff() & (1 << 21)  # no CAP_SYS_ADMIN by default
    assert eff("--privileged") == bnd


def test_runc_exec_with_a_terminal(hull):
    """exec -t through the runtime: it sends the pty master to our console
    socket and hull relays it, as for its own exec -t."""
    hull.ok("--runtime", RUNC, "run", "-d", "--name", "rt", "busybox", "sleep", "1000")
    out = hull.ok("exec", "-t", "rt", "sh", "-c", "tty; echo $TERM")
    assert out.split() == ["/dev/pts/0", "xterm"], out
    assert hull.ok("exec", "-t", "-e", "TERM=vt100", "rt", "sh", "-c", "echo $TERM").strip() == "vt100"
    r = hull("exec", "-i", "-t", "rt", "sh", input="echo in-tty; exit 3\n")
    assert r.returncode == 3 and "in-tty" in r.out, r
    assert not [d for d in os.listdir("/tmp") if d.startswith("hull-console-")]


def test_runc_top_stats_update(hull):
    cid = hull.ok("--runtime", RUNC, "run", "-d", "--name", "ru", "-m", "32m", "busybox", "sleep", "1000").strip()
    init = hull.inspect("ru")["State"]["Pid"]
    assert any(l.split()[1] == str(init) for l in hull.ok("top", "ru").splitlines()[1:])
    out = hull.ok("stats", "--no-stream", "--format", "{{.MemUsage}}", "ru")
    assert out.split()[-1] == "32.00MiB"
    hull.ok("update", "-m", "64m", "--cpu-shares", "400", "ru")
    with open(os.path.join(find_cgroup("memory", cid), "memory.limit_in_bytes")) as f:
        assert f.read().strip() == str(64 << 20)
    with open(os.path.join(find_cgroup("cpu", cid), "cpu.shares")) as f:
        assert f.read().strip() == "400"
    hull.ok("exec", "ru", "sh", "-c", "echo > /dev/null")  # device rules kept


def test_runc_pause_unpause_and_rm_of_paused(hull):
    cid = hull.ok("--runtime", RUNC, "run", "-d", "--name", "rp", "busybox", "sleep", "1000").strip()
    hull.ok("pause", "rp")
    assert hull.inspect("rp")["State"]["Status"] == "paused"
    with open(os.path.join(find_cgroup("freezer", cid), "freezer.state")) as f:
        assert f.read().strip() in ("FROZEN", "FREEZING")
    hull.ok("unpause", "rp")
    assert hull.status("rp") == "running"
    hull.ok("pause", "rp")
    hull.ok("rm", "-f", "rp")
    assert find_cgroup("freezer", cid) is None


def test_runc_oom_kill_is_recorded(hull):
    hull("--runtime", RUNC, "run", "--name", "roo", "-m", "16m", "--memory-swap", "16m", "busybox", "sh", "-c",
         "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived", timeout=120)
    st = hull.inspect("roo")["State"]
    assert st["ExitCode"] == 137 and st["OOMKilled"] is True, st
    hull("--runtime", RUNC, "run", "--name", "rfine", "-m", "16m", "busybox", "true", check=0)
    assert hull.inspect("rfine")["State"]["OOMKilled"] is False


CRUN = shutil.which("crun") or "/usr/bin/crun"


@pytest.mark.skipif(not os.access(CRUN, os.X_OK), reason="crun is not installed")
@pytest.mark.skipif(not os.path.ismount("/sys/fs/cgroup/unified"), reason="the crun case needs the hybrid layout")
def test_crun_leaves_no_hull_parent_at_the_top(hull):
    """crun puts a relative cgroupsPath ("hull/<id>") at the top of each
    hierarchy, not under our cgroup as runc does: the emptied "hull"
    parent is removed there too.  crun refuses the hybrid layout, so it
    runs in a private mount namespace without /sys/fs/cgroup/unified."""
    import subprocess
    tops = [os.path.join("/sys/fs/cgroup", c, "hull") for c in os.listdir("/sys/fs/cgroup")]
    before = {t for t in tops if os.path.isdir(t)}
    cmd = " ".join(hull.argv("--runtime", CRUN, "run", "--rm", "busybox", "echo", "via crun"))
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        "umount /sys/fs/cgroup/unified && exec " + cmd],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout == "via crun\n", (p.stdout, p.stderr)
    # others' containers may hold a parent that was there before; none new
    assert {t for t in tops if os.path.isdir(t)} <= before
    assert hull.ok("ps", "-aq") == ""
