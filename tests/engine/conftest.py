"""Fixtures for the `hull` engine's tests (run as root).

HULL=/path/to/hull selects the binary (default <repo>/build/hull).  Every
test gets its own temporary directory holding the engine root (--root) and
the runtime root (--runroot); teardown FAILS the test if a mount is left
under it (after unmounting it), then removes it.

The busybox rootfs tarball (Debian's busybox-static, as
scripts/mkbundle.sh makes it) is built once per session.

Two fixtures: `eng` (the image store's tests: an empty store) and `hull`
(the containers' tests: the busybox image imported into the test's root;
teardown removes every container with `rm -f -v` and FAILS the test if a
mount under its directories, a cgroup named after its containers, or a
process started with its --root (a monitor) was left behind).
"""
import hashlib
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


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        pytest.exit("the engine tests need root", returncode=1)
    if not session.config.option.collectonly and not os.access(HULL, os.X_OK):
        pytest.exit(f"hull not found: {HULL} (run `make` or set HULL=/path/to/hull)", returncode=1)


def mounts_under(prefix):
    prefix = str(prefix).rstrip("/")
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == prefix or mp.startswith(prefix + "/"):
                res.append(mp)
    return res


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Result:
    def __init__(self, args, returncode, out, err):
        self.args, self.returncode, self.out, self.err = args, returncode, out, err

    def __repr__(self):
        return f"<{' '.join(map(str, self.args))} -> {self.returncode}\nstdout: {self.out!r}\nstderr: {self.err!r}>"


class Engine:
    """One test's engine: its roots and a way to run hull in them."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.root = self.tmp / "root"
        self.runroot = self.tmp / "run"
        self.bin = HULL
        self.popens = []
        self.extra_cleanup = []

    def argv(self, *args):
        return [self.bin, "--root", str(self.root), "--runroot", str(self.runroot)] + [str(a) for a in args]

    def hull(self, *args, input=None, check=None, timeout=60, text=True):
        """Runs hull ARGS; check=N asserts the exit status."""
        argv = self.argv(*args)
        p = subprocess.run(argv, input=input, capture_output=True, text=text, timeout=timeout,
                           stdin=None if input is not None else subprocess.DEVNULL)
        r = Result(argv, p.returncode, p.stdout, p.stderr)
        if check is not None:
            assert r.returncode == check, r
        return r

    def ok(self, *args, **kw):
        return self.hull(*args, check=0, **kw)

    def inspect(self, ref):
        return json.loads(self.ok("image", "inspect", ref).out)[0]

    def index(self):
        with open(self.root / "images.json") as f:
            return json.load(f)

    def layer_dirs(self):
        d = self.root / "layers"
        return sorted(p.name for p in d.iterdir()) if d.exists() else []

    def blobs(self):
        d = self.root / "blobs" / "sha256"
        return sorted(p.name for p in d.iterdir()) if d.exists() else []

    def tmp_entries(self):
        d = self.root / "tmp"
        return sorted(p.name for p in d.iterdir()) if d.exists() else []

    def import_tar(self, tar, name=None, *opts):
        args = ["import", *opts, tar] + ([name] if name else [])
        out = self.ok(*args).out.strip()
        assert out.startswith("sha256:") and len(out) == 71, out
        return out

    def fake_container(self, cid, image_id, upper, lower="", mounts=(), name=None):
        """A container record as the containers side writes it."""
        d = self.root / "containers" / cid
        d.mkdir(parents=True, exist_ok=True)
        rec = {"Id": cid, "Name": "/" + (name or cid), "Image": image_id,
               "GraphDriver": {"Name": "overlay", "Data": {"UpperDir": str(upper), "LowerDir": lower}},
               "Mounts": [{"Destination": m} for m in mounts]}
        (d / "config.json").write_text(json.dumps(rec))
        return d

    def teardown(self):
        problems = []
        for p in self.popens:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        # containers a test made (with `hull run`): removed by hull itself
        cdir = self.root / "containers"
        if cdir.is_dir() and any(c.is_dir() for c in cdir.iterdir()):
            ids = [c.name for c in cdir.iterdir() if c.is_dir()]
            r = self.hull("rm", "-f", *ids, timeout=60)
            if r.returncode != 0 and "No such container" not in r.err:
                problems.append(f"hull rm -f: {r.err.strip()}")
        for fn in self.extra_cleanup:
            try:
                fn()
            except Exception as ex:
                problems.append(f"cleanup: {ex}")
        left = mounts_under(self.tmp)
        if left:
            problems.append(f"mounts left under {self.tmp}: {left}")
            for mp in sorted(left, key=len, reverse=True):
                subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.tmp.exists():
            problems.append(f"could not remove {self.tmp}")
        return problems


@pytest.fixture(scope="session")
def session_dir():
    d = tempfile.mkdtemp(prefix="hulle-session-")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def busybox_rootfs(session_dir):
    """A busybox rootfs directory made by scripts/mkbundle.sh."""
    b = session_dir / "bundle"
    subprocess.run([str(REPO / "scripts" / "mkbundle.sh"), str(b)], check=True, stdout=subprocess.DEVNULL)
    return b / "rootfs"


@pytest.fixture(scope="session")
def busybox_tar(session_dir, busybox_rootfs):
    """The busybox rootfs as a plain tar (numeric owners, ./ prefixed)."""
    t = session_dir / "busybox.tar"
    subprocess.run(["tar", "--numeric-owner", "-C", str(busybox_rootfs), "-cf", str(t), "."], check=True)
    return t


@pytest.fixture
def eng(request):
    e = Engine(tempfile.mkdtemp(prefix="hulle-"))
    yield e
    problems = e.teardown()
    if problems:
        pytest.fail("teardown: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def hull_bin():
    return HULL


def make_tar(path, entries):
    """Writes a tar from (name, kind, arg) entries: kind f (file, arg
    content), d (dir), l (symlink to arg), h (hard link to arg)."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, *rest in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if kind == "f":
                data = (rest[0] if rest else "").encode()
                ti.size = len(data)
                ti.mode = 0o644
                import io
                t.addfile(ti, io.BytesIO(data))
                continue
            if kind == "d":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "l":
                ti.type, ti.linkname = tarfile.SYMTYPE, rest[0]
            elif kind == "h":
                ti.type, ti.linkname = tarfile.LNKTYPE, rest[0]
            t.addfile(ti)
    return path


# ---------------------------------------------------------------------------
# the containers side

def wait_for(pred, timeout=10.0, interval=0.02, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def cgroup_dirs_named(token):
    found = []
    for h in os.listdir("/sys/fs/cgroup"):
        p = os.path.join("/sys/fs/cgroup", h)
        if os.path.islink(p) or not os.path.isdir(p):
            continue
        for dirpath, dirnames, _ in os.walk(p):
            found += [os.path.join(dirpath, d) for d in dirnames if token in d]
    return found


def find_cgroup(controller, name):
    for dirpath, dirnames, _ in os.walk(os.path.join("/sys/fs/cgroup", controller)):
        if name in dirnames:
            return os.path.join(dirpath, name)
    return None


def cg_read(controller, cid, name):
    """The content of a cgroup file of the container's cgroup."""
    d = find_cgroup(controller, cid)
    assert d, f"no {controller} cgroup for {cid}"
    with open(os.path.join(d, name)) as f:
        return f.read().strip()


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


class Containers:
    """One test's containers: its roots, the busybox image, hull as a call."""

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
    e = Containers(busybox_tar)
    yield e
    problems = e.teardown()
    assert not problems, "; ".join(problems)


def block_device_of(path):
    """(device node, "MAJ:MIN") of the block device holding path, or None."""
    st = os.stat(path)
    mm = f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    try:
        with open(f"/sys/dev/block/{mm}/uevent") as f:
            name = dict(l.strip().split("=", 1) for l in f if "=" in l).get("DEVNAME")
    except OSError:
        return None
    return (f"/dev/{name}", mm) if name and os.path.exists(f"/dev/{name}") else None
