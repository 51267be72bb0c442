"""hooks: each kind gets the state JSON on stdin; failures and timeouts."""
import json
import time

import pytest

from conftest import wait_for

HOST_HOOKS = ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]
ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def hook(script, **kw):
    h = {"path": "/bin/sh", "args": ["sh", "-c", script], "env": ENV + kw.pop("env", [])}
    h.update(kw)
    return h


def add_all_hooks(bundle, outdir):
    outdir.mkdir(exist_ok=True)
    order = outdir / "order"
    hooks = {}
    for name in HOST_HOOKS:
        # createContainer's path and files resolve in the runtime's namespace
        hooks[name] = [hook(f'cat > {outdir}/{name}.json; echo {name} >> {order}; echo "$HOOKVAR" > {outdir}/{name}.env',
                            env=["HOOKVAR=v-" + name])]
    # startContainer runs in the container: its paths are the container's
    hooks["startContainer"] = [hook("cat > /startContainer.json")]
    bundle.config["hooks"] = hooks
    return order


def check_state(path, cid, need_pid=True):
    st = json.loads(path.read_text())
    assert st["id"] == cid, st
    if need_pid:
        assert isinstance(st.get("pid"), int) and st["pid"] > 0, (path.name, st)
    assert "bundle" in st and "ociVersion" in st
    return st


@pytest.mark.runc_differs("runc 1.1 runs poststart hooks during create")
def test_all_hooks_run(ctx, bundle):
    out = ctx.tmp / "hooks"
    order = add_all_hooks(bundle, out)
    bundle.probe("waitsig", "/ready")
    r = bundle.create()
    cid = r.id
    for name in ("prestart", "createRuntime", "createContainer"):
        assert (out / f"{name}.json").exists(), f"{name} did not run at create"
        check_state(out / f"{name}.json", cid)
    assert not (out / "poststart.json").exists()
    assert not (bundle.rootfs / "startContainer.json").exists()
    ctx.rt("start", cid, check=0)
    wait_for((bundle.rootfs / "ready").exists)
    wait_for((out / "poststart.json").exists, what="poststart")
    check_state(bundle.rootfs / "startContainer.json", cid)
    st = check_state(out / "poststart.json", cid)
    assert st["status"] in ("running", "created")
    assert not (out / "poststop.json").exists()
    ctx.rt("kill", cid, "KILL", check=0)
    ctx.wait_status(cid, "stopped")
    ctx.rt("delete", cid, check=0)
    check_state(out / "poststop.json", cid, need_pid=False)
    for name in HOST_HOOKS:
        assert (out / f"{name}.env").read_text().strip() == "v-" + name
    seq = order.read_text().split()
    assert seq.index("createRuntime") < seq.index("createContainer") < seq.index("poststart") < seq.index("poststop")
    assert seq.index("prestart") < seq.index("poststart")
    assert sorted(seq) == sorted(HOST_HOOKS), seq


def test_hooks_with_run(ctx, bundle):
    out = ctx.tmp / "hooks"
    add_all_hooks(bundle, out)
    r = bundle.probe("exit", "0").run()
    assert r.returncode == 0, r
    for name in HOST_HOOKS:
        assert (out / f"{name}.json").exists(), name
    check_state(out / "createRuntime.json", r.id)
    check_state(bundle.rootfs / "startContainer.json", r.id)


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_hook_fails_create(ctx, bundle, kind):
    bundle.config["hooks"] = {kind: [hook("exit 3")]}
    bundle.probe("exit", "0")
    r = bundle.create(check=None)
    assert r.returncode != 0, r
    assert r.err.strip()
    assert r.id not in ctx.rt("list", "-q", check=0).out.split()


def test_hook_timeout(ctx, bundle):
    bundle.config["hooks"] = {"createRuntime": [hook("exec sleep 5", timeout=1)]}
    bundle.probe("exit", "0")
    t = time.monotonic()
    r = bundle.create(check=None)
    took = time.monotonic() - t
    assert r.returncode != 0, r
    assert took < 10, f"the 1 s hook timeout took {took:.1f}s"
    assert r.id not in ctx.rt("list", "-q", check=0).out.split()


def test_poststop_failure_does_not_block_delete(ctx, bundle):
    out = ctx.tmp / "ran"
    bundle.config["hooks"] = {"poststop": [hook(f"touch {out}; exit 1")]}
    r = bundle.probe("exit", "0").run(None, "--keep")
    assert r.returncode == 0, r
    ctx.rt("delete", r.id)
    assert out.exists()
    assert ctx.rt("state", r.id).returncode != 0


def test_in_container_hooks_get_a_large_state_whole(ctx, bundle):
    """createContainer and startContainer run in the init; a state with
    many annotations (far more than one sync message) reaches them whole."""
    out = ctx.tmp / "hooks"
    add_all_hooks(bundle, out)
    bundle.config["annotations"] = {f"org.hull.test.k{i}": "v" * 100 for i in range(200)}
    r = bundle.probe("exit", "0").run()
    assert r.returncode == 0, r
    for path in (out / "createContainer.json", bundle.rootfs / "startContainer.json"):
        st = check_state(path, r.id)
        assert st["annotations"] == bundle.config["annotations"], path
