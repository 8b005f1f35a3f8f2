"""JSON written as it is produced reads exactly as the whole object dumped at once."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from cli.json_stream import write_object


def streamed(parts: list[tuple[str, Any]]) -> str:
    out = io.StringIO()
    write_object(((key, iter(v) if isinstance(v, list) else v) for key, v in parts), out.write)
    return out.getvalue()


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [("summary", {"rows": 2, "counts": {"a": 1}, "totals": {}, "since": None})],
        [("empty", []), ("also", {})],
        [
            ("summary", {"discrepancies": 0, "ok": True, "bad": False, "ratio": 0.5}),
            ("matched", [{"reference": 'R\u00e9f,"1"\n', "line": 2, "refund_id": None}]),
            ("nested", [{"a": [1, 2]}, {"b": {"c": None}}, {}, "text", 3]),
            ("malformed", []),
        ],
    ],
)
def test_the_text_is_that_of_json_dumps_with_indent_2(parts: list[tuple[str, Any]]) -> None:
    expected = json.dumps(dict(parts), indent=2, ensure_ascii=False) + "\n"

    assert streamed(parts) == expected


class Enough(Exception):
    pass


def test_a_list_is_written_item_by_item_as_its_iterator_gives_them() -> None:
    produced: list[int] = []

    def items() -> Iterator[dict[str, int]]:
        for n in range(1_000_000):
            produced.append(n)
            yield {"n": n}

    def write(text: str) -> None:
        if '"n": 1' in text:
            raise Enough  # the second item reached the output

    with pytest.raises(Enough):
        write_object([("items", items())], write)
    assert produced == [0, 1]
