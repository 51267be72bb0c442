"""bench/engine.sh (make bench-engine): a short run prints every row and
the memory table, and the script leaves nothing behind, also when it is
interrupted with Ctrl-C while its detached containers are running.

What "nothing" means: the temporary directory the script reports (both
engines' stores) is gone, no mount is left under it, and no cgroup is named
after the run (podman's parent /hullbench-e<pid>, the hullrt reference
container hullbench-e<pid>-rt); hull's own cgroups (named after its
container ids) are checked by the script itself, which exits non-zero if
one is left.  Figures are not asserted (no timing in tests)."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import REPO, mounts_under

SCRIPT = REPO / "bench" / "engine.sh"
HULL_BIN = REPO / "build" / "hull"


def _env(**kw):
    env = dict(os.environ, BENCH_N="2", BENCH_WARMUP="0", BENCH_HULL=str(HULL_BIN))
    env.update(kw)
    return env


def _tmpdir(stderr):
    m = re.search(r"(/tmp/hull-bench-engine\.[A-Za-z0-9]+)/", stderr)
    assert m, stderr
    return Path(m.group(1))


def _cgroups_named(tag):
    found = []
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        for d in dirs:
            if d == tag or d.startswith(tag + "-"):
                found.append(os.path.join(top, d))
    return found


def _assert_nothing_left(pid, stderr):
    tmp = _tmpdir(stderr)
    assert not mounts_under(tmp), mounts_under(tmp)
    assert not tmp.exists(), f"{tmp} left behind"
    assert _cgroups_named(f"hullbench-e{pid}") == []


@pytest.fixture
def built():
    if not HULL_BIN.exists() or not (REPO / "build" / "hull-monitor").exists():
        pytest.skip("build/hull and build/hull-monitor are needed (run `make`)")


def test_bench_engine_report_and_cleanup(built):
    p = subprocess.Popen([str(SCRIPT)], env=_env(BENCH_MEM_N="1"), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    for row in ("hull (libhull)", "hull --runtime crun", "hull --runtime runc", "podman (crun)",
                "podman --runtime runc", "hullrt run (runtime alone, reference)"):
        assert re.search(r"^\| %s( †)? \|" % re.escape(row), out, re.M), (row, out)
    # hull's own row carries figures; the memory table has a hull-monitor line
    assert re.search(r"^\| hull \(libhull\) \| \S+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| 1\.00x \|$", out, re.M), out
    assert re.search(r"^\| hull-monitor \| \d+ \| \d+ \| \d+ \| \d+ \|$", out, re.M), out
    _assert_nothing_left(p.pid, err)


def test_bench_engine_interrupted_cleans_up(built):
    p = subprocess.Popen([str(SCRIPT)], env=_env(BENCH_MEM_N="3"), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    err = ""
    try:
        # Ctrl-C while the detached memory containers run.
        for line in p.stderr:
            err += line
            if "memory: " in line:
                break
        else:
            pytest.fail("the script ended before its memory phase:\n" + err)
        time.sleep(0.3)
        os.killpg(p.pid, signal.SIGINT)
        err += p.stderr.read()
        p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 130, err
    assert "bench-engine: interrupted" in err
    _assert_nothing_left(p.pid, err)
