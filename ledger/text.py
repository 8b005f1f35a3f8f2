"""Characters that must never reach a terminal raw: what inputs refuse, what outputs escape.

A terminal obeys C0 controls (ESC starts an escape sequence), DEL and the C1 controls
(U+009B is a one-character CSI); the bidi embeddings, overrides and isolates reorder what is
shown (U+202E makes "fdp.exe" read "exe.pdf"). Inputs refuse them at the edge
(`ledger.app.inputs`); every table and error line shows those already stored as escapes.
"""

from __future__ import annotations

import re

_BIDI = r"\u202a-\u202e\u2066-\u2069"
#: Refused in free text: C0 but newline and tab, DEL, C1, bidi controls.
UNSAFE_IN_TEXT = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
#: Refused in a one-line field, and escaped on a terminal: the above plus newline and tab.
UNSAFE_IN_LINE = re.compile(rf"[\x00-\x1f\x7f-\x9f{_BIDI}]")
#: What `json.dumps(..., ensure_ascii=False)` leaves raw of the above: DEL, C1 and bidi.
_RAW_IN_JSON = re.compile(rf"[\x7f-\x9f{_BIDI}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(char: str) -> str:
    """One character as a visible escape: \\n, \\x1b, \\x9b, \\u202e."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control and bidi character (newline and tab too) as an escape."""
    return UNSAFE_IN_LINE.sub(lambda found: escape(found.group()), text)


def json_escaped(document: str) -> str:
    """A JSON document with DEL, C1 and bidi characters as \\uXXXX escapes.

    Outside strings JSON is ASCII, so each such character sits in a string, where \\uXXXX
    stands for the same character: the document parses to the same value.
    """
    return _RAW_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", document)
