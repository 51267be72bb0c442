"""scripts/mkbundle.sh: the bundle the README, the benchmark and these tests use."""
import json
import os
import subprocess

from conftest import REPO

MKBUNDLE = str(REPO / "scripts" / "mkbundle.sh")


def snapshot(d):
    res = {}
    for dirpath, dirnames, filenames in os.walk(d):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            res[os.path.relpath(p, d)] = (st.st_mode, os.readlink(p) if os.path.islink(p) else
                                          (open(p, "rb").read() if os.path.isfile(p) else None))
    return res


def test_mkbundle_layout_and_idempotent(ctx):
    d = ctx.tmp / "b"
    subprocess.run([MKBUNDLE, str(d)], check=True, stdout=subprocess.DEVNULL)
    first = snapshot(d)
    subprocess.run([MKBUNDLE, str(d)], check=True, stdout=subprocess.DEVNULL)
    assert snapshot(d) == first, "a second run changed the bundle"
    r = d / "rootfs"
    for sub in ("proc", "sys", "dev", "tmp", "etc", "root", "bin"):
        assert (r / sub).is_dir(), sub
    assert os.path.islink(r / "bin" / "sh") and os.path.realpath(r / "bin" / "sh") == str(r / "bin" / "busybox")
    assert (r / "bin" / "true").exists()
    passwd = (r / "etc" / "passwd").read_text().splitlines()
    assert any(line.startswith("root:x:0:0:") for line in passwd)
    assert any(line.startswith("nobody:x:65534:65534:") for line in passwd)
    assert any(line.startswith("root:x:0:") for line in (r / "etc" / "group").read_text().splitlines())
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["ociVersion"].startswith("1.0.")
    assert cfg["process"]["terminal"] is False
    assert cfg["process"]["args"] == ["sh"]
    assert cfg["root"] == {"path": "rootfs", "readonly": True}
    assert [n["type"] for n in cfg["linux"]["namespaces"]] == ["pid", "network", "ipc", "uts", "mount"]


def test_mkbundle_bundle_runs(ctx):
    d = ctx.tmp / "b"
    subprocess.run([MKBUNDLE, str(d)], check=True, stdout=subprocess.DEVNULL)
    cid = ctx.new_id()
    # the default process is sh: with stdin at EOF it exits 0
    r = ctx.rt("run", "--bundle", d, cid)
    assert r.returncode == 0, r
    cfg = json.loads((d / "config.json").read_text())
    cfg["process"]["args"] = ["sh", "-c", "echo hi from $(hostname)"]
    (d / "config.json").write_text(json.dumps(cfg))
    r = ctx.rt("run", "--bundle", d, ctx.new_id())
    assert r.returncode == 0 and r.out == "hi from runc\n", r


def test_mkbundle_usage(ctx):
    r = subprocess.run([MKBUNDLE], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr
