"""Fixtures for the `hull` engine's tests (run as root).

HULL=/path/to/hull selects the binary (default <repo>/build/hull).

Each test gets its own temporary --root and --runroot, with a busybox image
imported into the root (from Debian's busybox-static, via
scripts/mkbundle.sh, made once per session).  Teardown removes every
container (rm -f -v) and then FAILS the test if a mount under its
directories, a cgroup named after its containers, or a process started
with its --root (a monitor, a container's process) was left behind.
"""
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HULL = os.environ.get("HULL") or str(REPO / "build" / "hull")
CGROUP_ROOT = "/sys/fs/cgroup"


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        pytest.exit("the engine tests need root", returncode=1)
    if not session.config.option.collectonly and not os.access(HULL, os.X_OK):
        pytest.exit(f"hull not found: {HULL} (run `make`)", returncode=1)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a second or two")


@pytest.fixture(scope="session")
def busybox_tar():
    """A rootfs tarball of Debian's busybox-static (plus /probe)."""
    d = Path(tempfile.mkdtemp(prefix="hulle-session-"))
    subprocess.run([str(REPO / "scripts" / "mkbundle.sh"), str(d / "b")], check=True, stdout=subprocess.DEVNULL)
    probe = REPO / "build" / "probe"
    if probe.exists():
        shutil.copy2(probe, d / "b" / "rootfs" / "probe")
    tar = d / "busybox.tar"
    with tarfile.open(tar, "w") as t:
        t.add(d / "b" / "rootfs", arcname=".")
    yield tar
    shutil.rmtree(d, ignore_errors=True)


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
    found = []
    for h in os.listdir(CGROUP_ROOT):
        p = os.path.join(CGROUP_ROOT, h)
        if os.path.islink(p) or not os.path.isdir(p):
            continue
        for dirpath, dirnames, _ in os.walk(p):
            found += [os.path.join(dirpath, d) for d in dirnames if token in d]
    return found


def find_cgroup(controller, name):
    for dirpath, dirnames, _ in os.walk(os.path.join(CGROUP_ROOT, controller)):
        if name in dirnames:
            return os.path.join(dirpath, name)
    return None


def procs_mentioning(text):
    """pids whose command line mentions text (our --root)."""
    res = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    res.append(int(p))
        except OSError:
            pass
    return res


class Result:
    def __init__(self, args, returncode, out, err):
        self.args, self.returncode, self.out, self.err = args, returncode, out, err

    def __repr__(self):
        return f"<{' '.join(map(str, self.args))} -> {self.returncode}\nstdout: {self.out!r}\nstderr: {self.err!r}>"


class Engine:
    def __init__(self, tar):
        self.tmp = Path(tempfile.mkdtemp(prefix="hulle-"))
        self.root = self.tmp / "root"
        self.runroot = self.tmp / "run"
        self._calls = 0
        self.ids = set()
        r = self("import", str(tar), "busybox")
        assert r.returncode == 0, r

    def argv(self, *args):
        return [HULL, "--root", str(self.root), "--runroot", str(self.runroot)] + [str(a) for a in args]

    def __call__(self, *args, timeout=60, input=None, check=None):
        """Runs hull; stdout and stderr go to files, so that a monitor
        holding a pipe could not make us wait (it must not hold them)."""
        self._calls += 1
        outp = self.tmp / f"call{self._calls}.out"
        errp = self.tmp / f"call{self._calls}.err"
        argv = self.argv(*args)
        with open(outp, "wb") as o, open(errp, "wb") as e:
            p = subprocess.run(argv, stdout=o, stderr=e, input=input.encode() if input is not None else None,
                               stdin=None if input is not None else subprocess.DEVNULL, timeout=timeout)
        r = Result(argv, p.returncode, outp.read_text(errors="replace"), errp.read_text(errors="replace"))
        if check is not None:
            assert r.returncode == check, r
        return r

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.returncode == 0, r
        return r.out

    def run_d(self, *args):
        """`run -d ARGS`; returns the full id."""
        cid = self.ok("run", "-d", *args).strip()
        assert len(cid) == 64, cid
        self.ids.add(cid)
        return cid

    def inspect(self, ref):
        r = self("inspect", ref)
        assert r.returncode == 0, r
        return json.loads(r.out)[0]

    def status(self, ref):
        return self.inspect(ref)["State"]["Status"]

    def wait_status(self, ref, want, timeout=10):
        return wait_for(lambda: self.status(ref) == want, timeout, what=f"{ref} to be {want}")

    def teardown(self):
        problems = []
        r = self("ps", "-aq", "--no-trunc", timeout=30)
        ids = set(r.out.split()) | self.ids
        if r.out.split():
            self("rm", "-f", "-v", *r.out.split(), timeout=60)
        # processes started with our --root: monitors, and nothing else
        left = []
        end = time.monotonic() + 5
        while time.monotonic() < end:
            left = procs_mentioning(str(self.root))
            if not left:
                break
            time.sleep(0.05)
        if left:
            problems.append(f"processes left: {left}")
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        left = mounts_under(self.tmp)
        if left:
            problems.append(f"mounts left under {self.tmp}: {left}")
            for mp in sorted(left, key=len, reverse=True):
                subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        for cid in ids:
            left = cgroup_dirs_named(cid)
            if left:
                problems.append(f"cgroups left: {left}")
                for d in sorted(left, key=len, reverse=True):
                    try:
                        os.rmdir(d)
                    except OSError:
                        pass
        shutil.rmtree(self.tmp, ignore_errors=True)
        return problems


@pytest.fixture
def hull(busybox_tar):
    e = Engine(busybox_tar)
    yield e
    problems = e.teardown()
    assert not problems, "; ".join(problems)
