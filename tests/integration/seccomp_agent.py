"""A small seccomp notify agent for the tests: listens on a unix socket
(the profile's listenerPath), receives the container process state with the
listener fd, and answers every notified syscall with a fixed return value.

    with SeccompAgent(path, ret=4242) as agent:
        ... run a container whose profile notifies getppid ...
    agent.states -> [the containerProcessState JSON objects received]
    agent.calls  -> [(pid, syscall nr), ...]
"""
import errno
import fcntl
import json
import os
import select
import socket
import struct
import threading

# struct seccomp_notif { u64 id; u32 pid; u32 flags; struct seccomp_data { int nr; u32 arch;
# u64 instruction_pointer; u64 args[6]; } } = 80 bytes;
# struct seccomp_notif_resp { u64 id; s64 val; s32 error; u32 flags; } = 24 bytes.
NOTIF = struct.Struct("=QIIiIQ6Q")
RESP = struct.Struct("=QqiI")


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord("!") << 8) | nr


NOTIF_RECV = _iowr(0, NOTIF.size)
NOTIF_SEND = _iowr(1, RESP.size)


class SeccompAgent:
    def __init__(self, path, ret=0):
        self.path = str(path)
        self.ret = ret
        self.states, self.calls, self.errors = [], [], []
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen(4)
        self._sock.settimeout(0.1)
        self._fds = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)
        self._sock.close()
        for fd in self._fds:
            os.close(fd)
        os.unlink(self.path)

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                self._serve()
                continue
            with conn:
                msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
                self.states.append(json.loads(msg.decode()))
                self._fds += fds
            self._serve()

    def _serve(self):
        """Answers the notifications pending on every listener we hold; a
        listener whose processes are all gone (POLLHUP) is closed."""
        if not self._fds:
            return
        p = select.poll()
        for fd in self._fds:
            p.register(fd, select.POLLIN)
        for fd, ev in p.poll(50):
            if ev & select.POLLIN:
                self._answer(fd)
            elif ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                self._fds.remove(fd)
                os.close(fd)

    def _answer(self, fd):
        buf = bytearray(NOTIF.size)
        try:
            fcntl.ioctl(fd, NOTIF_RECV, buf, True)
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.EINTR):  # ENOENT: the caller went away
                self.errors.append(e)
            return
        nid, pid, _flags, nr = NOTIF.unpack(buf)[:4]
        self.calls.append((pid, nr))
        try:
            fcntl.ioctl(fd, NOTIF_SEND, bytearray(RESP.pack(nid, self.ret, 0, 0)), True)
        except OSError as e:
            if e.errno != errno.ENOENT:
                self.errors.append(e)
