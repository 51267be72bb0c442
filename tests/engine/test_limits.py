"""Resource limits land in the container's cgroup files and hold;
namespace modes (host, container:NAME)."""
import os

import pytest

from .conftest import block_device_of, cg_read, find_cgroup


def test_cpu_and_memory_values_land_in_the_cgroup(hull):
    cid = hull.run_d("--cpu-shares", "512", "-m", "64m", "--memory-reservation", "32m", "--cpus", "0.5",
                     "--pids-limit", "50", "--cpuset-cpus", "0", "busybox", "sleep", "1000")
    assert cg_read("cpu", cid, "cpu.shares") == "512"
    assert cg_read("memory", cid, "memory.limit_in_bytes") == str(64 << 20)
    assert cg_read("memory", cid, "memory.soft_limit_in_bytes") == str(32 << 20)
    if os.path.exists(os.path.join(find_cgroup("memory", cid), "memory.memsw.limit_in_bytes")):
        # Docker: no --memory-swap means as much swap again
        assert cg_read("memory", cid, "memory.memsw.limit_in_bytes") == str(128 << 20)
    assert cg_read("cpu", cid, "cpu.cfs_period_us") == "100000"
    assert cg_read("cpu", cid, "cpu.cfs_quota_us") == "50000"
    assert cg_read("pids", cid, "pids.max") == "50"
    assert cg_read("cpuset", cid, "cpuset.cpus") == "0"
    hc = hull.inspect(cid)["HostConfig"]
    assert hc["CpuShares"] == 512 and hc["Memory"] == 64 << 20 and hc["NanoCpus"] == 500000000
    # the container's own view of its memory cgroup, read-only
    out = hull.ok("run", "--rm", "-m", "32m", "busybox", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert out.strip() == str(32 << 20)


def test_memory_limit_oom_kills_and_inspect_says_so(hull):
    hull("run", "--name", "oom", "-m", "16m", "--memory-swap", "16m", "busybox", "sh", "-c",
         "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived", timeout=120)
    st = hull.inspect("oom")["State"]
    assert st["Status"] == "exited"
    assert st["ExitCode"] == 137
    assert st["OOMKilled"] is True
    # and a container that stays under its limit is not marked
    hull("run", "--name", "fine", "-m", "16m", "busybox", "true", check=0)
    assert hull.inspect("fine")["State"]["OOMKilled"] is False


LOOP = "for i in $(seq 40); do sleep 1 & done; ps -o pid | wc -l; wait"


def test_pids_limit_stops_a_fork_loop(hull):
    r = hull("run", "--rm", "--pids-limit", "10", "busybox", "sh", "-c", LOOP, timeout=60)
    assert r.returncode == 2, r
    assert "can't fork" in r.err
    # the same loop under a limit it fits in
    r = hull("run", "--rm", "--pids-limit", "100", "busybox", "sh", "-c", LOOP, timeout=60)
    assert r.returncode == 0, r
    assert int(r.out.split()[-1]) >= 41


def test_oom_kill_disable(hull):
    # --blkio-weight: test_flags.test_cpuset_mems_and_blkio_values
    cid = hull.run_d("-m", "32m", "--oom-kill-disable", "busybox", "sleep", "1000")
    assert "oom_kill_disable 1" in cg_read("memory", cid, "memory.oom_control")


def test_device_read_bps(hull):
    # the block device holding our temp dir, throttled
    bd = block_device_of(hull.tmp)
    if not bd:
        pytest.skip(f"{hull.tmp} is not on a block device")
    dev, mm = bd
    cid = hull.run_d("--device-read-bps", f"{dev}:1mb", "busybox", "sleep", "1000")
    val = cg_read("blkio", cid, "blkio.throttle.read_bps_device")
    assert val == f"{mm} {1 << 20}"


def ns(pid, kind):
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def test_namespace_modes(hull):
    a = hull.run_d("--name", "nsa", "busybox", "sleep", "1000")
    pa = hull.inspect(a)["State"]["Pid"]
    for kind in ("net", "ipc", "uts", "pid", "mnt"):
        assert ns(pa, kind) != ns(os.getpid(), kind)
    b = hull.run_d("--net", "container:nsa", "--ipc", "container:nsa", "--uts", "container:nsa",
                   "--pid", "container:nsa", "busybox", "sleep", "1000")
    pb = hull.inspect(b)["State"]["Pid"]
    for kind in ("net", "ipc", "uts", "pid"):
        assert ns(pb, kind) == ns(pa, kind), kind
    assert ns(pb, "mnt") != ns(pa, "mnt")
    c = hull.run_d("--net", "host", "--uts", "host", "busybox", "sleep", "1000")
    pc = hull.inspect(c)["State"]["Pid"]
    assert ns(pc, "net") == ns(os.getpid(), "net")
    assert ns(pc, "uts") == ns(os.getpid(), "uts")
    assert ns(pc, "pid") != ns(os.getpid(), "pid")
    d = hull.run_d("--ipc", "host", "--pid", "host", "busybox", "sleep", "1000")
    pd = hull.inspect(d)["State"]["Pid"]
    assert ns(pd, "ipc") == ns(os.getpid(), "ipc") and ns(pd, "pid") == ns(os.getpid(), "pid")
    assert ns(pd, "net") != ns(os.getpid(), "net")
    # sharing a pid namespace: b sees a's sleep
    out = hull.ok("run", "--rm", "--pid", "container:nsa", "busybox", "ps", "-o", "comm")
    assert "sleep" in out.split()
    r = hull("run", "--rm", "--net", "container:nobody", "busybox", "true")
    assert r.returncode == 125 and "nobody" in r.err


def test_device_flag(hull):
    out = hull.ok("run", "--rm", "--device", "/dev/null:/dev/mynull:rw", "busybox", "sh", "-c",
                  "stat -c '%t:%T' /dev/mynull; echo x > /dev/mynull && echo wrote")
    assert out.split() == ["1:3", "wrote"]
    r = hull("run", "--rm", "--device", "relative", "busybox", "true")
    assert r.returncode == 125 and "--device" in r.err
    r = hull("run", "--device", "/dev/no-such-device", "busybox", "true")
    assert r.returncode == 125 and "/dev/no-such-device" in r.err
    r = hull("run", "--device-read-bps", "/dev/null:1mb", "busybox", "true")
    assert r.returncode == 125 and "'/dev/null' is not a block device" in r.err, r
    assert hull.ok("ps", "-aq") == ""
