"""Rootless containers: a throw-away non-root user runs hullrt with a state
root and a bundle of its own (made by `hullrt spec --rootless`).

Each test makes its user (useradd hullt-<random>, no home, no login) and
removes it afterwards, with any /etc/subuid and /etc/subgid line it added,
also when the test fails.  The containers are removed by the ctx fixture
first (as root), so userdel finds no process of the user left."""
import json
import os
import pwd
import secrets
import shutil
import subprocess

import pytest

from conftest import HULLRT, parse_kv

pytestmark = pytest.mark.skipif(shutil.which("runuser") is None or shutil.which("useradd") is None,
                                reason="needs runuser and useradd (util-linux, passwd)")


def _rewrite(path, lines):
    """Replaces path's content (write, then rename over it; mode kept)."""
    tmp = f"{path}.hullt{os.getpid()}"
    with open(tmp, "w") as f:
        f.writelines(lines)
    shutil.copymode(path, tmp)
    os.rename(tmp, path)


def _lines(path):
    with open(path) as f:
        return [line if line.endswith("\n") else line + "\n" for line in f]


class User:
    def __init__(self):
        self.name = "hullt-" + secrets.token_hex(4)
        subprocess.run(["useradd", "-M", "-N", "-g", "nogroup", "-s", "/usr/sbin/nologin", self.name], check=True)
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.sub_files = []

    def add_subids(self, start, count):
        for path in ("/etc/subuid", "/etc/subgid"):
            if not os.path.exists(path):
                with open(path, "w"):
                    pass
                os.chmod(path, 0o644)
            self.sub_files.append(path)
            _rewrite(path, _lines(path) + [f"{self.name}:{start}:{count}\n"])

    def remove(self):
        for path in set(self.sub_files):
            _rewrite(path, [line for line in _lines(path) if not line.startswith(self.name + ":")])
        subprocess.run(["userdel", self.name], check=True)
        for leftover in (f"/var/mail/{self.name}", f"/var/spool/mail/{self.name}"):
            if os.path.exists(leftover):
                os.unlink(leftover)


@pytest.fixture
def user():
    u = User()
    try:
        yield u
    finally:
        u.remove()


@pytest.fixture
def rl(user, ctx):
    """ctx set up after the user (so torn down before userdel): the state
    root and a bundle dir owned by the user, and a way to run hullrt as it."""
    os.chmod(ctx.tmp, 0o755)
    os.chown(ctx.root, user.uid, user.gid)
    wrapper = ctx.tmp / "as-user"
    wrapper.write_text(f"#!/bin/sh\nexec runuser -u {user.name} -- {HULLRT} \"$@\"\n")
    wrapper.chmod(0o755)
    bdir = ctx.tmp / "rb"
    bdir.mkdir()
    subprocess.run(["cp", "-a", str(ctx.base / "rootfs"), str(bdir / "rootfs")], check=True)
    subprocess.run(["chown", "-hR", f"{user.uid}:{user.gid}", str(bdir)], check=True)
    return Rootless(ctx, user, wrapper, bdir)


class Rootless:
    def __init__(self, ctx, user, wrapper, bdir):
        self.ctx, self.user, self.wrapper, self.bdir = ctx, user, wrapper, bdir

    def rt(self, *args, **kw):
        old = self.ctx.runtime
        self.ctx.runtime = str(self.wrapper)
        try:
            return self.ctx.rt(*args, **kw)
        finally:
            self.ctx.runtime = old

    def spec(self, *argv, edit=None):
        """`hullrt spec --rootless` run by the user, then terminal off and argv."""
        r = self.rt("spec", "--rootless", "-b", self.bdir, root=False)
        assert r.returncode == 0, r
        path = self.bdir / "config.json"
        with open(path) as f:
            cfg = json.load(f)
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = list(argv)
        if edit:
            edit(cfg)
        with open(path, "w") as f:
            json.dump(cfg, f)
        return cfg

    def run(self, *opts, **kw):
        cid = self.ctx.new_id()
        r = self.rt("run", "-b", self.bdir, *opts, cid, **kw)
        r.id = cid
        return r


def test_rootless_run(ctx, rl):
    """The user's uid is root inside, mapped back to the user; no
    cgroup parent is delegated here, so hullrt warns and runs without."""
    cfg = rl.spec("/probe", "ids", "+", "cat", "/proc/self/uid_map", "+", "cat", "/proc/self/setgroups", "+", "ns")
    assert cfg["linux"]["uidMappings"] == [{"containerID": 0, "hostID": rl.user.uid, "size": 1}]
    r = rl.run()
    assert r.returncode == 0, r
    out = parse_kv(r.out)
    assert out["uid"] == "0" and out["euid"] == "0" and out["gid"] == "0"
    assert ["0", str(rl.user.uid), "1"] in [line.split() for line in r.out.splitlines()]
    assert "deny" in r.out.splitlines(), "an unprivileged gid_map needs setgroups denied"
    assert out["user"] != os.readlink("/proc/self/ns/user")
    assert out["net"] == os.readlink("/proc/self/ns/net"), "runc's rootless spec has no network namespace"
    assert "hullrt: warning: rootless:" in r.err and "cgroup" in r.err, r
    assert os.listdir(ctx.root) == [], "run removed its state"


def test_rootless_host_sees_the_users_uid(ctx, rl):
    rl.spec("sleep", "100")
    r = rl.run("-d")
    assert r.returncode == 0, r
    st = json.loads(rl.rt("state", r.id).out)
    ctx.note_pid(st["pid"])
    assert st["status"] == "running"
    with open(f"/proc/{st['pid']}/status") as f:
        ids = {k: v.split() for k, v in (line.split(":", 1) for line in f) if k in ("Uid", "Gid")}
    assert ids["Uid"] == [str(rl.user.uid)] * 4 and ids["Gid"] == [str(rl.user.gid)] * 4
    assert os.stat(ctx.root / r.id / "state.json").st_uid == rl.user.uid
    assert rl.rt("kill", r.id, "KILL").returncode == 0
    ctx.wait_status(r.id, "stopped")
    assert rl.rt("delete", r.id).returncode == 0
    assert not (ctx.root / r.id).exists()


def test_rootless_limits_refused(ctx, rl):
    """A limit cannot be honoured without a cgroup: refused (as runc),
    naming the limit, and nothing is left behind."""
    rl.spec("true", edit=lambda c: c["linux"].__setitem__("resources", {"memory": {"limit": 64 << 20}}))
    r = rl.run()
    assert r.returncode == 1, r
    assert "memory" in r.err and "rootless" in r.err, r
    assert os.listdir(ctx.root) == []


def test_rootless_device_rules_ignored(ctx, rl):
    """runc's default device rule (deny all) asks for no limit: ignored."""
    rl.spec("true", edit=lambda c: c["linux"].__setitem__("resources", {"devices": [{"allow": False, "access": "rwm"}]}))
    log = rl.bdir / "log.json"
    r = rl.run(globals_=["--log", log, "--log-format", "json"])
    assert r.returncode == 0, r
    # the cgroup warning is in the log too, as a warning
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(x["level"] == "warning" and "cgroup" in x["msg"] for x in lines), lines


def test_rootless_subuid_ranges(ctx, rl):
    """With /etc/subuid and /etc/subgid ranges, newuidmap/newgidmap map a
    whole range: container uid 1000 writes a file the host sees as
    start+999."""
    start = 500000 + (os.getpid() % 1000) * 65536
    rl.user.add_subids(start, 65536)

    def edit(c):
        c["root"]["readonly"] = False
        c["linux"]["uidMappings"].append({"containerID": 1, "hostID": start, "size": 65536})
        c["linux"]["gidMappings"].append({"containerID": 1, "hostID": start, "size": 65536})
        c["process"]["user"] = {"uid": 1000, "gid": 1000}

    rl.spec("sh", "-c", "cat /proc/self/uid_map; touch /tmp/sub; id -u", edit=edit)
    r = rl.run()
    assert r.returncode == 0, r
    lines = [line.split() for line in r.out.splitlines()]
    assert ["1", str(start), "65536"] in lines and lines[-1] == ["1000"], r.out
    st = os.stat(rl.bdir / "rootfs" / "tmp" / "sub")
    assert (st.st_uid, st.st_gid) == (start + 999, start + 999)


def test_rootless_without_subuid_ranges_fails_clearly(ctx, rl):
    def edit(c):
        c["linux"]["uidMappings"].append({"containerID": 1, "hostID": 700000, "size": 10})

    rl.spec("true", edit=edit)
    r = rl.run()
    assert r.returncode == 1, r
    assert "newuidmap" in r.err and "uidMappings" in r.err, r
    assert os.listdir(ctx.root) == []


def test_rootless_default_root_is_xdg_runtime_dir(ctx, rl):
    rl.spec("sleep", "100")
    xdg = ctx.root  # owned by the user
    env = dict(os.environ, XDG_RUNTIME_DIR=str(xdg))
    cid = ctx.new_id()
    r = rl.rt("create", "-b", rl.bdir, cid, root=False, env=env)
    try:
        assert r.returncode == 0, r
        assert (xdg / "hullrt" / cid / "state.json").exists()
        st = json.loads(rl.rt("state", cid, root=False, env=env).out)
        ctx.note_pid(st["pid"])
    finally:
        rl.rt("delete", "-f", cid, root=False, env=env)
    assert not (xdg / "hullrt" / cid).exists()


def test_rootless_with_network_namespace(ctx, rl):
    """A network namespace asked for is made inside the user namespace:
    only a loopback device, and sysfs can then be mounted for real."""
    def edit(c):
        c["linux"]["namespaces"].insert(1, {"type": "network"})
        c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys"] + [
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}]

    rl.spec("sh", "-c", "ls /sys/class/net; /probe ns", edit=edit)
    r = rl.run()
    assert r.returncode == 0, r
    out = parse_kv(r.out)
    assert r.out.split()[0] == "lo" and "net" in out and out["net"] != os.readlink("/proc/self/ns/net"), r.out
    assert r.out.splitlines()[1].startswith("net "), "lo is the only network device"
