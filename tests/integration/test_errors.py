"""Errors: exit status 1, a message on stderr, and nothing left behind (no
state under --root, no cgroup, no mount: the ctx teardown checks the last
two).  The wording checks (the message names what failed) are hull's."""
import json
import os

import pytest

from conftest import IS_HULL


def assert_failed(r):
    assert r.returncode == 1, r
    assert r.err.strip(), f"no error message on stderr: {r}"


def assert_nothing_left(ctx, cid):
    r = ctx.rt("list", "-q", check=0)
    assert cid not in r.out.split(), r
    for dirpath, dirnames, filenames in os.walk(ctx.root):
        for n in dirnames + filenames:
            assert cid not in n, f"state left behind: {os.path.join(dirpath, n)}"
    assert ctx.rt("state", cid).returncode != 0


def assert_names(r, *words):
    """hull: one line 'hullrt: ...' that names what failed."""
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert len(lines) == 1, f"want one error line: {r.err!r}"
    assert lines[0].startswith("hullrt: "), lines[0]
    for w in words:
        assert str(w) in lines[0], f"{w!r} not named in {lines[0]!r}"


# ---- each error case: generic checks, valid under any runtime

def _missing_bundle(ctx, bundle):
    cid = ctx.new_id()
    missing = ctx.tmp / "no-such-bundle"
    return ctx.rt("create", "--bundle", missing, cid), cid, [missing]


def _invalid_json(ctx, bundle):
    bundle.write()
    (bundle.path / "config.json").write_text('{"ociVersion": "1.0.2", "process": {')
    cid = ctx.new_id()
    return ctx.rt("create", "--bundle", bundle.path, cid), cid, ["config.json"]


def _unknown_version(ctx, bundle):
    bundle.config["ociVersion"] = "9.9.9"
    return bundle.create(check=None), None, ["9.9.9"]


def _unknown_namespace(ctx, bundle):
    bundle.linux["namespaces"].append({"type": "bogusns"})
    return bundle.create(check=None), None, ["bogusns"]


def _missing_rootfs(ctx, bundle):
    bundle.config["root"]["path"] = "no-such-rootfs"
    return bundle.create(check=None), None, ["no-such-rootfs"]


def _missing_bind_source(ctx, bundle):
    # fails late: after the namespaces and the cgroup exist
    src = ctx.tmp / "no-such-source"
    bundle.config["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(src),
                                    "options": ["bind"]})
    return bundle.create(check=None), None, [str(src)]


def _missing_executable(ctx, bundle):
    bundle.args("/no-such-program")
    return bundle.run(), None, ["/no-such-program"]


CREATE_ERRORS = {
    "missing-bundle": _missing_bundle,
    "invalid-json": _invalid_json,
    "unknown-version": pytest.param(_unknown_version, marks=pytest.mark.runc_differs("runc 1.1 does not check ociVersion")),
    "unknown-namespace": _unknown_namespace,
    "missing-rootfs": _missing_rootfs,
    "missing-bind-source": _missing_bind_source,
    "missing-executable": _missing_executable,
}


@pytest.mark.parametrize("case", CREATE_ERRORS.values(), ids=CREATE_ERRORS.keys())
def test_create_error(ctx, bundle, case):
    r, cid, _ = case(ctx, bundle)
    cid = cid or r.id
    assert_failed(r)
    assert_nothing_left(ctx, cid)


@pytest.mark.hull_wording
@pytest.mark.parametrize("case", CREATE_ERRORS.values(), ids=CREATE_ERRORS.keys())
def test_create_error_wording(ctx, bundle, case):
    r, _, words = case(ctx, bundle)
    assert_failed(r)
    assert_names(r, *words)


def test_duplicate_id(ctx, bundle):
    bundle.probe("waitsig")
    a = bundle.create()
    pid = ctx.state(a.id)["pid"]
    r = bundle.create(a.id, check=None)
    assert_failed(r)
    # the first container is untouched
    st = ctx.state(a.id)
    assert st["status"] == "created" and st["pid"] == pid
    ctx.rt("start", a.id, check=0)
    assert ctx.state(a.id)["status"] == "running"


@pytest.mark.hull_wording
def test_duplicate_id_wording(ctx, bundle):
    bundle.probe("waitsig")
    a = bundle.create()
    r = bundle.create(a.id, check=None)
    assert_failed(r)
    assert_names(r, a.id)


@pytest.mark.parametrize("before,after", [(["state"], []), (["start"], []), (["kill"], []), (["kill"], ["KILL"]),
                                          (["delete"], []), (["pause"], []), (["resume"], [])],
                         ids=["state", "start", "kill", "kill-KILL", "delete", "pause", "resume"])
def test_unknown_id(ctx, before, after):
    cid = ctx.new_id("-nosuch")
    r = ctx.rt(*before, cid, *after)
    assert_failed(r)
    assert_nothing_left(ctx, cid)


def test_delete_force_unknown_id(ctx):
    """runc: deleting a missing container with --force is not an error."""
    cid = ctx.new_id("-nosuch")
    r = ctx.rt("delete", "-f", cid)
    assert r.returncode in (0, 1), r
    assert_nothing_left(ctx, cid)


@pytest.mark.hull_wording
@pytest.mark.parametrize("cmd", ["state", "start", "kill", "delete"])
def test_unknown_id_wording(ctx, cmd):
    cid = ctx.new_id("-nosuch")
    r = ctx.rt(cmd, cid)
    assert_failed(r)
    assert_names(r, cid)


@pytest.mark.parametrize("sig", ["SIGFOO", "FOO", "99", "-1", "SIG"])
def test_bad_signal(ctx, bundle, sig):
    bundle.probe("waitsig")
    a = bundle.create()
    r = ctx.rt("kill", a.id, sig)
    assert_failed(r)
    assert ctx.state(a.id)["status"] == "created"


@pytest.mark.hull_wording
def test_bad_signal_wording(ctx, bundle):
    bundle.probe("waitsig")
    a = bundle.create()
    r = ctx.rt("kill", a.id, "SIGFOO")
    assert_failed(r)
    assert_names(r, "SIGFOO")


def test_start_running(ctx, bundle):
    bundle.probe("waitsig")
    a = bundle.create()
    ctx.rt("start", a.id, check=0)
    r = ctx.rt("start", a.id)
    assert_failed(r)
    assert ctx.state(a.id)["status"] == "running"
    if IS_HULL:
        assert_names(r, a.id)


def test_start_stopped(ctx, bundle):
    bundle.probe("exit", "0")
    a = bundle.create()
    ctx.rt("start", a.id, check=0)
    ctx.wait_status(a.id, "stopped")
    r = ctx.rt("start", a.id)
    assert_failed(r)


def test_delete_running_without_force(ctx, bundle):
    bundle.probe("waitsig")
    a = bundle.create()
    ctx.rt("start", a.id, check=0)
    r = ctx.rt("delete", a.id)
    assert_failed(r)
    st = ctx.state(a.id)
    assert st["status"] == "running"
    assert os.path.exists(f"/proc/{st['pid']}")
    if IS_HULL:
        assert_names(r, a.id)


def test_invalid_id(ctx, bundle):
    bundle.probe("exit", "0").write()
    for bad in ("../escape", "a/b", ".."):
        r = ctx.rt("create", "--bundle", bundle.path, bad)
        assert_failed(r)
    assert not (ctx.tmp / "escape").exists()
    assert ctx.rt("list", "-q", check=0).out.strip() == ""


def test_usage_errors(ctx):
    for args in (["create"], ["start"], ["nosuchcommand"], ["create", "--nosuchoption", "x"],
                 ["kill"], ["state"]):
        r = ctx.rt(*args)
        assert r.returncode != 0, r
        assert r.err.strip(), r


def test_error_json_log(ctx):
    log = ctx.tmp / "log.json"
    cid = ctx.new_id("-nosuch")
    r = ctx.rt("state", cid, globals_=["--log", log, "--log-format", "json"])
    assert_failed(r)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    errs = [e for e in lines if e.get("level") == "error"]
    assert errs, lines
    assert all(isinstance(e.get("msg"), str) and e["msg"] for e in errs)
    if IS_HULL:
        assert any(cid in e["msg"] for e in errs)


def test_error_text_log(ctx):
    log = ctx.tmp / "log.txt"
    cid = ctx.new_id("-nosuch")
    r = ctx.rt("state", cid, globals_=["--log", log, "--log-format", "text"])
    assert_failed(r)
    text = log.read_text()
    assert "error" in text.lower()
    if IS_HULL:
        assert cid in text
