"""hull commit, diff and export on a container's upper dir.

These tests craft the container the way the containers side leaves it
(<root>/containers/<id>/config.json with Image, GraphDriver.Data.UpperDir
and LowerDir, Mounts) with overlay whiteouts (char 0:0 devices) and opaque
directories (trusted.overlay.opaque=y) in the upper dir; test_run_commit
(in the containers' tests, once `hull run` exists) does it end to end.
"""
import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
import time

import pytest

from .conftest import sha256_file


@pytest.fixture
def ctr(eng, busybox_tar, tmp_path):
    """A container of busybox whose upper dir adds /newfile and /newdir/f,
    deletes /bin/ls, replaces /etc with an opaque dir holding a new passwd,
    writes into the volume /data and has an /etc/hosts (an init file)."""
    iid = eng.import_tar(busybox_tar, "busybox", "-c", 'CMD ["sh"]', "-c", "ENV PATH=/bin")
    img = eng.inspect(iid)
    up = tmp_path / "ctr" / "diff"
    for d in ("etc", "data", "bin", "newdir", "empty"):
        (up / d).mkdir(parents=True)
    (up / "newfile").write_text("hello\n")
    (up / "newdir" / "f").write_text("x")
    os.link(up / "newfile", up / "newdir" / "hardlink")
    os.symlink("/newfile", up / "newdir" / "sym")
    os.mknod(up / "bin" / "ls", stat.S_IFCHR | 0o000, os.makedev(0, 0))
    (up / "data" / "secret").write_text("volume data")
    (up / "etc" / "hosts").write_text("127.0.0.1 x\n")
    (up / "etc" / "passwd").write_text("root:x:0:0::/:/bin/sh\n")
    os.setxattr(up / "etc", "trusted.overlay.opaque", b"y")
    os.setxattr(up / "newfile", "user.color", b"blue")
    eng.fake_container("4a6f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5", iid, up,
                       img["GraphDriver"]["Data"]["LowerDir"], mounts=["/data"], name="web")
    return {"id": iid, "img": img, "upper": up}


def layer_blob_members(eng, image):
    """name -> TarInfo of the image's top layer blob."""
    man = None
    for rec in eng.index()["images"]:
        if rec["Id"] == image:
            man = json.loads((eng.root / "blobs" / "sha256" / rec["Manifest"][7:]).read_text())
    assert man, image
    top = man["layers"][-1]
    assert man["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert top["mediaType"] == "application/vnd.oci.image.layer.v1.tar"
    blob = eng.root / "blobs" / "sha256" / top["digest"][7:]
    assert sha256_file(blob) == top["digest"][7:] and blob.stat().st_size == top["size"]
    with tarfile.open(blob) as t:
        return {m.name: m for m in t.getmembers()}, blob


def test_commit_makes_a_layer_with_oci_whiteouts(eng, ctr):
    r = eng.ok("commit", "-m", "my change", "-a", "Tester <t@example.org>", "-c", 'CMD ["cat", "/newfile"]',
               "-c", "LABEL stage=2", "web", "mine:v2")
    new = r.out.strip()
    assert new.startswith("sha256:") and new != ctr["id"]
    img = eng.inspect("mine:v2")
    assert img["Id"] == new
    base_layers = ctr["img"]["RootFS"]["Layers"]
    assert img["RootFS"]["Layers"][:-1] == base_layers and len(img["RootFS"]["Layers"]) == 2
    assert img["Config"]["Cmd"] == ["cat", "/newfile"]
    assert img["Config"]["Env"] == ["PATH=/bin"]  # kept from the base
    assert img["Config"]["Labels"] == {"stage": "2"}
    assert img["Author"] == "Tester <t@example.org>" and img["Comment"] == "my change"

    members, blob = layer_blob_members(eng, new)
    # the diff_id of an uncompressed layer is its blob's digest
    assert img["RootFS"]["Layers"][-1] == "sha256:" + sha256_file(blob)
    names = set(members)
    assert {"newfile", "newdir/f", "bin/.wh.ls", "etc/.wh..wh..opq", "etc/passwd", "data"} <= names
    assert members["bin/.wh.ls"].isreg() and members["bin/.wh.ls"].size == 0
    assert members["etc/.wh..wh..opq"].isreg()
    # hard links stay links: the first in name order carries the data
    assert members["newdir/hardlink"].isreg() and members["newdir/hardlink"].size == 6
    assert members["newfile"].islnk() and members["newfile"].linkname == "newdir/hardlink"
    assert members["newdir/sym"].issym() and members["newdir/sym"].linkname == "/newfile"
    assert members["newdir/hardlink"].pax_headers.get("SCHILY.xattr.user.color") == "blue"
    # the volume's content and the init files stay out; the mount point stays
    assert "data/secret" not in names and "etc/hosts" not in names
    assert members["data"].isdir()
    # no overlay xattr leaks into the layer
    assert not any("trusted.overlay" in k for m in members.values() for k in m.pax_headers)

    # unpacked as an overlay layer again
    top = img["GraphDriver"]["Data"]["LowerDir"].split(":")[0]
    st = os.lstat(os.path.join(top, "bin/ls"))
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(os.path.join(top, "etc"), "trusted.overlay.opaque") == b"y"
    assert open(os.path.join(top, "newfile")).read() == "hello\n"
    assert not os.path.exists(os.path.join(top, "data/secret"))
    assert img["GraphDriver"]["Data"]["LowerDir"].split(":")[1:] == \
        ctr["img"]["GraphDriver"]["Data"]["LowerDir"].split(":")


def test_history(eng, ctr):
    new = eng.ok("commit", "-m", "my change", "web", "mine:v2").out.strip()
    lines = eng.ok("image", "history", "mine:v2").out.splitlines()
    assert lines[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert len(lines) == 3
    top, base = lines[1], lines[2]
    assert top.startswith(new[7:19] + " ") and "hull commit" in top and top.endswith("my change")
    # the new layer holds newfile (6 bytes, linked twice), newdir/f (1) and etc/passwd (22)
    assert " 29B " in top
    assert base.startswith("<missing> ") and "hull import" in base and base.split()[-1].endswith("MB")
    assert eng.ok("image", "history", "-q", "mine:v2").out == new[7:19] + "\n"
    r = eng.hull("image", "history", "nosuch")
    assert r.returncode == 125 and "No such image: nosuch" in r.err


def test_commit_without_name_and_by_id_prefix(eng, ctr):
    new = eng.ok("commit", "4a6f1e2d").out.strip()
    img = eng.inspect(new)
    assert img["RepoTags"] == []
    assert "<none>" in eng.ok("images").out
    # same changes, same layer: shared, not unpacked twice
    again = eng.ok("commit", "web", "again").out.strip()
    assert eng.inspect(again)["RootFS"]["Layers"] == img["RootFS"]["Layers"]
    assert len(eng.layer_dirs()) == 2


def test_commit_errors(eng, ctr):
    r = eng.hull("commit", "nosuch")
    assert r.returncode == 125 and "no such container: 'nosuch'" in r.err
    r = eng.hull("commit", "-c", "FROM x", "web")
    assert r.returncode == 125 and "unknown instruction FROM" in r.err
    r = eng.hull("commit", "web", "Bad/Name")
    assert r.returncode == 125 and "invalid reference format" in r.err
    assert len(eng.index()["images"]) == 1 and eng.tmp_entries() == []


def test_commit_refuses_redirected_dirs(eng, ctr):
    """A redirect_dir upper dir holds a renamed directory's data elsewhere:
    no layer could say so, so commit refuses rather than lose it."""
    os.setxattr(ctr["upper"] / "newdir", "trusted.overlay.redirect", b"/etc")
    r = eng.hull("commit", "web", "lossy")
    assert r.returncode == 125, r
    assert "'/newdir' has trusted.overlay.redirect" in r.err and "redirect_dir" in r.err
    assert len(eng.index()["images"]) == 1 and eng.tmp_entries() == []


def test_diff_lists_changes(eng, ctr):
    out = eng.ok("diff", "web").out.splitlines()
    assert out == [
        "C /bin",
        "D /bin/ls",
        "A /empty",
        "C /etc",
        "C /etc/passwd",
        "A /newdir",
        "A /newdir/f",
        "A /newdir/hardlink",
        "A /newdir/sym",
        "A /newfile",
    ]
    # a path through a symlink of the image is never looked up on the host:
    # /hostetc -> /etc in the image, so /hostetc/passwd is new, whatever the
    # host's /etc holds
    lower = ctr["img"]["GraphDriver"]["Data"]["LowerDir"]
    os.symlink("/etc", os.path.join(lower, "hostetc"))  # absolute, pointing at the host's /etc
    try:
        (ctr["upper"] / "hostetc").mkdir()
        (ctr["upper"] / "hostetc" / "passwd").write_text("x")
        out = eng.ok("diff", "web").out.splitlines()
        assert "C /hostetc" in out and "A /hostetc/passwd" in out
    finally:
        os.unlink(os.path.join(lower, "hostetc"))
    r = eng.hull("diff", "nosuch")
    assert r.returncode == 125 and "no such container" in r.err


def test_export_is_the_merged_filesystem(eng, ctr, tmp_path):
    out = tmp_path / "exp.tar"
    eng.ok("export", "-o", out, "web")
    with tarfile.open(out) as t:
        m = {x.name: x for x in t.getmembers()}
        assert t.extractfile("newfile").read() == b"hello\n"
        assert t.extractfile("etc/passwd").read() == b"root:x:0:0::/:/bin/sh\n"
        assert t.extractfile("bin/busybox").read() == open("/bin/busybox", "rb").read()
    assert "bin/ls" not in m and "bin/sh" in m  # whited out / from the image
    assert "etc/group" not in m  # /etc is opaque in the container
    assert "data" in m and "data/secret" not in m  # volumes are not exported
    # to stdout, the same entries
    p = subprocess.run(eng.argv("export", "web"), capture_output=True)
    assert p.returncode == 0, p.stderr
    with tarfile.open(fileobj=io.BytesIO(p.stdout)) as t:
        assert sorted(t.getnames()) == sorted(m)
    assert os.listdir(eng.runroot) == []  # the view's mount point is gone (teardown checks mounts)
    r = eng.hull("export", "-o", tmp_path / "nodir" / "x.tar", "web")
    assert r.returncode == 125 and "nodir" in r.err


# ---------------------------------------------------------------- end to end, with `hull run`

def has_run(eng):
    return eng.hull("run", "--help").returncode == 0


def test_run_commit_run(eng, busybox_tar):
    if not has_run(eng):
        pytest.skip("this hull has no `run` (the containers side is not built in)")
    base = eng.import_tar(busybox_tar, "busybox", "-c", 'CMD ["sh"]', "-c", "ENV PATH=/bin")
    eng.ok("run", "--name", "web1", "-v", "/data", "busybox", "sh", "-c",
           "echo new > /newfile && rm /bin/ls && echo v > /data/vol", timeout=60)
    assert eng.ok("diff", "web1").out.splitlines() == ["C /bin", "D /bin/ls", "A /newfile"]
    new = eng.ok("commit", "-c", 'CMD ["cat", "/newfile"]', "web1", "img2").out.strip()
    assert eng.inspect("img2")["Id"] == new
    # its history tells what the container ran
    assert "sh -c echo new > /newfile && rm /bin/ls && echo v > /data/vol" in \
        eng.ok("image", "history", "--no-trunc", "img2").out.splitlines()[1]
    # the new image's default command sees the added file
    assert eng.ok("run", "--rm", "img2", timeout=60).out == "new\n"
    # the deleted file stays deleted, the volume's mount point is there, its content is not
    r = eng.ok("run", "--rm", "img2", "sh", "-c",
               "test ! -e /bin/ls && test -d /data && test ! -e /data/vol && echo ok", timeout=60)
    assert r.out == "ok\n"
    # the base image is untouched
    assert eng.ok("run", "--rm", "busybox", "sh", "-c", "test -e /bin/ls && test ! -e /newfile && echo ok",
                  timeout=60).out == "ok\n"
    # export of the stopped container
    p = subprocess.run(eng.argv("export", "web1"), capture_output=True)
    assert p.returncode == 0, p.stderr
    with tarfile.open(fileobj=io.BytesIO(p.stdout)) as t:
        names = set(t.getnames())
        assert t.extractfile("newfile").read() == b"new\n"
    assert "bin/ls" not in names and "bin/sh" in names and "data/vol" not in names
    # a container uses busybox: rmi refuses until it is gone
    r = eng.hull("rmi", "busybox")
    assert r.returncode == 125 and "is using its referenced image" in r.err
    eng.ok("rm", "web1")
    eng.ok("rmi", "img2")
    eng.ok("rmi", "busybox")
    assert eng.layer_dirs() == [] and eng.index()["images"] == []


def test_export_and_commit_a_running_container(eng, busybox_tar):
    if not has_run(eng):
        pytest.skip("this hull has no `run` (the containers side is not built in)")
    eng.import_tar(busybox_tar, "busybox", "-c", 'CMD ["sh"]', "-c", "ENV PATH=/bin")
    eng.ok("run", "-d", "--name", "bg1", "-v", "/vol", "busybox", "sh", "-c",
           "echo x > /f; echo v > /vol/v; touch /ready; sleep 300", timeout=60)
    for _ in range(500):
        if "A /ready" in eng.ok("diff", "bg1").out:
            break
        time.sleep(0.02)
    p = subprocess.run(eng.argv("export", "bg1"), capture_output=True)
    assert p.returncode == 0, p.stderr
    with tarfile.open(fileobj=io.BytesIO(p.stdout)) as t:
        names = set(t.getnames())
        assert t.extractfile("f").read() == b"x\n"
    assert "vol" in names and "vol/v" not in names
    new = eng.ok("commit", "bg1", "live").out.strip()
    assert eng.ok("run", "--rm", "live", "cat", "/f", timeout=60).out == "x\n"
    assert eng.inspect("live")["Id"] == new
    # paused for the commit, running again after it: its processes are thawed
    assert eng.ok("inspect", "-f", "{{.State.Status}}", "bg1").out.strip() == "running"
    pid = int(eng.ok("inspect", "-f", "{{.State.Pid}}", "bg1").out)
    with open(f"/proc/{pid}/status") as f:
        assert "State:\tS" in f.read()
    eng.ok("exec", "bg1", "touch", "/after", timeout=60)
    eng.ok("commit", "--pause=false", "bg1", "live:2")
    assert eng.ok("run", "--rm", "live:2", "ls", "/after", timeout=60).out == "/after\n"
    r = eng.hull("commit", "--pause=maybe", "bg1")
    assert r.returncode == 125 and "invalid --pause value" in r.err
    eng.ok("rm", "-f", "bg1", timeout=60)


def test_commit_pauses_a_runc_container(eng, busybox_tar):
    runc = shutil.which("runc") or "/usr/sbin/runc"
    if not has_run(eng) or not os.access(runc, os.X_OK):
        pytest.skip("needs `hull run` and runc")
    eng.import_tar(busybox_tar, "busybox", "-c", 'CMD ["sh"]', "-c", "ENV PATH=/bin")
    eng.ok("--runtime", runc, "run", "-d", "--name", "rc1", "busybox", "sh", "-c",
           "echo r > /r; sleep 300", timeout=60)
    for _ in range(500):
        if "A /r" in eng.ok("diff", "rc1").out:
            break
        time.sleep(0.02)
    # paused and resumed through runc pause / resume
    eng.ok("commit", "rc1", "fromrunc")
    assert eng.ok("inspect", "-f", "{{.State.Status}}", "rc1").out.strip() == "running"
    r = subprocess.run([runc, "--root", str(eng.runroot / "ext-runtime"), "state",
                        eng.ok("inspect", "-f", "{{.Id}}", "rc1").out.strip()], capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "running", r
    assert eng.ok("run", "--rm", "fromrunc", "cat", "/r", timeout=60).out == "r\n"
    eng.ok("rm", "-f", "rc1", timeout=60)
