"""JSON written as it is produced: an object whose lists come from iterators.

The text is the same as `render.emit_json` of the whole object (`json.dumps(..., indent=2,
ensure_ascii=False)` and a newline), but no list is ever held whole.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Write = Callable[[str], object]
_SCALARS = frozenset({str, int, float, bool, type(None)})


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
    if isinstance(value, dict) and value and _SCALARS.issuperset(map(type, value.values())):
        # A flat object (a report's item): the C encoder with the indented layout's
        # separators gives the same text as the (pure Python) indenting encoder, far faster.
        pad = "\n" + "  " * (level + 1)
        inner = json.dumps(value, ensure_ascii=False, separators=("," + pad, ": "))
        return f"{{{pad}{inner[1:-1]}\n{'  ' * level}}}"
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)
