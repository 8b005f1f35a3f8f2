"""The fork server ("zygote") of the e2e tests: one `ledger` import, many `ledger` processes.

Run by tests/e2e/zygote_client.py as `python zygote.py SOCKET SCRIPT ENTRY [PATH...]`. It
imports every module of the project once, then answers each call on SOCKET by forking a
child that becomes a separate process started as `SCRIPT ARGS...` would be: stdin /dev/null,
stdout and stderr the caller's pipes, the caller's working directory, umask and environment,
the signal dispositions the zygote itself started with; it runs ENTRY (`module:function`, the
console script's entry point) as the console script does and exits with its code. The zygote
reaps its children and answers each call with the real wait status of its child.

Standard library only: this file runs before anything else is imported.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import pkgutil
import select
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

PACKAGES = ("ledger", "cli", "api", "consumers")
MAX_MESSAGE = 1 << 20
#: Before anything changes them: what a fresh interpreter started here would have.
STARTUP_SIGNALS = {
    number: handler
    for number in signal.valid_signals()
    if (handler := signal.getsignal(number)) is not None
    and number not in (signal.SIGKILL, signal.SIGSTOP)
}


def main(argv: list[str]) -> int:
    socket_path, script, entry, *paths = argv
    sys.path[0] = str(Path(script).parent)  # as for the console script
    sys.path.extend(paths)
    module, _, attribute = entry.partition(":")
    run: Callable[[], object] = getattr(importlib.import_module(module), attribute)
    preload()
    refusal = unsafe_to_fork()
    if refusal:
        print(f"refused: {refusal}", flush=True)
        return 1
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(socket_path)
    listener.listen(64)
    print("ready", flush=True)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.close(devnull)
    Zygote(listener, script, run).serve()
    return 0


def preload() -> None:
    """Import every module of the project; those that fail are left to the child to import
    (and to report)."""
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}.", onerror=print):
            try:
                importlib.import_module(module.name)
            except Exception as error:  # noqa: BLE001 - a child importing it says why
                print(f"zygote: not preloaded: {module.name}: {error!r}", file=sys.stderr)


def unsafe_to_fork() -> str:
    """Why forking would not give a fresh process ('' when it would): no other thread."""
    tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["?"]
    if threading.active_count() != 1 or len(tasks) != 1:
        return f"{len(tasks)} threads after the imports ({threading.enumerate()})"
    return ""


class Zygote:
    """The accept loop: a call forks a child; the child's wait status answers the call."""

    def __init__(self, listener: socket.socket, script: str, run: Callable[[], object]) -> None:
        self.listener = listener
        self.script = script
        self.run = run
        self.children: dict[int, socket.socket] = {}  # pid -> the call's connection
        self.killed: set[int] = set()
        self.wakeup_read, wakeup_write = os.pipe()
        os.set_blocking(wakeup_write, False)
        os.set_blocking(self.wakeup_read, False)
        signal.set_wakeup_fd(wakeup_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select() through the pipe
        self.wakeup_write = wakeup_write

    def serve(self) -> None:
        """Until the client closes our stdin (fd 0): the tests are over."""
        while True:
            calls = [known for pid, known in self.children.items() if pid not in self.killed]
            waiting: list[int | socket.socket] = [0, self.listener, self.wakeup_read, *calls]
            readable, _, _ = select.select(waiting, [], [])
            self.reap()
            for ready in readable:
                if ready == 0:
                    if not os.read(0, 1):
                        return
                elif ready is self.listener:
                    self.fork(*self.listener.accept())
                elif ready == self.wakeup_read:
                    while _drained(self.wakeup_read):
                        pass
                elif isinstance(ready, socket.socket):
                    self.on_message(ready)

    def fork(self, connection: socket.socket, _address: Any) -> None:
        fds: list[int] = []
        try:
            message, fds, _flags, _ = socket.recv_fds(connection, MAX_MESSAGE, 2)
            call = json.loads(message)
            if len(fds) != 2:
                raise ValueError(f"{len(fds)} file descriptors, not 2")
        except (OSError, ValueError) as error:  # a broken call, not a broken zygote
            print(f"zygote: refused a call: {error!r}", file=sys.stderr)
            for fd in fds:
                os.close(fd)
            connection.close()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = self.become(call, fds, connection)
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        self.children[pid] = connection
        try:
            connection.send(f"pid {pid}".encode())
        except OSError:
            pass  # the caller is gone: on_message kills the child

    def on_message(self, connection: socket.socket) -> None:
        """`kill` from the caller (its timeout), or the caller gone: the child is killed."""
        for pid, known in self.children.items():
            if known is connection and connection.recv(64) in (b"kill", b""):
                os.kill(pid, signal.SIGKILL)
                self.killed.add(pid)

    def reap(self) -> None:
        for pid in list(self.children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                connection = self.children.pop(pid)
                self.killed.discard(pid)
                try:
                    connection.send(f"exit {os.waitstatus_to_exitcode(status)}".encode())
                except OSError:
                    pass  # the caller is gone
                connection.close()

    def become(self, call: dict[str, Any], fds: list[int], connection: socket.socket) -> int:
        """In the child: shed the zygote, take the caller's process state, run the entry."""
        connection.close()
        self.listener.close()
        for known in self.children.values():
            known.close()
        signal.set_wakeup_fd(-1)
        os.close(self.wakeup_read)
        os.close(self.wakeup_write)
        for number, handler in STARTUP_SIGNALS.items():
            signal.signal(number, handler)
        stdin = os.open(os.devnull, os.O_RDONLY)
        for target, fd in ((0, stdin), (1, fds[0]), (2, fds[1])):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(call["cwd"])
        os.umask(call["umask"])
        os.environ.clear()
        os.environ.update(call["env"])
        time.tzset()
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again
        sys.argv = [self.script, *call["args"]]
        main_module = types.ModuleType("__main__")
        main_module.__file__ = self.script
        sys.modules["__main__"] = main_module
        return finish(self.run)


def finish(run: Callable[[], object]) -> int:
    """Run the entry point and shut down as the interpreter would, returning the exit code."""
    code = 0
    try:
        run()
    except SystemExit as done:
        code = exit_code(done.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    threading._shutdown()  # type: ignore[attr-defined]  # joins non-daemon threads, as at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - as the interpreter does: a failed flush is 120
            code = 120
    return code


def exit_code(code: object) -> int:
    """SystemExit's code as the interpreter turns it into an exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _drained(fd: int) -> bool:
    try:
        return bool(os.read(fd, 512))
    except BlockingIOError:
        return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
