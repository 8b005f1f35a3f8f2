"""What a check of the audit found: its counts (the dataclass's other fields, in their
order) and each problem, in the order found; none means intact."""

from __future__ import annotations

from typing import Any


class Findings:
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        counts = {name: value for name, value in vars(self).items() if name != "problems"}
        return {
            "intact": self.intact,
            **counts,
            "first_problem": self.problems[0] if self.problems else None,
            "problems": self.problems,
        }
