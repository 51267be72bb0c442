"""User namespaces run by root: mappings, a rootfs owned by the mapped
root, mounts a user namespace cannot make, joining one by path, and the
errors for mappings that cannot work."""
import json
import os
import subprocess

import pytest

from conftest import parse_kv, parse_mounts

BASE = 100000  # host uid/gid of the container's root


def chown_tree(path, uid, gid):
    subprocess.run(["chown", "-hR", f"{uid}:{gid}", str(path)], check=True)


def map_root(bundle, size=65536, extra=()):
    bundle.linux["namespaces"].append({"type": "user"})
    bundle.linux["uidMappings"] = [{"containerID": 0, "hostID": BASE, "size": size}] + list(extra)
    bundle.linux["gidMappings"] = [{"containerID": 0, "hostID": BASE, "size": size}] + list(extra)


@pytest.fixture
def mapped(ctx, bundle):
    """The bundle's own copy of the rootfs, chowned to the mapped root."""
    os.chmod(ctx.tmp, 0o755)  # the mapped root must reach the rootfs
    chown_tree(bundle.rootfs, BASE, BASE)
    map_root(bundle)
    return bundle


def id_maps(out):
    return [line.split() for line in out.splitlines() if len(line.split()) == 3 and line.split()[0].isdigit()]


def test_mapped_rootfs_files_get_mapped_ids(ctx, mapped):
    """Every default mount (sysfs and cgroup too, with network and cgroup
    namespaces) works; files made inside show host ids BASE+N."""
    b = mapped
    b.process["capabilities"] = {k: ["CAP_CHOWN", "CAP_DAC_OVERRIDE"] for k in ("bounding", "effective", "permitted")}
    b.args("sh", "-c", "echo hi > /tmp/f && mkdir /tmp/d && chown 1000:2000 /tmp/d && cat /proc/self/uid_map "
                       "/proc/self/gid_map && /probe ids + mounts")
    r = b.run()
    assert r.returncode == 0, r
    assert ["0", str(BASE), "65536"] in id_maps(r.out), r.out
    assert parse_kv(r.out)["uid"] == "0"
    mounts = parse_mounts(r.out)
    assert mounts["/sys"][0] == "sysfs" and mounts["/proc"][0] == "proc", r.out
    f = os.stat(b.rootfs / "tmp" / "f")
    assert (f.st_uid, f.st_gid) == (BASE, BASE)
    d = os.stat(b.rootfs / "tmp" / "d")
    assert (d.st_uid, d.st_gid) == (BASE + 1000, BASE + 2000)


def test_several_ranges(ctx, mapped):
    """Two ranges: container uid 1000 lands at the second range's host id."""
    b = mapped
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": BASE, "size": 1000},
                              {"containerID": 1000, "hostID": BASE + 200000, "size": 1000}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": BASE, "size": 1000},
                              {"containerID": 1000, "hostID": BASE + 300000, "size": 1000}]
    b.process["user"] = {"uid": 1001, "gid": 1002}
    b.args("sh", "-c", "cat /proc/self/uid_map; touch /tmp/u; id -u; id -g")
    r = b.run()
    assert r.returncode == 0, r
    maps = id_maps(r.out)
    assert ["0", str(BASE), "1000"] in maps and ["1000", str(BASE + 200000), "1000"] in maps, r.out
    assert r.out.split()[-2:] == ["1001", "1002"]
    st = os.stat(b.rootfs / "tmp" / "u")
    assert (st.st_uid, st.st_gid) == (BASE + 200001, BASE + 300002)


def test_setgroups_left_allowed_for_root(ctx, mapped):
    """root writes gid_map itself: setgroups is not denied, so the
    container can still set supplementary groups."""
    b = mapped
    b.process["user"] = {"uid": 0, "gid": 0, "additionalGids": [10, 20]}
    r = b.args("sh", "-c", "cat /proc/self/setgroups; /probe ids").run()
    assert r.returncode == 0, r
    assert r.out.splitlines()[0] == "allow"
    assert set(parse_kv(r.out)["groups"].split()) >= {"10", "20"}, r.out


def test_no_netns_sysfs_bound_and_devices_bound(ctx, mapped):
    """Without a network namespace of its own a user namespace cannot mount
    sysfs: the host's /sys is bound read-only instead (as runc); /dev nodes
    are bind mounts of the host's (mknod is refused in a user namespace)."""
    b = mapped
    b.linux["namespaces"] = [n for n in b.linux["namespaces"] if n["type"] != "network"]
    r = b.args("sh", "-c", "echo x > /dev/null && echo null-ok && /probe mounts + stat /dev/null + "
                           "write /sys/kernel/x y").run()
    assert "null-ok" in r.out, r
    mounts = parse_mounts(r.out)
    assert mounts["/sys"][0] == "sysfs" and "ro" in mounts["/sys"][1], r.out
    assert "/dev/null" in mounts, "/dev/null is a bind mount of the host's node"
    assert "EROFS" in r.out or "EACCES" in r.out or "EPERM" in r.out, r.out


def test_join_user_namespace_by_path(ctx, mapped):
    """A second container joins the first one's user namespace: same
    namespace and mapping, its own mount and pid namespaces (owned by that
    user namespace, so it can mount /proc)."""
    a = mapped
    a.args("sleep", "100")
    ra = a.run_detached()
    pid = ctx.state(ra.id)["pid"]
    b = ctx.bundle("joiner", json.loads(json.dumps(a.config)))
    chown_tree(b.rootfs, BASE, BASE)
    b.linux["namespaces"] = [n for n in b.linux["namespaces"] if n["type"] != "user"]
    b.linux["namespaces"].append({"type": "user", "path": f"/proc/{pid}/ns/user"})
    del b.linux["uidMappings"], b.linux["gidMappings"]
    rb = b.probe("ids", "+", "ns", "+", "cat", "/proc/self/uid_map", "+", "pid").run()
    assert rb.returncode == 0, rb
    out = parse_kv(rb.out)
    assert out["user"] == os.readlink(f"/proc/{pid}/ns/user")
    assert out["mnt"] != os.readlink(f"/proc/{pid}/ns/mnt")
    assert out["uid"] == "0" and out["pid"] == "1"
    assert ["0", str(BASE), "65536"] in id_maps(rb.out)


@pytest.mark.parametrize("case, words", [
    ("mappings-without-userns", ["linux.uidMappings", "user namespace"]),
    ("userns-without-gid-mappings", ["linux.gidMappings", "needs mappings"]),
    ("overlapping-host-ranges", ["linux.gidMappings[1]", "overlap"]),
    ("overlapping-container-ranges", ["linux.uidMappings[1]", "overlap"]),
    ("empty-range", ["linux.uidMappings[0].size"]),
])
def test_bad_mappings_refused(ctx, bundle, case, words):
    if case == "mappings-without-userns":
        bundle.linux["uidMappings"] = [{"containerID": 0, "hostID": BASE, "size": 10}]
    else:
        map_root(bundle)
    if case == "userns-without-gid-mappings":
        del bundle.linux["gidMappings"]
    elif case == "overlapping-host-ranges":
        bundle.linux["gidMappings"].append({"containerID": 70000, "hostID": BASE + 5, "size": 10})
    elif case == "overlapping-container-ranges":
        bundle.linux["uidMappings"].append({"containerID": 100, "hostID": 900000, "size": 10})
    elif case == "empty-range":
        bundle.linux["uidMappings"][0]["size"] = 0
    r = bundle.args("true").run()
    assert r.returncode == 1, r
    for w in words:
        assert w in r.err, r
    assert ctx.rt("list", "-q").out.strip() == ""
    assert os.listdir(ctx.root) == []
