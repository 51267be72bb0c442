"""hull run / create / start: the container, its rootfs and its spec."""
import json
import os
import stat

import pytest

from .conftest import mounts_under, wait_for


def test_run_prints_and_exits_with_status(hull):
    r = hull("run", "--rm", "busybox", "sh", "-c", "echo to-out; echo to-err >&2; exit 7")
    assert r.returncode == 7, r
    assert r.out == "to-out\n"
    assert r.err == "to-err\n"
    # --rm: nothing left
    assert hull.ok("ps", "-aq") == ""
    assert not mounts_under(hull.tmp)


def test_missing_command_is_127_and_not_executable_is_126(hull):
    r = hull("run", "--rm", "busybox", "no-such-cmd")
    assert r.returncode == 127, r
    assert "no-such-cmd" in r.err and "not found" in r.err
    assert r.err.count("\n") == 1 and r.err.startswith("hull: ")
    r = hull("run", "--rm", "busybox", "/etc/passwd")
    assert r.returncode == 126, r
    # without --rm the container stays, created, as Docker leaves it
    r = hull("run", "--name", "stays", "busybox", "no-such-cmd")
    assert r.returncode == 127
    assert hull.status("stays") == "created"


def test_container_sees_itself_as_pid1_with_its_hostname(hull):
    out = hull.ok("run", "--rm", "busybox", "sh", "-c", "echo $$; hostname; cat /etc/hostname; id -u")
    pid, hostname, etc_hostname, uid = out.split()
    assert pid == "1"
    assert hostname == etc_hostname
    assert len(hostname) == 12  # the short id, as Docker
    assert uid == "0"
    out = hull.ok("run", "--rm", "-h", "myhost", "busybox", "hostname")
    assert out == "myhost\n"


def test_env_workdir_user_entrypoint(hull, tmp_path):
    envf = tmp_path / "env"
    envf.write_text("# comment\nFROM_FILE=yes\n")
    out = hull.ok("run", "--rm", "-e", "A=1", "--env-file", envf, "-w", "/tmp", "-u", "1000:1000",
                  "busybox", "sh", "-c", "echo $A $FROM_FILE; pwd; id -u; id -g; echo $PATH; echo $HOSTNAME")
    a, wd, uid, gid, path, hn = out.splitlines()
    assert a == "1 yes"
    assert wd == "/tmp"
    assert (uid, gid) == ("1000", "1000")
    assert "/bin" in path
    assert hn
    out = hull.ok("run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint")
    assert out == "via entrypoint\n"


def test_detached_container_runs_on_overlay(hull):
    cid = hull.run_d("--name", "web", "busybox", "sleep", "1000")
    info = hull.inspect("web")
    assert info["Id"] == cid
    assert info["Name"] == "/web"
    st = info["State"]
    assert st["Status"] == "running" and st["Running"] is True
    assert st["Pid"] > 0 and os.path.exists(f"/proc/{st['Pid']}")
    gd = info["GraphDriver"]
    assert gd["Name"] == "overlay"
    merged = gd["Data"]["MergedDir"]
    assert merged in mounts_under(hull.tmp)
    # the init's root is the overlay
    assert os.path.exists(f"/proc/{st['Pid']}/root/bin/busybox")
    # lowerdir: the init layer, then the image's layers
    lower = gd["Data"]["LowerDir"].split(":")
    assert lower[0].endswith("/init")
    assert len(lower) >= 2
    # a file written in the container lands in the upper layer, not in the image
    hull.ok("run", "--rm", "busybox", "true")  # another container does not see it either
    with open(f"/proc/{st['Pid']}/root/tmp/written", "w") as f:
        f.write("x")
    assert os.path.exists(os.path.join(gd["Data"]["UpperDir"], "tmp", "written"))
    hull.ok("rm", "-f", "web")
    assert merged not in mounts_under(hull.tmp)
    assert hull("inspect", "web").returncode == 125


def test_short_id_prefix_and_name_resolve(hull):
    cid = hull.run_d("busybox", "sleep", "1000")
    assert hull.inspect(cid[:12])["Id"] == cid
    assert hull.inspect(cid[:5])["Id"] == cid
    name = hull.inspect(cid)["Name"].lstrip("/")
    assert "_" in name  # a random adjective_name
    assert hull.inspect(name)["Id"] == cid


def test_create_then_start(hull):
    cid = hull.ok("create", "--name", "c1", "busybox", "sh", "-c", "echo created-then-started").strip()
    assert len(cid) == 64
    assert hull.status("c1") == "created"
    assert hull.inspect("c1")["GraphDriver"]["Data"]["MergedDir"] not in mounts_under(hull.tmp)
    r = hull("start", "-a", "c1")
    assert r.returncode == 0, r
    assert r.out == "created-then-started\n"
    assert hull.status("c1") == "exited"
    # start again (detached): runs again, log has both runs
    hull.ok("start", "c1")
    wait_for(lambda: hull.status("c1") == "exited" and hull.ok("logs", "c1").count("\n") == 2, what="second run")


def test_docker_defaults_in_the_container(hull):
    out = hull.ok("run", "--rm", "busybox", "sh", "-c",
                  "grep CapBnd /proc/self/status; grep ' /sys ' /proc/mounts; cat /proc/kcore | wc -c;"
                  " ls /sys/class/net; grep -c . /etc/resolv.conf; cat /etc/hosts | head -1")
    lines = out.splitlines()
    capbnd = int(lines[0].split()[1], 16)
    # Docker's 14 default capabilities: CHOWN(0) ... AUDIT_WRITE(29), no SYS_ADMIN(21)
    assert capbnd & (1 << 0) and capbnd & (1 << 29)
    assert not capbnd & (1 << 21)
    assert bin(capbnd).count("1") == 14
    assert "ro" in lines[1].split()[3].split(",")
    assert lines[2] == "0"  # /proc/kcore masked
    assert lines[3] == "lo"  # --net none: only loopback
    assert int(lines[4]) >= 1
    assert lines[5].startswith("127.0.0.1")
    out = hull.ok("run", "--rm", "--cap-drop", "ALL", "--cap-add", "NET_ADMIN", "busybox", "grep", "CapBnd",
                  "/proc/self/status")
    assert int(out.split()[1], 16) == 1 << 12
    out = hull.ok("run", "--rm", "--privileged", "busybox", "grep", "CapBnd", "/proc/self/status")
    assert int(out.split()[1], 16) & (1 << 21)


def _host_device():
    """A device node of the host's that every container does not get anyway
    and that is harmless to open (never a watchdog or a disk's data)."""
    for p in ("/dev/loop0", "/dev/net/tun", "/dev/loop-control", "/dev/kmsg"):
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            continue
        if stat.S_ISBLK(st.st_mode) or stat.S_ISCHR(st.st_mode):
            return p, st
    return None, None


def test_privileged_gets_the_host_devices(hull):
    """--privileged, as Docker: every host device node, with its numbers and
    mode, usable (the device cgroup allows all); without it, none of them."""
    path, st = _host_device()
    if not path:
        pytest.skip("the host has none of /dev/loop0, /dev/net/tun, /dev/loop-control, /dev/kmsg to check with")
    kind = "b" if stat.S_ISBLK(st.st_mode) else "c"
    want = f"{kind} {os.major(st.st_rdev)}:{os.minor(st.st_rdev)} {stat.S_IMODE(st.st_mode):o}"
    out = hull.ok("run", "--rm", "--privileged", "busybox", "stat", "-c", "%A %t:%T %a", path)
    mode, nums, perm = out.split()
    assert mode[0] == kind and f"{kind} {int(nums.split(':')[0], 16)}:{int(nums.split(':')[1], 16)} {perm}" == want, out
    # the device cgroup lets it be opened (/dev/null too, and the pty of -t stays the container's)
    hull.ok("run", "--rm", "--privileged", "busybox", "sh", "-c", f"test -r {path} && : < {path}")
    r = hull("run", "--rm", "busybox", "test", "-e", path)
    assert r.returncode == 1, r


def test_read_only_and_tmpfs(hull):
    r = hull("run", "--rm", "--read-only", "busybox", "touch", "/file")
    assert r.returncode == 1
    assert "Read-only file system" in r.err
    out = hull.ok("run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c",
                  "touch /scratch/f && grep ' /scratch ' /proc/mounts")
    assert out.split()[2] == "tmpfs"


def test_ulimit_and_labels(hull):
    out = hull.ok("run", "--rm", "--ulimit", "nofile=512:512", "busybox", "sh", "-c", "ulimit -n")
    assert out == "512\n"
    hull.run_d("--name", "lab", "-l", "team=a", "busybox", "sleep", "100")
    assert hull.inspect("lab")["Config"]["Labels"] == {"team": "a"}


def test_stdin_interactive(hull):
    r = hull("run", "--rm", "-i", "busybox", "sh", "-c", "read x; echo got $x", input="hello\n")
    assert r.returncode == 0, r
    assert r.out == "got hello\n"
    r = hull("run", "--rm", "-i", "busybox", "cat", input="a\nb\n")
    assert r.out == "a\nb\n"


def test_spec_is_an_oci_bundle(hull):
    cid = hull.run_d("--memory", "64m", "busybox", "sleep", "100")
    spec = json.loads((hull.runroot / "containers" / cid / "config.json").read_text())
    assert spec["root"]["path"] == hull.inspect(cid)["GraphDriver"]["Data"]["MergedDir"]
    assert spec["linux"]["resources"]["memory"]["limit"] == 64 << 20
    assert {n["type"] for n in spec["linux"]["namespaces"]} >= {"pid", "network", "ipc", "uts", "mount"}
    assert spec["process"]["args"] == ["sleep", "100"]


def test_foreground_run_forwards_signals(hull):
    import signal
    import subprocess
    p = subprocess.Popen(hull.argv("run", "--name", "fg", "busybox", "sh", "-c",
                                   "trap 'echo got-term; exit 7' TERM; echo ready; while true; do sleep 0.1; done"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 7, err
    assert out == "got-term\n"
    assert hull.inspect("fg")["State"]["ExitCode"] == 7


def test_tty(hull):
    out = hull.ok("run", "--rm", "-t", "busybox", "sh", "-c", "tty; echo $TERM")
    assert out.split() == ["/dev/pts/0", "xterm"]
    r = hull("run", "--rm", "-i", "-t", "busybox", "sh", input="echo in-tty; exit 5\n")
    assert r.returncode == 5 and "in-tty" in r.out
    cid = hull.run_d("-t", "busybox", "sh", "-c", "echo logged")
    hull.wait_status(cid, "exited")
    log = (hull.root / "containers" / cid / f"{cid}-json.log").read_bytes().decode()
    assert json.loads(log.splitlines()[0])["log"] == "logged\r\n"  # the terminal's line ending
