"""Options shared by many commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def actor_option(function: F) -> F:
    return click.option(
        "--actor", required=True, metavar="ROLE:NAME", help="Who acts, e.g. manager:bob."
    )(function)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")(
        function
    )


def refund_argument(function: F) -> F:
    return click.argument("refund", metavar="REFUND")(function)
