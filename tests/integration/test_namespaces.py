"""linux.namespaces (each type, joining by path), uid/gid mappings,
sysctl, timeOffsets."""
import os
import subprocess
import time

import pytest

from conftest import host_ns, parse_kv

NS_FILES = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt", "cgroup": "cgroup"}


def ns_of(out):
    return parse_kv(out)


@pytest.mark.parametrize("kind", list(NS_FILES))
def test_namespace_new(ctx, bundle, kind):
    r = bundle.probe("ns").run()
    assert r.returncode == 0, r
    ns = ns_of(r.out)
    assert ns[NS_FILES[kind]] != host_ns(NS_FILES[kind]), f"{kind}: asked for a new one, got the host's"


@pytest.mark.parametrize("kind", [k for k in NS_FILES if k != "mount"])
def test_namespace_shared_with_host(ctx, bundle, kind):
    bundle.linux["namespaces"] = [n for n in bundle.linux["namespaces"] if n["type"] != kind]
    if kind == "uts":
        bundle.config.pop("hostname", None)
    if kind == "network":
        # host sysfs may only be mounted with the host's network namespace
        bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/sys"
                                   and m["destination"] != "/sys/fs/cgroup"]
    r = bundle.probe("ns").run()
    assert r.returncode == 0, r
    ns = ns_of(r.out)
    f = NS_FILES[kind]
    assert ns[f] == host_ns(f), f"{kind}: not asked for, but not the host's"
    for other, of in NS_FILES.items():
        if other != kind:
            assert ns[of] != host_ns(of), f"{other} should still be new"


def test_pid_namespace_init_is_pid1(ctx, bundle):
    r = bundle.probe("pid").run()
    assert r.returncode == 0, r
    assert parse_kv(r.out)["pid"] == "1"


def test_cgroup_namespace_root(ctx, bundle):
    r = bundle.probe("cat", "/proc/self/cgroup").run()
    assert r.returncode == 0, r
    for line in r.out.splitlines():
        assert line.rsplit(":", 1)[1] == "/", f"cgroup namespace should start at the container's cgroup: {r.out}"


@pytest.fixture
def netns(ctx):
    name = f"hull-{ctx.token}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    ctx.netns.append(name)
    return name


def test_join_netns_by_path(ctx, bundle, netns):
    path = f"/run/netns/{netns}"
    for n in bundle.linux["namespaces"]:
        if n["type"] == "network":
            n["path"] = path
    r = bundle.probe("ns").run()
    assert r.returncode == 0, r
    assert ns_of(r.out)["net"] == f"net:[{os.stat(path).st_ino}]"


def test_join_missing_ns_path_fails(ctx, bundle):
    for n in bundle.linux["namespaces"]:
        if n["type"] == "network":
            n["path"] = str(ctx.tmp / "no-such-netns")
    r = bundle.probe("exit", "0").run()
    assert r.returncode != 0, r
    assert r.err.strip()


def test_join_other_containers_pid_ns(ctx, bundle):
    """A second container joins the first one's pid namespace by path."""
    bundle.probe("waitsig")
    a = bundle.run_detached()
    pid = ctx.state(a.id)["pid"]
    b = ctx.bundle("b")
    for n in b.linux["namespaces"]:
        if n["type"] == "pid":
            n["path"] = f"/proc/{pid}/ns/pid"
    r = b.probe("ns", "+", "pid").run()
    assert r.returncode == 0, r
    lines = r.out.splitlines()
    assert "pid " + os.readlink(f"/proc/{pid}/ns/pid") in lines, r.out
    assert "pid 1" not in lines, "the joining process is not the other container's init"


def test_user_namespace_mappings(ctx, bundle):
    os.chmod(ctx.tmp, 0o755)  # the mapped root must reach the rootfs
    bundle.linux["namespaces"].append({"type": "user"})
    bundle.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    # sysfs and cgroupfs may not be mountable from a user namespace without a matching netns;
    # keep the test about the mappings
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/sys")]
    r = bundle.probe("ids", "+", "cat", "/proc/self/uid_map", "+", "cat", "/proc/self/gid_map", "+", "ns").run()
    assert r.returncode == 0, r
    out = parse_kv(r.out)
    assert out["uid"] == "0" and out["gid"] == "0"
    maps = [line.split() for line in r.out.splitlines() if line.strip() and line.split()[0] == "0"
            and len(line.split()) == 3]
    assert ["0", "100000", "65536"] in maps, r.out
    assert out["user"] != host_ns("user")


def test_sysctl_in_new_netns(ctx, bundle):
    host = open("/proc/sys/net/ipv4/ip_forward").read()
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1" if host.strip() == "0" else "0",
                              "kernel.msgmax": "12345"}
    r = bundle.probe("sysctl", "net.ipv4.ip_forward", "+", "sysctl", "kernel.msgmax").run()
    assert r.returncode == 0, r
    assert r.out.split() == [bundle.linux["sysctl"]["net.ipv4.ip_forward"], "12345"]
    assert open("/proc/sys/net/ipv4/ip_forward").read() == host, "the host's sysctl changed"


def test_sysctl_net_refused_with_host_netns(ctx, bundle):
    host = open("/proc/sys/net/ipv4/ip_forward").read()
    bundle.linux["namespaces"] = [n for n in bundle.linux["namespaces"] if n["type"] != "network"]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/sys")]
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1" if host.strip() == "0" else "0"}
    r = bundle.probe("exit", "0").run()
    assert r.returncode != 0, r
    assert open("/proc/sys/net/ipv4/ip_forward").read() == host, "the host's sysctl changed"


def test_sysctl_unknown_fails(ctx, bundle):
    bundle.linux["sysctl"] = {"net.ipv4.no_such_sysctl": "1"}
    r = bundle.probe("exit", "0").run()
    assert r.returncode != 0, r


@pytest.mark.runc_differs("time namespaces are runc 1.2+")
def test_time_offsets(ctx, bundle):
    bundle.linux["namespaces"].append({"type": "time"})
    bundle.linux["timeOffsets"] = {"monotonic": {"secs": 1000000, "nanosecs": 0},
                                   "boottime": {"secs": 2000000, "nanosecs": 0}}
    r = bundle.probe("clock", "+", "ns").run()
    assert r.returncode == 0, r
    out = parse_kv(r.out)
    mono = time.clock_gettime(time.CLOCK_MONOTONIC)
    boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    assert abs(int(out["monotonic"]) - (mono + 1000000)) < 30, (out, mono)
    assert abs(int(out["boottime"]) - (boot + 2000000)) < 30, (out, boot)
    assert out["time"] != host_ns("time")
