"""containerd end to end: ctr drives containerd's runc shim
(io.containerd.runc.v2), which drives the runtime under test through
--runc-binary.

Each test runs against Debian's runc first (it validates the test itself)
and then against the runtime under test (HULLRT, default build/hullrt).

containerd runs once per module with a private config: root, state, temp
and both sockets in a temporary directory, no CRI, only the native
snapshotter (plain directories, one bind mount per container rootfs).  The
image is an OCI archive of the suite's busybox rootfs, built here.  Every
test has its own containerd namespace, --runc-root, --fifo-dir and a cgroup
parent named after it, so a failing test leaves nothing for the next one.

containerd 1.6 puts the shims' sockets in /run/containerd/s (not
configurable); the shims remove them when they exit, and the module removes
the directories it had to create there.  The module makes the test process
a child subreaper while containerd runs, so the shims (which daemonize) are
re-parented to it and reaped by pid; a shim is only ever killed when its
command line names this module's containerd socket.
"""
import ctypes
import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from conftest import CGROUP_ROOT, HULLRT, mounts_under, pid_alive, wait_for
from ptyrun import run_in_pty

CONTAINERD = shutil.which("containerd")
CTR = shutil.which("ctr")
RUNC = shutil.which("runc") or "/usr/sbin/runc"
IMAGE = "docker.io/hull/busybox:test"
PR_SET_CHILD_SUBREAPER = 36
DISABLED = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.internal.v1.tracing",
            "io.containerd.tracing.processor.v1.otlp", "io.containerd.snapshotter.v1.overlayfs",
            "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
            "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]


def runtimes():
    """The runtimes a test runs against: runc (validates the test), then the
    runtime under test."""
    hull = pytest.param(HULLRT, id="hullrt")
    runc = pytest.param(RUNC, id="runc", marks=pytest.mark.skipif(not os.access(RUNC, os.X_OK),
                                                                  reason="Debian's runc is not installed"))
    return pytest.mark.parametrize("runtime", [runc, hull])


def _subreaper(on):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def oci_archive(layer_tar, out, name):
    """An OCI image layout tar (oci-layout, index.json, blobs) of one
    uncompressed layer, named `name` for `ctr images import`."""
    blobs = {}

    def blob(data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    layer = blob(Path(layer_tar).read_bytes(), "application/vnd.oci.image.layer.v1.tar")
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                         "Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}
    cfg = blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": cfg, "layers": [layer]}
    man = blob(json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
    man["platform"] = {"architecture": "amd64", "os": "linux"}
    man["annotations"] = {"io.containerd.image.name": name,
                          "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}
    index = {"schemaVersion": 2, "manifests": [man]}
    with tarfile.open(out, "w") as t:
        def put(path, data):
            ti = tarfile.TarInfo(path)
            ti.size, ti.mode = len(data), 0o644
            t.addfile(ti, io.BytesIO(data))
        put("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        put("index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            put("blobs/sha256/" + digest, data)


class Containerd:
    """One private containerd daemon (started and stopped by pid)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = tmp / "containerd.sock"
        self.log = tmp / "containerd.log"
        (tmp / "tmp").mkdir()
        cfg = tmp / "config.toml"
        q = json.dumps  # TOML basic strings are JSON strings for these values
        cfg.write_text("\n".join([
            "version = 2",
            f"root = {q(str(tmp / 'root'))}",
            f"state = {q(str(tmp / 'state'))}",
            f"temp = {q(str(tmp / 'tmp'))}",
            f"disabled_plugins = {json.dumps(DISABLED)}",
            "[grpc]", f"  address = {q(str(self.sock))}",
            "[ttrpc]", f"  address = {q(str(tmp / 'containerd.ttrpc.sock'))}",
            "[debug]", '  address = ""',
            "[metrics]", '  address = ""',
            "[cgroup]", '  path = ""', ""]))
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([CONTAINERD, "--config", str(cfg)], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: self.proc.poll() is not None or self.ctr("version").returncode == 0, 20,
                     what="containerd to answer")
            assert self.proc.poll() is None, self.log.read_text()
        except BaseException:
            self.proc.kill()
            self.proc.wait()
            raise

    def ctr(self, *args, ns=None, timeout=60, stdin=subprocess.DEVNULL):
        argv = [CTR, "-a", str(self.sock)] + (["-n", ns] if ns else []) + [str(a) for a in args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=stdin)

    def shims(self):
        """pids of the shims of this daemon (their command line names our socket)."""
        res = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                cl = _cmdline(int(d))
                if cl and cl[0].endswith(b"containerd-shim-runc-v2") and str(self.sock).encode() in cl:
                    res.append(int(d))
        return res

    def reap(self):
        """Reaps the exited shims re-parented to us (we are their subreaper)."""
        me = os.getpid()
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
            except OSError:
                continue
            comm = st[st.index("(") + 1:st.rindex(")")]
            state, ppid = st.rsplit(")", 1)[1].split()[:2]
            if state == "Z" and int(ppid) == me and comm.startswith("containerd-shim"):
                try:
                    os.waitpid(int(d), os.WNOHANG)
                except ChildProcessError:
                    pass

    def stop(self):
        problems = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                problems.append("containerd ignored SIGTERM")
                self.proc.kill()
                self.proc.wait()
        left = [p for p in self.shims() if pid_alive(p)]
        if left:
            problems.append(f"shims left running: {left}")
            for p in left:
                os.kill(p, signal.SIGKILL)
            for p in left:
                try:
                    wait_for(lambda: not pid_alive(p), 5, what=f"shim {p} to die")
                except AssertionError as ex:
                    problems.append(str(ex))
        self.reap()
        for mp in sorted(mounts_under(self.tmp), key=len, reverse=True):
            problems.append(f"mount left: {mp}")
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        return problems


@pytest.fixture(scope="module")
def containerd(base_bundle):
    if not CONTAINERD or not CTR:
        pytest.skip("containerd is not installed (scripts/deps.sh installs Debian's)")
    made = [d for d in ("/run/containerd", "/run/containerd/s") if not os.path.exists(d)]
    tmp = Path(tempfile.mkdtemp(prefix="hullt-containerd-"))
    os.chmod(tmp, 0o711)
    _subreaper(True)
    daemon = None
    try:
        daemon = Containerd(tmp)
        layer = tmp / "layer.tar"
        subprocess.run(["tar", "-C", str(base_bundle / "rootfs"), "-cf", str(layer), "."], check=True)
        oci_archive(layer, tmp / "busybox.oci.tar", IMAGE)
        daemon.archive = tmp / "busybox.oci.tar"
        yield daemon
    finally:
        problems = daemon.stop() if daemon else []
        _subreaper(False)
        shutil.rmtree(tmp, ignore_errors=True)
        for d in reversed(made):
            try:
                os.rmdir(d)
            except FileNotFoundError:
                pass
            except OSError as ex:  # not empty: maybe another containerd's now
                if ex.errno != errno.ENOTEMPTY:
                    problems.append(f"cannot remove {d}: {ex}")
        assert not problems, problems


class Ctr:
    """What one test owns in containerd: a namespace, a --runc-root, a fifo
    dir and a cgroup parent; cleanup deletes its tasks and containers and
    checks that no shim, mount or cgroup of theirs is left."""

    def __init__(self, ctx, daemon, runtime):
        self.ctx, self.daemon, self.runtime = ctx, daemon, runtime
        self.ns = f"hullt-{ctx.token}"
        self.runc_root = ctx.tmp / "runc-root"
        self.fifo = ctx.tmp / "fifo"
        self.fifo.mkdir()
        self.parent = f"hullt-ctr-{ctx.token}"
        self.ids = []
        r = self.ctr("images", "import", "--snapshotter", "native", daemon.archive)
        assert r.returncode == 0, r.stderr

    def ctr(self, *args, **kw):
        return self.daemon.ctr(*args, ns=self.ns, **kw)

    def run_args(self, cid, *opts):
        self.ids.append(cid)
        return ["run", "--snapshotter", "native", "--runc-binary", self.runtime, "--runc-root", self.runc_root,
                "--fifo-dir", self.fifo, "--cgroup", f"/{self.parent}/{cid}", *opts, IMAGE, cid]

    def run(self, cid, *argv, opts=(), timeout=60):
        return self.ctr(*self.run_args(cid, *opts), *argv, timeout=timeout)

    def tasks(self):
        """{id: (pid, STATUS)} from `ctr task ls`."""
        r = self.ctr("task", "ls")
        assert r.returncode == 0, r.stderr
        res = {}
        for line in r.stdout.splitlines()[1:]:
            f = line.split()
            if len(f) == 3:
                res[f[0]] = (int(f[1]), f[2])
        return res

    def cgroup(self, controller, cid):
        return os.path.join(CGROUP_ROOT, controller, self.parent, cid)

    def cleanup(self):
        problems = []
        before = set(self.daemon.shims())
        for cid in self.ids:
            t = self.tasks().get(cid)
            if t:
                self.ctx.note_pid(t[0])
                if t[1] == "PAUSED":  # a frozen process cannot die of its SIGKILL
                    self.ctr("task", "resume", cid, timeout=20)
                if t[1] != "STOPPED":
                    self.ctr("task", "kill", "-a", "-s", "KILL", cid, timeout=20)
                    try:
                        wait_for(lambda: self.tasks().get(cid, (0, "STOPPED"))[1] == "STOPPED", 10,
                                 what=f"task {cid} to stop")
                    except AssertionError as ex:
                        problems.append(str(ex))
                r = self.ctr("task", "delete", "-f", cid, timeout=20)
                if r.returncode != 0:
                    problems.append(f"ctr task delete {cid}: {r.stderr.strip()}")
            self.ctr("container", "rm", cid, timeout=20)
        for kind, args in (("containers", ("container", "ls", "-q")), ("tasks", ("task", "ls", "-q"))):
            r = self.ctr(*args)
            if r.stdout.strip():
                problems.append(f"{kind} left in {self.ns}: {r.stdout.split()}")
        self.ctr("images", "rm", "--sync", IMAGE)
        self.ctr("namespaces", "rm", self.ns)
        # the shims exit once their tasks are deleted
        mine = [p for p in before | set(self.daemon.shims())
                if any(c == self.ns.encode() for c in _cmdline(p))]
        try:
            wait_for(lambda: not [p for p in mine if pid_alive(p)], 10, what="the shims to exit")
        except AssertionError:
            problems.append(f"shims still running: {[p for p in mine if pid_alive(p)]}")
            for p in mine:
                if pid_alive(p):
                    os.kill(p, signal.SIGKILL)
        self.daemon.reap()
        for h in os.listdir(CGROUP_ROOT):
            d = os.path.join(CGROUP_ROOT, h, self.parent)
            if os.path.islink(os.path.join(CGROUP_ROOT, h)) or not os.path.isdir(d):
                continue
            for sub, _, _ in sorted(os.walk(d), key=lambda x: -len(x[0])):
                if sub != d:
                    problems.append(f"container cgroup left: {sub}")
                try:
                    os.rmdir(sub)
                except OSError:
                    pass
        return problems


@pytest.fixture
def cd(ctx, containerd, runtime):
    c = Ctr(ctx, containerd, runtime)

    def cleanup():
        problems = c.cleanup()
        assert not problems, problems
    ctx.extra_cleanup.append(cleanup)
    return c


# --------------------------------------------------------------------------

@runtimes()
def test_ctr_run_rm_output_and_status(ctx, cd):
    r = cd.run("echo", "echo", "hi", opts=["--rm"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi\n"
    r = cd.run("status", "sh", "-c", "echo out; echo err >&2; exit 3", opts=["--rm"])
    assert r.returncode == 3, r
    assert r.stdout == "out\n"
    assert "err\n" in r.stderr
    # --rm: no task, container or bundle left
    assert cd.ctr("container", "ls", "-q").stdout.split() == []
    assert not list((cd.daemon.tmp / "state" / "io.containerd.runtime.v2.task").glob(f"{cd.ns}/*"))


@runtimes()
def test_ctr_run_options_and_stdin(ctx, cd):
    """ctr's spec for common options (with containerd's default seccomp
    profile), as the container sees it; stdin is forwarded through the
    shim's fifo."""
    vol = ctx.tmp / "vol"
    vol.mkdir()
    (vol / "x").write_text("volfile\n")
    argv = [CTR, "-a", cd.daemon.sock, "-n", cd.ns, *cd.run_args("opts", "--rm", "--read-only", "--cwd", "/etc",
                                                                    "--env", "FOO=bar", "--cap-add", "CAP_SYS_ADMIN", "--seccomp",
                                                                    "--mount", f"type=bind,src={vol},dst=/data,"
                                                                    "options=rbind:ro"),
            "sh", "-c", "pwd; echo $FOO; cat /data/x; touch /y /data/z; grep CapEff /proc/self/status; "
            "read line; echo got $line; grep Seccomp: /proc/self/status"]
    r = subprocess.run([str(a) for a in argv], input="stdin-data\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == ["/etc", "bar", "volfile"], r.stdout
    caps = int(lines[3].split()[1], 16)
    assert caps & (1 << 21), "CAP_SYS_ADMIN added"
    assert not caps & (1 << 16), "CAP_SYS_MODULE is not in ctr's default set"
    # containerd's default seccomp profile is loaded (filter mode)
    assert lines[4:] == ["got stdin-data", "Seccomp:\t2"], r.stdout
    assert "touch: /y: Read-only file system" in r.stderr
    assert "touch: /data/z: Read-only file system" in r.stderr
    assert sorted(os.listdir(vol)) == ["x"]


@runtimes()
def test_ctr_run_memory_limit_and_namespaces(ctx, cd):
    """ctr's spec has no /sys/fs/cgroup mount: the limit is read on the host."""
    cid = "mem"
    r = cd.run(cid, "sleep", "1000", opts=["-d", "--memory-limit", str(64 << 20), "--cpus", "0.5",
                                           "--cpu-shares", "512"])
    assert r.returncode == 0, r.stderr
    pid = cd.tasks()[cid][0]
    ctx.note_pid(pid)
    assert Path(cd.cgroup("memory", cid), "memory.limit_in_bytes").read_text().strip() == str(64 << 20)
    assert Path(cd.cgroup("cpu", cid), "cpu.shares").read_text().strip() == "512"
    quota = int(Path(cd.cgroup("cpu", cid), "cpu.cfs_quota_us").read_text())
    period = int(Path(cd.cgroup("cpu", cid), "cpu.cfs_period_us").read_text())
    assert quota * 2 == period, (quota, period)
    assert f"memory:/{cd.parent}/{cid}\n" in Path(f"/proc/{pid}/cgroup").read_text()
    for n in ("pid", "mnt", "net", "uts", "ipc"):
        assert os.readlink(f"/proc/{pid}/ns/{n}") != os.readlink(f"/proc/self/ns/{n}"), n
    assert cd.ctr("task", "kill", "-s", "KILL", cid).returncode == 0
    wait_for(lambda: cd.tasks()[cid][1] == "STOPPED", 10, what="the task to stop")
    r = cd.ctr("task", "delete", cid)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(cd.cgroup("memory", cid))


@runtimes()
def test_ctr_detached_exec_ps_pause_kill_delete(ctx, cd):
    cid = "d"
    r = cd.run(cid, "sh", "-c", "trap 'exit 7' TERM; sleep 1000 & wait", opts=["-d"])
    assert r.returncode == 0, r.stderr
    pid, status = cd.tasks()[cid]
    ctx.note_pid(pid)
    assert status == "RUNNING"
    assert _cmdline(pid)[:3] == [b"sh", b"-c", b"trap 'exit 7' TERM; sleep 1000 & wait"]

    # exec: the new process is in the container's namespaces and sees its PID 1
    r = cd.ctr("task", "exec", "--fifo-dir", cd.fifo, "--exec-id", "e1", cid, "sh", "-c",
               "cat /proc/1/cmdline; echo; for n in pid mnt net uts ipc; do readlink /proc/self/ns/$n; done")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "sh\0-c\0trap 'exit 7' TERM; sleep 1000 & wait\0"
    assert lines[1:] == [os.readlink(f"/proc/{pid}/ns/{n}") for n in ("pid", "mnt", "net", "uts", "ipc")]
    r = cd.ctr("task", "exec", "--fifo-dir", cd.fifo, "--exec-id", "e2", cid, "sh", "-c", "exit 5")
    assert r.returncode == 5, r

    # ps: host pids, the same as the container's cgroup holds
    procs = Path(cd.cgroup("pids", cid), "cgroup.procs")
    wait_for(lambda: len(procs.read_text().split()) == 2, 10, what="sh and its sleep")
    r = cd.ctr("task", "ps", cid)
    assert r.returncode == 0, r.stderr
    ps = sorted(int(line.split()[0]) for line in r.stdout.splitlines()[1:])
    for p in ps:
        ctx.note_pid(p)
    assert ps == sorted(int(x) for x in procs.read_text().split())
    assert pid in ps and len(ps) == 2  # sh and its sleep

    # pause / resume
    assert cd.ctr("task", "pause", cid).returncode == 0
    assert cd.tasks()[cid] == (pid, "PAUSED")
    assert Path(cd.cgroup("freezer", cid), "freezer.state").read_text().strip() == "FROZEN"
    assert cd.ctr("task", "resume", cid).returncode == 0
    assert cd.tasks()[cid] == (pid, "RUNNING")
    assert Path(cd.cgroup("freezer", cid), "freezer.state").read_text().strip() == "THAWED"

    # kill (SIGTERM: the trap exits 7), delete, rm
    assert cd.ctr("task", "kill", cid).returncode == 0
    wait_for(lambda: cd.tasks()[cid][1] == "STOPPED", 10, what="the task to stop")
    assert not pid_alive(pid)
    r = cd.ctr("task", "delete", cid)
    assert r.returncode == 0, r.stderr
    assert "exit with non-zero exit code 7" in r.stderr, r  # ctr reports the status it got
    assert cid not in cd.tasks()
    assert not os.path.exists(cd.cgroup("memory", cid))
    assert not list(cd.runc_root.glob(f"*/{cid}")), "runtime state left after task delete"
    assert cd.ctr("container", "rm", cid).returncode == 0
    assert cd.ctr("container", "ls", "-q").stdout.split() == []


@runtimes()
@pytest.mark.parametrize("all_", [False, True], ids=["init", "all"])
def test_ctr_kill_paused_task(ctx, cd, all_):
    """SIGKILL ends a paused task (the runtime thaws it, as runc does)."""
    cid = "kp"
    r = cd.run(cid, "sh", "-c", "sleep 1000 & wait", opts=["-d"])
    assert r.returncode == 0, r.stderr
    pid = cd.tasks()[cid][0]
    ctx.note_pid(pid)
    assert cd.ctr("task", "pause", cid).returncode == 0
    assert cd.tasks()[cid] == (pid, "PAUSED")
    r = cd.ctr("task", "kill", *(["-a"] if all_ else []), "-s", "KILL", cid)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: cd.tasks()[cid][1] == "STOPPED", 10, what="the paused task to stop")
    r = cd.ctr("task", "delete", cid)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(cd.cgroup("freezer", cid))


@runtimes()
def test_ctr_run_tty(ctx, cd):
    """ctr run -t: the shim passes --console-socket; the process's stdio is
    the container's /dev/pts/0 and its output reaches ctr's terminal."""
    rc, lines = run_in_pty([CTR, "-a", cd.daemon.sock, "-n", cd.ns, *cd.run_args("tty", "--rm", "-t"),
                            "sh", "-c", "tty; echo hello-tty; readlink /proc/self/fd/1; exit 3"])
    assert rc == 3, lines
    lines = [x for x in lines if "resize pty" not in x]  # ctr's own race with the exit, with any runtime
    assert lines[-3:] == ["/dev/pts/0", "hello-tty", "/dev/pts/0"], lines


@runtimes()
def test_ctr_exec_tty(ctx, cd):
    """ctr task exec -t: exec --console-socket; a new pty of the container's devpts."""
    cid = "xt"
    r = cd.run(cid, "sleep", "1000", opts=["-d"])
    assert r.returncode == 0, r.stderr
    pid = cd.tasks()[cid][0]
    ctx.note_pid(pid)
    rc, lines = run_in_pty([CTR, "-a", cd.daemon.sock, "-n", cd.ns, "task", "exec", "-t", "--fifo-dir", cd.fifo,
                            "--exec-id", "t1", cid, "sh", "-c", "tty; readlink /proc/self/ns/pid; exit 2"])
    assert rc == 2, lines
    lines = [x for x in lines if "resize pty" not in x]  # ctr's own race with the exit, with any runtime
    assert lines[-2:] == ["/dev/pts/0", os.readlink(f"/proc/{pid}/ns/pid")], lines


@runtimes()
def test_ctr_run_missing_command_error(ctx, cd):
    """The shim reads the runtime's error from its --log (--log-format json)
    and ctr shows it."""
    r = cd.run("missing", "/nonexistent", opts=["--rm"])
    assert r.returncode != 0
    assert "/nonexistent" in r.stderr and "no such file or directory" in r.stderr.lower(), r.stderr
    assert cd.ctr("container", "ls", "-q").stdout.split() == []
    assert not os.path.exists(cd.cgroup("memory", "missing"))
