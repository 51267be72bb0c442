"""hullrt update: new limits on a live container, read back from the
host's cgroup files (this machine: cgroup v1 controllers), enforced inside,
refused clearly (and then nothing changed)."""
import json
import os

import pytest

from cgutil import WAIT_GO, cgdir, go, need_v1, read, start, wait_file

MAX_V1 = "9223372036854771712"  # v1's "unlimited", page aligned


def has_memsw():
    return os.path.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")


def snapshot(cid, files):
    return {(c, f): read(c, cid, f) for c, f in files}


UPDATE_FILES = [("memory", "memory.limit_in_bytes"), ("memory", "memory.soft_limit_in_bytes"),
                ("cpu", "cpu.shares"), ("cpu", "cpu.cfs_quota_us"), ("cpu", "cpu.cfs_period_us"),
                ("cpuset", "cpuset.cpus"), ("pids", "pids.max")]


def test_update_options(ctx, bundle):
    need_v1("memory", "cpu", "cpuset", "pids")
    cid = start(ctx, bundle, "exec sleep 1000")
    r = ctx.rt("update", "--memory", "64m", "--memory-reservation", "32M", "--cpu-shares", "512",
               "--cpu-quota", "20000", "--cpu-period", "100000", "--cpuset-cpus", "0", "--pids-limit", "50", cid)
    assert r.returncode == 0, r
    assert read("memory", cid, "memory.limit_in_bytes") == str(64 << 20)
    assert read("memory", cid, "memory.soft_limit_in_bytes") == str(32 << 20)
    assert read("cpu", cid, "cpu.shares") == "512"
    assert read("cpu", cid, "cpu.cfs_quota_us") == "20000"
    assert read("cpu", cid, "cpu.cfs_period_us") == "100000"
    assert read("cpuset", cid, "cpuset.cpus") == "0"
    assert read("pids", cid, "pids.max") == "50"
    # only what is given changes; runc's --cpu-share spelling works too
    r = ctx.rt("update", "--cpu-share", "300", cid)
    assert r.returncode == 0, r
    assert read("cpu", cid, "cpu.shares") == "300"
    assert read("memory", cid, "memory.limit_in_bytes") == str(64 << 20)
    # plain bytes and the other suffixes runc (go-units RAMInBytes) takes
    for arg, want in (("33554432", 33554432), ("1.5g", 3 << 29), ("100MiB", 100 << 20), ("524288kb", 512 << 20)):
        r = ctx.rt("update", "--memory", arg, cid)
        assert r.returncode == 0, r
        assert read("memory", cid, "memory.limit_in_bytes") == str(want), arg


def test_update_memory_and_swap_both_directions(ctx, bundle):
    need_v1("memory")
    if not has_memsw():
        pytest.skip("swap accounting is off (no memory.memsw.limit_in_bytes)")
    cid = start(ctx, bundle, "exec sleep 1000", {"memory": {"limit": 64 << 20, "swap": 64 << 20}})
    # raising past the current memsw limit: memsw has to go first
    r = ctx.rt("update", "--memory", "256m", "--memory-swap", "512m", cid)
    assert r.returncode == 0, r
    assert read("memory", cid, "memory.limit_in_bytes") == str(256 << 20)
    assert read("memory", cid, "memory.memsw.limit_in_bytes") == str(512 << 20)
    # lowering below the current limit: the limit has to go first
    r = ctx.rt("update", "--memory", "32m", "--memory-swap", "48m", cid)
    assert r.returncode == 0, r
    assert read("memory", cid, "memory.limit_in_bytes") == str(32 << 20)
    assert read("memory", cid, "memory.memsw.limit_in_bytes") == str(48 << 20)
    # -1 without a swap value: both unlimited, as runc
    r = ctx.rt("update", "--memory", "-1", cid)
    assert r.returncode == 0, r
    assert read("memory", cid, "memory.limit_in_bytes") == MAX_V1
    assert read("memory", cid, "memory.memsw.limit_in_bytes") == MAX_V1


def test_update_unlimited_and_zero(ctx, bundle):
    need_v1("cpu", "pids")
    cid = start(ctx, bundle, "exec sleep 1000", {"pids": {"limit": 30}, "cpu": {"quota": 30000, "period": 100000}})
    # 0 leaves the value alone (runc)
    r = ctx.rt("update", "--pids-limit", "0", "--cpu-quota", "0", cid)
    assert r.returncode == 0, r
    assert read("pids", cid, "pids.max") == "30"
    assert read("cpu", cid, "cpu.cfs_quota_us") == "30000"
    r = ctx.rt("update", "--pids-limit", "-1", "--cpu-quota", "-1", cid)
    assert r.returncode == 0, r
    assert read("pids", cid, "pids.max") == "max"
    assert read("cpu", cid, "cpu.cfs_quota_us") == "-1"


def test_update_resources_json(ctx, bundle):
    need_v1("memory", "cpu", "pids")
    cid = start(ctx, bundle, "exec sleep 1000")
    f = ctx.tmp / "res.json"
    f.write_text(json.dumps({"memory": {"limit": 48 << 20}, "cpu": {"shares": 256, "quota": 10000},
                             "pids": {"limit": 40}, "devices": [{"allow": True, "access": "rwm"}]}))
    r = ctx.rt("update", "-r", f, cid)
    assert r.returncode == 0, r
    assert read("memory", cid, "memory.limit_in_bytes") == str(48 << 20)
    assert read("cpu", cid, "cpu.shares") == "256"
    assert read("cpu", cid, "cpu.cfs_quota_us") == "10000"
    assert read("pids", cid, "pids.max") == "40"
    # devices are not updated (as runc): the deny-all rule of create stays
    assert read("devices", cid, "devices.list") != "a *:* rwm"
    # from stdin, as containerd passes it
    with open(f, "w") as fh:
        json.dump({"pids": {"limit": 41}, "memory": {"limit": 40 << 20}}, fh)
    with open(f) as stdin:
        r = ctx.rt("update", "--resources", "-", cid, stdin=stdin)
    assert r.returncode == 0, r
    assert read("pids", cid, "pids.max") == "41"
    assert read("memory", cid, "memory.limit_in_bytes") == str(40 << 20)
    assert read("cpu", cid, "cpu.shares") == "256"


BAD = [
    (["--memory", "lots"], "invalid value 'lots' for --memory"),
    (["--memory", "-5"], "invalid value '-5' for --memory"),
    (["--memory-swap", "1x"], "invalid value '1x' for --memory-swap"),
    (["--cpu-shares", "-5"], "invalid value '-5' for --cpu-shares"),
    (["--cpu-quota", "-2"], "invalid value '-2' for --cpu-quota"),
    (["--cpu-period", "1.5"], "invalid value '1.5' for --cpu-period"),
    (["--pids-limit", "ten"], "invalid value 'ten' for --pids-limit"),
    (["--blkio-weight", "5"], "invalid value '5' for --blkio-weight"),
    (["--cpuset-cpus", "zero"], "invalid value 'zero' for --cpuset-cpus"),
    (["--memory"], "option '--memory' needs an argument"),
    (["--swap", "1"], "unknown option '--swap'"),
]


@pytest.mark.hull_wording
@pytest.mark.parametrize("args,msg", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_update_bad_values(ctx, bundle, args, msg):
    need_v1("memory", "cpu", "cpuset", "pids")
    cid = start(ctx, bundle, "exec sleep 1000", {"pids": {"limit": 20}})
    before = snapshot(cid, UPDATE_FILES)
    r = ctx.rt("update", "--pids-limit", "21", cid, *args)
    assert r.returncode != 0, r
    assert msg in r.err, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert snapshot(cid, UPDATE_FILES) == before


@pytest.mark.hull_wording
def test_update_bad_resources_json(ctx, bundle):
    need_v1("memory", "pids")
    cid = start(ctx, bundle, "exec sleep 1000", {"pids": {"limit": 20}})
    before = snapshot(cid, UPDATE_FILES)
    f = ctx.tmp / "bad.json"
    cases = [('{"memory": {"limit": "1g"}, "pids": {"limit": 5}}', "memory.limit: must be an integer"),
             ('{"pids": {"limit": 5}', "invalid JSON"),
             ('[]', "must be a JSON object"),
             ('{"cpu": {"shares": -1}}', "cpu.shares: must not be negative")]
    for text, msg in cases:
        f.write_text(text)
        r = ctx.rt("update", "-r", f, cid)
        assert r.returncode != 0 and msg in r.err and f"'{f}'" in r.err, r
    r = ctx.rt("update", "-r", ctx.tmp / "missing.json", cid)
    assert r.returncode != 0 and "missing.json" in r.err and "No such file" in r.err, r
    r = ctx.rt("update", "-r", f, "--memory", "1g", cid)
    assert r.returncode != 0 and "cannot be combined with --memory" in r.err, r
    assert snapshot(cid, UPDATE_FILES) == before


@pytest.mark.hull_wording
def test_update_kernel_refusal_changes_nothing(ctx, bundle):
    need_v1("memory", "cpu", "cpuset", "pids")
    cid = start(ctx, bundle, "exec sleep 1000", {"memory": {"limit": 64 << 20}, "pids": {"limit": 20}})
    before = snapshot(cid, UPDATE_FILES)
    # cpu.shares is written before cpuset.cpus fails: it is put back
    r = ctx.rt("update", "--cpu-shares", "700", "--memory", "80m", "--cpuset-cpus", "4095", cid)
    assert r.returncode == 1, r
    assert "cpuset.cpus" in r.err and "'4095'" in r.err and cid in r.err, r
    assert snapshot(cid, UPDATE_FILES) == before
    # a memory limit below what the container uses: the kernel says EBUSY
    r = ctx.rt("update", "--memory", "4096", "--pids-limit", "77", cid)
    assert r.returncode == 1, r
    assert "memory.limit_in_bytes" in r.err and "'4096'" in r.err and "Device or resource busy" in r.err, r
    assert snapshot(cid, UPDATE_FILES) == before


def test_update_pids_limit_holds(ctx, bundle):
    need_v1("pids")
    # the init (sh) waits for /go, then the probe forks as many children as it can
    cid = start(ctx, bundle, WAIT_GO + "/probe fork 20 > /out; exec sleep 1000")
    r = ctx.rt("update", "--pids-limit", "5", cid)
    assert r.returncode == 0, r
    assert read("pids", cid, "pids.max") == "5"
    go(bundle)
    out = wait_file(bundle.rootfs / "out", "forked")
    # sh and the probe count: 3 children fit under 5
    assert "forked 3" in out and "error EAGAIN fork" in out, out
    assert int(read("pids", cid, "pids.current")) <= 5


def test_update_memory_limit_holds(ctx, bundle):
    need_v1("memory")
    if has_memsw():
        mem = {"limit": 512 << 20, "swap": 512 << 20}
    else:
        mem = {"limit": 512 << 20}
    cid = start(ctx, bundle, WAIT_GO + "/probe alloc 64 > /out; echo done >> /out; exec sleep 1000", {"memory": mem})
    args = ["--memory", "16m"] + (["--memory-swap", "16m"] if has_memsw() else [])
    r = ctx.rt("update", *args, cid)
    assert r.returncode == 0, r
    go(bundle)
    out = wait_file(bundle.rootfs / "out", "done")
    # the allocation past the limit was killed before it finished
    assert "allocated" not in out, out
    assert "oom_kill 1" in read("memory", cid, "memory.oom_control").splitlines()


def test_update_realtime(ctx, bundle):
    need_v1("cpu")
    cid = start(ctx, bundle, "exec sleep 1000")
    if not os.path.exists(os.path.join(cgdir("cpu", cid), "cpu.rt_period_us")):
        pytest.skip("kernel without CONFIG_RT_GROUP_SCHED (no cpu.rt_period_us)")
    r = ctx.rt("update", "--cpu-rt-period", "500000", cid)
    assert r.returncode == 0, r
    assert read("cpu", cid, "cpu.rt_period_us") == "500000"


def test_update_blkio_weight(ctx, bundle):
    need_v1("blkio")
    cid = start(ctx, bundle, "exec sleep 1000")
    d = cgdir("blkio", cid)
    files = [f for f in ("blkio.weight", "blkio.bfq.weight") if os.path.exists(os.path.join(d, f))]
    if not files:
        r = ctx.rt("update", "--blkio-weight", "500", cid)
        assert r.returncode == 1 and "neither blkio.weight nor blkio.bfq.weight" in r.err, r
        pytest.skip("no blkio.weight (CFQ) nor blkio.bfq.weight (BFQ) on this kernel: checked the refusal only")
    r = ctx.rt("update", "--blkio-weight", "500", cid)
    assert r.returncode == 0, r
    # BFQ shows "default 500"
    assert read("blkio", cid, files[0]).split()[-1] == "500"


def test_update_created_container(ctx, bundle):
    need_v1("pids")
    cid = ctx.new_id()
    bundle.linux["cgroupsPath"] = cid
    bundle.args("sleep", "1000")
    bundle.create(cid)
    r = ctx.rt("update", "--pids-limit", "9", cid)
    assert r.returncode == 0, r
    assert read("pids", cid, "pids.max") == "9"


@pytest.mark.hull_wording
def test_update_stopped_and_unknown(ctx, bundle):
    cid = start(ctx, bundle, "exit 0")
    ctx.wait_status(cid, "stopped")
    r = ctx.rt("update", "--memory", "64m", cid)
    assert r.returncode == 1 and f"cannot update container '{cid}': it is stopped" in r.err, r
    r = ctx.rt("update", "--memory", "64m", "nosuch")
    assert r.returncode == 1 and "'nosuch' does not exist" in r.err, r
    r = ctx.rt("update", "--memory", "64m")
    assert r.returncode == 1 and "missing container id" in r.err, r


def test_update_help(ctx):
    r = ctx.rt("update", "--help")
    assert r.returncode == 0 and "--memory-swap" in r.out and "-r, --resources" in r.out, r
