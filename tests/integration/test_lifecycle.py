"""create / start / run / state / kill / delete / list / pause / resume and
their options (--pid-file, --preserve-fds, --no-pivot, --no-new-keyring,
-d, --keep)."""
import json
import os
import subprocess
import time

import pytest

from conftest import Result, parse_mounts, pid_alive, wait_for


def test_create_leaves_created_start_runs(ctx, bundle):
    marker = bundle.rootfs / "started"
    bundle.args("/bin/sh", "-c", "echo yes > /started; exec /probe waitsig")
    r = bundle.create()
    st = ctx.state(r.id)
    assert st["status"] == "created"
    assert st["id"] == r.id
    assert st["pid"] > 0 and os.path.exists(f"/proc/{st['pid']}")
    # the user program has not run yet
    time.sleep(0.2)
    assert not marker.exists()
    assert ctx.status(r.id) == "created"
    ctx.rt("start", r.id, check=0)
    # The shell creates the file before it writes to it: wait for the text.
    wait_for(lambda: marker.exists() and marker.read_text() == "yes\n",
             what="the container's program to write /started after start")
    assert ctx.status(r.id) == "running"
    ctx.rt("kill", r.id, "KILL", check=0)
    ctx.wait_status(r.id, "stopped")
    ctx.rt("delete", r.id, check=0)
    assert ctx.rt("state", r.id).returncode != 0


def test_state_json_fields(ctx, bundle):
    bundle.config["annotations"] = {"org.hull.test": "yes"}
    bundle.probe("waitsig")
    r = bundle.create()
    st = ctx.state(r.id)
    assert st["ociVersion"].startswith("1.")
    assert st["id"] == r.id
    assert st["status"] == "created"
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert os.path.realpath(st["bundle"]) == os.path.realpath(bundle.path)
    assert st.get("annotations", {}).get("org.hull.test") == "yes"
    ctx.rt("start", r.id, check=0)
    assert ctx.state(r.id)["status"] == "running"
    ctx.rt("kill", r.id, "TERM", check=0)
    ctx.wait_status(r.id, "stopped")
    st = ctx.state(r.id)
    assert st["status"] == "stopped"


def test_run_exit_status(ctx, bundle):
    r = bundle.probe("exit", "7").run()
    assert r.returncode == 7, r
    assert ctx.rt("state", r.id).returncode != 0, "run without --keep must delete the container"


def test_run_output_and_stdin(ctx, bundle, tmp_path):
    inp = tmp_path / "in"
    inp.write_text("from stdin\n")
    with open(inp) as f:
        r = bundle.args("/bin/sh", "-c", "read x; echo got:$x; echo err >&2").run(stdin=f)
    assert r.returncode == 0, r
    assert r.out == "got:from stdin\n"
    assert "err" in r.err


def test_run_detach(ctx, bundle):
    bundle.probe("waitsig")
    t = time.monotonic()
    r = bundle.run_detached()
    assert time.monotonic() - t < 10
    assert ctx.state(r.id)["status"] == "running"
    ctx.rt("kill", r.id, "KILL", check=0)
    ctx.wait_status(r.id, "stopped")
    ctx.rt("delete", r.id, check=0)


def test_run_keep(ctx, bundle):
    r = bundle.probe("exit", "3").run(None, "--keep")
    assert r.returncode == 3, r
    st = ctx.state(r.id)
    assert st["status"] == "stopped"
    lst = json.loads(ctx.rt("list", "-f", "json", check=0).out)
    assert any(c["id"] == r.id and c["status"] == "stopped" for c in lst)
    ctx.rt("delete", r.id, check=0)
    out = ctx.rt("list", "-q", check=0).out
    assert r.id not in out.split()


def test_run_without_keep_is_gone(ctx, bundle):
    r = bundle.probe("exit", "0").run()
    assert r.returncode == 0, r
    assert r.id not in ctx.rt("list", "-q", check=0).out.split()
    assert not any(r.id in n for n in os.listdir(ctx.root))


@pytest.mark.parametrize("sig,num", [("TERM", 15), ("SIGUSR1", 10), ("USR2", 12), ("2", 2), ("SIGHUP", 1)])
def test_kill_signals(ctx, bundle, sig, num):
    bundle.probe("waitsig", "/ready")
    r = bundle.create()
    ctx.rt("start", r.id, check=0)
    wait_for((bundle.rootfs / "ready").exists, what="probe waitsig to be ready")
    ctx.rt("kill", r.id, sig, check=0)
    ctx.wait_status(r.id, "stopped")
    assert f"signal {num}" in r.read_out()


def test_kill_default_is_term(ctx, bundle):
    bundle.probe("waitsig", "/ready")
    r = bundle.create()
    ctx.rt("start", r.id, check=0)
    wait_for((bundle.rootfs / "ready").exists, what="probe waitsig to be ready")
    ctx.rt("kill", r.id, check=0)
    ctx.wait_status(r.id, "stopped")
    assert "signal 15" in r.read_out()


def test_kill_all(ctx, bundle):
    # pid 1 is a shell that ignores SIGUSR1 (no handler, pid-namespace init);
    # its child handles it: only `kill --all` reaches the child.
    bundle.args("/bin/sh", "-c", "/probe waitsig /ready > /child.out & wait; echo sh-done")
    r = bundle.create()
    ctx.rt("start", r.id, check=0)
    wait_for((bundle.rootfs / "ready").exists, what="the child to be ready")
    ctx.rt("kill", r.id, "USR1", check=0)
    time.sleep(0.2)
    assert "signal" not in (bundle.rootfs / "child.out").read_text()
    assert ctx.status(r.id) == "running"
    ctx.rt("kill", "--all", r.id, "USR1", check=0)
    ctx.wait_status(r.id, "stopped")
    assert "signal 10" in (bundle.rootfs / "child.out").read_text()
    assert "sh-done" in r.read_out()


def test_delete_stopped_and_force(ctx, bundle):
    bundle.probe("waitsig")
    r = bundle.create()
    pid = ctx.state(r.id)["pid"]
    ctx.rt("start", r.id, check=0)
    d = ctx.rt("delete", "-f", r.id)
    assert d.returncode == 0, d
    assert ctx.rt("state", r.id).returncode != 0
    wait_for(lambda: not pid_alive(pid), what="the container's init to be gone")
    assert r.id not in ctx.rt("list", "-q", check=0).out.split()


def test_delete_created(ctx, bundle):
    """delete of a created (never started) container kills its init."""
    bundle.probe("exit", "0")
    r = bundle.create()
    pid = ctx.state(r.id)["pid"]
    d = ctx.rt("delete", "-f", r.id)
    assert d.returncode == 0, d
    wait_for(lambda: not pid_alive(pid), what="the created init to be gone")
    assert ctx.rt("state", r.id).returncode != 0


def test_list_formats(ctx, bundle):
    bundle.probe("waitsig")
    a = bundle.create()
    b = bundle.create()
    ctx.rt("start", b.id, check=0)
    t = ctx.rt("list", check=0).out.splitlines()
    assert t[0].split()[:5] == ["ID", "PID", "STATUS", "BUNDLE", "CREATED"], t
    rows = {line.split()[0]: line.split() for line in t[1:]}
    assert rows[a.id][2] == "created" and rows[b.id][2] == "running"
    assert rows[a.id][1] == str(ctx.state(a.id)["pid"])
    assert os.path.realpath(rows[a.id][3]) == os.path.realpath(bundle.path)
    t2 = ctx.rt("list", "-f", "table", check=0).out.splitlines()
    assert t2[0].split()[:5] == ["ID", "PID", "STATUS", "BUNDLE", "CREATED"]
    j = json.loads(ctx.rt("list", "--format", "json", check=0).out)
    byid = {c["id"]: c for c in j}
    assert byid[a.id]["status"] == "created" and byid[b.id]["status"] == "running"
    assert byid[b.id]["pid"] == ctx.state(b.id)["pid"]
    q = ctx.rt("list", "-q", check=0).out.split()
    assert sorted(q) == sorted([a.id, b.id])


def test_list_empty_root(ctx):
    r = ctx.rt("list", "-q", check=0)
    assert r.out.strip() == ""
    j = ctx.rt("list", "-f", "json", check=0).out.strip()
    assert j in ("", "null", "[]")


def test_pause_resume(ctx, bundle):
    bundle.probe("waitsig", "/ready")
    r = bundle.create()
    ctx.rt("start", r.id, check=0)
    wait_for((bundle.rootfs / "ready").exists)
    ctx.rt("pause", r.id, check=0)
    assert ctx.state(r.id)["status"] == "paused"
    ctx.rt("resume", r.id, check=0)
    assert ctx.state(r.id)["status"] == "running"
    ctx.rt("kill", r.id, "USR1", check=0)
    ctx.wait_status(r.id, "stopped")
    assert "signal 10" in r.read_out()


@pytest.mark.parametrize("all_", [False, True], ids=["init", "all"])
def test_kill_paused_with_sigkill(ctx, bundle, all_):
    """SIGKILL to a paused container ends it (as runc does: the cgroup is
    thawed, or the killed processes wait frozen); containerd's `task kill`
    and `task delete -f` rely on it."""
    bundle.args("/bin/sh", "-c", "sleep 1000 & touch /ready; wait")
    r = bundle.create()
    ctx.rt("start", r.id, check=0)
    wait_for((bundle.rootfs / "ready").exists, what="the container to be ready")
    ctx.rt("pause", r.id, check=0)
    assert ctx.state(r.id)["status"] == "paused"
    ctx.rt("kill", *(["--all"] if all_ else []), r.id, "KILL", check=0)
    ctx.wait_status(r.id, "stopped")
    ctx.rt("delete", r.id, check=0)


def test_pid_file_relative_to_cwd(ctx, bundle):
    bundle.probe("waitsig")
    cwd = ctx.tmp / "cwd"
    cwd.mkdir()
    r = bundle.create(None, "--pid-file", "init.pid", cwd=cwd)
    pid = int((cwd / "init.pid").read_text().strip())
    assert pid == ctx.state(r.id)["pid"]


def test_run_pid_file(ctx, bundle):
    bundle.probe("waitsig")
    cwd = ctx.tmp / "cwd"
    cwd.mkdir()
    r = bundle.run_detached(None, "--pid-file", "p", cwd=cwd)
    assert int((cwd / "p").read_text()) == ctx.state(r.id)["pid"]


def test_bundle_default_is_cwd(ctx, bundle):
    bundle.probe("exit", "5").write()
    cid = ctx.new_id()
    r = ctx.rt("run", cid, cwd=bundle.path)
    assert r.returncode == 5, r


def test_no_host_fds_without_preserve(ctx, bundle):
    r = bundle.probe("fds").run()
    assert r.returncode == 0, r
    assert r.out.strip() == "", "no fd beyond 0-2 may reach the container: " + r.out


def test_preserve_fds(ctx, bundle):
    f = ctx.tmp / "passed-file"
    f.write_text("x")
    fd = os.open(f, os.O_RDONLY)
    try:
        r = _run_with_fd3(ctx, bundle, fd, "--preserve-fds", "1")
    finally:
        os.close(fd)
    assert r.returncode == 0, r
    fds = dict(line.split(" ", 1) for line in r.out.splitlines())
    assert fds.get("3") == str(f), r.out
    assert "4" not in fds


def _run_with_fd3(ctx, bundle, fd, *opts):
    """Runs `run ... ID` with fd as the runtime's fd 3 (and nothing else)."""
    bundle.probe("fds").write()
    cid = ctx.new_id()
    outp = ctx.tmp / "fd3.out"
    argv = [ctx.runtime, "--root", str(ctx.root), "run", "--bundle", str(bundle.path), *opts, cid]
    with open(outp, "wb") as o:
        p = subprocess.run(argv, stdout=o, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           pass_fds=(3,), preexec_fn=lambda: os.dup2(fd, 3), timeout=30)
    return Result(argv, p.returncode, outp.read_text(), p.stderr.decode(errors="replace"))


def test_no_pivot(ctx, bundle):
    r = bundle.probe("mounts", "+", "write", "/tmp/x", "y").run(None, "--no-pivot")
    assert r.returncode == 0, r
    m = parse_mounts(r.out)
    assert "/" in m and "/proc" in m
    assert (bundle.rootfs / "tmp" / "x").read_text() == "y"


def test_no_new_keyring(ctx, bundle):
    r = bundle.probe("exit", "0").run(None, "--no-new-keyring")
    assert r.returncode == 0, r


def test_create_start_via_bundle_long_option(ctx, bundle):
    bundle.probe("exit", "0").write()
    cid = ctx.new_id()
    r = ctx.rt("create", "-b", bundle.path, cid)
    assert r.returncode == 0, r
    ctx.state(cid)
    ctx.rt("start", cid, check=0)
    ctx.wait_status(cid, "stopped")
    ctx.rt("delete", cid, check=0)


def test_container_exit_reaped_state_stopped(ctx, bundle):
    bundle.probe("exit", "0")
    r = bundle.run_detached()
    ctx.wait_status(r.id, "stopped")
    st = ctx.state(r.id)
    assert st["status"] == "stopped"


def test_kill_created(ctx, bundle):
    """A created (never started) container can be killed; its program never runs."""
    bundle.args("/bin/sh", "-c", "echo ran > /ran")
    r = bundle.create()
    pid = ctx.state(r.id)["pid"]
    ctx.rt("kill", r.id, "KILL", check=0)
    ctx.wait_status(r.id, "stopped")
    wait_for(lambda: not pid_alive(pid), what="the killed init to be gone")
    assert not (bundle.rootfs / "ran").exists()
    ctx.rt("delete", r.id, check=0)
