"""`hullrt spec`: runc's default config.json, which then runs as is."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import HULLRT, parse_kv

CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
MASKED = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/tpm"]
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
CGROUP2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def spec(ctx, d, *opts):
    return ctx.rt("spec", *opts, "-b", d, root=False)


def load(d):
    with open(os.path.join(d, "config.json")) as f:
        return json.load(f)


@pytest.fixture
def sdir(ctx):
    d = ctx.tmp / "spec-bundle"
    d.mkdir()
    return d


def test_spec_default(ctx, sdir):
    r = spec(ctx, sdir)
    assert r.returncode == 0 and r.out == "" and r.err == "", r
    c = load(sdir)
    p = c["process"]
    assert p["terminal"] is True and p["args"] == ["sh"] and p["cwd"] == "/"
    assert p["user"] == {"uid": 0, "gid": 0}
    assert p["capabilities"] == {"bounding": CAPS, "effective": CAPS, "permitted": CAPS}
    assert p["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}] and p["noNewPrivileges"] is True
    assert c["root"] == {"path": "rootfs", "readonly": True} and c["hostname"] == "runc"
    assert [(m["destination"], m["type"]) for m in c["mounts"]] == [
        ("/proc", "proc"), ("/dev", "tmpfs"), ("/dev/pts", "devpts"), ("/dev/shm", "tmpfs"),
        ("/dev/mqueue", "mqueue"), ("/sys", "sysfs"), ("/sys/fs/cgroup", "cgroup")]
    assert "gid=5" in c["mounts"][2]["options"]
    ns = [n["type"] for n in c["linux"]["namespaces"]]
    assert ns == ["pid", "network", "ipc", "uts", "mount"] + (["cgroup"] if CGROUP2 else [])
    assert c["linux"]["maskedPaths"] == MASKED and c["linux"]["readonlyPaths"] == READONLY
    assert c["linux"]["resources"] == {"devices": [{"allow": False, "access": "rwm"}]}
    assert "uidMappings" not in c["linux"]
    # pretty printed, one field a line, as runc writes it
    text = (sdir / "config.json").read_text()
    assert text.startswith("{\n\t\"ociVersion\": ") and text.endswith("}\n")


def test_spec_default_runs(ctx, sdir):
    """The spec runs unchanged but for the terminal (a foreground run has
    no tty here) and the program."""
    subprocess.run(["cp", "-a", str(ctx.base / "rootfs"), str(sdir / "rootfs")], check=True)
    assert spec(ctx, sdir).returncode == 0
    # with terminal true and no console socket, create is refused (as runc)
    cid = ctx.new_id()
    r = ctx.rt("create", "-b", sdir, cid)
    assert r.returncode == 1 and "console" in r.err, r
    c = load(sdir)
    c["process"]["terminal"] = False
    c["process"]["args"] = ["/probe", "hostname", "+", "ids", "+", "ns"]
    (sdir / "config.json").write_text(json.dumps(c))
    r = ctx.rt("run", "-b", sdir, ctx.new_id())
    assert r.returncode == 0, r
    out = parse_kv(r.out)
    assert r.out.splitlines()[0] == "runc" and out["uid"] == "0"
    assert out["net"] != os.readlink("/proc/self/ns/net")


def test_spec_rootless(ctx, sdir):
    r = spec(ctx, sdir, "--rootless")
    assert r.returncode == 0, r
    c = load(sdir)
    lnx = c["linux"]
    ns = [n["type"] for n in lnx["namespaces"]]
    assert "network" not in ns and ns[-1] == "user"
    assert lnx["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert lnx["gidMappings"] == [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    assert "resources" not in lnx
    sys_mount = [m for m in c["mounts"] if m["destination"] == "/sys"]
    assert sys_mount == [{"destination": "/sys", "type": "none", "source": "/sys",
                          "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}]
    assert not any(o.startswith(("uid=", "gid=")) for m in c["mounts"] for o in m.get("options", []))


def test_spec_refuses_to_overwrite(ctx, sdir):
    (sdir / "config.json").write_text("{\"mine\": 1}\n")
    r = spec(ctx, sdir)
    assert r.returncode == 1, r
    assert "config.json exists. Remove it first." in r.err, r
    assert (sdir / "config.json").read_text() == "{\"mine\": 1}\n"
    # in the current directory, runc's exact words
    r = ctx.rt("spec", root=False, cwd=sdir)
    assert r.returncode == 1 and r.err == "hullrt: File config.json exists. Remove it first.\n", r


@pytest.mark.parametrize("args, words", [
    (["-b", "/nonexistent-hullt"], ["/nonexistent-hullt", "No such file"]),
    (["--bogus"], ["--bogus"]),
    (["extra"], ["extra"]),
])
def test_spec_bad_arguments(ctx, args, words):
    r = ctx.rt("spec", *args, root=False, cwd=ctx.tmp)
    assert r.returncode == 1, r
    for w in words:
        assert w in r.err, r
    assert not (ctx.tmp / "config.json").exists()


@pytest.mark.skipif(shutil.which("runc") is None, reason="runc not installed: nothing to compare with")
@pytest.mark.parametrize("rootless", [False, True])
def test_spec_matches_runc(ctx, sdir, rootless):
    """Same spec as `runc spec` but for what runc 1.2 changed: runc 1.1
    still has ambient capabilities and no /sys/devices/virtual/tpm mask;
    the ociVersion is each runtime's own."""
    opts = ["--rootless"] if rootless else []
    rdir = ctx.tmp / "runc-spec"
    rdir.mkdir()
    assert subprocess.run(["runc", "spec", *opts, "-b", str(rdir)]).returncode == 0
    assert spec(ctx, sdir, *opts).returncode == 0
    ours, theirs = load(sdir), load(rdir)
    for c in (ours, theirs):
        c.pop("ociVersion")
        c["process"]["capabilities"].pop("ambient", None)
        c["linux"]["maskedPaths"] = [p for p in c["linux"]["maskedPaths"] if p != "/sys/devices/virtual/tpm"]
    assert ours == theirs
    assert list(ours) == list(theirs) and list(ours["linux"]) == list(theirs["linux"]), "same field order"
