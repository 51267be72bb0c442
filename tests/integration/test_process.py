"""process.*: user, umask, groups, args, env, cwd, capabilities, rlimits,
noNewPrivileges, oomScoreAdj, terminal/consoleSize; hostname, domainname."""
import os
import socket
import threading
import time

import pytest

from conftest import parse_kv

CAP_KILL = 5
CAP_NET_BIND_SERVICE = 10
CAP_AUDIT_WRITE = 29


def capmask(*bits):
    v = 0
    for b in bits:
        v |= 1 << b
    return "%016x" % v


def probe_run(bundle, *argv, rc=0, opts=()):
    r = bundle.probe(*argv).run(None, *opts)
    assert r.returncode == rc, r
    return r.out


def test_user_ids_umask_groups(ctx, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1001, "umask": 0o027, "additionalGids": [5, 6, 1001]}
    out = parse_kv(probe_run(bundle, "ids", "+", "umask"))
    assert out["uid"] == "1000" and out["euid"] == "1000"
    assert out["gid"] == "1001" and out["egid"] == "1001"
    assert {"5", "6"} <= set(out["groups"].split())
    assert "0027" in out


def test_user_default_root(ctx, bundle):
    out = parse_kv(probe_run(bundle, "ids", "+", "umask"))
    assert out["uid"] == "0" and out["gid"] == "0"
    assert out["groups"].split() in ([], ["0"])
    assert "0022" in out, "umask defaults to 0022"


def test_user_nobody_cannot_write_root_files(ctx, bundle):
    bundle.process["user"] = {"uid": 65534, "gid": 65534}
    out = probe_run(bundle, "write", "/etc/passwd", "x", rc=1)
    assert "error EACCES" in out


def test_args_env_cwd(ctx, bundle):
    bundle.process["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY="]
    bundle.process["cwd"] = "/tmp"
    out = probe_run(bundle, "env", "+", "cwd")
    lines = out.splitlines()
    assert "FOO=bar baz" in lines and "EMPTY=" in lines and "PATH=/bin" in lines
    assert lines[-1] == "/tmp"


def test_args_path_lookup_and_argv(ctx, bundle):
    r = bundle.args("sh", "-c", 'echo "$0|$1|$2"', "zero", "one two", "").run()
    assert r.returncode == 0, r
    assert r.out == "zero|one two|\n"


def test_cwd_created_if_missing(ctx, bundle):
    bundle.process["cwd"] = "/work/dir"
    out = probe_run(bundle, "cwd")
    assert out.strip() == "/work/dir"


def test_default_capabilities(ctx, bundle):
    caps = parse_kv(probe_run(bundle, "caps"))
    want = capmask(CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE)
    assert caps["CapBnd"] == want and caps["CapEff"] == want and caps["CapPrm"] == want, caps


def test_only_cap_kill(ctx, bundle):
    bundle.process["capabilities"] = {k: ["CAP_KILL"] for k in
                                      ("bounding", "effective", "permitted", "inheritable", "ambient")}
    caps = parse_kv(probe_run(bundle, "caps"))
    for k in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
        assert caps[k] == "0000000000000020", caps


def test_no_capabilities(ctx, bundle):
    bundle.process["capabilities"] = {}
    caps = parse_kv(probe_run(bundle, "caps"))
    for k in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
        assert caps[k] == "0000000000000000", caps


def test_caps_non_root_ambient(ctx, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.process["capabilities"] = {
        "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
        "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}
    caps = parse_kv(probe_run(bundle, "caps"))
    assert caps["CapBnd"] == capmask(CAP_KILL, CAP_NET_BIND_SERVICE), caps
    assert caps["CapEff"] == capmask(CAP_KILL) and caps["CapAmb"] == capmask(CAP_KILL), caps


def test_caps_non_root_without_ambient(ctx, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.process["capabilities"] = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
    caps = parse_kv(probe_run(bundle, "caps"))
    assert caps["CapEff"] == "0000000000000000" and caps["CapPrm"] == "0000000000000000", caps
    assert caps["CapBnd"] == capmask(CAP_KILL)


def test_unknown_capability(ctx, bundle):
    """An unknown capability is an error or (as runc does) a warning naming it."""
    bundle.process["capabilities"]["bounding"].append("CAP_NO_SUCH_THING")
    r = bundle.probe("exit", "0").run()
    assert r.returncode != 0 or "CAP_NO_SUCH_THING" in r.err, r
    assert r.err.strip()


def test_rlimits(ctx, bundle):
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
        {"type": "RLIMIT_NPROC", "soft": 512, "hard": 1024},
    ]
    out = probe_run(bundle, "rlimit", "NOFILE", "+", "rlimit", "CORE", "+", "rlimit", "NPROC").splitlines()
    assert out == ["100 200", "0 4096", "512 1024"]


def test_rlimit_default_nofile(ctx, bundle):
    assert probe_run(bundle, "rlimit", "NOFILE").strip() == "1024 1024"


def test_no_new_privileges(ctx, bundle):
    assert parse_kv(probe_run(bundle, "nnp"))["NoNewPrivs"].strip() == "1"


def test_new_privileges_allowed(ctx, bundle):
    bundle.process["noNewPrivileges"] = False
    assert parse_kv(probe_run(bundle, "nnp"))["NoNewPrivs"].strip() == "0"


def test_oom_score_adj(ctx, bundle):
    bundle.process["oomScoreAdj"] = 123
    assert probe_run(bundle, "oomscore").strip() == "123"


@pytest.mark.runc_differs("domainname is runc 1.2+")
def test_hostname_domainname(ctx, bundle):
    bundle.config["hostname"] = "box-one"
    bundle.config["domainname"] = "example.test"
    assert probe_run(bundle, "hostname", "+", "domainname").splitlines() == ["box-one", "example.test"]


def test_hostname_without_uts_ns_fails(ctx, bundle):
    bundle.linux["namespaces"] = [n for n in bundle.linux["namespaces"] if n["type"] != "uts"]
    bundle.config["hostname"] = "nope"
    r = bundle.probe("hostname").run()
    assert r.returncode != 0, r
    assert os.uname().nodename != "nope"


def test_stdio_not_tty(ctx, bundle):
    out = probe_run(bundle, "tty").splitlines()
    assert out[:3] == ["0 notty -", "1 notty -", "2 notty -"]


# ---- terminal: the pty master arrives on --console-socket

class ConsoleListener:
    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(15)
        self.master = None
        self.error = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(15)
                msg, fds, _, _ = socket.recv_fds(conn, 4096, 4)
                assert fds, "no fd received on the console socket"
                self.master = fds[0]
                for fd in fds[1:]:
                    os.close(fd)
        except Exception as ex:
            self.error = ex

    def wait_master(self):
        self.thread.join(15)
        assert self.error is None, self.error
        assert self.master is not None, "the runtime did not send the pty master"
        return self.master

    def read_all(self, timeout=10):
        out = b""
        end = time.monotonic() + timeout
        os.set_blocking(self.master, False)
        while time.monotonic() < end:
            try:
                chunk = os.read(self.master, 4096)
            except BlockingIOError:
                time.sleep(0.02)
                continue
            except OSError:  # EIO: the slave side is closed
                break
            if not chunk:
                break
            out += chunk
        return out.decode(errors="replace").replace("\r\n", "\n")

    def close(self):
        if self.master is not None:
            os.close(self.master)
            self.master = None
        self.sock.close()


@pytest.fixture
def console(ctx):
    c = ConsoleListener(ctx.tmp / "console.sock")
    yield c
    c.close()


def test_terminal_console_socket(ctx, bundle, console):
    bundle.process["terminal"] = True
    bundle.process["consoleSize"] = {"height": 33, "width": 101}
    bundle.args("/bin/sh", "-c", "/probe tty + stat /dev/console; echo done")
    r = bundle.create(None, "--console-socket", console.path)
    console.wait_master()
    ctx.rt("start", r.id, check=0)
    out = console.read_all()
    ctx.wait_status(r.id, "stopped")
    lines = out.splitlines()
    assert lines[0].startswith("0 tty /dev/pts/"), out
    assert lines[1].startswith("1 tty /dev/pts/") and lines[2].startswith("2 tty /dev/pts/"), out
    assert "size 33 101" in lines, out
    assert "done" in lines
    # /dev/console is the container's pty (a devpts node, major 136), not the host's console
    assert "type c" in lines and any(line.startswith("rdev 136:") for line in lines), out


def test_terminal_input(ctx, bundle, console):
    bundle.process["terminal"] = True
    bundle.args("/bin/sh", "-c", "stty -echo; read x; echo got-$x")
    r = bundle.create(None, "--console-socket", console.path)
    m = console.wait_master()
    ctx.rt("start", r.id, check=0)
    time.sleep(0.1)
    os.write(m, b"hello\n")
    out = console.read_all()
    assert "got-hello" in out, out
    ctx.wait_status(r.id, "stopped")


def test_terminal_run_detached(ctx, bundle, console):
    bundle.process["terminal"] = True
    bundle.args("/bin/sh", "-c", "tty")
    bundle.run_detached(None, "--console-socket", console.path)
    console.wait_master()
    out = console.read_all()
    assert "/dev/pts/" in out, out


def test_terminal_without_console_socket_fails(ctx, bundle):
    bundle.process["terminal"] = True
    bundle.probe("exit", "0")
    r = bundle.create(check=None)
    assert r.returncode != 0, r
