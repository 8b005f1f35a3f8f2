"""JSON written as it is produced: an object whose lists come from iterators.

The text is the same as `render.emit_json` of the whole object (`json.dumps(..., indent=2,
ensure_ascii=False)` and a newline), but no list is ever held whole.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring
from typing import Any

Write = Callable[[str], object]


def emit_json_object(parts: Iterable[tuple[str, Any]]) -> None:
    """Print the object of `parts` ((key, value) in order; an iterator value is a list)."""
    write_object(parts, sys.stdout.write)
    sys.stdout.flush()


def write_object(parts: Iterable[tuple[str, Any]], write: Write) -> None:
    write("{")
    separator = "\n  "
    for key, value in parts:
        write(f"{separator}{_dump(key, 0)}: ")
        separator = ",\n  "
        if isinstance(value, Iterator):
            _list(value, write)
        else:
            write(_dump(value, 1))
    write("}\n" if separator == "\n  " else "\n}\n")


def _list(items: Iterator[Any], write: Write) -> None:
    separator = "[\n    "
    for item in items:
        write(separator + _dump(item, 2))
        separator = ",\n    "
    write("[]" if separator == "[\n    " else "\n  ]")


def _dump(value: Any, level: int) -> str:
    """`value` as indented JSON, its inner lines indented `level` steps more (JSON strings
    never hold a raw line break, so every one is the layout's)."""
    if _flat(value):
        pad = "\n" + "  " * (level + 1)
        fields = f",{pad}".join(f"{_scalar(key)}: {_scalar(item)}" for key, item in value.items())
        return f"{{{pad}{fields}\n{'  ' * level}}}"
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def _flat(value: Any) -> bool:
    """A non-empty object of text keys and scalar values: the shape of a report's item, which
    is written without the (pure Python) indenting encoder, the same text ten times faster."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(
            isinstance(key, str) and not isinstance(item, dict | list | tuple)
            for key, item in value.items()
        )
    )
