"""The server's log records: client values escaped, one line per record, plain or JSON.

`ledger serve --log-format plain|json` picks the formatter in the logging configuration it
hands uvicorn (`cli/commands/serve.py`), so every worker process formats alike. A request's
record carries its fields as `record.http` (see `RequestLog`); the JSON formatter writes them
as they are; the plain format (`cli.running.LOG_FORMAT`) writes the message, in which the
client's values are escaped.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def escape(text: str) -> str:
    """`text` with every control, non-printable or blank character (and the backslash) as a
    visible escape (`\\n`, `\\x1b`, `\\u202e`, `\\x20`), so a client's value can neither end
    a log line nor pass for another field of it."""
    if text.isprintable() and " " not in text and "\\" not in text:
        return text  # the usual case, at C speed
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    if char.isprintable() and not char.isspace():
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (ASCII only: any control or non-ASCII
    character of a value is a JSON escape). A request's record has its fields (request_id,
    method, path, status, duration_ms, actor, replayed); any other has its message, and the
    traceback of an exception as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        found: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "http", None)
        if isinstance(fields, dict):
            found.update(fields)
        else:
            found["message"] = record.getMessage()
        if record.exc_info:
            found["exception"] = self.formatException(record.exc_info)
        return json.dumps(found, ensure_ascii=True, default=str)
