"""The container must not reach the runtime binary (CVE-2019-5736), host
fds or host directories (CVE-2024-21626)."""
import os
import subprocess

import pytest

from conftest import HULLRT, sha256


@pytest.fixture
def runtime_hash():
    real = os.path.realpath(HULLRT)
    before = sha256(real)
    st = os.stat(real)
    yield real
    assert sha256(real) == before, "the runtime binary was modified"
    assert os.stat(real).st_mtime == st.st_mtime


def no_write_access(out):
    lines = [line for line in out.splitlines() if line.startswith("/proc/")]
    assert lines, out
    bad = [line for line in lines if line.split()[1] == "ok"]
    assert not bad, f"opened for writing: {bad}"


def test_open_exe_from_init(ctx, bundle, runtime_hash):
    r = bundle.probe("open-exe").run()
    no_write_access(r.out)


def test_open_exe_from_child(ctx, bundle, runtime_hash):
    r = bundle.args("/bin/sh", "-c", "/probe open-exe 1").run()
    no_write_access(r.out)


def test_open_exe_privileged(ctx, bundle, runtime_hash):
    """Even with all capabilities and a writable rootfs."""
    caps = [f"CAP_{c}" for c in ("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
                                  "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
                                  "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_CHROOT", "SYS_PTRACE",
                                  "SYS_ADMIN", "MKNOD", "AUDIT_WRITE")]
    bundle.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    bundle.process["noNewPrivileges"] = False
    r = bundle.probe("open-exe").run()
    no_write_access(r.out)


def _shebang_rootfs(bundle):
    evil = bundle.rootfs / "evil"
    evil.write_text("#!/proc/self/exe\n")
    os.chmod(evil, 0o755)


def test_proc_self_exe_shebang(ctx, bundle, runtime_hash):
    """A container whose program is '#!/proc/self/exe' must not end up
    running (and so exposing) the runtime's on-disk binary."""
    _shebang_rootfs(bundle)
    bundle.args("/evil")
    r = bundle.create(check=None)
    if r.returncode != 0:
        return  # refusing is fine
    rt_stat = os.stat(runtime_hash)
    pid = ctx.state(r.id)["pid"]
    # Until it execs, the init is a clone of the runtime (its exe is the
    # runtime binary, its cmdline the create command's): only what it runs
    # after the exec counts.
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        before_exec = f.read()
    ctx.rt("start", r.id)
    # whatever the init became, it is not the runtime binary from disk
    for _ in range(25):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read() == before_exec:
                    subprocess.run(["sleep", "0.02"])
                    continue
            st = os.stat(f"/proc/{pid}/exe")
        except OSError:
            break
        assert (st.st_dev, st.st_ino) != (rt_stat.st_dev, rt_stat.st_ino), \
            "the container's process runs the runtime binary from disk"
        if ctx.status(r.id) == "stopped":
            break
        subprocess.run(["sleep", "0.02"])
    ctx.rt("kill", r.id, "KILL")
    ctx.wait_status(r.id, "stopped")


def test_created_init_waits_in_the_dmz(ctx, bundle, runtime_hash):
    """The init (sharing hullrt's memory) leaves the runtime's image at
    create: a created container's process is the sealed dmz waiting for
    start, not the runtime binary; start then runs the program."""
    bundle.args("/bin/sh", "-c", "echo started > /started")
    r = bundle.create()
    pid = ctx.state(r.id)["pid"]
    rt = os.stat(runtime_hash)
    st = os.stat(f"/proc/{pid}/exe")
    assert (st.st_dev, st.st_ino) != (rt.st_dev, rt.st_ino)
    assert os.readlink(f"/proc/{pid}/exe").startswith("/memfd:hull-dmz"), os.readlink(f"/proc/{pid}/exe")
    assert not (bundle.rootfs / "started").exists()
    ctx.rt("start", r.id)
    ctx.wait_status(r.id, "stopped")
    assert (bundle.rootfs / "started").read_text() == "started\n"


def test_created_init_with_start_hooks_waits_in_the_runtime(ctx, bundle, runtime_hash):
    """startContainer hooks run in the init after start: that init is a
    fork of the runtime and waits as one (non-dumpable)."""
    bundle.config["hooks"] = {"startContainer": [{"path": "/bin/true"}]}
    bundle.args("/bin/true")
    r = bundle.create()
    pid = ctx.state(r.id)["pid"]
    rt = os.stat(runtime_hash)
    st = os.stat(f"/proc/{pid}/exe")
    assert (st.st_dev, st.st_ino) == (rt.st_dev, rt.st_ino)
    ctx.rt("start", r.id)
    ctx.wait_status(r.id, "stopped")


def test_other_container_cannot_write_init_exe(ctx, bundle, runtime_hash):
    """A privileged container B in container A's pid namespace tries to
    write A's init (/proc/1/exe) while A is created, then after A execs a
    '#!/proc/self/exe' program."""
    _shebang_rootfs(bundle)
    bundle.args("/evil")
    a = bundle.create(check=None)
    if a.returncode != 0:
        return
    pid = ctx.state(a.id)["pid"]
    b = ctx.bundle("b")
    for n in b.linux["namespaces"]:
        if n["type"] == "pid":
            n["path"] = f"/proc/{pid}/ns/pid"
    caps = ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_SYS_ADMIN", "CAP_KILL"]
    b.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    r = b.probe("open-exe", "1").run()
    assert r.returncode == 0, r
    no_write_access(r.out)
    ctx.rt("start", a.id)
    # A's pid namespace may already be gone (its init failed to run /evil)
    r = b.probe("open-exe", "1").run()
    if "/proc/1/exe" in r.out:
        no_write_access(r.out)


def test_runtime_fds_not_leaked(ctx, bundle):
    """fds the runtime was started with (a host directory here) do not reach
    the container unless --preserve-fds says so."""
    fd = os.open(ctx.tmp, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.set_inheritable(fd, True)
        bundle.probe("fds").write()
        cid = ctx.new_id()
        out = ctx.tmp / "fds.out"
        with open(out, "wb") as o:
            p = subprocess.run([ctx.runtime, "--root", str(ctx.root), "run", "--bundle", str(bundle.path), cid],
                               stdout=o, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, pass_fds=(fd,),
                               timeout=30)
    finally:
        os.close(fd)
    assert p.returncode == 0, p.stderr
    assert out.read_text().strip() == "", "fds reached the container: " + out.read_text()


@pytest.mark.parametrize("n", range(3, 9))
def test_cwd_proc_self_fd(ctx, bundle, n):
    """cwd /proc/self/fd/N must not resolve to a host directory through a
    runtime fd (CVE-2024-21626): an error, or a cwd inside the rootfs."""
    bundle.process["cwd"] = f"/proc/self/fd/{n}"
    r = bundle.probe("cwd-inside", "+", "cwd").run()
    if r.returncode == 0:
        assert "inside yes" in r.out, r
        assert not r.out.splitlines()[-1].startswith("(unreachable)"), r


def test_host_processes_invisible(ctx, bundle):
    r = bundle.probe("ls", "/proc").run()
    pids = [p for p in r.out.split() if p.isdigit()]
    assert pids == ["1"], pids


def test_no_host_mounts_visible(ctx, bundle):
    r = bundle.probe("mounts").run()
    assert r.returncode == 0, r
    mps = [line.split()[0] for line in r.out.splitlines()]
    assert not any(m.startswith(str(ctx.tmp)) for m in mps), mps
    for m in mps:
        assert not m.startswith("/mnt/sandboxing"), m


def test_sys_readonly(ctx, bundle):
    r = bundle.probe("write", "/sys/kernel/uevent_helper", "x").run()
    assert r.returncode == 1
    assert r.out.split()[1] in ("EROFS", "EACCES", "ENOENT", "EPERM"), r.out


def test_cgroupfs_readonly(ctx, bundle):
    r = bundle.probe("write", "/sys/fs/cgroup/pids/pids.max", "1", "+", "write",
                     "/sys/fs/cgroup/memory/memory.limit_in_bytes", "1").run()
    errs = [line for line in r.out.splitlines() if line.startswith("error")]
    assert len(errs) == 2, r.out


# ---- the same through exec: a process started in a running container

@pytest.fixture
def running(ctx, bundle):
    bundle.probe("sleep", "1000")
    r = bundle.run_detached()
    ctx.wait_status(r.id, "running")
    return r.id


def test_exec_open_exe(ctx, running, runtime_hash):
    """An exec'd process cannot get write access to its own or the init's
    binary, and its /proc/self/exe is the program, not the runtime."""
    r = ctx.rt("exec", running, "/probe", "open-exe", "+", "readlink", "/proc/self/exe")
    assert r.returncode == 0, r
    no_write_access(r.out)
    assert r.out.splitlines()[-1] == "/probe", r.out


def test_exec_open_exe_privileged(ctx, bundle, runtime_hash):
    caps = ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_SYS_ADMIN", "CAP_KILL"]
    bundle.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    bundle.process["noNewPrivileges"] = False
    bundle.probe("sleep", "1000")
    cid = bundle.run_detached().id
    # the exec'd process next to a second one that tries to write its exe
    pf = ctx.tmp / "sleeper.pid"
    r = ctx.rt("exec", "-d", "--pid-file", pf, cid, "/probe", "sleep", "30")
    assert r.returncode == 0, r
    host_pid = int(pf.read_text())
    ctx.note_pid(host_pid)
    r = ctx.rt("exec", cid, "/bin/sh", "-c", "for p in /proc/[0-9]*; do /probe open-exe ${p#/proc/}; done")
    no_write_access(r.out)
    os.kill(host_pid, 9)


def test_exec_proc_self_exe_shebang(ctx, running, bundle, runtime_hash):
    """exec of a '#!/proc/self/exe' program never runs the runtime's binary."""
    _shebang_rootfs(bundle)
    rt_stat = os.stat(runtime_hash)
    pf = ctx.tmp / "evil.pid"
    r = ctx.rt("exec", "-d", "--pid-file", pf, running, "/evil")
    if r.returncode != 0:
        return  # refusing is fine
    pid = int(pf.read_text())
    ctx.note_pid(pid)
    for _ in range(25):
        try:
            st = os.stat(f"/proc/{pid}/exe")
        except OSError:
            break
        assert (st.st_dev, st.st_ino) != (rt_stat.st_dev, rt_stat.st_ino), \
            "the exec'd process runs the runtime binary from disk"
        subprocess.run(["sleep", "0.02"])
    try:
        os.kill(pid, 9)
    except OSError:
        pass


def test_exec_runtime_fds_not_leaked(ctx, running):
    """A host directory fd the runtime was started with does not reach the
    exec'd process."""
    fd = os.open(ctx.tmp, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.set_inheritable(fd, True)
        p = subprocess.run([ctx.runtime, "--root", str(ctx.root), "exec", running, "/probe", "fds"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, pass_fds=(fd,), timeout=30)
    finally:
        os.close(fd)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "", "fds reached the exec'd process: " + p.stdout


@pytest.mark.parametrize("n", range(3, 9))
def test_exec_cwd_proc_self_fd(ctx, running, n):
    """exec --cwd /proc/self/fd/N: an error, or a cwd inside the rootfs,
    never a host directory through a runtime fd (CVE-2024-21626)."""
    r = ctx.rt("exec", "--cwd", f"/proc/self/fd/{n}", running, "/probe", "cwd-inside", "+", "cwd")
    if r.returncode == 0:
        assert "inside yes" in r.out, r
        assert not r.out.splitlines()[-1].startswith("(unreachable)"), r
    else:
        assert r.returncode == 255, r


def test_exec_cwd_proc_self_fd_process_file(ctx, running):
    """The same through --process (what containerd passes)."""
    import json
    for n in range(3, 9):
        pf = ctx.tmp / f"p{n}.json"
        pf.write_text(json.dumps({"args": ["/probe", "cwd-inside", "+", "cwd"], "cwd": f"/proc/self/fd/{n}",
                                  "user": {"uid": 0, "gid": 0}}))
        r = ctx.rt("exec", "--process", pf, running)
        if r.returncode == 0:
            assert "inside yes" in r.out, r
            assert not r.out.splitlines()[-1].startswith("(unreachable)"), r


def test_exec_cwd_through_inherited_host_fd(ctx, running):
    """A host directory fd the caller left open in the runtime cannot be
    the exec'd process's cwd (CVE-2024-21626 with the fd handed in)."""
    fd = os.open(ctx.tmp, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.set_inheritable(fd, True)
        p = subprocess.run([ctx.runtime, "--root", str(ctx.root), "exec", "--cwd", f"/proc/self/fd/{fd}", running,
                            "/probe", "cwd-inside", "+", "cwd", "+", "ls", "."],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, pass_fds=(fd,), timeout=30)
    finally:
        os.close(fd)
    if p.returncode == 0:
        assert "inside yes" in p.stdout, p.stdout
        assert "root" not in p.stdout.split(), "the host directory is the cwd: " + p.stdout
    else:
        assert p.returncode == 255, p


def test_exec_passwd_through_inherited_host_fd(ctx, bundle):
    """/etc/passwd -> /proc/self/fd/N: the runtime must not read a host file
    it was handed (fd N) into the exec'd process's HOME."""
    secret = ctx.tmp / "host-secret"
    secret.write_text("root:x:0:0:root:/HOST-SECRET:/bin/sh\n")
    bundle.probe("sleep", "1000")
    cid = bundle.run_detached().id
    fd = os.open(secret, os.O_RDONLY)
    try:
        os.set_inheritable(fd, True)
        passwd = bundle.rootfs / "etc" / "passwd"
        passwd.unlink()
        passwd.symlink_to(f"/proc/self/fd/{fd}")
        p = subprocess.run([ctx.runtime, "--root", str(ctx.root), "exec", cid, "/probe", "env"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, pass_fds=(fd,), timeout=30)
    finally:
        os.close(fd)
    assert "HOST-SECRET" not in p.stdout + p.stderr, p
