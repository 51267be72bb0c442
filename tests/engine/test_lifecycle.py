"""ps, inspect, logs, stop, kill, rm, wait, restart, rename, pause; the
monitor; bad input."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from .conftest import cgroup_dirs_named, mounts_under, procs_mentioning, wait_for


def test_ps_columns_and_states(hull):
    hull.run_d("--name", "up", "busybox", "sleep", "1000")
    hull("run", "--name", "done", "busybox", "sh", "-c", "exit 3")
    hull.ok("create", "--name", "new", "busybox", "true")
    out = hull.ok("ps")
    lines = out.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert len(lines) == 2  # only the running one
    assert lines[1].endswith("up") and " Up " in lines[1] and '"sleep 1000"' in lines[1]
    out = hull.ok("ps", "-a", "--format", "{{.Names}}|{{.Status}}|{{.State}}")
    rows = dict(l.split("|", 1) for l in out.splitlines())
    assert rows["up"].startswith("Up ") and rows["up"].endswith("|running")
    assert re.match(r"Exited \(3\) .* ago\|exited$", rows["done"])
    assert rows["new"] == "Created|created"
    ids = hull.ok("ps", "-aq").split()
    assert len(ids) == 3 and all(len(i) == 12 for i in ids)
    full = hull.ok("ps", "-aq", "--no-trunc").split()
    assert all(len(i) == 64 for i in full)
    js = [json.loads(l) for l in hull.ok("ps", "-a", "--format", "json").splitlines()]
    assert {j["Names"] for j in js} == {"up", "done", "new"}


def test_inspect_fields(hull):
    cid = hull.run_d("--name", "insp", "-e", "X=1", "busybox", "sleep", "1000")
    info = hull.inspect("insp")
    assert info["Id"] == cid
    assert info["Path"] == "sleep" and info["Args"] == ["1000"]
    assert info["Image"].startswith("sha256:")
    assert "X=1" in info["Config"]["Env"]
    assert info["Config"]["Image"] == "busybox"
    for k in ("Status", "Running", "Paused", "Pid", "ExitCode", "OOMKilled", "StartedAt", "FinishedAt"):
        assert k in info["State"]
    for k in ("LowerDir", "UpperDir", "MergedDir", "WorkDir"):
        assert info["GraphDriver"]["Data"][k].startswith(str(hull.root))
    assert "NetworkSettings" in info and info["HostConfig"]["NetworkMode"] == "none"
    assert hull.ok("inspect", "-f", "{{.State.Status}} {{.Name}}", "insp") == "running /insp\n"
    assert json.loads(hull.ok("inspect", "-f", "{{json .Config.Cmd}}", "insp")) == ["sleep", "1000"]
    # the record the store reads
    rec = json.loads((hull.root / "containers" / cid / "config.json").read_text())
    assert rec["Image"] == info["Image"] and rec["GraphDriver"]["Data"]["UpperDir"]


def log_lines(hull, cid):
    return (hull.root / "containers" / cid / f"{cid}-json.log").read_text().splitlines()


def test_logs_json_file(hull):
    cid = hull.run_d("--name", "lg", "busybox", "sh", "-c", "echo one; echo two >&2; echo three")
    hull.wait_status("lg", "exited")
    r = hull("logs", "lg")
    assert r.out == "one\nthree\n" and r.err == "two\n"
    last = json.loads(log_lines(hull, cid)[-1])
    r = hull("logs", "--tail", "1", "lg")
    assert (r.out if last["stream"] == "stdout" else r.err) == last["log"]
    assert (r.err if last["stream"] == "stdout" else r.out) == ""
    ts = hull.ok("logs", "-t", "lg").splitlines()
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z one$", ts[0])
    log = hull.root / "containers" / cid / f"{cid}-json.log"
    entries = [json.loads(l) for l in log.read_text().splitlines()]
    out = [e for e in entries if e["stream"] == "stdout"]
    assert out[0]["log"] == "one\n" and out[1]["log"] == "three\n" and out[0]["time"].endswith("Z")
    assert [e["log"] for e in entries if e["stream"] == "stderr"] == ["two\n"]


def test_logs_follow_ends_with_the_container(hull):
    hull.run_d("--name", "fol", "busybox", "sh", "-c", "echo a; sleep 1; echo b")
    r = hull("logs", "-f", "fol", timeout=20)
    assert r.returncode == 0 and r.out == "a\nb\n"


def test_stop_uses_signal_then_kill(hull):
    # sh as PID 1 ignores TERM: stop must fall back to KILL after -t
    hull.run_d("--name", "stubborn", "busybox", "sleep", "1000")
    t0 = time.monotonic()
    assert hull.ok("stop", "-t", "1", "stubborn") == "stubborn\n"
    st = hull.inspect("stubborn")["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 137
    assert st["FinishedAt"] > st["StartedAt"]
    # a process that handles TERM exits with its own status
    hull.run_d("--name", "polite", "busybox", "sh", "-c", "trap 'exit 5' TERM; while true; do sleep 0.1; done")
    hull.ok("stop", "polite")
    assert hull.inspect("polite")["State"]["ExitCode"] == 5
    # --stop-signal
    hull.run_d("--name", "usr1", "--stop-signal", "USR1", "busybox", "sh", "-c",
               "trap 'exit 9' USR1; while true; do sleep 0.1; done")
    hull.ok("stop", "usr1")
    assert hull.inspect("usr1")["State"]["ExitCode"] == 9


def test_kill_wait_restart_rm(hull):
    hull.run_d("--name", "kk", "busybox", "sleep", "1000")
    pid1 = hull.inspect("kk")["State"]["Pid"]
    assert hull.ok("kill", "-s", "KILL", "kk") == "kk\n"
    assert hull.ok("wait", "kk") == "137\n"
    assert hull("kill", "kk").returncode == 125  # not running
    hull.ok("restart", "kk")
    st = hull.inspect("kk")["State"]
    assert st["Status"] == "running" and st["Pid"] != pid1
    r = hull("rm", "kk")
    assert r.returncode == 125 and "running" in r.err
    assert hull.ok("rm", "-f", "kk") == "kk\n"
    assert hull.ok("ps", "-aq") == ""
    assert not mounts_under(hull.tmp)


def test_rename_pause_unpause(hull):
    cid = hull.run_d("--name", "old", "busybox", "sleep", "1000")
    hull.ok("rename", "old", "new")
    assert hull.inspect("new")["Id"] == cid
    assert hull("inspect", "old").returncode == 125
    hull.ok("pause", "new")
    st = hull.inspect("new")["State"]
    assert st["Status"] == "paused" and st["Paused"] is True
    pid = st["Pid"]
    with open(f"/proc/{pid}/stat") as f:
        assert f.read().rsplit(")", 1)[1].split()[0] in ("S", "D", "T")
    hull.ok("unpause", "new")
    assert hull.status("new") == "running"


def test_monitor_killed_ps_and_rm_still_right(hull):
    cid = hull.run_d("--name", "orphan", "busybox", "sleep", "1000")
    mon = int((hull.runroot / "containers" / cid / "monitor.pid").read_text().split()[0])
    with open(f"/proc/{mon}/comm") as f:
        assert f.read().strip() == "hull-monitor"
    pid = hull.inspect("orphan")["State"]["Pid"]
    os.kill(mon, signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{mon}/comm") or open(f"/proc/{mon}/stat").read().split()[2] == "Z",
             what="monitor gone")
    # the init still runs: ps says so
    assert hull.status("orphan") == "running"
    assert "orphan" in hull.ok("ps")
    # the init dies: ps tells the truth without the monitor
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: hull.status("orphan") == "exited", what="exited without a monitor")
    assert "orphan" not in hull.ok("ps")
    merged = hull.inspect("orphan")["GraphDriver"]["Data"]["MergedDir"]
    assert merged in mounts_under(hull.tmp)  # nobody unmounted it yet
    hull.ok("rm", "orphan")
    assert not mounts_under(hull.tmp)
    assert not cgroup_dirs_named(cid)


def test_monitor_killed_rm_force_kills_the_container(hull):
    cid = hull.run_d("--name", "orphan2", "busybox", "sleep", "1000")
    mon = int((hull.runroot / "containers" / cid / "monitor.pid").read_text().split()[0])
    pid = hull.inspect(cid)["State"]["Pid"]
    os.kill(mon, signal.SIGKILL)
    hull.ok("rm", "-f", "orphan2")
    wait_for(lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z",
             what="container init gone")
    assert not cgroup_dirs_named(cid)
    assert not mounts_under(hull.tmp)


def test_detached_run_leaves_no_fd_of_ours_open(hull):
    """`run -d` returns although its caller reads stdout to EOF: the monitor
    does not keep it."""
    import subprocess
    p = subprocess.run(hull.argv("run", "-d", "busybox", "sleep", "1000"), capture_output=True, text=True,
                       timeout=20)
    assert p.returncode == 0 and len(p.stdout.strip()) == 64


@pytest.mark.parametrize("args,needle", [
    (("run", "no-such-image", "true"), "no-such-image"),
    (("run", "--memory", "lots", "busybox", "true"), "--memory"),
    (("run", "--cpus", "abc", "busybox", "true"), "--cpus"),
    (("run", "--restart", "sometimes", "busybox", "true"), "--restart"),
    (("run", "--ulimit", "bogus=1", "busybox", "true"), "--ulimit"),
    (("run", "--stop-signal", "SIGNOPE", "busybox", "true"), "--stop-signal"),
    (("run", "-v", "a:b:c:d", "busybox", "true"), "volume specification"),
    (("run", "-v", "/x:relative", "busybox", "true"), "absolute"),
    (("run", "--mount", "type=bind,source=/no/such/dir,target=/x", "busybox", "true"), "/no/such/dir"),
    (("run", "--cap-add", "NOT_A_CAP", "busybox", "true"), "NOT_A_CAP"),
    (("run", "--net", "container:nobody", "busybox", "true"), "nobody"),
    (("run", "--bogus-flag", "busybox", "true"), "--bogus-flag"),
    (("run", "--name", "bad/name", "busybox", "true"), "bad/name"),
    (("inspect", "nobody"), "nobody"),
    (("stop", "nobody"), "nobody"),
    (("rm", "nobody"), "nobody"),
    (("logs", "nobody"), "nobody"),
    (("frobnicate",), "frobnicate"),
])
def test_bad_input_is_one_message_and_125(hull, args, needle):
    r = hull(*args)
    assert r.returncode == 125, r
    assert r.err.startswith("hull: ") and needle in r.err, r
    assert r.err.count("hull:") == 1, r
    assert hull.ok("ps", "-aq") == "" or args[0] != "run", "a failed run left a container"
    assert not mounts_under(hull.tmp)


def test_name_in_use(hull):
    cid = hull.run_d("--name", "dup", "busybox", "sleep", "100")
    r = hull("run", "--name", "dup", "busybox", "true")
    assert r.returncode == 125
    assert '"/dup" is already in use' in r.err and cid in r.err
    assert len(hull.ok("ps", "-aq").split()) == 1


def test_help_for_every_command(hull):
    for cmd in ("run", "create", "start", "ps", "inspect", "logs", "stop", "kill", "rm", "wait", "restart",
                "rename", "pause", "unpause", "volume", "port"):
        r = hull(cmd, "--help")
        assert r.returncode == 0 and r.out.startswith("Usage: hull " + cmd), (cmd, r)
    assert "run" in hull.ok("--help")


def test_restart_policies(hull):
    hull.run_d("--name", "onf", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3")
    wait_for(lambda: hull.inspect("onf")["State"]["Status"] == "exited" and hull.inspect("onf")["RestartCount"] == 2,
             timeout=20, what="two restarts then exited")
    assert hull.ok("logs", "onf") == "run\n" * 3
    assert hull.inspect("onf")["State"]["ExitCode"] == 3
    hull.run_d("--name", "alw", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2")
    wait_for(lambda: hull.inspect("alw")["RestartCount"] >= 2, timeout=20, what="restarts of an always container")
    # a stop is final
    hull.ok("stop", "-t", "1", "alw")
    n = hull.inspect("alw")["RestartCount"]
    time.sleep(1)
    assert hull.status("alw") == "exited" and hull.inspect("alw")["RestartCount"] == n
    # success does not restart on-failure
    hull.run_d("--name", "okk", "--restart", "on-failure", "busybox", "true")
    hull.wait_status("okk", "exited")
    time.sleep(0.5)
    assert hull.inspect("okk")["RestartCount"] == 0
    r = hull("run", "--rm", "--restart", "always", "busybox", "true")
    assert r.returncode == 125 and "--restart" in r.err


def test_init_reaps_and_forwards_signals(hull):
    out = hull.ok("run", "--rm", "--init", "busybox", "sh", "-c", "ps -o pid,comm | sed -n 2p")
    assert out.split() == ["1", "init"]
    hull.run_d("--name", "ini", "--init", "busybox", "sh", "-c", "(sleep 0.2 &); sleep 1000")
    time.sleep(0.8)
    out = hull.ok("exec", "ini", "ps", "-o", "stat,comm")
    assert not [l for l in out.splitlines()[1:] if l.split()[0].startswith("Z")], out
    # TERM reaches sleep through init (sh as PID 1 would ignore it): 143, not KILL's 137
    hull.ok("stop", "-t", "20", "ini")
    assert hull.inspect("ini")["State"]["ExitCode"] == 143
    r = hull("run", "--rm", "--init", "busybox", "no-such")
    assert r.returncode == 127


def test_monitor_is_lean(hull):
    """The monitor is build/hull-monitor (static): no image library mapped,
    little memory of its own."""
    cid = hull.run_d("busybox", "sleep", "1000")
    mon = int((hull.runroot / "containers" / cid / "monitor.pid").read_text().split()[0])
    assert os.readlink(f"/proc/{mon}/exe").endswith("/hull-monitor")
    maps = open(f"/proc/{mon}/maps").read()
    assert "libarchive" not in maps and "libcrypto" not in maps and "libc.so" not in maps
    rollup = dict(l.split(":", 1) for l in open(f"/proc/{mon}/smaps_rollup").read().splitlines()[1:])
    private_dirty_kb = int(rollup["Private_Dirty"].split()[0])
    assert private_dirty_kb < 512, rollup
    # it holds no fd of the test's (its stdio is /dev/null)
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{mon}/fd/{fd}") == "/dev/null"


def test_monitor_is_detached(hull):
    """The monitor outlives hull in a session of its own that it does not
    lead (no terminal it opens can become its controlling terminal), with
    hull's signal mask, not the one hull blocks while starting it."""
    cid = hull.run_d("busybox", "sleep", "1000")
    mon = int((hull.runroot / "containers" / cid / "monitor.pid").read_text().split()[0])
    fields = open(f"/proc/{mon}/stat").read().rsplit(")", 1)[1].split()
    ppid, pgrp, sid, tty_nr = int(fields[1]), int(fields[2]), int(fields[3]), int(fields[4])
    assert sid != os.getsid(0) and sid != mon and pgrp == sid and tty_nr == 0
    assert ppid != os.getpid()
    status = dict(l.split(":", 1) for l in open(f"/proc/{mon}/status").read().splitlines())
    blocked = int(status["SigBlk"], 16)
    # the monitor blocks only what it reads from its signalfd, and SIGPIPE
    mine = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE}
    assert blocked == sum(1 << (s - 1) for s in mine), hex(blocked)


def test_missing_monitor_binary_is_one_error(hull, tmp_path):
    """hull without build/hull-monitor beside it says so and leaves the
    container created and unmounted."""
    lone = tmp_path / "hull"
    lone.write_bytes(open(hull.argv()[0], "rb").read())
    lone.chmod(0o755)
    hull.ok("create", "--name", "lone", "busybox", "true")
    r = subprocess.run([str(lone)] + hull.argv("start", "lone")[1:], capture_output=True, text=True, timeout=60)
    assert r.returncode == 125, r
    assert r.stderr.strip() == f"hull: cannot start the container's monitor: '{tmp_path}/hull-monitor': No such file or directory", r
    assert hull.status("lone") == "created"
    assert mounts_under(hull.root) == []


def test_ps_filters_and_container_alias(hull):
    a = hull.run_d("--name", "fa", "-l", "tier=web", "busybox", "sleep", "1000")
    hull("run", "--name", "fb", "busybox", "true", check=0)
    names = lambda *f: sorted(hull.ok("ps", *f, "--format", "{{.Names}}").split())
    assert names("-f", "status=exited") == ["fb"]
    assert names("-a", "-f", "name=f") == ["fa", "fb"]
    assert names("-a", "-f", "label=tier=web") == ["fa"]
    assert names("-a", "-f", "label=tier") == ["fa"]
    assert names("-a", "-f", "id=" + a[:6]) == ["fa"]
    assert names("-a", "-f", "ancestor=busybox") == ["fa", "fb"]
    assert names("-a", "-f", "status=running", "-f", "status=exited") == ["fa", "fb"]
    assert names("-a", "-f", "status=running", "-f", "name=fb") == []
    assert hull("ps", "-f", "bogus").returncode == 125
    assert hull.ok("container", "ls", "-aq") == hull.ok("ps", "-aq")
    hull.ok("container", "rm", "fb")
    assert names("-a") == ["fa"]


def test_concurrent_runs_and_one_name(hull):
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    def run(argv):
        return subprocess.run(hull.argv(*argv), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=60)

    with ThreadPoolExecutor(6) as ex:
        same = list(ex.map(run, [("create", "--name", "same", "busybox", "true")] * 6))
        outs = list(ex.map(run, [("run", "--rm", "busybox", "echo", str(i)) for i in range(6)]))
    assert sorted(r.returncode for r in same) == [0] + [125] * 5
    assert all("already in use" in r.stderr for r in same if r.returncode)
    assert [r.stdout for r in outs] == [f"{i}\n" for i in range(6)]
    assert hull.ok("ps", "-a", "--format", "{{.Names}}") == "same\n"
