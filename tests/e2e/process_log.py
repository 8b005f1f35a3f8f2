"""A process's output read from its pipe as it comes, so that a test waits for a line itself
(a condition the output meets) instead of polling a file for a while."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from waiting import PATIENCE


class ProcessLog:
    """A process's output as it comes: read from its pipe by a thread, copied to `path`, and
    waited on (`wait_for`) rather than polled. It ends when every process writing to the pipe
    has exited (a server and its workers)."""

    def __init__(self, pipe: IO[bytes], path: Path) -> None:
        self.path = path
        self._text = ""
        self._ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._reader.start()

    def text(self) -> str:
        with self._changed:
            return self._text

    def wait_for(self, found: Callable[[str], object]) -> str:
        """The text so far, once `found(text)` holds, or the output has ended, or after
        PATIENCE (a bound for a stalled machine only: the line normally comes at once)."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended or bool(found(self._text)), PATIENCE)
            return self._text

    def close(self) -> None:
        """Wait for the end of the output (call once the process is stopped)."""
        self._reader.join(PATIENCE)

    def _read(self, pipe: IO[bytes]) -> None:
        with pipe, self.path.open("wb") as sink:
            while chunk := os.read(pipe.fileno(), 65536):  # whatever has come, at once
                sink.write(chunk)
                sink.flush()
                with self._changed:
                    self._text += chunk.decode(errors="replace")
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()
