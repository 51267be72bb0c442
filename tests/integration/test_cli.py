"""Global options and the CLI surface: --version, --help, --root, --log,
--log-format, --debug, --systemd-cgroup."""
import json
import os
import re

import pytest

from conftest import IS_HULL

COMMANDS = ["create", "start", "run", "state", "kill", "delete", "list", "pause", "resume"]


def test_version(ctx):
    r = ctx.rt("--version", root=False, check=0)
    lines = r.out.splitlines()
    assert re.match(r"^\S+ version \S+", lines[0]), lines
    assert any(re.match(r"^spec: 1\.\d+\.\d+", line) for line in lines), lines


@pytest.mark.hull_wording
def test_version_names_hullrt(ctx):
    r = ctx.rt("--version", root=False, check=0)
    assert r.out.splitlines()[0].startswith("hullrt version "), r.out


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_global_help(ctx, flag):
    r = ctx.rt(flag, root=False, check=0)
    for c in ("create", "start", "run", "kill", "delete", "state", "list"):
        assert c in r.out, f"{c} missing from {flag}: {r.out}"


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(ctx, cmd, flag):
    r = ctx.rt(cmd, flag, root=False, check=0)
    assert re.search(rf"\b{cmd}\b", r.out), r.out
    assert "usage" in r.out.lower(), r.out
    # --help must not act
    assert ctx.rt("list", "-q", check=0).out.strip() == ""


def test_root_is_used(ctx, bundle):
    """Containers live under --root: another root does not see them."""
    bundle.probe("waitsig")
    a = bundle.create()
    assert any(a.id in n for _, d, f in os.walk(ctx.root) for n in d + f), "no state under --root"
    other = ctx.tmp / "other-root"
    other.mkdir()
    r = ctx.rt("list", "-q", root=other, check=0)
    assert a.id not in r.out
    assert ctx.rt("state", a.id, root=other).returncode != 0
    assert a.id in ctx.rt("list", "-q", check=0).out.split()


def test_root_created_if_missing(ctx, bundle):
    root = ctx.tmp / "new" / "root"
    bundle.probe("exit", "0").write()
    cid = ctx.new_id()
    r = ctx.rt("run", "--bundle", bundle.path, cid, root=root)
    assert r.returncode == 0, r


def test_debug(ctx, bundle):
    log = ctx.tmp / "debug.log"
    bundle.probe("exit", "0").write()
    cid = ctx.new_id()
    r = ctx.rt("run", "--bundle", bundle.path, cid, globals_=["--debug", "--log", log])
    assert r.returncode == 0, r
    assert log.exists() and log.read_text().strip(), "--debug wrote nothing to --log"


def test_debug_json(ctx, bundle):
    log = ctx.tmp / "debug.json"
    bundle.probe("exit", "0").write()
    cid = ctx.new_id()
    r = ctx.rt("run", "--bundle", bundle.path, cid, globals_=["--debug", "--log", log, "--log-format", "json"])
    assert r.returncode == 0, r
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert entries and all("msg" in e and "level" in e for e in entries)


def test_log_format_bad(ctx):
    r = ctx.rt("list", globals_=["--log-format", "yaml"])
    assert r.returncode != 0 and r.err.strip(), r


def test_systemd_cgroup_refused(ctx, bundle):
    """hullrt has no systemd cgroup driver: a clear error, nothing left."""
    bundle.probe("exit", "0").write()
    cid = ctx.new_id()
    r = ctx.rt("run", "--bundle", bundle.path, cid, globals_=["--systemd-cgroup"])
    assert r.returncode != 0, r
    assert r.err.strip()
    assert ctx.rt("list", "-q", check=0).out.strip() == ""
    if IS_HULL:
        assert "systemd" in r.err
