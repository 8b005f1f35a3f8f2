"""The server's log records: a client's value is escaped, and a record is one line."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from api.logs import JsonFormatter, escape


@pytest.mark.parametrize(
    ("sent", "logged"),
    [
        ("/refunds/r-1", "/refunds/r-1"),
        ("/x\nforged line", "/x\\nforged\\x20line"),
        ("/x\r\n2026 INFO ledger.api: x", "/x\\r\\n2026\\x20INFO\\x20ledger.api:\\x20x"),
        ("/a\tb\x00c\x1b[31m\x7f", "/a\\tb\\x00c\\x1b[31m\\x7f"),
        ("/\u009b\u202e\u2066\u200b", "/\\x9b\\u202e\\u2066\\u200b"),  # C1, bidi, zero width
        ("/\\x0a", "/\\\\x0a"),  # a literal backslash cannot pass for an escape
        ("/caf\u00e9/\u00fc", "/caf\u00e9/\u00fc"),  # printable letters stay readable
        ("/\U000e0001", "/\\U000e0001"),
    ],
)
def test_escape_makes_every_control_and_blank_character_visible(sent: str, logged: str) -> None:
    assert escape(sent) == logged
    assert escape(sent).isprintable() and " " not in escape(sent)


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("ledger.api", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_request_record_is_one_json_object_of_its_fields() -> None:
    fields = {"request_id": "r1", "method": "GET", "path": "/x\n\u202eforged", "status": 401,
              "duration_ms": 0.4, "actor": None, "replayed": False}  # fmt: skip
    line = JsonFormatter().format(record("%s ignored", "r1", http=fields))

    assert "\n" not in line and line.isascii()
    found = json.loads(line)
    assert found.pop("time").endswith("+00:00")
    assert found == {"level": "INFO", "logger": "ledger.api", **fields}


def test_another_record_carries_its_message_and_its_traceback_on_the_same_line() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        failed = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "%s failed", ("r2",), sys.exc_info()
        )
    line = JsonFormatter().format(failed)

    assert "\n" not in line
    found = json.loads(line)
    assert (found["level"], found["logger"], found["message"]) == (
        "ERROR",
        "uvicorn.error",
        "r2 failed",
    )
    assert "ValueError: bad\nvalue" in found["exception"]
