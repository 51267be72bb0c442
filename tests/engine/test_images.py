"""The image store: hull import, images, image inspect, tag, rmi; layers
shared and unpacked securely; a store that survives bad input, concurrency
and kill -9."""
import gzip
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import make_tar, sha256_file

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def assert_store_empty(eng):
    """Nothing recorded, unpacked or left in progress."""
    if (eng.root / "images.json").exists():
        assert eng.index()["images"] == []
    assert eng.layer_dirs() == []
    assert eng.blobs() == []
    assert eng.tmp_entries() == []


def regular_bytes(tar):
    with tarfile.open(tar) as t:
        return sum(m.size for m in t.getmembers() if m.isreg())


# ---------------------------------------------------------------- import

def test_import_plain_tar(eng, busybox_tar):
    iid = eng.import_tar(busybox_tar, "busybox")
    img = eng.inspect("busybox")
    assert img["Id"] == iid
    assert img["RepoTags"] == ["busybox:latest"]
    # the diff_id is the sha256 of the uncompressed tar: here the file itself
    assert img["RootFS"] == {"Type": "layers", "Layers": ["sha256:" + sha256_file(busybox_tar)]}
    # the id is the sha256 of the config blob, stored under blobs/
    cfg = eng.root / "blobs" / "sha256" / iid[7:]
    assert sha256_file(cfg) == iid[7:]
    assert json.loads(cfg.read_text())["rootfs"]["diff_ids"] == img["RootFS"]["Layers"]
    # the layer blob is the tar as given
    assert sha256_file(busybox_tar) in eng.blobs()
    # unpacked once, ready as a lowerdir
    lower = Path(img["GraphDriver"]["Data"]["LowerDir"])
    assert img["GraphDriver"]["Name"] == "overlay"
    assert lower == eng.root / "layers" / sha256_file(busybox_tar)
    assert (lower / "bin" / "busybox").stat().st_size == os.path.getsize("/bin/busybox")
    assert os.readlink(lower / "bin" / "sh") == "busybox"
    assert stat.S_IMODE((lower / "tmp").stat().st_mode) == 0o1777
    assert img["Size"] == regular_bytes(busybox_tar)
    assert img["Os"] == "linux" and img["Architecture"]
    assert eng.tmp_entries() == []


def test_import_gzip_from_stdin_shares_the_layer(eng, busybox_tar, tmp_path):
    gz = tmp_path / "bb.tar.gz"
    gz.write_bytes(gzip.compress(busybox_tar.read_bytes()))
    a = eng.import_tar(busybox_tar, "plain")
    with open(gz, "rb") as f:
        r = subprocess.run(eng.argv("import", "-", "zipped:v1"), stdin=f, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    b = r.stdout.strip()
    assert b != a
    ia, ib = eng.inspect("plain"), eng.inspect("zipped:v1")
    # same uncompressed content: same diff_id, one unpacked dir
    assert ia["RootFS"]["Layers"] == ib["RootFS"]["Layers"]
    assert ia["GraphDriver"]["Data"]["LowerDir"] == ib["GraphDriver"]["Data"]["LowerDir"]
    assert len(eng.layer_dirs()) == 1
    # both blobs kept as given
    assert sha256_file(gz) in eng.blobs() and sha256_file(busybox_tar) in eng.blobs()


@pytest.mark.parametrize("tool,ext", [("xz", "xz"), ("zstd", "zst")])
def test_import_xz_zstd(eng, busybox_tar, tmp_path, tool, ext):
    if not shutil.which(tool):
        pytest.skip(f"{tool} not installed")
    out = tmp_path / f"bb.tar.{ext}"
    with open(out, "wb") as f:
        subprocess.run([tool, "-c", str(busybox_tar)], stdout=f, check=True)
    eng.import_tar(out, "c")
    assert eng.inspect("c")["RootFS"]["Layers"] == ["sha256:" + sha256_file(busybox_tar)]


def test_import_changes_and_message(eng, busybox_tar):
    eng.import_tar(busybox_tar, "cfg:1", "-c", 'CMD ["sh", "-c", "echo hi"]', "-c", "ENV A=1 B=two",
                   "-c", "ENV PATH /bin", "-c", "WORKDIR /tmp", "-c", "USER nobody", "-c", 'LABEL k=v "x y"=z',
                   "-c", "EXPOSE 80 53/udp", "-c", "ENTRYPOINT /bin/sh", "-c", "VOLUME /data", "-c",
                   "STOPSIGNAL SIGINT", "-m", "imported by a test")
    c = eng.inspect("cfg:1")
    assert c["Config"]["Cmd"] == ["sh", "-c", "echo hi"]
    assert c["Config"]["Env"] == ["A=1", "B=two", "PATH=/bin"]
    assert c["Config"]["WorkingDir"] == "/tmp"
    assert c["Config"]["User"] == "nobody"
    assert c["Config"]["Labels"] == {"k": "v", "x y": "z"}
    assert c["Config"]["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert c["Config"]["Entrypoint"] == ["/bin/sh", "-c", "/bin/sh"]
    assert c["Config"]["Volumes"] == {"/data": {}}
    assert c["Config"]["StopSignal"] == "SIGINT"
    assert c["Comment"] == "imported by a test"


@pytest.mark.parametrize("change,why", [
    ("RUN echo", "unknown instruction RUN"),
    ("CMD [\"sh\", 1]", "not a JSON array of strings"),
    ("WORKDIR tmp", "must be absolute"),
    ("EXPOSE 80 http", "bad port 'http'"),
    ("ENV A=1 =x", "'=x' is not KEY=VALUE"),
    ("VOLUME /ok rel", "VOLUME 'rel' must be absolute"),
    ("ENV", "needs an argument"),
])
def test_import_bad_change(eng, busybox_tar, change, why):
    r = eng.hull("import", "-c", change, busybox_tar, "x")
    assert r.returncode == 125, r
    assert why in r.err and change.split()[0] in r.err
    assert_store_empty(eng)


def test_import_missing_file_and_usage(eng, tmp_path):
    r = eng.hull("import", tmp_path / "nope.tar")
    assert r.returncode == 125 and "nope.tar" in r.err and "No such file" in r.err
    r = eng.hull("import")
    assert r.returncode == 125 and "requires at least 1" in r.err
    r = eng.hull("import", "--bogus", "x")
    assert r.returncode == 125 and "unknown flag" in r.err
    r = eng.hull("import", tmp_path / "nope.tar", "Bad:Name:x")
    assert r.returncode == 125


def test_import_bad_name_leaves_nothing(eng, busybox_tar):
    r = eng.hull("import", busybox_tar, "UPPER")
    assert r.returncode == 125 and "invalid reference format" in r.err
    assert_store_empty(eng)


# ---------------------------------------------------------------- listing

def test_images_table_quiet_json_filter(eng, busybox_tar):
    a = eng.import_tar(busybox_tar, "alpha:1")
    b = eng.import_tar(busybox_tar, "beta")
    eng.ok("tag", "beta", "beta:2")
    lines = eng.ok("images").out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    rows = [l.split()[:3] for l in lines[1:]]
    assert sorted(rows) == sorted([["alpha", "1", a[7:19]], ["beta", "latest", b[7:19]], ["beta", "2", b[7:19]]])
    # newest first
    assert lines[1].split()[0] == "beta"
    assert eng.ok("image", "ls").out == eng.ok("images").out
    # -q: each image once
    assert eng.ok("images", "-q").out.split() == [b[7:19], a[7:19]]
    assert eng.ok("images", "-q", "--no-trunc").out.split() == [b, a]
    objs = [json.loads(l) for l in eng.ok("images", "--format", "json").out.splitlines()]
    assert {(o["Repository"], o["Tag"], o["ID"]) for o in objs} == {
        ("alpha", "1", a[7:19]), ("beta", "latest", b[7:19]), ("beta", "2", b[7:19])}
    assert all(o["Size"].endswith("MB") for o in objs)
    # REPOSITORY and REPOSITORY:TAG filters
    assert [l.split()[1] for l in eng.ok("images", "beta").out.splitlines()[1:]] == ["latest", "2"] or \
        sorted(l.split()[1] for l in eng.ok("images", "beta").out.splitlines()[1:]) == ["2", "latest"]
    assert len(eng.ok("images", "beta:2").out.splitlines()) == 2
    assert len(eng.ok("images", "gamma").out.splitlines()) == 1
    assert eng.ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "beta").out.splitlines() == \
        [f"beta:latest {b[7:19]}", f"beta:2 {b[7:19]}"]
    r = eng.hull("images", "--format", "{{.ID")
    assert r.returncode == 125 and "format" in r.err


def test_images_filters(eng, busybox_tar):
    a1 = eng.import_tar(busybox_tar, "app:1")
    a2 = eng.import_tar(busybox_tar, "app:2")
    o = eng.import_tar(busybox_tar, "other")
    eng.ok("tag", "other", "app:2")  # a2 loses its only name: dangling
    assert eng.ok("images", "-q", "-f", "dangling=true").out.split() == [a2[7:19]]
    assert eng.ok("images", "-q", "--filter", "dangling=false").out.split() == [o[7:19], a1[7:19]]
    out = eng.ok("images", "-f", "reference=app:*", "--format", "{{.Repository}}:{{.Tag}}").out.split()
    assert sorted(out) == ["app:1", "app:2"]
    assert eng.ok("images", "-q", "-f", "reference=oth*").out.split() == [o[7:19]]
    r = eng.hull("images", "-f", "label=x")
    assert r.returncode == 125 and "unsupported filter 'label=x'" in r.err
    # the usual clean-up of dangling images
    assert eng.ok("rmi", *eng.ok("images", "-q", "-f", "dangling=true").out.split()).out == f"Deleted: {a2}\n"


def test_images_empty_store(eng):
    assert eng.ok("images").out.split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert eng.ok("images", "-q").out == ""


# ---------------------------------------------------------------- lookups, tag

def test_lookup_by_id_prefix_and_errors(eng, busybox_tar):
    iid = eng.import_tar(busybox_tar, "bb")
    for ref in (iid, iid[7:], iid[7:19], iid[7:11], "bb", "bb:latest"):
        assert eng.inspect(ref)["Id"] == iid, ref
    assert eng.ok("image", "inspect", "-f", "{{.Id}} {{json .RepoTags}}", "bb").out == f'{iid} ["bb:latest"]\n'
    r = eng.hull("image", "inspect", "nosuch")
    assert r.returncode == 125 and "hull: No such image: nosuch" in r.err
    r = eng.hull("image", "inspect", "bb:other")
    assert r.returncode == 125 and "No such image: bb:other" in r.err
    r = eng.hull("image", "inspect", "bb", "nosuch")
    assert r.returncode == 125
    assert [i["Id"] for i in json.loads(r.out)] == [iid]


def test_tag_moves_names(eng, busybox_tar):
    a = eng.import_tar(busybox_tar, "app:1")
    b = eng.import_tar(busybox_tar)  # no name
    eng.ok("tag", "app:1", "app:stable")
    eng.ok("tag", a[7:19], "registry.local:5000/team/app")
    assert sorted(eng.inspect(a)["RepoTags"]) == ["app:1", "app:stable", "registry.local:5000/team/app:latest"]
    # a name points at one image: tagging b takes it from a
    eng.ok("tag", b, "app:stable")
    assert eng.inspect("app:stable")["Id"] == b
    assert "app:stable" not in eng.inspect(a)["RepoTags"]
    r = eng.hull("tag", "nosuch", "x")
    assert r.returncode == 125 and "No such image: nosuch" in r.err
    for bad in ("Bad", "a:b:c", "x:", "-x", "a//b", "0" * 64):
        r = eng.hull("tag", "app:1", bad)
        assert r.returncode == 125 and ("invalid" in r.err), (bad, r)
    r = eng.hull("tag", "app:1")
    assert r.returncode == 125 and "exactly 2" in r.err


# ---------------------------------------------------------------- rmi

def test_rmi_untags_then_deletes(eng, busybox_tar):
    iid = eng.import_tar(busybox_tar, "one")
    eng.ok("tag", "one", "two")
    layer = eng.layer_dirs()
    r = eng.ok("rmi", "one")
    assert r.out == "Untagged: one:latest\n"
    assert eng.inspect(iid)["RepoTags"] == ["two:latest"]
    assert eng.layer_dirs() == layer
    r = eng.ok("rmi", "two")
    assert r.out == f"Untagged: two:latest\nDeleted: {iid}\n"
    assert_store_empty(eng)
    r = eng.hull("rmi", "two")
    assert r.returncode == 125 and "No such image: two" in r.err


def test_rmi_id_with_several_names_needs_force(eng, busybox_tar):
    iid = eng.import_tar(busybox_tar, "one")
    eng.ok("tag", "one", "two")
    r = eng.hull("rmi", iid[7:19])
    assert r.returncode == 125 and "referenced in multiple repositories" in r.err
    assert eng.inspect(iid)["RepoTags"] == ["one:latest", "two:latest"]
    r = eng.ok("image", "rm", "-f", iid[7:19])
    assert r.out.splitlines() == ["Untagged: one:latest", "Untagged: two:latest", f"Deleted: {iid}"]
    assert_store_empty(eng)


def test_rmi_keeps_layers_other_images_use(eng, busybox_tar, tmp_path):
    gz = tmp_path / "bb.tar.gz"
    gz.write_bytes(gzip.compress(busybox_tar.read_bytes()))
    eng.import_tar(busybox_tar, "a")
    eng.import_tar(gz, "b")
    (layer,) = eng.layer_dirs()
    ino = (eng.root / "layers" / layer / "bin" / "busybox").stat().st_ino
    eng.ok("rmi", "a")
    assert eng.layer_dirs() == [layer]
    assert (eng.root / "layers" / layer / "bin" / "busybox").stat().st_ino == ino
    assert sha256_file(busybox_tar) not in eng.blobs()  # a's blob went
    assert sha256_file(gz) in eng.blobs()
    eng.ok("rmi", "b")
    assert_store_empty(eng)


def test_rmi_refuses_an_image_a_container_uses(eng, busybox_tar, tmp_path):
    iid = eng.import_tar(busybox_tar, "used")
    eng.fake_container("c0ffee1234567890", iid, tmp_path / "upper")
    r = eng.hull("rmi", "used")
    assert r.returncode == 125
    assert "container c0ffee123456 is using its referenced image" in r.err
    r = eng.hull("rmi", iid)
    assert r.returncode == 125 and "c0ffee123456" in r.err
    assert eng.inspect("used")["Id"] == iid
    # forced: untagged, but the image and its layer stay for the container
    r = eng.ok("rmi", "-f", "used")
    assert r.out == "Untagged: used:latest\n"
    assert eng.inspect(iid)["RepoTags"] == []
    assert len(eng.layer_dirs()) == 1
    assert "<none>" in eng.ok("images").out
    # once the container is gone the image can go
    shutil.rmtree(eng.root / "containers" / "c0ffee1234567890")
    assert eng.ok("rmi", iid[7:19]).out == f"Deleted: {iid}\n"
    assert_store_empty(eng)


def test_image_prune(eng, busybox_tar, tmp_path):
    named = eng.import_tar(busybox_tar, "named")
    dangling = eng.import_tar(busybox_tar)
    used = eng.import_tar(busybox_tar, "used")
    eng.ok("tag", "named", "used")  # `used` moves: its image is dangling, but a container uses it
    eng.fake_container("c0ffee1234567890", used, tmp_path / "upper")
    # without -f it asks; anything but y keeps everything
    r = eng.ok("image", "prune", input="n\n")
    assert "Are you sure you want to continue? [y/N]" in r.out
    assert len(eng.index()["images"]) == 3
    r = eng.ok("image", "prune", input="y\n")
    assert f"deleted: {dangling}" in r.out and used not in r.out
    assert "Total reclaimed space: 0B" in r.out  # the layer is shared with the others
    assert sorted(i["Id"] for i in eng.index()["images"]) == sorted([named, used])
    # -a: every image no container uses
    r = eng.ok("image", "prune", "-a", "-f")
    assert r.out.splitlines()[:2] == ["Deleted Images:", f"deleted: {named}"]
    assert [i["Id"] for i in eng.index()["images"]] == [used]
    assert len(eng.layer_dirs()) == 1
    shutil.rmtree(eng.root / "containers" / "c0ffee1234567890")
    r = eng.ok("image", "prune", "-af")
    assert f"deleted: {used}" in r.out and re.search(r"Total reclaimed space: [0-9.]+MB", r.out), r
    assert_store_empty(eng)


# ---------------------------------------------------------------- whiteouts

def test_whiteouts_become_overlay_whiteouts(eng, tmp_path):
    t = make_tar(tmp_path / "wh.tar", [
        ("a", "d"), ("a/keep", "f", "k"), ("a/.wh.gone", "f"),
        ("b", "d"), ("b/.wh..wh..opq", "f"), ("b/new", "f", "n"),
        ("c/.wh.x", "f"),  # parent not in the tar
        (".wh.top", "f"),
        ("d/.wh..wh.plnk", "d"),  # aufs bookkeeping: skipped
    ])
    eng.import_tar(t, "wh")
    (layer,) = eng.layer_dirs()
    L = eng.root / "layers" / layer
    for p in (L / "a" / "gone", L / "c" / "x", L / "top"):
        st = os.lstat(p)
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0, p
    assert os.getxattr(L / "b", "trusted.overlay.opaque") == b"y"
    assert (L / "b" / "new").read_text() == "n"
    assert (L / "a" / "keep").read_text() == "k"
    assert not any(n.startswith(".wh.") for _, ds, fs in os.walk(L) for n in ds + fs)
    with pytest.raises(OSError):
        os.getxattr(L / "a", "trusted.overlay.opaque")


def test_unpack_keeps_owners_modes_times_xattrs_devices(eng, tmp_path):
    p = tmp_path / "meta.tar"
    with tarfile.open(p, "w", format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo("home/u")
        d.type, d.mode, d.uid, d.gid, d.mtime = tarfile.DIRTYPE, 0o750, 1000, 1001, 1600000000
        t.addfile(d)
        f = tarfile.TarInfo("home/u/setuid")
        f.mode, f.uid, f.gid, f.mtime, f.size = 0o4755, 1000, 1001, 1500000000, 3
        f.pax_headers = {"SCHILY.xattr.user.note": "hi", "SCHILY.xattr.security.capability":
                         "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}
        t.addfile(f, io.BytesIO(b"abc"))
        n = tarfile.TarInfo("dev/null")
        n.type, n.mode, n.devmajor, n.devminor = tarfile.CHRTYPE, 0o666, 1, 3
        t.addfile(n)
        h = tarfile.TarInfo("home/u/hard")
        h.type, h.linkname = tarfile.LNKTYPE, "home/u/setuid"
        t.addfile(h)
    eng.import_tar(p, "meta")
    (layer,) = eng.layer_dirs()
    L = eng.root / "layers" / layer
    st = os.lstat(L / "home/u")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), int(st.st_mtime)) == (1000, 1001, 0o750, 1600000000)
    st = os.lstat(L / "home/u/setuid")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), int(st.st_mtime)) == (1000, 1001, 0o4755, 1500000000)
    assert os.getxattr(L / "home/u/setuid", "user.note") == b"hi"
    assert os.getxattr(L / "home/u/setuid", "security.capability")[:4] == b"\x01\x00\x00\x02"
    assert os.lstat(L / "home/u/hard").st_ino == st.st_ino
    st = os.lstat(L / "dev/null")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)


def test_overlay_xattrs_in_a_tar_are_dropped(eng, tmp_path):
    p = tmp_path / "x.tar"
    with tarfile.open(p, "w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("d")
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        ti.pax_headers = {"SCHILY.xattr.trusted.overlay.redirect": "/etc", "SCHILY.xattr.user.ok": "1"}
        t.addfile(ti)
    eng.import_tar(p, "x")
    (layer,) = eng.layer_dirs()
    d = eng.root / "layers" / layer / "d"
    assert os.getxattr(d, "user.ok") == b"1"
    with pytest.raises(OSError):
        os.getxattr(d, "trusted.overlay.redirect")


# ---------------------------------------------------------------- bad input

def test_corrupt_tars_fail_cleanly(eng, busybox_tar, tmp_path):
    data = busybox_tar.read_bytes()
    cases = {
        "truncated.tar": (data[:3000], "etc/passwd"),  # cut inside an entry: the entry is named
        "garbage.tar": (os.urandom(4096), "Unrecognized archive format"),
        "truncated.tar.gz": (gzip.compress(data)[:50000], "truncated gzip input"),
        "empty.tar": (b"", ""),
    }
    for name, (content, what) in cases.items():
        f = tmp_path / name
        f.write_bytes(content)
        r = eng.hull("import", f, "bad")
        assert r.returncode == 125, r
        assert f"hull: importing '{f}'" in r.err and what in r.err, r
        assert_store_empty(eng)


@pytest.mark.parametrize("entries,what", [
    ([("a", "d"), ("a/../../escape", "f", "x")], "entry 'a/../../escape': Path contains '..'"),
    ([("/etc/hull-test-evil", "f", "x")], "entry '/etc/hull-test-evil': absolute path"),
    ([("link", "l", "{target}"), ("link/evil", "f", "x")], "entry 'link/evil': Cannot extract through symlink"),
    ([("h", "h", "../../../../etc/passwd")], "entry 'h': Path contains '..'"),
    ([("l", "l", "{target}"), ("h", "h", "l/victim")], "entry 'h': Cannot extract through symlink"),
    ([("s", "l", "{target}"), ("s/.wh..wh..opq", "f")], "whiteout 's/.wh..wh..opq'"),
    ([("s", "l", "{target}"), ("s/.wh.victim", "f")], "whiteout 's/.wh.victim'"),
    ([("s", "l", "{target}"), ("s/sub/.wh.x", "f")], "whiteout 's/sub/.wh.x'"),
    ([("s", "l", "{target}"), ("s/sub/.wh..wh..opq", "f")], "whiteout 's/sub/.wh..wh..opq'"),
    ([("ok", "f", "fine"), ("../up", "f", "x")], "entry '../up'"),
])
def test_hostile_tars_are_refused(eng, tmp_path, entries, what):
    target = tmp_path / "outside"
    target.mkdir()
    (target / "victim").write_text("keep me")
    entries = [tuple(str(x).replace("{target}", str(target)) for x in e) for e in entries]
    t = make_tar(tmp_path / "hostile.tar", entries)
    r = eng.hull("import", t, "hostile")
    assert r.returncode == 125, r
    assert f"hull: importing '{t}': " in r.err and what in r.err, r
    assert sorted(os.listdir(target)) == ["victim"] and (target / "victim").read_text() == "keep me"
    with pytest.raises(OSError):
        os.getxattr(target, "trusted.overlay.opaque")
    assert not os.path.exists("/etc/hull-test-evil")
    assert_store_empty(eng)


# ---------------------------------------------------------------- concurrency, crashes

def test_parallel_imports_and_tags_keep_the_index_valid(eng, busybox_tar):
    eng.import_tar(busybox_tar, "base")

    def work(i):
        r1 = eng.hull("import", busybox_tar, f"img{i}")
        r2 = eng.hull("tag", "base", f"tag{i}")
        return r1, r2

    with ThreadPoolExecutor(10) as ex:
        results = list(ex.map(work, range(10)))
    for r1, r2 in results:
        assert r1.returncode == 0, r1
        assert r2.returncode == 0, r2
    idx = eng.index()  # parses: never half-written
    names = sorted(n for i in idx["images"] for n in i["Names"])
    assert names == sorted(["base:latest"] + [f"img{i}:latest" for i in range(10)] +
                           [f"tag{i}:latest" for i in range(10)])
    assert len(idx["images"]) == 11
    assert len(eng.layer_dirs()) == 1
    assert eng.tmp_entries() == []
    assert len(eng.ok("images", "-q").out.split()) == 11


def test_kill_9_during_import_leaves_a_usable_store(eng, busybox_tar):
    eng.import_tar(busybox_tar, "before")
    p = subprocess.Popen(eng.argv("import", "-", "partial"), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    eng.popens.append(p)
    data = busybox_tar.read_bytes()
    p.stdin.write(data[:len(data) // 2])
    p.stdin.flush()
    # hull has started: its work directory exists and holds the half tar
    deadline = time.monotonic() + 10
    while not eng.tmp_entries():
        assert time.monotonic() < deadline, "import never started"
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdin.close()
    assert eng.tmp_entries()  # what the killed import left
    # the next command works, and removes the leftovers
    assert eng.ok("images", "-q").out.split() == [eng.inspect("before")["Id"][7:19]]
    assert eng.tmp_entries() == []
    eng.import_tar(busybox_tar, "after")
    assert sorted(n for i in eng.index()["images"] for n in i["Names"]) == ["after:latest", "before:latest"]
    r = eng.hull("image", "inspect", "partial")
    assert r.returncode == 125


def test_a_crash_between_moving_in_and_recording_is_cleaned(eng, busybox_tar):
    """What a command killed after moving its layer and blobs into the store
    but before saving images.json leaves: orphans, and its work dir."""
    iid = eng.import_tar(busybox_tar, "kept")
    kept_layers, kept_blobs = eng.layer_dirs(), eng.blobs()
    orphan = "ab" * 32
    (eng.root / "layers" / orphan / "bin").mkdir(parents=True)
    (eng.root / "blobs" / "sha256" / orphan).write_text("{}")
    (eng.root / "images.json.tmp-999999").write_text("{")
    (eng.root / "tmp" / "import-dead").mkdir()
    eng.ok("images")
    assert eng.layer_dirs() == kept_layers and eng.blobs() == kept_blobs
    assert eng.tmp_entries() == [] and not (eng.root / "images.json.tmp-999999").exists()
    assert eng.inspect("kept")["Id"] == iid
    assert (eng.root / "layers" / kept_layers[0] / "bin" / "busybox").exists()


def test_image_help_and_unknown(eng):
    assert "Usage: hull import" in eng.ok("import", "--help").out
    assert "Usage: hull images" in eng.ok("images", "-h").out
    assert "inspect" in eng.ok("image", "--help").out
    r = eng.hull("image", "frob")
    assert r.returncode == 125 and "frob" in r.err
