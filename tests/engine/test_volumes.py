"""Volumes: bind mounts, named and anonymous volumes, --mount, the volume
commands."""
import json
import os

from .conftest import mounts_under


def test_bind_mount_file_appears_on_host(hull, tmp_path):
    host = tmp_path / "data"
    host.mkdir()
    (host / "in").write_text("from host\n")
    out = hull.ok("run", "--rm", "-v", f"{host}:/data", "busybox", "sh", "-c",
                  "cat /data/in; echo from container > /data/out")
    assert out == "from host\n"
    assert (host / "out").read_text() == "from container\n"
    r = hull("run", "--rm", "-v", f"{host}:/data:ro", "busybox", "touch", "/data/x")
    assert r.returncode == 1 and "Read-only" in r.err
    assert not (host / "x").exists()


def test_named_volume_persists_and_is_listed(hull):
    hull.ok("run", "--rm", "-v", "myvol:/v", "busybox", "sh", "-c", "echo kept > /v/f")
    data = hull.root / "volumes" / "myvol" / "_data"
    assert (data / "f").read_text() == "kept\n"
    assert hull.ok("run", "--rm", "-v", "myvol:/w", "busybox", "cat", "/w/f") == "kept\n"
    assert "myvol" in hull.ok("volume", "ls", "-q").split()
    info = json.loads(hull.ok("volume", "inspect", "myvol"))[0]
    assert info["Name"] == "myvol" and info["Mountpoint"] == str(data) and info["Driver"] == "local"
    # in use: refused
    hull.run_d("--name", "user", "-v", "myvol:/v", "busybox", "sleep", "100")
    r = hull("volume", "rm", "myvol")
    assert r.returncode == 125 and "in use" in r.err
    mounts = hull.inspect("user")["Mounts"]
    assert mounts == [{"Type": "volume", "Name": "myvol", "Source": str(data), "Destination": "/v",
                       "Driver": "local", "Mode": "", "RW": True, "Propagation": ""}]
    hull.ok("rm", "-f", "user")
    assert hull.ok("volume", "rm", "myvol") == "myvol\n"
    assert not (hull.root / "volumes" / "myvol").exists()


def test_anonymous_volume_removed_with_rm_v(hull):
    cid = hull.run_d("--name", "anon", "-v", "/scratch", "busybox", "sh", "-c", "echo a > /scratch/f; sleep 100")
    m = hull.inspect(cid)["Mounts"][0]
    assert m["Type"] == "volume" and len(m["Name"]) == 64 and m["Destination"] == "/scratch"
    src = m["Source"]
    hull.ok("stop", "-t", "0", "anon")
    assert open(os.path.join(src, "f")).read() == "a\n"
    hull.ok("rm", "-v", "anon")
    assert not os.path.exists(src)
    # without -v the anonymous volume stays, and prune takes it
    cid = hull.run_d("-v", "/keep", "busybox", "true")
    name = hull.inspect(cid)["Mounts"][0]["Name"]
    hull.ok("rm", "-f", cid)
    assert name in hull.ok("volume", "ls", "-q").split()
    out = hull.ok("volume", "prune", "-f")
    assert name in out
    assert name not in hull.ok("volume", "ls", "-q").split()


def test_mount_flag(hull, tmp_path):
    host = tmp_path / "m"
    host.mkdir()
    out = hull.ok("run", "--rm", "--mount", f"type=bind,source={host},target=/b",
                  "--mount", "type=volume,source=mv,target=/v,readonly",
                  "--mount", "type=tmpfs,target=/t", "busybox", "sh", "-c",
                  "echo x > /b/f; touch /v/f 2>/dev/null || echo ro; grep ' /t ' /proc/mounts | cut -d' ' -f3")
    assert out.split() == ["ro", "tmpfs"]
    assert (host / "f").read_text() == "x\n"


def test_volume_create_ls_inspect_rm(hull):
    assert hull.ok("volume", "create", "--label", "k=v", "v1") == "v1\n"
    anon = hull.ok("volume", "create").strip()
    assert len(anon) == 64
    out = hull.ok("volume", "ls")
    assert out.splitlines()[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert {"v1", anon} <= set(out.split())
    assert hull.ok("volume", "inspect", "-f", "{{.Labels.k}}", "v1") == "v\n"
    r = hull("volume", "inspect", "nothere")
    assert r.returncode == 125 and "nothere" in r.err
    r = hull("volume", "create", "bad/name")
    assert r.returncode == 125
    hull.ok("volume", "rm", "v1", anon)
    assert hull.ok("volume", "ls", "-q") == ""


def test_bad_volume_specs(hull):
    for spec in ("", "a:b:c:d", "rel:/x:zz", "/x:rel", "bad name:/x"):
        r = hull("run", "--rm", "-v", spec, "busybox", "true")
        assert r.returncode == 125, (spec, r)
        assert r.err.startswith("hull: ") and r.err.count("\n") == 1
    assert hull.ok("ps", "-aq") == ""
    assert not mounts_under(hull.tmp)


def test_image_volume_and_labels(hull, busybox_tar):
    hull.ok("import", "-c", "VOLUME /data", "-c", "LABEL team=x", busybox_tar, "volimg")
    cid = hull.ok("create", "-l", "own=y", "volimg", "true").strip()
    info = hull.inspect(cid)
    m = info["Mounts"]
    assert len(m) == 1 and m[0]["Destination"] == "/data" and m[0]["Type"] == "volume" and len(m[0]["Name"]) == 64
    assert info["Config"]["Labels"] == {"team": "x", "own": "y"}
    # a -v on the same path replaces it
    cid2 = hull.ok("create", "-v", "named:/data", "volimg", "true").strip()
    assert [x["Name"] for x in hull.inspect(cid2)["Mounts"]] == ["named"]
    src = m[0]["Source"]
    hull.ok("rm", "-v", cid)
    assert not os.path.exists(src)


def test_new_volume_gets_the_image_content(hull, tmp_path):
    # a new (empty) volume is filled from the image at its mount point, owners kept
    out = hull.ok("run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/group")
    assert out.startswith("root:")
    data = hull.root / "volumes" / "etcvol" / "_data"
    assert (data / "group").read_text() == out
    # a volume with content keeps it (no second copy)
    (data / "group").write_text("mine\n")
    assert hull.ok("run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/group") == "mine\n"
    # a bind mount is never filled
    empty = tmp_path / "empty"
    empty.mkdir()
    hull.ok("run", "--rm", "-v", f"{empty}:/etc", "busybox", "true")
    assert list(empty.iterdir()) == []
