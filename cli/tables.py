"""The CLI's one table class: rich, imported only by a command that prints a table."""

from __future__ import annotations

from typing import Any

import rich.table
from rich.console import RenderableType
from rich.style import StyleType

from cli.render import cell


class Table(rich.table.Table):
    """A rich table whose text cells, title and caption are shown through `cell`.

    Anything other than a string (a rich `Text`, another table) is passed as it is: build
    cells from data as strings.
    """

    def __init__(self, *columns: Any, **options: Any) -> None:
        for name in ("title", "caption"):
            if isinstance(options.get(name), str):
                options[name] = cell(options[name])
        super().__init__(*columns, **options)

    def add_row(
        self,
        *renderables: RenderableType | None,
        style: StyleType | None = None,
        end_section: bool = False,
    ) -> None:
        shown = [cell(r) if isinstance(r, str) else r for r in renderables]
        super().add_row(*shown, style=style, end_section=end_section)
