"""`python -m maild ...` for the tests, forked from an interpreter that has already
imported maild.cli.

A new interpreter spends ~0.15-0.2 s of CPU importing maild.cli before it does anything
(bench/FINDINGS.md 53), and the suite starts ~250 daemons (helpers.Daemon). Each xdist
worker starts one zygote (`python -m tests.zygote`, on first use): it imports
maild.cli and what most children import next (every command's parser and handlers,
`serve`'s daemon), which read no environment variable and start no thread, and then
forks a child per request. The child is a real process of its own running maild's entry point
as `python -m` does, with the request's arguments, environment, working folder and
standard streams; what only some work needs (aiosmtpd, uvloop, ... workers.FIRST_USE)
it imports itself, as a daemon started by systemd does.

What Python reads from the environment as it starts (PYTHON*, the locale, TZ) the zygote
read once: a request whose values differ is started as a new interpreter instead
(`spawn`). `run`, for tests that run many commands in one other such environment (the
root-safety tests' PYTHONPATH), forks from a zygote started in that environment, one
for each, made on first use. A zygote ends when the worker that started it does (EOF on
its stdin).

Requests go over a SOCK_SEQPACKET UNIX socket, one connection each: a JSON message
with the three standard streams' descriptors (SCM_RIGHTS); the zygote answers the
child's pid and, once it has reaped the child, its return code as subprocess gives it.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import runpy
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _startup_env(env: dict[str, str]) -> dict[str, str]:
    """What of `env` a Python interpreter reads as it starts."""
    return {
        k: v
        for k, v in env.items()
        if k.startswith(("PYTHON", "LC_")) or k in ("LANG", "LANGUAGE", "TZ")
    }


# --- the zygote ---------------------------------------------------------------------


def _exit_code(e: SystemExit) -> int:
    """The status `python` exits with for an uncaught SystemExit(e.code)."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=sys.stderr)
    return 1


def _become(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def _child(request: dict[str, Any], fds: list[int]) -> None:
    """Become `python -m <module> <args>` as the request says; never returns."""
    code = 1
    try:
        for n, fd in enumerate(fds):
            os.dup2(fd, n)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if request.get("user"):  # as subprocess's preexec_fn would: another user from the start
            _become(*request["user"])
        sys.argv = ["-m", *request["args"]]
        try:
            runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as e:
            code = _exit_code(e)
        except BaseException:
            traceback.print_exc()
        atexit._run_exitfuncs()  # as the interpreter does at its end (logging, ...)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    finally:
        os._exit(code)


def serve(path: str) -> None:
    """Answer requests on the UNIX socket `path` till stdin reaches its end."""
    # What every child imports first, and what most of them import next (every
    # command's parser and handlers, `serve`'s daemon): each child would import it again.
    import maild.cli  # noqa: F401
    import maild.commands  # noqa: F401
    import maild.ops.commands  # noqa: F401
    import maild.server  # noqa: F401
    import maild.spamcli  # noqa: F401

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, socket.socket] = {}
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([listener, wake_r, sys.stdin], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1024):
            return  # the worker is gone
        if listener in ready:
            conn, _ = listener.accept()
            message, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (wake_r, wake_w):
                    os.close(fd)
                for sock in (listener, conn, *children.values()):
                    os.close(sock.detach())
                _child(json.loads(message), fds)
            for fd in fds:
                os.close(fd)
            conn.send(str(pid).encode())
            children[pid] = conn
        if wake_r in ready:
            os.read(wake_r, 1024)
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            done = children.pop(pid, None)
            if done is not None:
                try:
                    done.send(str(os.waitstatus_to_exitcode(status)).encode())
                except OSError:  # the test let go of it
                    pass
                done.close()


# --- the tests' side ----------------------------------------------------------------


class Forked:
    """A child of the zygote, as much of subprocess.Popen as the tests use."""

    def __init__(self, args: list[str], conn: socket.socket) -> None:
        self.args = args
        self.conn = conn
        self.pid = int(conn.recv(64))
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.conn], [], [], 0)[0]:
            self._reaped()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self.conn], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self._reaped()
        assert self.returncode is not None
        return self.returncode

    def _reaped(self) -> None:
        answer = self.conn.recv(64)
        self.conn.close()
        self.returncode = int(answer) if answer else -9  # the zygote died with it

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Zygote:
    def __init__(self, env: dict[str, str], executable: str) -> None:
        self.folder = tempfile.mkdtemp(prefix="maild-zygote-")
        self.path = os.path.join(self.folder, "s")
        self.env = env
        self.executable = executable
        self.proc = subprocess.Popen(
            [executable, "-m", "tests.zygote", self.path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=self.env,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline() == b"ready\n"
        atexit.register(self.close)

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.stdout.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for name in os.listdir(self.folder):
            os.unlink(os.path.join(self.folder, name))
        os.rmdir(self.folder)

    def fork(
        self,
        module: str,
        args: list[str],
        env: dict[str, str],
        streams: list[int],
        cwd: str | None = None,
        user: tuple[int, int] | None = None,
    ) -> Forked:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        conn.connect(self.path)
        request = {"module": module, "args": args, "env": env, "cwd": cwd or os.getcwd()}
        request["user"] = user
        socket.send_fds(conn, [json.dumps(request).encode()], streams)
        return Forked([self.executable, "-m", module, *args], conn)


_zygotes: dict[tuple[str, tuple[tuple[str, str], ...]], _Zygote] = {}
_making = threading.Lock()
# the settings of the tests' own environment, before any test changed it
_DEFAULT = _startup_env(dict(os.environ, PYTHONPATH=str(ROOT)))


def forks(env: dict[str, str]) -> bool:
    """Whether `env` starts Python as the default zygote started."""
    return _startup_env(env) == _DEFAULT


def _zygote_for(env: dict[str, str], executable: str = sys.executable) -> _Zygote:
    """The zygote `executable` started in `env`'s startup settings: made now if there
    is none, or if the one there was died."""
    key = (executable, tuple(sorted(_startup_env(env).items())))
    with _making:  # one zygote, even when threads of a test ask at once
        zygote = _zygotes.get(key)
        if zygote is None or zygote.proc.poll() is not None:
            own = {k: v for k, v in os.environ.items() if k not in _startup_env(os.environ)}
            zygote = _zygotes[key] = _Zygote({**own, **_startup_env(env)}, executable)
    return zygote


def _streams(stdout: Any, stderr: Any) -> list[int]:
    out = stdout.fileno()
    return [out, out if stderr is subprocess.STDOUT else stderr.fileno()]


def spawn(
    module: str, args: list[str], env: dict[str, str], stdout: Any, stderr: Any
) -> Forked | subprocess.Popen:
    """`python -m module args` with `env`, stdin from /dev/null and stdout/stderr to the
    given files (subprocess.STDOUT: with stdout): forked from the zygote when `env`
    starts Python as the zygote's did, else a new interpreter."""
    if not forks(env):
        return subprocess.Popen(
            [sys.executable, "-m", module, *args], stdout=stdout, stderr=stderr, env=env
        )
    with open(os.devnull, "rb") as null:
        return _zygote_for(env).fork(module, args, env, [null.fileno(), *_streams(stdout, stderr)])


def start(
    module: str,
    args: list[str],
    env: dict[str, str],
    stdout: Any,
    stderr: Any,
    cwd: str,
    stdin: Any = None,
    user: tuple[int, int] | None = None,
    executable: str = sys.executable,
) -> Forked:
    """`executable -m module args` forked from the zygote of that interpreter started
    in `env`'s startup settings (made on first use), in `cwd`, as `user` (uid, gid) if
    given, with stdin from the file `stdin` (default /dev/null) and stdout/stderr to the
    given files."""
    with open(os.devnull, "rb") as null:
        streams = [(stdin or null).fileno(), *_streams(stdout, stderr)]
        return _zygote_for(env, executable).fork(module, args, env, streams, cwd, user)


def run(
    module: str,
    args: list[str],
    env: dict[str, str],
    cwd: str | None = None,
    input: bytes = b"",
    timeout: float = 60,
    user: tuple[int, int] | None = None,
    executable: str = sys.executable,
    own_zygote: bool = False,
) -> subprocess.CompletedProcess:
    """What subprocess.run([executable, "-m", module, *args], input=input,
    capture_output=True, env=env, cwd=cwd, timeout=timeout) gives, as `user` (uid, gid)
    if given. Forked from the default zygote when `env` starts Python as it did, from a
    zygote of its own (as `start` forks) with `own_zygote`, else a new interpreter."""
    if not own_zygote and not (executable == sys.executable and forks(env)):
        return subprocess.run(
            [executable, "-m", module, *args],
            input=input,
            capture_output=True,
            env=env,
            cwd=cwd,
            timeout=timeout,
            preexec_fn=None if user is None else functools.partial(_become, *user),
        )
    cwd = cwd or os.getcwd()
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:  # fmt: skip
        stdin.write(input)
        stdin.seek(0)
        p = start(module, args, env, out, err, cwd, stdin, user, executable)
        try:
            code = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(p.args, code, out.read(), err.read())


if __name__ == "__main__":
    serve(sys.argv[1])
