"""linux.cgroupsPath + linux.resources, read back from the host's cgroup
files while the container exists (and from inside where that is what a user
would check).  This machine is "hybrid": cgroup v1 controllers plus cgroup2
at /sys/fs/cgroup/unified holding only some controllers (hugetlb).

cgroupsPath is relative and named after the container id; hull places it
under "<own cgroup>/hull/<path>", runc under "<own cgroup>/<path>", so the
directory is found by name."""
import os

import pytest

from conftest import CGROUP_ROOT, find_cgroup, parse_mounts

UNIFIED = os.path.join(CGROUP_ROOT, "unified")


def v1_has(controller):
    p = os.path.join(CGROUP_ROOT, controller)
    return os.path.isdir(p) and not os.path.exists(os.path.join(p, "cgroup.controllers"))


def unified_controllers():
    for root in (UNIFIED, CGROUP_ROOT):
        p = os.path.join(root, "cgroup.controllers")
        if os.path.exists(p):
            return root, open(p).read().split()
    return None, []


def read(d, name):
    with open(os.path.join(d, name)) as f:
        return f.read().strip()


def create_with(ctx, bundle, resources, args=("waitsig",)):
    cid = ctx.new_id()
    bundle.linux["cgroupsPath"] = cid
    bundle.linux["resources"].update(resources)
    bundle.probe(*args)
    bundle.create(cid)
    return cid


def cg(controller, cid):
    d = find_cgroup(controller, cid)
    assert d, f"no cgroup named {cid} under {CGROUP_ROOT}/{controller}"
    return d


def test_memory(ctx, bundle):
    if not v1_has("memory"):
        pytest.skip("no cgroup v1 memory controller")
    mem = {"limit": 64 << 20, "reservation": 32 << 20, "swappiness": 30, "disableOOMKiller": True}
    has_swap = os.path.exists(os.path.join(CGROUP_ROOT, "memory", "memory.memsw.limit_in_bytes"))
    if has_swap:
        mem["swap"] = 128 << 20
    cid = create_with(ctx, bundle, {"memory": mem})
    d = cg("memory", cid)
    assert read(d, "memory.limit_in_bytes") == str(64 << 20)
    assert read(d, "memory.soft_limit_in_bytes") == str(32 << 20)
    assert read(d, "memory.swappiness") == "30"
    assert "oom_kill_disable 1" in read(d, "memory.oom_control")
    if has_swap:
        assert read(d, "memory.memsw.limit_in_bytes") == str(128 << 20)
    # the init is inside
    pid = ctx.state(cid)["pid"]
    assert str(pid) in read(d, "cgroup.procs").split()


def test_memory_seen_inside(ctx, bundle):
    if not v1_has("memory"):
        pytest.skip("no cgroup v1 memory controller")
    bundle.linux["cgroupsPath"] = ctx.token + "-in"
    bundle.linux["resources"]["memory"] = {"limit": 48 << 20}
    r = bundle.probe("cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes").run()
    assert r.returncode == 0, r
    assert r.out.strip() == str(48 << 20)


def test_cgroup_mounts_read_only(ctx, bundle):
    """The default spec's /sys/fs/cgroup is "ro": the tmpfs and every
    hierarchy mounted on it are read-only (one recursive mount_setattr)."""
    if not v1_has("pids"):
        pytest.skip("no cgroup v1 pids hierarchy: the v1 layout is what this checks")
    r = bundle.probe("mounts", "+", "write", "/sys/fs/cgroup/x", "y",
                     "+", "write", "/sys/fs/cgroup/pids/cgroup.procs", "1").run()
    assert r.returncode == 1, r
    m = parse_mounts(r.out)
    cgm = {d: v for d, v in m.items() if d == "/sys/fs/cgroup" or d.startswith("/sys/fs/cgroup/")}
    assert "/sys/fs/cgroup/pids" in cgm and len(cgm) >= 3, cgm
    for d, (_, opts, _, _) in cgm.items():
        assert {"ro", "nosuid", "nodev", "noexec"} <= opts, (d, opts)
    assert "error EROFS /sys/fs/cgroup/x" in r.out, r.out
    assert "error EROFS /sys/fs/cgroup/pids/cgroup.procs" in r.out, r.out


def test_cpu(ctx, bundle):
    if not v1_has("cpu"):
        pytest.skip("no cgroup v1 cpu controller")
    cpu = {"shares": 512, "quota": 50000, "period": 100000}
    if v1_has("cpuset"):
        cpu.update({"cpus": "0", "mems": "0"})
    cid = create_with(ctx, bundle, {"cpu": cpu})
    d = cg("cpu", cid)
    assert read(d, "cpu.shares") == "512"
    assert read(d, "cpu.cfs_quota_us") == "50000"
    assert read(d, "cpu.cfs_period_us") == "100000"
    if v1_has("cpuset"):
        d = cg("cpuset", cid)
        assert read(d, "cpuset.cpus") == "0"
        assert read(d, "cpuset.mems") == "0"


def test_cpuset_seen_inside(ctx, bundle):
    if not v1_has("cpuset"):
        pytest.skip("no cgroup v1 cpuset controller")
    bundle.linux["cgroupsPath"] = ctx.token + "-cs"
    bundle.linux["resources"]["cpu"] = {"cpus": "0"}
    r = bundle.probe("cat", "/proc/self/status").run()
    assert r.returncode == 0, r
    allowed = [line for line in r.out.splitlines() if line.startswith("Cpus_allowed_list:")]
    assert allowed and allowed[0].split()[1] == "0", allowed


def test_pids(ctx, bundle):
    if not v1_has("pids"):
        pytest.skip("no cgroup v1 pids controller")
    cid = create_with(ctx, bundle, {"pids": {"limit": 64}})
    assert read(cg("pids", cid), "pids.max") == "64"


def test_pids_limit_enforced(ctx, bundle):
    if not v1_has("pids"):
        pytest.skip("no cgroup v1 pids controller")
    bundle.linux["cgroupsPath"] = ctx.token + "-pl"
    bundle.linux["resources"]["pids"] = {"limit": 3}
    r = bundle.args("/bin/sh", "-c", "for i in 1 2 3 4 5 6; do /probe sleep 0.3 & done; wait").run(timeout=20)
    assert "can't fork" in r.err, r  # busybox sh's message for EAGAIN from fork


def root_block_device():
    dev = os.stat("/").st_dev
    major, minor = os.major(dev), os.minor(dev)
    if major == 0 or not os.path.exists(f"/sys/dev/block/{major}:{minor}"):
        return None
    # throttling needs the whole disk, not a partition
    part = f"/sys/dev/block/{major}:{minor}/partition"
    if os.path.exists(part):
        real = os.path.realpath(f"/sys/dev/block/{major}:{minor}/..")
        major, minor = map(int, open(os.path.join(real, "dev")).read().split(":"))
    return major, minor


def test_blkio_throttle(ctx, bundle):
    if not v1_has("blkio"):
        pytest.skip("no cgroup v1 blkio controller")
    dev = root_block_device()
    if not dev:
        pytest.skip("/ is not on a block device")
    major, minor = dev
    cid = create_with(ctx, bundle, {"blockIO": {
        "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
        "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 300}],
    }})
    d = cg("blkio", cid)
    assert read(d, "blkio.throttle.read_bps_device") == f"{major}:{minor} 1048576"
    assert read(d, "blkio.throttle.write_iops_device") == f"{major}:{minor} 300"


def test_blkio_weight(ctx, bundle):
    if not v1_has("blkio"):
        pytest.skip("no cgroup v1 blkio controller")
    base = os.path.join(CGROUP_ROOT, "blkio")
    files = [f for f in ("blkio.weight", "blkio.bfq.weight") if os.path.exists(os.path.join(base, f))]
    if not files:
        pytest.skip("the blkio controller has no weight file (no CFQ/BFQ scheduler)")
    cid = create_with(ctx, bundle, {"blockIO": {"weight": 300}})
    assert read(cg("blkio", cid), files[0]).split()[-1] == "300"


def hugetlb_location():
    """('v1', dir) or ('unified', dir) where hugetlb lives, or (None, None)."""
    if v1_has("hugetlb"):
        return "v1", os.path.join(CGROUP_ROOT, "hugetlb")
    root, ctrls = unified_controllers()
    if "hugetlb" in ctrls:
        return "unified", root
    return None, None


def unified_hugetlb_delegated(root):
    """hull enables hugetlb only in cgroups it made: the unified root (not
    hull's) must already hand it down to its children."""
    try:
        return "hugetlb" in open(os.path.join(root, "cgroup.subtree_control")).read().split()
    except OSError:
        return False


def assert_refused_undelegated(ctx, bundle, resources):
    bundle.linux["cgroupsPath"] = ctx.new_id()
    bundle.linux["resources"].update(resources)
    r = bundle.probe("exit", "0").run()
    assert r.returncode == 1, r
    assert "hugetlb" in r.err and r.err.startswith("hullrt: "), r


def hugepage_sizes():
    try:
        return os.listdir("/sys/kernel/mm/hugepages")
    except OSError:
        return []


@pytest.mark.runc_differs("runc 1.1 has no hugetlb on a hybrid layout where hugetlb is only in cgroup2")
def test_hugepage_limits(ctx, bundle):
    where, root = hugetlb_location()
    if not where:
        pytest.skip("no hugetlb controller in cgroup v1 or in the unified hierarchy")
    if "hugepages-2048kB" not in hugepage_sizes():
        pytest.skip("no 2MB huge pages on this kernel")
    limit = 4 << 20
    if where == "unified" and not unified_hugetlb_delegated(root):
        # This machine: hugetlb is in the cgroup2 mount but its root does
        # not delegate it; hull must refuse clearly, not touch the root.
        return assert_refused_undelegated(ctx, bundle, {"hugepageLimits": [{"pageSize": "2MB", "limit": limit}]})
    cid = create_with(ctx, bundle, {"hugepageLimits": [{"pageSize": "2MB", "limit": limit}]})
    if where == "v1":
        assert read(cg("hugetlb", cid), "hugetlb.2MB.limit_in_bytes") == str(limit)
    else:
        d = cg(os.path.relpath(root, CGROUP_ROOT) if root != CGROUP_ROOT else "", cid)
        assert read(d, "hugetlb.2MB.max") == str(limit)


@pytest.mark.runc_differs("runc 1.1: 'cannot use unified on cgroup v1'")
def test_unified(ctx, bundle):
    root, ctrls = unified_controllers()
    if "hugetlb" not in ctrls or "hugepages-2048kB" not in hugepage_sizes():
        pytest.skip("the unified hierarchy has no hugetlb controller with 2MB pages to set through 'unified'")
    limit = str(6 << 20)
    if not unified_hugetlb_delegated(root):
        return assert_refused_undelegated(ctx, bundle, {"unified": {"hugetlb.2MB.max": limit}})
    cid = create_with(ctx, bundle, {"unified": {"hugetlb.2MB.max": limit}})
    d = cg(os.path.relpath(root, CGROUP_ROOT) if root != CGROUP_ROOT else "", cid)
    assert read(d, "hugetlb.2MB.max") == limit


def test_unified_unknown_file_fails(ctx, bundle):
    root, _ = unified_controllers()
    if not root:
        pytest.skip("no unified hierarchy")
    bundle.linux["cgroupsPath"] = ctx.token + "-uf"
    bundle.linux["resources"]["unified"] = {"nosuch.file": "1"}
    r = bundle.probe("exit", "0").run()
    assert r.returncode != 0, r


@pytest.mark.runc_differs("runc appends its default device rules after the spec's, re-allowing c 1:3")
def test_devices_deny(ctx, bundle):
    bundle.linux["cgroupsPath"] = ctx.token + "-dev"
    bundle.linux["resources"]["devices"].append({"allow": False, "type": "c", "major": 1, "minor": 3,
                                                 "access": "rwm"})
    r = bundle.probe("write", "/dev/null", "x", "+", "stat", "/dev/null").run()
    assert r.out.splitlines()[0] == "error EPERM /dev/null", r
    assert "rdev 1:3" in r.out


def test_devices_default_allows_null(ctx, bundle):
    r = bundle.probe("write", "/dev/null", "x").run()
    assert r.returncode == 0 and r.out.strip() == "ok", r


@pytest.mark.runc_differs("runc appends its default device rules after the spec's, re-allowing c 1:3")
def test_devices_v1_list(ctx, bundle):
    if not v1_has("devices"):
        pytest.skip("no cgroup v1 devices controller")
    bundle.linux["resources"]["devices"].append({"allow": False, "type": "c", "major": 1, "minor": 3,
                                                 "access": "rwm"})
    cid = create_with(ctx, bundle, {})
    lst = read(cg("devices", cid), "devices.list").splitlines()
    assert "a *:* rwm" not in lst
    assert "c 1:3 rwm" not in lst
    assert "c 1:5 rwm" in lst  # /dev/zero, a default device


def test_cgroup_removed_after_delete(ctx, bundle):
    cid = create_with(ctx, bundle, {"pids": {"limit": 10}} if v1_has("pids") else {})
    assert find_cgroup("pids" if v1_has("pids") else "memory", cid)
    ctx.rt("start", cid, check=0)
    ctx.rt("kill", cid, "KILL", check=0)
    ctx.wait_status(cid, "stopped")
    ctx.rt("delete", cid, check=0)
    for c in os.listdir(CGROUP_ROOT):
        if os.path.isdir(os.path.join(CGROUP_ROOT, c)) and not os.path.islink(os.path.join(CGROUP_ROOT, c)):
            assert not find_cgroup(c, cid), f"{c}/.../{cid} left after delete"


def test_default_cgroup_under_own(ctx, bundle):
    """Without cgroupsPath the container still gets a cgroup named after its id."""
    bundle.probe("waitsig")
    r = bundle.create()
    ctrl = "pids" if v1_has("pids") else "memory"
    d = find_cgroup(ctrl, r.id)
    assert d, "no cgroup named after the container id"
    pid = ctx.state(r.id)["pid"]
    assert str(pid) in read(d, "cgroup.procs").split()
