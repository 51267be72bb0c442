"""`exec`: a new process in a running container - its namespaces, cgroup,
pid namespace, exit status, the process options (env, cwd, user, caps,
rlimits, no_new_privs, --process FILE), -d/--pid-file, terminals, fds."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import parse_kv, pid_alive, proc_starttime, wait_for
from test_process import ConsoleListener

NS_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "uts", "user", "time")


@pytest.fixture
def running(ctx, bundle):
    """A running container (init: /probe sleep 1000); returns (id, init pid)."""
    bundle.probe("sleep", "1000")
    r = bundle.run_detached()
    pid = ctx.state(r.id)["pid"]
    ctx.wait_status(r.id, "running")
    return r.id, pid


def ex(ctx, cid, *argv, opts=(), **kw):
    return ctx.rt("exec", *opts, cid, *argv, **kw)


def exec_probe(ctx, cid, *argv, opts=(), rc=0):
    r = ex(ctx, cid, "/probe", *argv, opts=opts)
    assert r.returncode == rc, r
    return r.out


def bg_exec(ctx, cid, *argv, opts=()):
    """exec -d with a pid file: returns the process's host pid (noted for teardown)."""
    pf = ctx.tmp / f"exec{len(ctx.pids)}.pid"
    r = ex(ctx, cid, *argv, opts=("-d", "--pid-file", pf) + tuple(opts))
    assert r.returncode == 0, r
    pid = int(pf.read_text())
    ctx.note_pid(pid)
    return pid


# ---- where the process runs

def test_same_namespaces_as_init(ctx, running):
    cid, init = running
    seen = dict(line.split(" ", 1) for line in exec_probe(ctx, cid, "ns").splitlines())
    for kind in NS_KINDS:
        if kind not in seen:
            continue
        assert seen[kind] == os.readlink(f"/proc/{init}/ns/{kind}"), (kind, seen)
    # and those are the container's own, not the host's
    for kind in ("mnt", "net", "pid", "uts", "ipc", "cgroup"):
        assert seen[kind] != os.readlink(f"/proc/self/ns/{kind}"), kind


def test_same_namespaces_from_host_side(ctx, running):
    cid, init = running
    pid = bg_exec(ctx, cid, "/probe", "sleep", "30")
    for kind in NS_KINDS:
        if os.path.exists(f"/proc/{init}/ns/{kind}"):
            assert os.readlink(f"/proc/{pid}/ns/{kind}") == os.readlink(f"/proc/{init}/ns/{kind}"), kind
    os.kill(pid, signal.SIGKILL)


def test_user_namespace(ctx, bundle):
    """The exec'd process joins the container's user namespace first, so it
    is root there with the container's mappings."""
    os.chmod(ctx.tmp, 0o755)  # the mapped root must reach the rootfs
    bundle.linux["namespaces"].append({"type": "user"})
    bundle.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/sys")]
    bundle.probe("sleep", "1000")
    cid = bundle.run_detached().id
    init = ctx.state(cid)["pid"]
    out = exec_probe(ctx, cid, "ids", "+", "cat", "/proc/self/uid_map", "+", "ns")
    kv = parse_kv(out)
    assert kv["uid"] == "0" and kv["euid"] == "0", out
    assert ["0", "100000", "65536"] in [line.split() for line in out.splitlines()], out
    for kind in ("user", "mnt", "pid", "net", "cgroup"):
        assert kv[kind] == os.readlink(f"/proc/{init}/ns/{kind}"), (kind, out)
    # host uid 100000 + 1000 from the host's side
    pid = bg_exec(ctx, cid, "/probe", "sleep", "30", opts=("-u", "1000"))
    with open(f"/proc/{pid}/status") as f:
        uids = [line.split()[1] for line in f if line.startswith("Uid:")]
    assert uids == ["101000"], uids
    os.kill(pid, signal.SIGKILL)


@pytest.mark.runc_differs("time namespaces are runc 1.2+")
def test_time_namespace(ctx, bundle):
    bundle.linux["namespaces"].append({"type": "time"})
    bundle.linux["timeOffsets"] = {"monotonic": {"secs": 1000000, "nanosecs": 0}}
    bundle.probe("sleep", "1000")
    cid = bundle.run_detached().id
    init = ctx.state(cid)["pid"]
    kv = parse_kv(exec_probe(ctx, cid, "clock", "+", "ns"))
    assert kv["time"] == os.readlink(f"/proc/{init}/ns/time")
    assert abs(int(kv["monotonic"]) - (time.clock_gettime(time.CLOCK_MONOTONIC) + 1000000)) < 30, kv


def test_in_container_cgroup(ctx, running):
    cid, init = running
    pid = bg_exec(ctx, cid, "/probe", "sleep", "30")
    with open(f"/proc/{init}/cgroup") as f:
        want = f.read()
    with open(f"/proc/{pid}/cgroup") as f:
        got = f.read()
    assert got == want
    assert cid in got
    os.kill(pid, signal.SIGKILL)


def test_pid_namespace(ctx, running):
    cid, _ = running
    out = parse_kv(exec_probe(ctx, cid, "pid"))
    assert out["pid"] != "1"
    # the init is pid 1 and the only other process it sees
    cmdline = exec_probe(ctx, cid, "cat", "/proc/1/cmdline")
    assert cmdline.split("\0")[:3] == ["/probe", "sleep", "1000"], cmdline
    procs = [p for p in exec_probe(ctx, cid, "ls", "/proc").split() if p.isdigit()]
    assert "1" in procs and len(procs) == 2, procs


def test_hostname_and_root(ctx, running, bundle):
    cid, _ = running
    assert exec_probe(ctx, cid, "hostname").strip() == "hull"
    (bundle.rootfs / "marker").write_text("inside\n")
    assert exec_probe(ctx, cid, "cat", "/marker") == "inside\n"


def test_exec_in_created_container(ctx, bundle):
    """As runc: the created container's namespaces exist, exec works."""
    bundle.probe("sleep", "1000")
    r = bundle.create()
    out = parse_kv(exec_probe(ctx, r.id, "pid"))
    assert out["pid"] != "1"
    assert ctx.status(r.id) == "created"


# ---- exit status and errors

def test_exit_status(ctx, running):
    cid, _ = running
    assert ex(ctx, cid, "/probe", "exit", "7").returncode == 7
    assert ex(ctx, cid, "/probe", "exit", "0").returncode == 0
    assert ex(ctx, cid, "/bin/sh", "-c", "kill -9 $$").returncode == 128 + 9


def test_missing_binary(ctx, running):
    cid, _ = running
    r = ex(ctx, cid, "/nope")
    assert r.returncode == 255, r
    assert "/nope" in r.err, r
    r = ex(ctx, cid, "nope-in-path")
    assert r.returncode == 255, r
    assert "nope-in-path" in r.err and "not found" in r.err, r
    assert r.err.count("\n") == 1 or "level=error" in r.err, r


def test_stopped_container(ctx, bundle):
    bundle.probe("exit", "0")
    r = bundle.run_detached()
    ctx.wait_status(r.id, "stopped")
    e = ex(ctx, r.id, "/probe", "pid")
    assert e.returncode == 255, e
    assert "cannot exec in a stopped container" in e.err, e


def test_unknown_container(ctx):
    r = ex(ctx, "nosuch", "/probe", "pid")
    assert r.returncode == 255, r
    assert "does not exist" in r.err, r


@pytest.mark.runc_differs("runc 1.1's exec --ignore-paused -d hangs until the container is resumed")
def test_paused_container(ctx, running, bundle):
    cid, _ = running
    ctx.rt("pause", cid, check=0)
    try:
        r = ex(ctx, cid, "/probe", "pid")
        assert r.returncode == 255, r
        assert "paused" in r.err, r
        # --ignore-paused: the process waits in the frozen cgroup
        r = ex(ctx, cid, "/probe", "write", "/paused-exec", "x",
               opts=("-d", "--ignore-paused", "--pid-file", ctx.tmp / "p.pid"), timeout=15)
        assert r.returncode == 0, r
        ctx.note_pid(int((ctx.tmp / "p.pid").read_text()))
        time.sleep(0.2)
        assert not (bundle.rootfs / "paused-exec").exists()
    finally:
        ctx.rt("resume", cid, check=0)
    wait_for(lambda: (bundle.rootfs / "paused-exec").exists(), what="the exec'd process to run after resume")


@pytest.mark.hull_wording
def test_usage_errors(ctx, running):
    cid, _ = running
    r = ctx.rt("exec", cid)
    assert r.returncode == 1 and "missing the command" in r.err, r
    r = ctx.rt("exec", "-u", "root", cid, "/probe", "ids")
    assert r.returncode == 1 and "--user uid 'root'" in r.err, r
    r = ctx.rt("exec", "--cwd", "rel", cid, "/probe", "ids")
    assert r.returncode == 1 and "absolute" in r.err, r
    r = ctx.rt("exec", "--console-socket", ctx.tmp / "s", cid, "/probe", "ids")
    assert r.returncode == 1 and "tty" in r.err, r


# ---- the process

def test_env_cwd_user_overrides(ctx, running):
    cid, _ = running
    out = exec_probe(ctx, cid, "env", "+", "cwd", "+", "ids",
                     opts=("-e", "FOO=bar", "-e", "TERM=dumb", "--cwd", "/tmp", "-u", "1000:1001",
                           "--additional-gids", "5", "--additional-gids", "6"))
    lines = out.splitlines()
    env = [line for line in lines if "=" in line]
    assert "FOO=bar" in env, env
    assert [e for e in env if e.startswith("TERM=")] == ["TERM=dumb"], env
    assert any(e.startswith("PATH=/usr/local/sbin") for e in env), env
    assert "HOME=/" in env, env
    assert "/tmp" in lines
    ids = parse_kv("\n".join(line for line in lines if "=" not in line))
    assert ids["uid"] == "1000" and ids["euid"] == "1000"
    assert ids["gid"] == "1001" and ids["egid"] == "1001"
    assert ids["groups"].split() == ["5", "6"], ids


def test_defaults_from_config(ctx, bundle):
    bundle.process["user"] = {"uid": 1234, "gid": 4321}
    bundle.process["cwd"] = "/dev"
    bundle.process["env"].append("FROM_CONFIG=yes")
    bundle.probe("sleep", "1000")
    cid = bundle.run_detached().id
    out = exec_probe(ctx, cid, "ids", "+", "cwd", "+", "env")
    kv = parse_kv(out)
    assert kv["uid"] == "1234" and kv["gid"] == "4321"
    assert "/dev" in out.splitlines()
    assert "FROM_CONFIG=yes" in out.splitlines()


def test_process_file(ctx, running):
    cid, _ = running
    proc = {
        "terminal": False,
        "user": {"uid": 0, "gid": 8, "additionalGids": [9]},
        "args": ["/probe", "ids", "+", "cwd", "+", "env", "+", "caps", "+", "rlimit", "NOFILE", "+", "nnp"],
        "env": ["ONLY=this"],
        "cwd": "/proc",
        "capabilities": {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")},
        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 333, "hard": 444}],
        "noNewPrivileges": True,
    }
    pf = ctx.tmp / "process.json"
    pf.write_text(json.dumps(proc))
    r = ctx.rt("exec", "--process", pf, cid)
    assert r.returncode == 0, r
    out = r.out
    lines = out.splitlines()
    kv = parse_kv(out)
    assert kv["uid"] == "0" and kv["gid"] == "8" and kv["groups"].split() == ["9"], out
    assert "/proc" in lines
    assert "ONLY=this" in lines
    assert not any(line.startswith("PATH=") for line in lines), out
    assert kv["CapEff"] == "0000000000000020" and kv["CapBnd"] == "0000000000000020", out
    assert "333 444" in lines
    assert kv["NoNewPrivs"] == "1"


def test_process_file_invalid(ctx, running):
    cid, _ = running
    pf = ctx.tmp / "bad.json"
    pf.write_text(json.dumps({"args": [], "cwd": "/"}))
    r = ctx.rt("exec", "--process", pf, cid)
    assert r.returncode == 255, r
    r = ctx.rt("exec", "--process", ctx.tmp / "missing.json", cid)
    assert r.returncode == 255, r
    assert "missing.json" in r.err, r


@pytest.mark.hull_wording
def test_process_file_invalid_message(ctx, running):
    cid, _ = running
    pf = ctx.tmp / "bad.json"
    pf.write_text(json.dumps({"args": [], "cwd": "/"}))
    r = ctx.rt("exec", "--process", pf, cid)
    assert f"process file '{pf}'" in r.err and "args" in r.err, r


def test_caps(ctx, running):
    cid, _ = running
    # default_config: AUDIT_WRITE(29), KILL(5), NET_BIND_SERVICE(10)
    caps = parse_kv(exec_probe(ctx, cid, "caps"))
    assert caps["CapEff"] == "0000000020000420", caps
    assert caps["CapBnd"] == "0000000020000420", caps
    caps = parse_kv(exec_probe(ctx, cid, "caps", opts=("--cap", "CAP_NET_ADMIN")))
    assert caps["CapEff"] == "0000000020001420", caps
    assert caps["CapPrm"] == "0000000020001420", caps
    assert caps["CapBnd"] == "0000000020001420", caps


def test_caps_non_root_user(ctx, running):
    cid, _ = running
    caps = parse_kv(exec_probe(ctx, cid, "caps", opts=("-u", "1000")))
    # runc's default config has ambient caps: they survive the uid change only when inheritable
    assert caps["CapBnd"] == "0000000020000420", caps


def test_rlimits_from_config(ctx, bundle):
    bundle.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 555, "hard": 666},
                                 {"type": "RLIMIT_CORE", "soft": 0, "hard": 12345}]
    bundle.probe("sleep", "1000")
    cid = bundle.run_detached().id
    out = exec_probe(ctx, cid, "rlimit", "NOFILE", "+", "rlimit", "CORE").splitlines()
    assert out == ["555 666", "0 12345"], out


def test_no_new_privs(ctx, bundle):
    bundle.process["noNewPrivileges"] = False
    bundle.probe("sleep", "1000")
    cid = bundle.run_detached().id
    assert parse_kv(exec_probe(ctx, cid, "nnp"))["NoNewPrivs"] == "0"
    assert parse_kv(exec_probe(ctx, cid, "nnp", opts=("--no-new-privs",)))["NoNewPrivs"] == "1"


def test_nnp_from_config(ctx, running):
    cid, _ = running  # default_config: noNewPrivileges true
    assert parse_kv(exec_probe(ctx, cid, "nnp"))["NoNewPrivs"] == "1"


def test_args_keep_their_options(ctx, running):
    cid, _ = running
    r = ex(ctx, cid, "/bin/sh", "-c", "echo -n a; echo b")
    assert r.returncode == 0 and r.out == "ab\n", r


# ---- -d, --pid-file, fds, signals

def test_detach_pid_file(ctx, running):
    cid, init = running
    r = ctx.rt("exec", "-d", "--pid-file", "rel.pid", cid, "/probe", "sleep", "30", cwd=ctx.tmp)
    assert r.returncode == 0, r
    assert r.out == "", r
    pid = int((ctx.tmp / "rel.pid").read_text())
    ctx.note_pid(pid)
    assert pid_alive(pid)
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{init}/ns/pid")
    # exec -d returns once the exec has begun (the sync socket closes on
    # exec); the dmz trampoline then execs the program: wait for it.
    def cmdline():
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read().split("\0")[:3]
    wait_for(lambda: cmdline() == ["/probe", "sleep", "30"], what="the exec'd program's command line")
    os.kill(pid, signal.SIGKILL)


def _with_fd3(ctx, path, *args):
    """Runs the runtime with fd 3 open on path (a shell redirects it)."""
    argv = ["/bin/sh", "-c", 'exec 3>>"$0"; exec "$@"', str(path), ctx.runtime, "--root", str(ctx.root)]
    return subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)


def test_preserve_fds(ctx, running):
    cid, _ = running
    path = ctx.tmp / "fd3.out"
    r = _with_fd3(ctx, path, "exec", "--preserve-fds", "1", cid, "/bin/sh", "-c", "echo via-fd3 >&3; /probe fds")
    assert r.returncode == 0, r
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["3"], r
    assert path.read_text() == "via-fd3\n"
    # without --preserve-fds it does not reach the process
    r = _with_fd3(ctx, path, "exec", cid, "/probe", "fds")
    assert r.returncode == 0 and r.stdout == "", r


def test_signal_forwarded(ctx, running):
    cid, _ = running
    out = ctx.tmp / "sig.out"
    with open(out, "wb") as o:
        p = subprocess.Popen([ctx.runtime, "--root", str(ctx.root), "exec", cid, "/probe", "waitsig"],
                             stdout=o, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        ctx.popens.append(p)
        wait_for(lambda: "waiting" in out.read_text(), what="the exec'd process to wait for a signal")
        p.send_signal(signal.SIGUSR1)
        rc = p.wait(timeout=15)
    assert rc == 128 + signal.SIGUSR1, (rc, out.read_text())
    assert f"signal {int(signal.SIGUSR1)}" in out.read_text()


# ---- terminals

def test_tty_console_socket(ctx, running):
    cid, _ = running
    c = ConsoleListener(ctx.tmp / "console.sock")
    try:
        r = ctx.rt("exec", "-d", "-t", "--console-socket", c.path, "--pid-file", ctx.tmp / "t.pid",
                   cid, "/bin/sh", "-c", "/probe tty; echo done")
        assert r.returncode == 0, r
        ctx.note_pid(int((ctx.tmp / "t.pid").read_text()))
        c.wait_master()
        out = c.read_all()
    finally:
        c.close()
    lines = out.splitlines()
    assert lines[0].startswith("0 tty /dev/pts/"), out
    assert lines[1].startswith("1 tty /dev/pts/") and lines[2].startswith("2 tty /dev/pts/"), out
    assert "done" in lines, out


def test_tty_needs_console_socket_when_detached(ctx, running):
    cid, _ = running
    r = ctx.rt("exec", "-d", "-t", cid, "/probe", "tty")
    assert r.returncode != 0, r
    assert "console" in r.err, r


@pytest.mark.runc_differs("runc 1.1 opens /dev/tty for the foreground terminal and fails without one")
def test_tty_foreground_relayed(ctx, running):
    cid, _ = running
    r = ctx.rt("exec", "-t", cid, "/bin/sh", "-c", "/probe tty; exit 3")
    assert r.returncode == 3, r
    lines = r.out.replace("\r\n", "\n").splitlines()
    assert lines[0].startswith("0 tty /dev/pts/"), r


def test_no_leftover_processes(ctx, running):
    """A foreground exec leaves nothing behind in the container."""
    cid, init = running
    for _ in range(5):
        assert ex(ctx, cid, "/probe", "pid").returncode == 0
    procs = [p for p in exec_probe(ctx, cid, "ls", "/proc").split() if p.isdigit()]
    assert len(procs) == 2, procs
    assert proc_starttime(init) is not None


def test_no_pivot_container(ctx, bundle):
    """With --no-pivot the init is chrooted, not pivoted: exec lands in the
    same root, not at the mount namespace's root."""
    (bundle.rootfs / "marker").write_text("rootfs\n")
    bundle.probe("sleep", "1000")
    r = bundle.create(None, "--no-pivot")
    ctx.rt("start", r.id, check=0)
    assert exec_probe(ctx, r.id, "cat", "/marker") == "rootfs\n"
    assert "inside yes" in exec_probe(ctx, r.id, "cwd-inside")


def test_bad_cwd_and_not_executable(ctx, running):
    cid, _ = running
    r = ex(ctx, cid, "/probe", "cwd", opts=("--cwd", "/no/such/dir"))
    assert r.returncode == 255, r
    assert "/no/such/dir" in r.err, r
    r = ex(ctx, cid, "/etc")
    assert r.returncode == 255, r
    r = ex(ctx, cid, "/etc/passwd")
    assert r.returncode == 255, r


def test_home_from_passwd(ctx, running):
    """HOME, when the process has none, is the user's home in the
    container's /etc/passwd, else "/" (as runc)."""
    cid, _ = running
    env = exec_probe(ctx, cid, "env").splitlines()
    assert "HOME=/root" in env, env
    env = exec_probe(ctx, cid, "env", opts=("-u", "65534")).splitlines()
    assert "HOME=/nonexistent" in env, env
    env = exec_probe(ctx, cid, "env", opts=("-e", "HOME=/mine")).splitlines()
    assert [e for e in env if e.startswith("HOME=")] == ["HOME=/mine"], env
