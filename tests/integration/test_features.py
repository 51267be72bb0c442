"""`hullrt features`: the runtime-spec features document, and every list in
it held to what create really does with it."""
import json
import os
import platform

import pytest

from conftest import parse_kv
from seccomp_agent import SeccompAgent


@pytest.fixture
def features(ctx):
    r = ctx.rt("features", root=False)
    assert r.returncode == 0 and r.err == "", r
    return json.loads(r.out)


def test_document_shape(features):
    assert features["ociVersionMin"] == "1.0.0"
    assert features["ociVersionMax"].startswith("1.2.")
    for key in ("hooks", "mountOptions"):
        assert features[key] and all(isinstance(x, str) for x in features[key]), key
        assert len(set(features[key])) == len(features[key]), f"duplicates in {key}"
    lx = features["linux"]
    assert {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"} <= set(lx["namespaces"])
    assert all(c.startswith("CAP_") for c in lx["capabilities"])
    assert lx["cgroup"] == {"v1": True, "v2": True, "systemd": False, "systemdUser": False, "rdma": False}
    sc = lx["seccomp"]
    assert sc["enabled"] is True
    assert "SCMP_ACT_NOTIFY" in sc["actions"]
    assert set(sc["supportedFlags"]) <= set(sc["knownFlags"])
    assert lx["apparmor"] == {"enabled": False} and lx["selinux"] == {"enabled": False}
    assert lx["mountExtensions"] == {"idmap": {"enabled": False}}
    assert features["annotations"]["io.github.seccomp.libseccomp.version"].count(".") == 2


def test_usage_errors(ctx):
    r = ctx.rt("features", "extra", root=False)
    assert r.returncode == 1 and "unexpected argument 'extra'" in r.err, r
    r = ctx.rt("features", "--help", root=False)
    assert r.returncode == 0 and r.out.startswith("Usage: hullrt features"), r


@pytest.mark.parametrize("which", ["ociVersionMin", "ociVersionMax"])
def test_listed_versions_are_accepted(ctx, bundle, features, which):
    bundle.config["ociVersion"] = features[which]
    r = bundle.probe("pid").run()
    assert r.returncode == 0 and "pid 1" in r.out, r


def test_every_mount_option_is_accepted(ctx, bundle, features):
    """Each listed option on a mount of its own: tmpfs, or a bind mount for
    the options that make sense only there (bind, rbind, remount)."""
    src = ctx.tmp / "bindsrc"
    src.mkdir()
    (src / "f").write_text("x")
    mounts = []
    for i, opt in enumerate(features["mountOptions"]):
        dest = f"/mnt/o{i}"
        if opt in ("bind", "rbind", "remount"):
            opts = ["rbind", opt] if opt == "remount" else [opt]
            mounts.append({"destination": dest, "type": "bind", "source": str(src), "options": opts})
        else:
            mounts.append({"destination": dest, "type": "tmpfs", "source": "tmpfs", "options": [opt]})
    bundle.config["mounts"] += mounts
    r = bundle.probe("mounts").run()
    assert r.returncode == 0, r
    seen = {line.split()[0] for line in r.out.splitlines()}
    missing = [m["destination"] for m in mounts if m["destination"] not in seen]
    assert not missing, missing


def test_every_namespace_is_accepted(ctx, bundle, features):
    os.chmod(ctx.tmp, 0o755)  # the mapped root must reach the rootfs
    bundle.linux["namespaces"] = [{"type": t} for t in features["linux"]["namespaces"]]
    if "user" in features["linux"]["namespaces"]:
        bundle.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        bundle.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        bundle.config["mounts"] = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/sys")]
    r = bundle.probe("ns").run()
    assert r.returncode == 0, r
    mine = parse_kv(r.out)
    names = {"network": "net", "mount": "mnt", "time": "time_for_children"}
    for t in features["linux"]["namespaces"]:
        key = names.get(t, t)
        assert mine[key] != os.readlink(f"/proc/self/ns/{key}"), f"{t}: not a new namespace"


def test_every_capability_is_accepted(ctx, bundle, features):
    caps = features["linux"]["capabilities"]
    bundle.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    bundle.process["noNewPrivileges"] = False
    r = bundle.probe("caps").run()
    assert r.returncode == 0, r
    with open("/proc/self/status") as f:
        host_bnd = int([line.split()[1] for line in f if line.startswith("CapBnd:")][0], 16)
    # every capability the host can give is there (the others cannot be had)
    assert int(parse_kv(r.out)["CapBnd"], 16) == host_bnd & ((1 << len(caps)) - 1), r.out


def test_every_hook_is_run(ctx, bundle, features):
    out = ctx.tmp / "hooks"
    out.mkdir()
    hooks = {}
    for name in features["hooks"]:
        # startContainer runs in the container, the others on the host
        target = f"/{name}" if name == "startContainer" else f"{out}/{name}"
        hooks[name] = [{"path": "/bin/sh", "args": ["sh", "-c", f"touch {target}"]}]
    bundle.config["hooks"] = hooks
    r = bundle.probe("pid").run()
    assert r.returncode == 0, r
    for name in features["hooks"]:
        p = bundle.rootfs / name if name == "startContainer" else out / name
        assert p.exists(), f"hook {name} did not run"


def seccomp_run(bundle, profile):
    bundle.linux["seccomp"] = profile
    return bundle.probe("sys", "getpid").run()


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 syscall names")
def test_every_seccomp_action_is_accepted(ctx, bundle, features):
    sock = ctx.tmp / "agent.sock"
    for act in features["linux"]["seccomp"]["actions"]:
        with SeccompAgent(sock) as agent:
            r = seccomp_run(bundle, {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(sock),
                                     "syscalls": [{"names": ["getppid"], "action": act}]})
        assert r.returncode == 0 and r.out.startswith("ret "), (act, r)
        assert len(agent.states) == (act == "SCMP_ACT_NOTIFY"), (act, agent.states)
        if act == "SCMP_ACT_NOTIFY":
            # refused as the default action (see test_seccomp.py); tested as a rule above
            continue
        # as the default action too: everything but getppid is then denied
        # (the container cannot even exec), or only logged
        r = seccomp_run(bundle, {"defaultAction": act, "syscalls": [{"names": ["getppid"],
                                                                      "action": "SCMP_ACT_ALLOW"}]})
        if act in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG"):
            assert r.returncode == 0 and r.out.startswith("ret "), (act, r)
        else:
            assert r.returncode != 0, (act, r)


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 syscall names")
def test_every_seccomp_operator_arch_and_flag_is_accepted(ctx, bundle, features):
    sc = features["linux"]["seccomp"]
    for op in sc["operators"]:
        r = seccomp_run(bundle, {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["getppid"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 0, "value": 1, "valueTwo": 1, "op": op}]}]})
        assert r.returncode == 0, (op, r)
    for arch in sc["archs"]:
        r = seccomp_run(bundle, {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [arch]})
        assert r.returncode == 0, (arch, r)
        # archs of the other byte order cannot share a filter: skipped with a warning
        assert r.err == "" or "(other byte order), ignoring" in r.err, (arch, r)
    sock = ctx.tmp / "agent.sock"
    for flag in sc["knownFlags"]:
        # with a notify rule, so that WAIT_KILLABLE_RECV applies too
        with SeccompAgent(sock, ret=7):
            r = seccomp_run(bundle, {"defaultAction": "SCMP_ACT_ALLOW", "flags": [flag], "listenerPath": str(sock),
                                     "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_NOTIFY"}]})
        if flag in sc["supportedFlags"]:
            assert r.returncode == 0 and r.out == "ret 7\n" and r.err == "", (flag, r)
        else:  # known but not supported here: refused, saying so
            assert r.returncode == 1 and "is not supported by this kernel" in r.err, (flag, r)
