"""root.path/readonly, mounts (bind, rbind, options, tmpfs, propagation,
symlinked destinations), maskedPaths, readonlyPaths, rootfsPropagation,
/dev and linux.devices."""
import os
import subprocess
import uuid

import pytest

from conftest import parse_kv, parse_mounts


def run_ok(bundle, *argv, opts=()):
    r = bundle.probe(*argv).run(None, *opts)
    assert r.returncode == 0, r
    return r.out


def host_mount(ctx, path, *opts):
    """A tmpfs on the host at path, unmounted in teardown (before its check)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", *opts, "hulltest", str(path)], check=True)
    ctx.extra_cleanup.insert(0, lambda: subprocess.run(["umount", "-l", str(path)], check=True))


# ---- root

def test_root_readonly(ctx, bundle):
    bundle.config["root"]["readonly"] = True
    r = bundle.probe("write", "/x", "y", "+", "write", "/dev/shm/ok", "y", "+", "mounts").run()
    assert r.returncode == 1, r
    assert r.out.splitlines()[0].startswith("error EROFS"), r.out
    assert "ok" in r.out.splitlines()[1]
    assert "ro" in parse_mounts(r.out)["/"][1]
    assert not (bundle.rootfs / "x").exists()


def test_root_writable(ctx, bundle):
    out = run_ok(bundle, "write", "/x", "y", "+", "mounts")
    assert "rw" in parse_mounts(out)["/"][1]
    assert (bundle.rootfs / "x").read_text() == "y"


def test_root_path_absolute(ctx, bundle):
    other = ctx.tmp / "elsewhere"
    os.rename(bundle.rootfs, other)
    bundle.config["root"]["path"] = str(other)
    run_ok(bundle, "write", "/here", "1")
    assert (other / "here").read_text() == "1"


# ---- bind mounts

def test_bind_mount_options(ctx, bundle):
    src = ctx.tmp / "src"
    src.mkdir()
    (src / "hello").write_text("from host")
    bundle.config["mounts"] += [
        {"destination": "/mnt/ro", "type": "bind", "source": str(src),
         "options": ["bind", "ro", "nosuid", "nodev", "noexec"]},
        {"destination": "/mnt/rw", "type": "none", "source": str(src), "options": ["rbind", "rw"]},
    ]
    r = bundle.probe("mounts", "+", "cat", "/mnt/ro/hello", "+", "write", "/mnt/ro/nope", "x",
                     "+", "write", "/mnt/rw/yes", "x").run()
    assert r.returncode == 1, r  # the write to the ro bind fails
    m = parse_mounts(r.out)
    assert {"ro", "nosuid", "nodev", "noexec"} <= m["/mnt/ro"][1], m["/mnt/ro"]
    assert "rw" in m["/mnt/rw"][1] and "noexec" not in m["/mnt/rw"][1]
    assert "from host" in r.out
    assert "error EROFS /mnt/ro/nope" in r.out
    assert not (src / "nope").exists()
    assert (src / "yes").read_text() == "x"


def test_bind_file(ctx, bundle):
    f = ctx.tmp / "file"
    f.write_text("file content")
    bundle.config["mounts"].append({"destination": "/etc/bound", "type": "bind", "source": str(f),
                                    "options": ["bind", "ro"]})
    out = run_ok(bundle, "cat", "/etc/bound", "+", "stat", "/etc/bound")
    assert out.startswith("file content")
    assert "type f" in out


def test_rbind_vs_bind_submounts(ctx, bundle):
    src = ctx.tmp / "tree"
    host_mount(ctx, src / "sub")
    (src / "sub" / "inner").write_text("inner")
    bundle.config["mounts"] += [
        {"destination": "/r", "type": "bind", "source": str(src), "options": ["rbind"]},
        {"destination": "/b", "type": "bind", "source": str(src), "options": ["bind"]},
    ]
    out = run_ok(bundle, "cat", "/r/sub/inner", "+", "ls", "/b/sub", "+", "mounts")
    assert out.startswith("inner")
    m = parse_mounts(out)
    assert "/r/sub" in m and "/b/sub" not in m


def test_recursive_readonly_rro(ctx, bundle):
    """rro makes the bind and every mount below it read-only (mount_setattr),
    where plain ro would leave the submount writable."""
    src = ctx.tmp / "tree"
    host_mount(ctx, src / "sub")
    bundle.config["mounts"] += [
        {"destination": "/r", "type": "bind", "source": str(src), "options": ["rbind", "rro", "rnosuid"]},
        {"destination": "/p", "type": "bind", "source": str(src), "options": ["rbind", "ro"]},
    ]
    r = bundle.probe("write", "/r/sub/x", "y", "+", "write", "/r/x", "y", "+", "write", "/p/sub/z", "y",
                     "+", "mounts").run()
    assert "error EROFS /r/sub/x" in r.out and "error EROFS /r/x" in r.out, r
    m = parse_mounts(r.out)
    assert {"ro", "nosuid"} <= set(m["/r/sub"][1]), m["/r/sub"]
    assert not (src / "sub" / "x").exists() and not (src / "x").exists()
    # plain ro leaves the submount writable: the difference rro makes
    assert (src / "sub" / "z").read_text() == "y", r


def test_tmpfs_size_mode(ctx, bundle):
    bundle.config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["size=1m", "mode=0710", "nosuid"]})
    out = run_ok(bundle, "mounts", "+", "stat", "/scratch")
    fs, mopts, sopts, _ = parse_mounts(out)["/scratch"]
    assert fs == "tmpfs"
    assert "size=1024k" in sopts and "mode=710" in sopts, sopts
    assert "nosuid" in mopts
    assert "mode 0710" in out


@pytest.mark.parametrize("prop,want,unwanted", [
    ("rshared", "shared:", None),
    ("rslave", "master:", "shared:"),
    ("rprivate", None, ("shared:", "master:")),
    ("private", None, ("shared:", "master:")),
])
def test_mount_propagation(ctx, bundle, prop, want, unwanted):
    src = ctx.tmp / "shared-src"
    host_mount(ctx, src)
    subprocess.run(["mount", "--make-shared", str(src)], check=True)
    bundle.config["mounts"].append({"destination": "/prop", "type": "bind", "source": str(src),
                                    "options": ["rbind", prop]})
    opt = parse_mounts(run_ok(bundle, "mounts"))["/prop"][3]
    if want:
        assert any(o.startswith(want) for o in opt), opt
    for u in (unwanted if isinstance(unwanted, tuple) else (unwanted,)) if unwanted else ():
        assert not any(o.startswith(u) for o in opt), opt


@pytest.mark.parametrize("prop,field", [
    pytest.param("shared", "shared:", marks=pytest.mark.runc_differs(
        "runc applies rootfsPropagation before pivot_root: its / shows no shared: field")),
    ("slave", None), ("private", None)])
def test_rootfs_propagation(ctx, bundle, prop, field):
    """rootfsPropagation is the propagation of the container's / (as crun does)."""
    bundle.linux["rootfsPropagation"] = prop
    opt = parse_mounts(run_ok(bundle, "mounts"))["/"][3]
    if field:
        assert any(o.startswith(field) for o in opt), opt
    else:
        assert not any(o.startswith("shared:") for o in opt), opt


def test_mount_destination_created(ctx, bundle):
    bundle.config["mounts"].append({"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs"})
    assert "/a/b/c" in parse_mounts(run_ok(bundle, "mounts"))


# ---- symlinks in the rootfs must not lead out of it

def test_mount_destination_symlink_absolute(ctx, bundle):
    host = f"/tmp/hostsecret-{uuid.uuid4().hex[:10]}"
    assert not os.path.exists(host)
    try:
        os.symlink(host, bundle.rootfs / "evil")
        bundle.config["mounts"].append({"destination": "/evil", "type": "tmpfs", "source": "tmpfs",
                                        "options": ["size=1m"]})
        out = run_ok(bundle, "mounts", "+", "write", "/evil/inside", "x")
        assert not os.path.exists(host), "the runtime followed /evil out of the rootfs"
        m = parse_mounts(out)
        assert m.get(host, ("",))[0] == "tmpfs" or m.get("/evil", ("",))[0] == "tmpfs", out
    finally:
        if os.path.isdir(host):
            subprocess.run(["umount", "-l", host], stderr=subprocess.DEVNULL)
            os.rmdir(host)


def test_mount_destination_symlink_relative(ctx, bundle):
    hostdir = ctx.tmp / "hostdir"  # must stay missing on the host
    rel = "../../../../../../../.." + str(hostdir)
    os.symlink(rel, bundle.rootfs / "evil2")
    src = ctx.tmp / "src"
    src.mkdir()
    (src / "payload").write_text("p")
    bundle.config["mounts"].append({"destination": "/evil2", "type": "bind", "source": str(src),
                                    "options": ["bind"]})
    out = run_ok(bundle, "mounts", "+", "cat", "/evil2/payload")
    assert not hostdir.exists(), "the runtime followed ../ out of the rootfs"
    assert out.rstrip().endswith("p")
    assert str(hostdir) in parse_mounts(out) or "/evil2" in parse_mounts(out)
    # it landed inside the rootfs
    assert (bundle.rootfs / str(hostdir).lstrip("/")).is_dir()


def test_masked_path_symlink_out(ctx, bundle):
    secret = ctx.tmp / "hostsecret"
    secret.write_text("secret")
    missing = ctx.tmp / "missing-target"
    os.symlink(str(secret), bundle.rootfs / "maskme")
    os.symlink("../../../../../../.." + str(missing), bundle.rootfs / "maskme2")
    bundle.linux["maskedPaths"] += ["/maskme", "/maskme2"]
    bundle.linux["readonlyPaths"] += ["/maskme"]
    r = bundle.probe("cat", "/maskme", "+", "cat", "/maskme2").run()
    assert "secret" not in r.out
    assert secret.read_text() == "secret"
    assert not missing.exists()


# ---- maskedPaths / readonlyPaths

def test_masked_paths(ctx, bundle):
    d = bundle.rootfs / "secretdir"
    d.mkdir()
    (d / "a").write_text("a")
    (bundle.rootfs / "secretfile").write_text("hidden")
    bundle.linux["maskedPaths"] += ["/secretdir", "/secretfile", "/does/not/exist"]
    r = bundle.probe("cat", "/proc/kcore", "+", "ls", "/secretdir", "+", "cat", "/secretfile",
                     "+", "ls", "/sys/firmware").run()
    # a masked file reads empty (a bind of /dev/null) or is denied; a masked
    # directory is empty (a read-only tmpfs): no line but errors
    assert "hidden" not in r.out
    assert all(line.startswith("error") for line in r.out.splitlines()), r.out


def test_readonly_paths(ctx, bundle):
    d = bundle.rootfs / "rodir"
    d.mkdir()
    bundle.linux["readonlyPaths"] += ["/rodir"]
    r = bundle.probe("write", "/rodir/x", "y", "+", "write", "/proc/sys/kernel/hostname", "z",
                     "+", "write", "/proc/sysrq-trigger", "h", "+", "mounts").run()
    errs = [line for line in r.out.splitlines() if line.startswith("error")]
    assert len(errs) == 3, r.out
    assert errs[0].startswith("error EROFS /rodir/x")
    assert "ro" in parse_mounts(r.out)["/rodir"][1]
    assert not (d / "x").exists()


# ---- /dev

DEFAULT_DEVICES = {
    "/dev/null": ("c", "1:3"), "/dev/zero": ("c", "1:5"), "/dev/full": ("c", "1:7"),
    "/dev/random": ("c", "1:8"), "/dev/urandom": ("c", "1:9"), "/dev/tty": ("c", "5:0"),
}


def test_default_dev(ctx, bundle):
    argv = []
    paths = list(DEFAULT_DEVICES) + ["/dev/ptmx", "/dev/pts", "/dev/shm", "/dev/mqueue",
                                     "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"]
    for p in paths:
        argv += ["stat", p, "+"]
    out = run_ok(bundle, *argv, "mounts", "+", "write", "/dev/null", "x")
    blocks = out.split("type ")[1:]
    stats = {p: parse_kv("type " + b) for p, b in zip(paths, blocks)}
    for p, (t, rdev) in DEFAULT_DEVICES.items():
        assert stats[p]["type"] == t and stats[p]["rdev"] == rdev, (p, stats[p])
        assert stats[p]["mode"] == "0666", (p, stats[p])
    assert stats["/dev/ptmx"]["type"] in ("l", "c")
    if stats["/dev/ptmx"]["type"] == "l":
        assert stats["/dev/ptmx"]["link"] in ("pts/ptmx", "/dev/pts/ptmx")
    for p in ("/dev/pts", "/dev/shm", "/dev/mqueue"):
        assert stats[p]["type"] == "d"
    assert stats["/dev/fd"]["link"] == "/proc/self/fd"
    assert stats["/dev/stdin"]["link"] == "/proc/self/fd/0"
    assert stats["/dev/stdout"]["link"] == "/proc/self/fd/1"
    assert stats["/dev/stderr"]["link"] == "/proc/self/fd/2"
    m = parse_mounts(out)
    assert m["/dev"][0] == "tmpfs" and m["/dev/pts"][0] == "devpts" and m["/dev/mqueue"][0] == "mqueue"
    assert m["/dev/shm"][0] == "tmpfs"


def test_host_devices_not_visible(ctx, bundle):
    out = run_ok(bundle, "ls", "/dev")
    names = set(out.split())
    assert "vda" not in names and "kmsg" not in names and "loop0" not in names, names


def test_custom_device(ctx, bundle):
    bundle.linux["devices"] = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
                                "fileMode": 0o640, "uid": 0, "gid": 5}]
    bundle.linux["resources"]["devices"].append({"allow": True, "type": "c", "major": 1, "minor": 3,
                                                 "access": "rwm"})
    out = run_ok(bundle, "stat", "/dev/mynull", "+", "write", "/dev/mynull", "x")
    st = parse_kv(out)
    assert st["type"] == "c" and st["rdev"] == "1:3", st
    assert st["mode"] == "0640" and st["owner"] == "0 5", st
    assert "ok" in out


def test_console_absent_without_terminal(ctx, bundle):
    r = bundle.probe("stat", "/dev/console").run()
    # no console without a terminal; if present it must not be the host's
    if r.returncode == 0:
        assert parse_kv(r.out)["rdev"] != "5:1"
