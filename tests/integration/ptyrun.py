"""run_in_pty: runs a client (podman, ctr) with a pseudo-terminal as its
stdio, as a user at a terminal would, for the -t tests."""
import os
import pty
import signal
import time


def run_in_pty(argv, timeout=60):
    """Returns (exit code, output lines without \\r); kills argv[0] after timeout s."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execv(str(argv[0]), [str(a) for a in argv])
        finally:
            os._exit(127)
    out = b""
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            out += data
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(fd)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st), out.decode(errors="replace").replace("\r", "").splitlines()
