"""What a leaf of the audit log holds: one stored event, in the form it is stored.

    ledger-event/v1 LF <aggregate id> LF <version> LF <topic> LF <state>

The aggregate id is the UUID in its canonical text, the version a decimal, the topic the
stored `module:Class`, and the state the stored bytes as they are (JSON; ciphertext where a
field is encrypted), to the end. The leaf hash is SHA-256(0x00 || those bytes) (RFC 9162).
Nothing is decoded: an event is logged as it was committed.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = b"ledger-event/v1\n"


@dataclass(frozen=True)
class LoggedEvent:
    originator_id: str
    originator_version: int
    topic: str
    state: bytes

    def data(self) -> bytes:
        return head(self.originator_id, self.originator_version, self.topic) + self.state

    def names(self) -> str:
        kind = self.topic.rpartition(":")[2]
        return f"{kind} of {self.originator_id} version {self.originator_version}"


def head(originator_id: str, originator_version: int, topic: str) -> bytes:
    """A leaf's data before the state: its first four lines."""
    return b"%s%s\n%d\n%s\n" % (PREFIX, originator_id.encode(), originator_version, topic.encode())


def parse(data: bytes) -> LoggedEvent:
    """The event a leaf's data holds; ValueError when it is not one."""
    if not data.startswith(PREFIX):
        raise ValueError("not a ledger event (no ledger-event/v1 line)")
    parts = data[len(PREFIX) :].split(b"\n", 3)
    if len(parts) != 4 or not parts[1].isdigit():
        raise ValueError("a ledger event is an aggregate id, a version, a topic and a state")
    return LoggedEvent(parts[0].decode(), int(parts[1]), parts[2].decode(), parts[3])
