"""podman end to end: Debian's podman (and conmon) drive the runtime under
test (--runtime); HULLRT=$(which runc) validates the tests.

podman runs in its own temporary --root/--runroot with the vfs storage
driver (no overlay mounts to leave behind), cgroupfs, a file events backend,
no network and no pulls, and puts its cgroups under a parent named after
the test.  The image is imported from the suite's busybox rootfs.  The
container's and conmon's pids are noted: teardown fails the test if either
is left running."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CGROUP_ROOT, HULLRT, pid_alive, wait_for
from ptyrun import run_in_pty

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
        pm("rm", "-a", "-f", "-t", "0")
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
    # podman's default nofile limit (1048576) is above what this host lets a
    # process raise its hard limit to, for runc too: the tests pin it
    pm.opts = ["--pull", "never", "--network", "none", "--cgroup-parent", parent,
               "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
    pm.run_opts = ["run", "--rm"] + pm.opts + ["localhost/hull-busybox:test"]
    pm.image = "localhost/hull-busybox:test"
    pm.parent = parent
    pm.argv = base
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


def test_podman_run_rm_leaves_nothing(ctx, podman):
    r = podman(*podman.run_opts, "sh", "-c", "echo out; echo err >&2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "out\n"
    assert "err\n" in r.stderr
    r = podman("ps", "-a", "-q")
    assert r.returncode == 0 and r.stdout == "", r


def test_podman_memory_limit_and_hostname(ctx, podman):
    r = podman("run", "--rm", *podman.opts, "-m", "64m", "--hostname", "hull-e2e", podman.image,
               "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; hostname; cat /etc/hostname")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [str(64 << 20), "hull-e2e", "hull-e2e"]


def test_podman_run_options(ctx, podman):
    """The spec podman writes for common options, as the container sees it:
    user, workdir, env, a read-only volume, a read-only rootfs (with podman's
    writable /tmp), capabilities, pids limit, stdin (-i) through conmon."""
    vol = ctx.tmp / "vol"
    vol.mkdir()
    (vol / "x").write_text("volfile\n")
    r = subprocess.run(podman.argv + ["run", "--rm", "-i", *podman.opts, "--user", "65534:65534", "--workdir", "/tmp",
                                      "-e", "FOO=bar", "-v", f"{vol}:/data:ro", "--read-only", "--cap-drop", "all",
                                      "--cap-add", "NET_RAW", "--pids-limit", "50", podman.image, "sh", "-c",
                                      "id -u; id -g; pwd; echo $FOO; cat /data/x; touch /y /data/z; "
                                      "grep -E 'CapEff|CapBnd' /proc/self/status; cat /sys/fs/cgroup/pids/pids.max; "
                                      "cat; touch /tmp/ok && echo tmp-writable"],
                       input="stdin-data\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["65534", "65534", "/tmp", "bar", "volfile", "CapEff:\t0000000000002000",
                                     "CapBnd:\t0000000000002000", "50", "stdin-data", "tmp-writable"], r.stdout
    assert "touch: /y: Read-only file system" in r.stderr
    assert "touch: /data/z: Read-only file system" in r.stderr
    assert sorted(os.listdir(vol)) == ["x"]


def test_podman_host_namespaces(ctx, podman):
    """--pid host --uts host: the spec has no pid or uts namespace."""
    r = podman("run", "--rm", *podman.opts, "--pid", "host", "--uts", "host", podman.image,
               "sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/self/ns/uts; hostname")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [os.readlink("/proc/self/ns/pid"), os.readlink("/proc/self/ns/uts"),
                                     os.uname().nodename]


def test_podman_user_namespace(ctx, podman):
    """--uidmap/--gidmap: root in the container is 200000 on the host."""
    vol = ctx.tmp / "uvol"
    vol.mkdir()
    os.chmod(vol, 0o777)
    r = podman("run", "--rm", *podman.opts, "--uidmap", "0:200000:65536", "--gidmap", "0:200000:65536",
               "-v", f"{vol}:/data", podman.image, "sh", "-c", "cat /proc/self/uid_map; id -u; touch /data/f")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0", "200000", "65536", "0"]
    st = os.stat(vol / "f")
    assert (st.st_uid, st.st_gid) == (200000, 200000)


def test_podman_restart(ctx, podman):
    """restart: the runtime's kill, delete, create and start again on the same bundle."""
    name = "c4"
    pid, _ = _start_detached(ctx, podman, name, "sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait")
    r = podman("restart", "-t", "30", name)
    assert r.returncode == 0, r.stderr
    assert not pid_alive(pid)
    pid2, conmon2 = (int(x) for x in _inspect(podman, name, "{{.State.Pid}} {{.State.ConmonPid}}").split())
    ctx.note_pid(pid2)
    ctx.note_pid(conmon2)
    assert pid2 != pid and pid_alive(pid2)
    assert _inspect(podman, name, "{{.State.Status}}") == "running"
    r = podman("rm", "-f", "-t", "0", name)
    assert r.returncode == 0, r.stderr
    assert not pid_alive(pid2)


def _inspect(podman, name, fmt):
    r = podman("inspect", "--format", fmt, name)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def _start_detached(ctx, podman, name, *argv, opts=()):
    r = podman("run", "-d", "--name", name, *podman.opts, *opts, podman.image, *argv)
    assert r.returncode == 0, r.stderr
    pid, conmon = (int(x) for x in _inspect(podman, name, "{{.State.Pid}} {{.State.ConmonPid}}").split())
    ctx.note_pid(pid)      # teardown fails the test if either is left running
    ctx.note_pid(conmon)
    return pid, conmon


def _host_cgroup(pid, controller):
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, ctrls, path = line.split(":", 2)
        if controller in ctrls.split(","):
            return Path(CGROUP_ROOT, controller, path.lstrip("/"))
    raise AssertionError(f"no {controller} cgroup for {pid}")


def test_podman_detached_top_pause_stop_rm(ctx, podman):
    name = "c1"
    pid, conmon = _start_detached(ctx, podman, name, "sh", "-c", "trap 'exit 7' TERM; sleep 1000 & wait",
                                  opts=["-m", "64m"])
    assert _inspect(podman, name, "{{.State.Status}}") == "running"
    mem = _host_cgroup(pid, "memory")
    assert str(mem).startswith(os.path.join(CGROUP_ROOT, "memory", podman.parent.lstrip("/")) + "/")
    assert (mem / "memory.limit_in_bytes").read_text().strip() == str(64 << 20)

    # top: podman reads the container's processes itself; hpid is the host pid
    r = podman("top", name, "pid", "hpid", "args")
    assert r.returncode == 0, r.stderr
    rows = [line.split(None, 2) for line in r.stdout.splitlines()[1:]]
    assert ["1", str(pid), "sh -c trap 'exit 7' TERM; sleep 1000 & wait"] in [[a, b, c.strip()] for a, b, c in rows]
    assert any(c.strip() == "sleep 1000" for _, _, c in rows), r.stdout

    freezer = _host_cgroup(pid, "freezer") / "freezer.state"
    r = podman("pause", name)
    assert r.returncode == 0, r.stderr
    assert _inspect(podman, name, "{{.State.Status}}") == "paused"
    assert freezer.read_text().strip() == "FROZEN"
    r = podman("unpause", name)
    assert r.returncode == 0, r.stderr
    assert _inspect(podman, name, "{{.State.Status}}") == "running"
    assert freezer.read_text().strip() == "THAWED"

    # stop sends SIGTERM first: the trap's exit status is the container's
    r = podman("stop", "-t", "30", name)
    assert r.returncode == 0, r.stderr
    assert _inspect(podman, name, "{{.State.Status}} {{.State.ExitCode}}") == "exited 7"
    assert not pid_alive(pid)
    r = podman("rm", name)
    assert r.returncode == 0, r.stderr
    assert podman("ps", "-a", "-q").stdout == ""
    wait_for(lambda: not pid_alive(conmon), 10, what="conmon to exit")
    assert not mem.exists()


def test_podman_exec(ctx, podman):
    name = "c2"
    pid, _ = _start_detached(ctx, podman, name, "sleep", "1000")
    r = podman("exec", name, "cat", "/proc/1/cmdline")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "sleep\x001000\x00"
    r = podman("exec", name, "sh", "-c", "for n in pid mnt net uts ipc; do readlink /proc/self/ns/$n; done")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [os.readlink(f"/proc/{pid}/ns/{n}") for n in ("pid", "mnt", "net", "uts", "ipc")]
    r = podman("exec", name, "sh", "-c", "exit 4")
    assert r.returncode == 4, r
    r = podman("exec", "-t", name, "tty")  # podman makes the pty: exec --console-socket
    assert r.returncode == 0, r.stderr
    assert r.stdout.replace("\r", "") == "/dev/pts/0\n"
    r = podman("rm", "-f", "-t", "0", name)
    assert r.returncode == 0, r.stderr


def test_podman_update(ctx, podman):
    """podman update: the runtime's update --resources FILE."""
    name = "c3"
    pid, _ = _start_detached(ctx, podman, name, "sleep", "1000", opts=["-m", "64m"])
    mem = _host_cgroup(pid, "memory") / "memory.limit_in_bytes"
    shares = _host_cgroup(pid, "cpu") / "cpu.shares"
    assert mem.read_text().strip() == str(64 << 20)
    r = podman("update", "--memory", "96m", "--cpu-shares", "512", name)
    assert r.returncode == 0, r.stderr
    assert mem.read_text().strip() == str(96 << 20)
    assert shares.read_text().strip() == "512"
    r = podman("rm", "-f", "-t", "0", name)
    assert r.returncode == 0, r.stderr


def test_podman_run_tty(ctx, podman):
    """run -t: podman hands the runtime a console socket; the container's
    stdio is its /dev/pts/0 and the output reaches podman's terminal."""
    rc, lines = run_in_pty(podman.argv + ["run", "--rm", "-t", *podman.opts, podman.image,
                                         "sh", "-c", "tty; echo hello-tty; readlink /proc/self/fd/2; exit 3"])
    assert rc == 3, lines
    assert lines[-3:] == ["/dev/pts/0", "hello-tty", "/dev/pts/0"], lines


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


def test_podman_exec_options(ctx, podman):
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
