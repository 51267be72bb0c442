"""Fixtures for hullrt's integration tests (run as root).

HULLRT=/path/to/runtime selects the runtime under test (default
<repo>/build/hullrt).  Pointing it at runc validates the tests themselves;
tests marked ``hull_wording`` (hull's own wording) or ``runc_differs``
(a known runc 1.1 gap) are then expected to fail (non-strict xfail).

Every test gets its own temporary directory holding the state root
(``--root``) and a fresh bundle; teardown kills and deletes every container
the test made and then FAILS the test if a mount under its directory, a
cgroup named after its containers, a process or a network namespace it made
was left behind (after removing them).
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HULLRT = os.environ.get("HULLRT") or str(REPO / "build" / "hullrt")
CGROUP_ROOT = "/sys/fs/cgroup"


# --------------------------------------------------------------------------
# which runtime

def _runtime_kind():
    try:
        out = subprocess.run([HULLRT, "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return "missing"
    first = out.splitlines()[0] if out else ""
    for kind in ("hullrt", "runc", "crun"):
        if first.startswith(kind):
            return kind
    return "unknown"


RUNTIME_KIND = _runtime_kind()
IS_HULL = RUNTIME_KIND in ("hullrt", "missing")


def pytest_configure(config):
    config.addinivalue_line("markers", "hull_wording: asserts hullrt's own wording; expected to differ under other runtimes")
    config.addinivalue_line("markers", "runc_differs(reason): runc 1.1 is known not to do this; xfail under runc")
    config.addinivalue_line("markers", "slow: takes more than a second or two")


def pytest_report_header(config):
    return f"runtime under test: {HULLRT} ({RUNTIME_KIND})"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not IS_HULL and item.get_closest_marker("hull_wording"):
            item.add_marker(pytest.mark.xfail(reason=f"hull-specific wording, runtime is {RUNTIME_KIND}", strict=False))
        m = item.get_closest_marker("runc_differs")
        if RUNTIME_KIND == "runc" and m:
            item.add_marker(pytest.mark.xfail(reason="runc: " + (m.args[0] if m.args else "differs"), strict=False))


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        pytest.exit("the integration tests need root", returncode=1)
    if not session.config.option.collectonly and not os.access(HULLRT, os.X_OK):
        pytest.exit(f"runtime not found: {HULLRT} (run `make` or set HULLRT=/path/to/runtime)", returncode=1)


# --------------------------------------------------------------------------
# probe and the cached busybox rootfs

@pytest.fixture(scope="session")
def session_dir():
    d = tempfile.mkdtemp(prefix="hullt-session-")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def probe_bin(session_dir):
    built = REPO / "build" / "probe"
    src = HERE / "probe.c"
    if built.exists() and built.stat().st_mtime >= src.stat().st_mtime:
        return built
    out = session_dir / "probe"
    subprocess.run(["gcc", "-O2", "-static", "-o", str(out), str(src)], check=True)
    return out


@pytest.fixture(scope="session")
def base_bundle(session_dir, probe_bin):
    """A busybox bundle made once by scripts/mkbundle.sh, plus /probe."""
    d = session_dir / "base"
    subprocess.run([str(REPO / "scripts" / "mkbundle.sh"), str(d)], check=True, stdout=subprocess.DEVNULL)
    shutil.copy2(probe_bin, d / "rootfs" / "probe")
    os.chmod(d / "rootfs" / "probe", 0o755)
    return d


def default_config():
    """runc spec's default config (runc 1.2: with a cgroup namespace), with
    terminal false and a writable rootfs (so tests can leave files)."""
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": "hull",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                            "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }


# --------------------------------------------------------------------------
# helpers

def proc_starttime(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        return s[s.rindex(")") + 2:].split()[19]
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid, starttime=None):
    st = proc_starttime(pid)
    if st is None:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except OSError:
        return False
    return starttime is None or st == starttime


def wait_for(pred, timeout=10.0, interval=0.02, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def mounts_under(prefix):
    prefix = str(prefix).rstrip("/")
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == prefix or mp.startswith(prefix + "/"):
                res.append(mp)
    return res


def cgroup_dirs_named(token):
    """cgroup directories (any hierarchy) whose name contains token."""
    found = []
    try:
        hier = [os.path.join(CGROUP_ROOT, h) for h in os.listdir(CGROUP_ROOT)]
    except OSError:
        return found
    for h in hier:
        if os.path.islink(h) or not os.path.isdir(h):
            continue
        for dirpath, dirnames, _ in os.walk(h):
            for d in dirnames:
                if token in d:
                    found.append(os.path.join(dirpath, d))
    return found


def find_cgroup(controller, name):
    """The one directory under /sys/fs/cgroup/<controller> named name."""
    base = os.path.join(CGROUP_ROOT, controller)
    for dirpath, dirnames, _ in os.walk(base):
        if name in dirnames:
            return os.path.join(dirpath, name)
    return None


def parse_kv(text):
    """'key value...' lines -> dict (first word -> rest)."""
    d = {}
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        d[k] = v
    return d


def parse_mounts(text):
    """probe mounts output -> {mountpoint: (fstype, mntopts set, superopts set, optional list)} (last wins)."""
    d = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        d[f[0]] = (f[1], set(f[2].split(",")), set(f[3].split(",")), f[4:])
    return d


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Result:
    def __init__(self, args, returncode, out, err, out_path=None, err_path=None):
        self.args, self.returncode, self.out, self.err = args, returncode, out, err
        self.out_path, self.err_path = out_path, err_path

    def __repr__(self):
        return f"<{' '.join(map(str, self.args))} -> {self.returncode}\nstdout: {self.out!r}\nstderr: {self.err!r}>"

    def read_out(self):
        return Path(self.out_path).read_text(errors="replace")

    def read_err(self):
        return Path(self.err_path).read_text(errors="replace")


class Ctx:
    """What one test owns: a temp dir, a state root, containers, pids, netns."""

    def __init__(self, name, base, probe):
        self.token = "t%s-%d" % (hashlib.sha1(name.encode()).hexdigest()[:8], os.getpid())
        self.tmp = Path(tempfile.mkdtemp(prefix=f"hullt-{self.token}-"))
        self.root = self.tmp / "root"
        self.root.mkdir()
        self.base = base
        self.probe = probe
        self.runtime = HULLRT
        self.ids = []          # containers that may exist
        self.pids = {}         # pid -> starttime, container processes we learnt of
        self.popens = []       # runtime processes started in the background
        self.netns = []        # `ip netns` names to delete
        self.extra_cleanup = []
        self._n = 0
        self._calls = 0

    # ---- ids and bundles
    def new_id(self, tag=""):
        self._n += 1
        cid = f"{self.token}-{self._n}{tag}"
        self.ids.append(cid)
        return cid

    def bundle(self, name="bundle", config=None):
        b = Bundle(self, self.tmp / name, config)
        return b

    # ---- running the runtime
    def rt(self, *args, root=None, globals_=(), timeout=30, cwd=None, stdin=subprocess.DEVNULL,
           env=None, pass_fds=(), check=None):
        """Runs RUNTIME --root ROOT GLOBALS ARGS; stdout/stderr go to files
        (a pipe would keep `create` waiting for the container to close it)."""
        self._calls += 1
        outp = self.tmp / f"call{self._calls}.out"
        errp = self.tmp / f"call{self._calls}.err"
        argv = [self.runtime]
        if root is not False:
            argv += ["--root", str(root or self.root)]
        argv += list(globals_) + [str(a) for a in args]
        with open(outp, "wb") as o, open(errp, "wb") as e:
            p = subprocess.Popen(argv, stdout=o, stderr=e, stdin=stdin, cwd=cwd, env=env,
                                 pass_fds=pass_fds, close_fds=True)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError(f"{argv} did not finish in {timeout}s")
        r = Result(argv, rc, outp.read_text(errors="replace"), errp.read_text(errors="replace"), outp, errp)
        if check is not None:
            assert r.returncode == check, r
        return r

    def state(self, cid, **kw):
        r = self.rt("state", cid, **kw)
        assert r.returncode == 0, r
        st = json.loads(r.out)
        self.note_pid(st.get("pid"))
        return st

    def note_pid(self, pid):
        if pid and pid > 0 and pid not in self.pids:
            st = proc_starttime(pid)
            if st:
                self.pids[pid] = st

    def status(self, cid):
        r = self.rt("state", cid)
        if r.returncode != 0:
            return None
        st = json.loads(r.out)
        self.note_pid(st.get("pid"))
        return st["status"]

    def wait_status(self, cid, want, timeout=10):
        return wait_for(lambda: self.status(cid) == want, timeout, what=f"{cid} to be {want}")

    # ---- teardown
    def teardown(self):
        problems = []
        for p in self.popens:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                problems.append(f"runtime process {p.pid} did not exit")
        for cid in self.ids:
            try:
                r = self.rt("state", cid, timeout=10)
                if r.returncode == 0:
                    try:
                        self.note_pid(json.loads(r.out).get("pid"))
                    except ValueError:
                        pass
                # always, even when `state` failed: the container may still exist
                self.rt("kill", cid, "KILL", timeout=10)
                self.rt("delete", "-f", cid, timeout=20)
            except Exception as ex:  # keep cleaning
                problems.append(f"cleaning {cid}: {ex}")
        for fn in self.extra_cleanup:
            try:
                fn()
            except Exception as ex:
                problems.append(f"cleanup: {ex}")
        # processes
        time.sleep(0)
        left = [pid for pid, st in self.pids.items() if pid_alive(pid, st)]
        if left:
            end = time.monotonic() + 2
            while left and time.monotonic() < end:
                time.sleep(0.02)
                left = [pid for pid in left if pid_alive(pid, self.pids[pid])]
        if left:
            problems.append(f"container processes left running: {left}")
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        # mounts under our directory
        left = mounts_under(self.tmp)
        if left:
            problems.append(f"mounts left under {self.tmp}: {left}")
            for mp in sorted(left, key=len, reverse=True):
                subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        # cgroups named after our containers
        left = cgroup_dirs_named(self.token)
        if left:
            problems.append(f"cgroups left: {left}")
            for d in sorted(left, key=len, reverse=True):
                for pid in _cgroup_procs(d):
                    if pid in self.pids:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                for _ in range(50):
                    try:
                        os.rmdir(d)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.02)
        # network namespaces
        for ns in self.netns:
            subprocess.run(["ip", "netns", "delete", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.tmp.exists():
            problems.append(f"could not remove {self.tmp}")
        return problems


def _cgroup_procs(d):
    try:
        with open(os.path.join(d, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


class Bundle:
    def __init__(self, ctx, path, config=None):
        self.ctx = ctx
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.rootfs = self.path / "rootfs"
        subprocess.run(["cp", "-a", str(ctx.base / "rootfs"), str(self.rootfs)], check=True)
        self.config = config if config is not None else default_config()

    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config["linux"]

    def args(self, *argv):
        self.config["process"]["args"] = list(argv)
        return self

    def probe(self, *argv):
        return self.args("/probe", *argv)

    def write(self):
        with open(self.path / "config.json", "w") as f:
            json.dump(self.config, f, indent=1)
        return self

    def run(self, cid=None, *opts, **kw):
        """`run` in the foreground: returns the Result (container output in .out)."""
        self.write()
        cid = cid or self.ctx.new_id()
        r = self.ctx.rt("run", "--bundle", self.path, *opts, cid, **kw)
        r.id = cid
        return r

    def create(self, cid=None, *opts, check=0, **kw):
        self.write()
        cid = cid or self.ctx.new_id()
        r = self.ctx.rt("create", "--bundle", self.path, *opts, cid, **kw)
        r.id = cid
        if check is not None:
            assert r.returncode == check, r
        if r.returncode == 0:
            self.ctx.state(cid)
        return r

    def run_detached(self, cid=None, *opts, **kw):
        self.write()
        cid = cid or self.ctx.new_id()
        r = self.ctx.rt("run", "-d", "--bundle", self.path, *opts, cid, **kw)
        r.id = cid
        assert r.returncode == 0, r
        self.ctx.state(cid)
        return r


@pytest.fixture
def hullrt():
    return HULLRT


@pytest.fixture
def ctx(request, base_bundle, probe_bin):
    c = Ctx(request.node.nodeid, base_bundle, probe_bin)
    yield c
    problems = c.teardown()
    if problems:
        pytest.fail("teardown: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def run_rt(ctx):
    return ctx.rt


@pytest.fixture
def bundle(ctx):
    """A fresh bundle (busybox + /probe) with default_config() in .config;
    modify .config, then create/run (which write config.json)."""
    return ctx.bundle()


def host_ns(kind):
    return os.readlink(f"/proc/self/ns/{kind}")


def errno_name(out):
    """'error EROFS /x' -> 'EROFS' (first error line), or None."""
    for line in out.splitlines():
        if line.startswith("error "):
            return line.split()[1]
    return None
