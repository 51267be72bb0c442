"""hull cp (confined to the container's root), top, stats, update, port."""
import os

from .conftest import find_cgroup, mounts_under, wait_for


def test_cp_both_ways_running_and_stopped(hull, tmp_path):
    hull.run_d("--name", "cpx", "busybox", "sh", "-c", "mkdir /d; echo one > /d/a; ln -s a /d/l; sleep 1000")
    hull.ok("exec", "cpx", "test", "-f", "/d/a")
    hull.ok("cp", "cpx:/d", tmp_path / "out")
    assert (tmp_path / "out" / "a").read_text() == "one\n"
    assert os.readlink(tmp_path / "out" / "l") == "a"
    (tmp_path / "in.txt").write_text("from host\n")
    hull.ok("cp", tmp_path / "in.txt", "cpx:/tmp/")
    assert hull.ok("exec", "cpx", "cat", "/tmp/in.txt") == "from host\n"
    hull.ok("cp", tmp_path / "in.txt", "cpx:/renamed.txt")
    assert hull.ok("exec", "cpx", "cat", "/renamed.txt") == "from host\n"
    # stopped: the overlay is mounted for the copy only
    hull.ok("stop", "-t", "0", "cpx")
    merged = hull.inspect("cpx")["GraphDriver"]["Data"]["MergedDir"]
    hull.ok("cp", "cpx:/renamed.txt", tmp_path / "back.txt")
    assert (tmp_path / "back.txt").read_text() == "from host\n"
    assert merged not in mounts_under(hull.tmp)


def test_cp_cannot_leave_the_container(hull, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host secret\n")
    hull.run_d("--name", "esc", "busybox", "sh", "-c",
               f"ln -s /../../../../../../{outside} /up; ln -s {outside}/secret /abs; sleep 1000")
    hull.ok("exec", "esc", "test", "-L", "/up")
    # reading through a symlink pointing out of the container resolves inside it
    r = hull("cp", "esc:/up/secret", tmp_path / "got")
    assert r.returncode == 125
    assert not (tmp_path / "got").exists()
    # a symlink itself is copied as a symlink, never followed
    hull.ok("cp", "esc:/abs", tmp_path / "link")
    assert os.path.islink(tmp_path / "link")
    # writing through one lands inside the container, never on the host
    (tmp_path / "payload").write_text("x\n")
    hull("cp", tmp_path / "payload", "esc:/up/payload")
    assert not (outside / "payload").exists()
    r = hull("cp", "esc:/no/such", tmp_path / "x")
    assert r.returncode == 125 and "/no/such" in r.err


def test_top_stats_port(hull):
    cid = hull.run_d("--name", "tp", "-m", "64m", "busybox", "sleep", "1000")
    out = hull.ok("top", "tp").splitlines()
    assert out[0].split() == ["UID", "PID", "PPID", "CMD"]
    pid = hull.inspect("tp")["State"]["Pid"]
    assert any(l.split()[1] == str(pid) and l.endswith("sleep 1000") for l in out[1:])
    out = hull.ok("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}} {{.PIDs}}", "tp")
    name, usage, _, limit, pids = out.split()
    assert name == "tp" and limit == "64.00MiB" and pids == "1"
    assert hull.ok("port", "tp") == ""
    hull.ok("stop", "-t", "0", "tp")
    assert hull("top", "tp").returncode == 125


def test_update_changes_the_running_cgroup(hull):
    cid = hull.run_d("--name", "up", "-m", "64m", "--cpu-shares", "512", "busybox", "sleep", "1000")
    hull.ok("update", "-m", "128m", "--cpu-shares", "300", "--pids-limit", "30", "up")
    with open(os.path.join(find_cgroup("memory", cid), "memory.limit_in_bytes")) as f:
        assert f.read().strip() == str(128 << 20)
    with open(os.path.join(find_cgroup("cpu", cid), "cpu.shares")) as f:
        assert f.read().strip() == "300"
    with open(os.path.join(find_cgroup("pids", cid), "pids.max")) as f:
        assert f.read().strip() == "30"
    hc = hull.inspect("up")["HostConfig"]
    assert hc["Memory"] == 128 << 20 and hc["CpuShares"] == 300
    # the container still works (its device rules were kept)
    assert hull.ok("exec", "up", "sh", "-c", "echo ok > /dev/null && echo fine") == "fine\n"
    r = hull("update", "--name", "x", "up")
    assert r.returncode == 125
    r = hull("update", "-m", "nope", "up")
    assert r.returncode == 125 and "--memory" in r.err


def test_cp_symlinked_parent_and_dotdot_stay_inside(hull, tmp_path):
    """The same path exists on the host and in the container: a symlinked
    parent directory, a relative link full of "..", a ".." in the path given
    and a symlink as the destination all resolve in the container."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host\n")
    rel = "../" * 12 + str(outside).lstrip("/")
    hull.run_d("--name", "dd", "busybox", "sh", "-c",
               f"mkdir -p {outside}; echo inner > {outside}/secret; ln -s {outside} /dirlink; ln -s {rel} /rel; "
               f"ln -s {outside}/secret /filelink; touch /ready; sleep 1000")
    wait_for(lambda: hull("exec", "dd", "test", "-e", "/ready").returncode == 0, what="links made")
    (tmp_path / "payload").write_text("payload\n")
    # host -> container
    hull.ok("cp", tmp_path / "payload", "dd:/dirlink/p1")
    hull.ok("cp", tmp_path / "payload", "dd:/rel/p2")
    hull.ok("cp", tmp_path / "payload", f"dd:/../../../..{outside}/p3")
    # onto a symlink to a file: the container's file takes the content
    hull.ok("cp", tmp_path / "payload", "dd:/filelink")
    assert sorted(os.listdir(outside)) == ["secret"]
    assert (outside / "secret").read_text() == "host\n"
    assert hull.ok("exec", "dd", "cat", f"{outside}/secret") == "payload\n"
    hull.ok("exec", "dd", "sh", "-c", f"echo inner > {outside}/secret")
    assert hull.ok("exec", "dd", "ls", str(outside)).split() == ["p1", "p2", "p3", "secret"]
    assert hull.ok("exec", "dd", "cat", f"{outside}/p1") == "payload\n"
    # container -> host: every way reads the container's file
    for i, src in enumerate(("/dirlink/secret", "/rel/secret", f"/../../../..{outside}/secret")):
        hull.ok("cp", f"dd:{src}", tmp_path / f"got{i}")
        assert (tmp_path / f"got{i}").read_text() == "inner\n", src
    # a directory given as a symlinked path: its content comes from the container
    hull.ok("cp", "dd:/dirlink/.", tmp_path / "tree")
    assert sorted(os.listdir(tmp_path / "tree")) == ["p1", "p2", "p3", "secret"]
    assert (tmp_path / "tree" / "secret").read_text() == "inner\n"
    # stopped: the same through the overlay
    hull.ok("stop", "-t", "0", "dd")
    hull.ok("cp", tmp_path / "payload", "dd:/dirlink/p4")
    hull.ok("cp", "dd:/rel/secret", tmp_path / "got-stopped")
    assert (tmp_path / "got-stopped").read_text() == "inner\n"
    assert sorted(os.listdir(outside)) == ["secret"]
