"""linux.seccomp: the profile is compiled with libseccomp and loaded into the
container's process; the probe's `sys` subcommand makes one raw syscall and
prints "ret N" or "errno N ENAME"."""
import errno
import json
import os
import platform
import signal

import pytest

from seccomp_agent import SeccompAgent

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64",
                                reason="the profiles name x86_64 syscalls and architectures")

SIGSYS_STATUS = 128 + signal.SIGSYS


def assert_no_state(ctx):
    """No container left in the state root (the cache of compiled filters,
    .seccomp-cache, is not one)."""
    left = [d for d in os.listdir(ctx.root) if not d.startswith(".")]
    assert left == [], f"state left behind: {left}"


def cached_filters(ctx):
    d = ctx.root / ".seccomp-cache"
    return sorted(os.listdir(d)) if d.exists() else []


def allow_all(*rules, **extra):
    prof = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": list(rules)}
    prof.update(extra)
    return prof


def rule(names, action, **kw):
    r = {"names": names if isinstance(names, list) else [names], "action": action}
    r.update(kw)
    return r


def test_denied_syscall_fails_with_errno(ctx, bundle):
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_ERRNO", errnoRet=errno.EOPNOTSUPP),
                                        rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO"))
    bundle.args("/bin/sh", "-c", "/probe sys getppid + sys getpid; mkdir /made; echo mkdir=$?")
    r = bundle.run()
    assert r.returncode == 0, r
    lines = r.out.splitlines()
    assert f"errno {errno.EOPNOTSUPP} EOPNOTSUPP" in lines, r.out
    assert lines[1].startswith("ret "), r.out  # getpid allowed
    assert "mkdir=1" in lines, r.out
    assert "Operation not permitted" in r.err, r  # busybox mkdir's message: EPERM, the default errno
    assert not (bundle.rootfs / "made").exists()
    assert r.err.count("hullrt") == 0, r


def test_without_profile_nothing_is_denied(ctx, bundle):
    r = bundle.probe("sys", "getppid").run()
    assert r.returncode == 0 and r.out == "ret 0\n", r


def test_argument_filter_acts_only_on_that_value(ctx, bundle):
    # dup(fd) denied only for fd 2 (EQ), and for odd fds >= 3 with MASKED_EQ.
    bundle.linux["seccomp"] = allow_all(
        rule("dup", "SCMP_ACT_ERRNO", errnoRet=errno.EACCES,
             args=[{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]),
        rule("personality", "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV,
             args=[{"index": 0, "value": 0xff, "valueTwo": 0x08, "op": "SCMP_CMP_MASKED_EQ"}]))
    r = bundle.probe("sys", "dup", "2", "+", "sys", "dup", "1", "+",
                     "sys", "personality", "0x08", "+", "sys", "personality", "0xffffffff").run()
    assert r.returncode == 0, r
    lines = r.out.splitlines()
    assert lines[0] == f"errno {errno.EACCES} EACCES", r.out
    assert lines[1].startswith("ret ") and lines[1] != "ret -1", r.out
    assert lines[2] == f"errno {errno.EXDEV} EXDEV", r.out
    assert lines[3].startswith("ret "), r.out


# What the init (after a late load), the dmz trampoline and the static probe
# need to run, and nothing else: an allow-list under defaultAction ERRNO.
ALLOW_LIST = ["read", "write", "close", "exit", "exit_group", "execve", "execveat", "brk", "mmap", "munmap",
              "mprotect", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
              "readlink", "readlinkat", "getrandom", "newfstatat", "fstat", "uname", "ioctl", "sendmsg",
              "sendto", "recvmsg", "recvfrom", "prctl", "rt_sigprocmask", "rt_sigaction", "getpid",
              "close_range", "fcntl", "umask", "futex", "lseek"]


def test_default_errno_with_allow_list(ctx, bundle):
    bundle.linux["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": errno.ENOSYS,
                               "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                               "syscalls": [rule(ALLOW_LIST, "SCMP_ACT_ALLOW")]}
    r = bundle.probe("sys", "getpid", "+", "sys", "getppid", "+", "sys", "getuid").run()
    assert r.returncode == 0, r
    assert r.out.splitlines() == ["ret 1", f"errno {errno.ENOSYS} ENOSYS", f"errno {errno.ENOSYS} ENOSYS"], r


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                    "SCMP_ACT_TRAP"])
def test_kill_actions_end_the_process_by_sigsys(ctx, bundle, action):
    bundle.linux["seccomp"] = allow_all(rule("getppid", action))
    r = bundle.probe("sys", "getpid", "+", "sys", "getppid", "+", "sys", "getpid").run()
    assert r.returncode == SIGSYS_STATUS, r


def test_log_action_does_not_block(ctx, bundle):
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_LOG"), flags=["SECCOMP_FILTER_FLAG_LOG"])
    r = bundle.probe("sys", "getppid").run()
    assert r.returncode == 0 and r.out == "ret 0\n", r


def test_trace_action_without_tracer_fails_the_call(ctx, bundle):
    # With no tracer attached the kernel fails a SECCOMP_RET_TRACE call with ENOSYS.
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_TRACE", errnoRet=5))
    r = bundle.probe("sys", "getppid").run()
    assert r.returncode == 0 and r.out == f"errno {errno.ENOSYS} ENOSYS\n", r


def test_unknown_syscall_warns_and_runs(ctx, bundle):
    bundle.linux["seccomp"] = allow_all(rule(["no_such_syscall", "getppid"], "SCMP_ACT_ERRNO",
                                             errnoRet=errno.EOPNOTSUPP))
    log = ctx.tmp / "log"
    r = bundle.probe("sys", "getppid").run(globals_=["--log", str(log)])
    assert r.returncode == 0, r
    assert r.out == f"errno {errno.EOPNOTSUPP} EOPNOTSUPP\n", r
    want = ("config.json: linux.seccomp.syscalls[0].names[0]: unknown syscall 'no_such_syscall', ignoring")
    assert r.err == f"hullrt: warning: {want}\n", r
    text = log.read_text()
    assert "level=warning" in text and "no_such_syscall" in text, text


@pytest.mark.parametrize("profile,message", [
    (allow_all(rule("getppid", "SCMP_ACT_SOMETIMES")),
     "config.json: linux.seccomp.syscalls[0].action: unknown action 'SCMP_ACT_SOMETIMES'"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]},
     "config.json: linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_PDP11'"),
    (allow_all(rule("read", "SCMP_ACT_KILL"), rule("dup", "SCMP_ACT_KILL",
                                                    args=[{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}])),
     "config.json: linux.seccomp.syscalls[1].args[0].op: unknown operator 'SCMP_CMP_ABOUT'"),
    (allow_all(rule("dup", "SCMP_ACT_KILL", args=[{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}])),
     "config.json: linux.seccomp.syscalls[0].args[0].index: must be at most 5"),
    (allow_all({"names": "dup", "action": "SCMP_ACT_KILL"}),
     "config.json: linux.seccomp.syscalls[0].names: must be an array"),
    (allow_all(rule("dup", "SCMP_ACT_NOTIFY")),
     "config.json: linux.seccomp.listenerPath: is required with SCMP_ACT_NOTIFY"),
    (allow_all(rule(["dup", "write"], "SCMP_ACT_NOTIFY"), listenerPath="/run/agent.sock"),
     "config.json: linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for 'write': "
     "the runtime needs it to hand the listener fd over"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_QUICK"]},
     "config.json: linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_QUICK'"),
])
def test_bad_profile_is_refused_and_leaves_nothing(ctx, bundle, profile, message):
    bundle.linux["seccomp"] = profile
    r = bundle.probe("sys", "getpid").run()
    assert r.returncode == 1, r
    assert r.err == f"hullrt: {message}\n", r
    assert r.out == ""
    assert_no_state(ctx)
    assert cached_filters(ctx) == [], "an error was cached"
    assert ctx.rt("list", "-q").out == ""


@pytest.mark.parametrize("nnp", [True, False])
def test_unprivileged_user_with_and_without_no_new_privileges(ctx, bundle, nnp):
    """uid 1000 without capabilities: the filter is loaded before the caps
    go (no NNP) or after NNP is set; either way it is in force."""
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.process["capabilities"] = {k: [] for k in ("bounding", "effective", "permitted", "inheritable",
                                                      "ambient")}
    bundle.process["noNewPrivileges"] = nnp
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_ERRNO", errnoRet=errno.EOPNOTSUPP))
    r = bundle.probe("ids", "+", "caps", "+", "nnp", "+", "sys", "getppid", "+", "cat", "/proc/self/status").run()
    assert r.returncode == 0, r
    lines = r.out.splitlines()
    assert "uid 1000" in lines and "euid 1000" in lines, r.out
    assert "CapEff 0000000000000000" in lines and "CapBnd 0000000000000000" in lines, r.out
    assert f"NoNewPrivs {int(nnp)}" in lines, r.out
    assert f"errno {errno.EOPNOTSUPP} EOPNOTSUPP" in lines, r.out
    assert "Seccomp:\t2" in lines, r.out  # filter mode


def test_filter_applies_to_every_process_of_the_container(ctx, bundle):
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_ERRNO", errnoRet=errno.EOPNOTSUPP))
    bundle.args("/bin/sh", "-c", "/probe sys getppid; /bin/sh -c '/probe sys getppid'")
    r = bundle.run()
    assert r.returncode == 0, r
    assert r.out.splitlines() == [f"errno {errno.EOPNOTSUPP} EOPNOTSUPP"] * 2, r


def test_podman_style_profile_runs_a_shell(ctx, bundle):
    """A large profile in the containers/common shape: allow-list, default
    ERRNO, per-arch entries and argument rules; a shell pipeline still runs."""
    prof = os.environ.get("HULL_TEST_SECCOMP_PROFILE", "/usr/share/containers/seccomp.json")
    if not os.path.exists(prof):
        pytest.skip(f"{prof} (containers-common's default profile) is not installed")
    with open(prof) as f:
        data = json.load(f)
    # The engine's format: per-native-arch archMap and includes/excludes that
    # podman resolves into the OCI form; do the same, simply, for x86_64.
    spec = {"defaultAction": data["defaultAction"],
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": []}
    if "defaultErrnoRet" in data:
        spec["defaultErrnoRet"] = data["defaultErrnoRet"]
    for s in data["syscalls"]:
        inc, exc = s.get("includes", {}), s.get("excludes", {})
        if inc.get("arches") and "amd64" not in inc["arches"] and "x86_64" not in inc["arches"]:
            continue
        if inc.get("caps") or exc.get("arches") and "amd64" in exc["arches"]:
            continue
        if inc.get("minKernel"):
            continue
        e = {"names": s.get("names") or [s["name"]], "action": s["action"]}
        for k in ("args", "errnoRet"):
            if s.get(k) is not None:
                e[k] = s[k]
        if e.get("args"):
            for a in e["args"]:
                a.setdefault("valueTwo", 0)
        spec["syscalls"].append(e)
    bundle.linux["seccomp"] = spec
    bundle.args("/bin/sh", "-c", "echo hi | cat; ls / >/dev/null && /probe sys getpid; mkdir /d && echo made")
    r = bundle.run()
    assert r.returncode == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "hi" and lines[1].startswith("ret ") and lines[2] == "made", r
    # syscalls newer than this libseccomp are skipped, each with a warning
    assert all(line.startswith("hullrt: warning: config.json: linux.seccomp.syscalls[") and
               line.endswith(", ignoring") for line in r.err.splitlines()), r.err


@pytest.mark.parametrize("action,how", [("SCMP_ACT_KILL", "was killed by signal 31 (SIGSYS)"),
                                        ("SCMP_ACT_ERRNO", "")])
def test_profile_that_breaks_the_runtime_is_reported(ctx, bundle, action, how):
    """A default-deny profile without an allow-list stops the init itself
    right after loading: create fails, says so, and leaves nothing behind."""
    bundle.linux["seccomp"] = {"defaultAction": action}
    r = bundle.probe("pid").run()
    assert r.returncode == 1, r
    assert r.err.startswith("hullrt: the container's init ") and how in r.err, r
    assert "(does linux.seccomp deny a syscall the runtime needs before exec?)" in r.err, r
    assert_no_state(ctx)


SYS_GETPPID_X86_64 = 110


@pytest.mark.parametrize("nnp", [True, False])
def test_notify_agent_gets_the_listener_and_answers(ctx, bundle, nnp):
    """SCMP_ACT_NOTIFY: the agent at listenerPath receives the container
    process state with the listener fd and answers the notified calls."""
    sock = ctx.tmp / "agent.sock"
    bundle.process["noNewPrivileges"] = nnp
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_NOTIFY"), listenerPath=str(sock),
                                        listenerMetadata="probe=getppid")
    with SeccompAgent(sock, ret=4242) as agent:
        r = bundle.probe("sys", "getppid", "+", "sys", "getpid").run()
    assert r.returncode == 0, r
    assert r.out.splitlines() == ["ret 4242", "ret 1"], r
    assert not agent.errors, agent.errors
    assert len(agent.states) == 1, agent.states
    st = agent.states[0]
    assert st["fds"] == ["seccompFd"] and st["metadata"] == "probe=getppid", st
    assert st["ociVersion"] == st["state"]["ociVersion"]
    assert st["state"]["id"] == r.id and st["state"]["status"] == "creating", st
    assert st["state"]["bundle"] == str(bundle.path), st
    assert st["pid"] == st["state"]["pid"] and st["pid"] > 0, st
    assert [nr for _, nr in agent.calls] == [SYS_GETPPID_X86_64], agent.calls


def test_notify_without_agent_fails_and_leaves_nothing(ctx, bundle):
    sock = ctx.tmp / "nobody.sock"
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_NOTIFY"), listenerPath=str(sock))
    r = bundle.probe("sys", "getppid").run()
    assert r.returncode == 1, r
    assert r.err == (f"hullrt: cannot connect to the seccomp listener socket '{sock}': "
                     "No such file or directory\n"), r
    assert_no_state(ctx)


def test_user_namespace_without_no_new_privileges(ctx, bundle):
    """In a new user namespace the init loads the filter with the
    CAP_SYS_ADMIN it holds there (no no_new_privs), then drops it."""
    os.chmod(ctx.tmp, 0o755)  # the mapped root must reach the rootfs
    bundle.linux["namespaces"].append({"type": "user"})
    bundle.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/sys")]
    bundle.process["noNewPrivileges"] = False
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_ERRNO", errnoRet=errno.EOPNOTSUPP))
    r = bundle.probe("sys", "getppid", "+", "nnp", "+", "ids").run()
    assert r.returncode == 0, r
    lines = r.out.splitlines()
    assert lines[:2] == [f"errno {errno.EOPNOTSUPP} EOPNOTSUPP", "NoNewPrivs 0"], r.out
    assert "uid 1000" in lines, r.out


def test_compiled_filter_is_cached_in_the_state_root(ctx, bundle):
    """The second container with the same profile reads the compiled filter
    back (same warnings, same effect); another profile gets its own."""
    bundle.linux["seccomp"] = allow_all(rule(["getppid", "no_such_syscall"], "SCMP_ACT_ERRNO",
                                             errnoRet=errno.EOPNOTSUPP))
    first = bundle.probe("sys", "getppid").run()
    assert first.returncode == 0 and first.out == f"errno {errno.EOPNOTSUPP} EOPNOTSUPP\n", first
    files = cached_filters(ctx)
    assert len(files) == 1, files
    st = os.stat(ctx.root / ".seccomp-cache" / files[0])
    assert st.st_uid == 0 and st.st_mode & 0o077 == 0, oct(st.st_mode)
    assert os.stat(ctx.root / ".seccomp-cache").st_mode & 0o077 == 0
    again = bundle.probe("sys", "getppid").run()
    assert again.returncode == 0 and again.out == first.out and again.err == first.err, again
    assert "unknown syscall 'no_such_syscall', ignoring" in again.err, again
    assert cached_filters(ctx) == files
    bundle.linux["seccomp"] = allow_all(rule("getppid", "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV))
    other = bundle.probe("sys", "getppid").run()
    assert other.returncode == 0 and other.out == f"errno {errno.EXDEV} EXDEV\n", other
    assert len(cached_filters(ctx)) == 2
