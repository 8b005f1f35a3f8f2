"""Run the `ledger` console script through the fork server of tests/e2e/zygote.py.

One fork server per test process (per xdist worker) imports the project once; every call is
still a separate `ledger` process with its own pipes, working directory, umask and
environment, and its real exit status. A call whose environment differs from the fork
server's in a variable read at interpreter start (anything outside `PER_CALL`) runs in a
plain subprocess, as does every call when the fork server cannot start (said once, as a
warning) or when LEDGER_TESTS_SUBPROCESS=1.
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ZYGOTE = Path(__file__).with_name("zygote.py")
START_SECONDS = 60
ENTRY = "cli.main:main"
#: Variables that are read when used, not when the interpreter starts or imports a module.
PER_CALL_PREFIXES = ("LEDGER_", "PYTEST_")
PER_CALL = frozenset({"COLUMNS", "LINES", "TERM", "TMPDIR", "TZ", "NO_COLOR", "FORCE_COLOR"})


class ZygoteUnavailable(RuntimeError):
    """The fork server did not start, or refused to serve (it says why)."""


@dataclass(frozen=True)
class Finished:
    """How one process exited and what it printed (decoded as `subprocess.run(text=True)`)."""

    code: int
    stdout: str
    stderr: str


class ForkServer:
    """A running zygote: `run` forks one `script ARGS...` process per call."""

    def __init__(self, process: subprocess.Popen[bytes], directory: Path, env: dict[str, str]):
        self.process = process
        self.directory = directory
        self.socket_path = str(directory / "zygote.sock")
        self.env = env

    @classmethod
    def start(
        cls, script: str, env: Mapping[str, str], entry: str = ENTRY, paths: Sequence[str] = ()
    ) -> ForkServer:
        """Start a zygote for the console script `script`; raise ZygoteUnavailable if it
        cannot serve."""
        directory = Path(tempfile.mkdtemp(prefix="zygote-"))
        server = cls(_spawn(directory, script, entry, paths, env), directory, dict(env))
        assert server.process.stdout is not None
        answer = server.process.stdout.readline().decode(errors="replace").strip()
        if answer != "ready":
            server.close()
            raise ZygoteUnavailable(answer or f"exited {server.process.returncode}")
        return server

    def serves(self, env: Mapping[str, str]) -> bool:
        """True when `env` differs from the zygote's own only in variables read per call."""
        names = set(env) ^ set(self.env) | {k for k in env if self.env.get(k) != env[k]}
        return all(name in PER_CALL or name.startswith(PER_CALL_PREFIXES) for name in names)

    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float
    ) -> Finished:
        """One `script ARGS...` process in `cwd` with `env`; killed after `timeout` seconds
        (then subprocess.TimeoutExpired, as `subprocess.run` raises)."""
        deadline = time.monotonic() + timeout
        call = {"args": list(args), "cwd": str(cwd), "env": dict(env), "umask": current_umask()}
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        pipes = Pipes(out_read, err_read)
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection, pipes:
            try:
                connection.connect(self.socket_path)
                socket.send_fds(connection, [json.dumps(call).encode()], [out_write, err_write])
            finally:
                os.close(out_write)
                os.close(err_write)
            _reply(connection, "pid", deadline)
            if not pipes.read(deadline):
                connection.send(b"kill")
                pipes.read(time.monotonic() + 10)
                raise subprocess.TimeoutExpired(list(args), timeout, *pipes.texts())
            code = int(_reply(connection, "exit", deadline + 10))
        return Finished(code, *pipes.texts())

    def close(self) -> None:
        """Stop the zygote (its stdin closes) and remove its socket."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _spawn(
    directory: Path, script: str, entry: str, paths: Sequence[str], env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    with (directory / "zygote.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, str(ZYGOTE), str(directory / "zygote.sock"), script, entry, *paths],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=directory,
            env=dict(env),
        )


def current_umask() -> int:
    """This process's umask, read without changing it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise RuntimeError("no Umask line in /proc/self/status")


def _reply(connection: socket.socket, word: str, deadline: float) -> str:
    connection.settimeout(max(deadline - time.monotonic(), 0.001))
    answer = connection.recv(64).decode()
    if not answer.startswith(f"{word} "):
        raise ZygoteUnavailable(f"the fork server answered {answer!r}, not {word!r}")
    return answer.removeprefix(f"{word} ")


class Pipes:
    """The read ends of a child's stdout and stderr, read together until both are closed."""

    def __init__(self, *fds: int) -> None:
        self.fds = fds
        self.chunks: dict[int, list[bytes]] = {fd: [] for fd in fds}
        self.open = set(fds)

    def read(self, deadline: float) -> bool:
        """Read until EOF on both (True, and they are closed) or `deadline` (False)."""
        with selectors.DefaultSelector() as selector:
            for fd in self.open:
                selector.register(fd, selectors.EVENT_READ)
            while self.open:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                for key, _ in selector.select(remaining):
                    data = os.read(key.fd, 1 << 16)
                    if data:
                        self.chunks[key.fd].append(data)
                    else:
                        selector.unregister(key.fd)
                        os.close(key.fd)
                        self.open.discard(key.fd)
        return True

    def __enter__(self) -> Pipes:
        return self

    def __exit__(self, *_: object) -> None:
        for fd in self.open:
            os.close(fd)
        self.open.clear()

    def texts(self) -> tuple[str, str]:
        out, err = (_text(b"".join(self.chunks[fd])) for fd in self.fds)
        return out, err


def _text(data: bytes) -> str:
    """As `subprocess.run(text=True)` decodes: the locale's encoding, universal newlines."""
    decoded = data.decode(locale.getpreferredencoding(False))
    return decoded.replace("\r\n", "\n").replace("\r", "\n")


class Runner:
    """Runs the console script `command` through one shared, lazily started fork server."""

    def __init__(
        self, command: Sequence[str], entry: str = ENTRY, paths: Sequence[str] = ()
    ) -> None:
        self.command = list(command)
        self.entry = entry
        self.paths = list(paths)
        self.server: ForkServer | None = None
        self.unavailable = os.environ.get("LEDGER_TESTS_SUBPROCESS") == "1"
        if len(self.command) != 1:  # `python -m cli.main`: not the console script
            self.unavailable = True

    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float, fresh: bool
    ) -> Finished:
        server = None if fresh else self._server(env)
        if server is None or not server.serves(env):
            completed = subprocess.run(
                [*self.command, *args],
                capture_output=True,
                text=True,
                cwd=cwd,
                env=dict(env),
                timeout=timeout,
                check=False,
            )
            return Finished(completed.returncode, completed.stdout, completed.stderr)
        return server.run(args, cwd, env, timeout)

    def _server(self, env: Mapping[str, str]) -> ForkServer | None:
        if self.server is None and not self.unavailable:
            try:
                start_env = {k: v for k, v in env.items() if not k.startswith("LEDGER_")}
                self.server = ForkServer.start(self.command[0], start_env, self.entry, self.paths)
                atexit.register(self.close)
            except (OSError, ZygoteUnavailable) as error:
                self.unavailable = True
                warnings.warn(f"no fork server, plain subprocesses: {error}", stacklevel=3)
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
