"""podman smoke test: podman drives the runtime under test (--runtime).

podman runs in its own temporary --root/--runroot with the vfs storage
driver (no overlay mounts to leave behind), cgroupfs and a file events
backend, and puts its cgroups under a parent named after the test."""
import os
import shutil
import subprocess

import pytest

from conftest import CGROUP_ROOT, HULLRT

PODMAN = shutil.which("podman")


@pytest.fixture
def podman(ctx, base_bundle):
    if not PODMAN:
        pytest.skip("podman is not installed")
    os.chmod(ctx.tmp, 0o755)
    pr = ctx.tmp / "podman"
    parent = f"/hullt-podman-{ctx.token}"
    base = [PODMAN, "--root", str(pr / "root"), "--runroot", str(pr / "runroot"), "--tmpdir", str(pr / "tmp"),
            "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--storage-driver", "vfs",
            "--runtime", os.path.realpath(HULLRT)]

    def pm(*args, timeout=60):
        return subprocess.run(base + list(args), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def cleanup():
        pm("rm", "-a", "-f")
        pm("rmi", "-a", "-f")
        pm("system", "reset", "-f")
        for line in open("/proc/self/mountinfo").read().splitlines():
            mp = line.split()[4]
            if mp.startswith(str(pr)):
                subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        shutil.rmtree(pr, ignore_errors=True)
        # podman makes the cgroup parent; the runtime must have removed its leaf
        left = []
        for h in os.listdir(CGROUP_ROOT):
            d = os.path.join(CGROUP_ROOT, h, parent.lstrip("/"))
            if os.path.isdir(d) and not os.path.islink(os.path.join(CGROUP_ROOT, h)):
                for sub, dirs, _ in sorted(os.walk(d), key=lambda x: -len(x[0])):
                    if sub != d and os.path.basename(sub) != "conmon":  # conmon's is podman's own
                        left.append(sub)
                    try:
                        os.rmdir(sub)
                    except OSError:
                        pass
        assert not left, f"container cgroups left under podman's parent: {left}"

    ctx.extra_cleanup.append(cleanup)
    tar = ctx.tmp / "rootfs.tar"
    subprocess.run(["tar", "-C", str(base_bundle / "rootfs"), "-cf", str(tar), "."], check=True)
    r = pm("import", str(tar), "localhost/hull-busybox:test")
    assert r.returncode == 0, r.stderr
    pm.run_opts = ["run", "--rm", "--network", "none", "--cgroup-parent", parent,
                   "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "localhost/hull-busybox:test"]
    return pm


def test_podman_run_echo(ctx, podman):
    r = podman(*podman.run_opts, "echo", "hello")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n", (r.stdout, r.stderr)


def test_podman_exit_status_and_probe(ctx, podman):
    r = podman(*podman.run_opts, "/bin/sh", "-c", "/probe ids + rlimit NOFILE + rlimit NPROC; exit 3")
    assert r.returncode == 3, (r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert "uid 0" in lines
    assert "1024 1024" in lines


def test_podman_default_seccomp_profile_is_applied(ctx, podman):
    """podman passes containers-common's profile (default ERRNO, errno 38,
    personality allowed only for a few values): it must be in force."""
    r = podman(*podman.run_opts, "/probe", "sys", "personality", "0x1234", "+", "sys", "personality", "0xffffffff",
               "+", "cat", "/proc/self/status")
    assert r.returncode == 0, (r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert lines[0] == "errno 38 ENOSYS", r.stdout
    assert lines[1].startswith("ret "), r.stdout
    assert "Seccomp:\t2" in lines, r.stdout
    i = podman.run_opts.index("localhost/hull-busybox:test")
    opts = podman.run_opts[:i] + ["--security-opt", "seccomp=unconfined"] + podman.run_opts[i:]
    r = podman(*opts, "/probe", "sys", "personality", "0x1234", "+", "sys", "personality", "0xffffffff",
               "+", "cat", "/proc/self/status")
    assert r.returncode == 0, (r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("ret ") and "Seccomp:\t0" in lines, r.stdout


def test_podman_exec(ctx, podman):
    """podman exec: conmon calls `RUNTIME exec --process FILE --detach --pid-file ...`."""
    name = f"hx-{ctx.token}"
    run = list(podman.run_opts)
    r = podman(run[0], "-d", "--name", name, *run[1:], "sleep", "1000")
    assert r.returncode == 0, r.stderr
    try:
        r = podman("exec", name, "/probe", "pid")
        assert r.returncode == 0, r.stderr
        assert "pid 1" not in r.stdout.splitlines() and r.stdout.startswith("pid "), r.stdout
        r = podman("exec", "-e", "HULLX=42", "--workdir", "/tmp", name, "/bin/sh", "-c", "echo $HULLX $(pwd); exit 4")
        assert r.returncode == 4, r.stderr
        assert r.stdout == "42 /tmp\n", (r.stdout, r.stderr)
        # -t: conmon gets the pty master over --console-socket
        r = podman("exec", "-t", name, "/probe", "tty")
        assert r.returncode == 0, r.stderr
        assert r.stdout.replace("\r\n", "\n").splitlines()[0].startswith("0 tty /dev/pts/"), r.stdout
        r = podman("exec", name, "/nonexistent")
        assert r.returncode != 0 and "nonexistent" in r.stderr, (r.returncode, r.stderr)
    finally:
        podman("rm", "-f", "-t", "0", name)
