"""hull exec: the seeds' walk-through and exec's own behaviour."""
import os

from .conftest import find_cgroup, wait_for


def test_walkthrough_httpd_is_pid1_and_exec_shares_its_namespaces(hull):
    cid = hull.run_d("--name", "web", "--cpu-shares", "512", "-m", "64m", "busybox", "httpd", "-f", "-p", "8080", "-h", "/")
    host_pid = hull.inspect("web")["State"]["Pid"]
    assert host_pid > 1
    with open(f"/proc/{host_pid}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[:2] == [b"httpd", b"-f"]
    # inside: httpd is PID 1
    out = hull.ok("exec", "web", "ps", "-o", "pid,comm")
    rows = [l.split() for l in out.splitlines()[1:]]
    assert ["1", "httpd"] in rows
    # the exec'd process is in the init's namespaces
    kinds = ("net", "ipc", "uts", "pid", "mnt", "cgroup")
    out = hull.ok("exec", "web", "sh", "-c", " ; ".join(f"readlink /proc/self/ns/{k}" for k in kinds))
    assert out.split() == [os.readlink(f"/proc/{host_pid}/ns/{k}") for k in kinds]
    # and in its cgroup, whose limits we set
    with open(os.path.join(find_cgroup("cpu", cid), "cpu.shares")) as f:
        assert f.read().strip() == "512"
    out = hull.ok("exec", "web", "cat", "/proc/self/cgroup")
    assert "memory:/" in out
    # the server answers on the container's own loopback (up, as Docker's --net none)
    assert hull.ok("exec", "web", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/etc/hostname") \
        == hull.inspect("web")["Config"]["Hostname"] + "\n"
    hull.ok("stop", "-t", "1", "web")


def test_exec_status_env_workdir_user(hull):
    hull.run_d("--name", "ex", "-e", "FROM_RUN=1", "busybox", "sleep", "1000")
    r = hull("exec", "ex", "sh", "-c", "exit 42")
    assert r.returncode == 42
    out = hull.ok("exec", "-e", "X=2", "-w", "/tmp", "-u", "nobody", "ex", "sh", "-c",
                  "echo $FROM_RUN $X; pwd; id -un")
    assert out.split() == ["1", "2", "/tmp", "nobody"]
    r = hull("exec", "ex", "no-such-cmd")
    assert r.returncode == 127 and "no-such-cmd" in r.err
    r = hull("exec", "ex", "/etc/passwd")
    assert r.returncode == 126
    r = hull("exec", "-i", "ex", "sh", "-c", "read l; echo got $l", input="line\n")
    assert r.out == "got line\n"


def test_exec_detached_and_errors(hull):
    hull.run_d("--name", "exd", "busybox", "sleep", "1000")
    hull.ok("exec", "-d", "exd", "sh", "-c", "echo bg > /tmp/marker")
    wait_for(lambda: hull("exec", "exd", "cat", "/tmp/marker").out == "bg\n", what="detached exec")
    hull.ok("stop", "-t", "0", "exd")
    r = hull("exec", "exd", "true")
    assert r.returncode == 125 and "not running" in r.err
    r = hull("exec", "nobody", "true")
    assert r.returncode == 125 and "nobody" in r.err
    r = hull("exec", "exd")
    assert r.returncode == 125


def test_exec_privileged(hull):
    hull.run_d("--name", "pv", "busybox", "sleep", "1000")
    eff = lambda *a: int(hull.ok("exec", *a, "pv", "grep", "CapEff", "/proc/self/status").split()[1], 16)
    assert not eff() & (1 << 21)  # no CAP_SYS_ADMIN by default
    assert eff("--privileged") & (1 << 21)


def test_attach_to_a_running_container(hull):
    hull.run_d("--name", "at", "-i", "busybox", "sh", "-c",
               'while read l; do echo "echo:$l"; [ "$l" = quit ] && exit 6; done')
    r = hull("attach", "at", input="a\nquit\n")
    assert r.returncode == 6, r
    assert r.out == "echo:a\necho:quit\n"
    assert hull.inspect("at")["State"]["ExitCode"] == 6
    r = hull("attach", "at")
    assert r.returncode == 125 and "not running" in r.err
