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
