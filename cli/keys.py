"""`--idempotency-key` on every command that changes a refund or captures an order, and the
answer it gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from cli import render
from ledger.app import inputs
from ledger.app.keys import Keyed
from ledger.app.presenters import refund_view
from ledger.domain.actor import Actor
from ledger.domain.refund import Refund

F = TypeVar("F", bound=Callable[..., Any])
REPLAYED = (
    "note: this --idempotency-key was used before; this is the first result (nothing ran again)"
)


def key_option(function: F) -> F:
    return click.option(
        "--idempotency-key",
        "key",
        metavar="KEY",
        help="Retrying with the same key returns the first result; nothing runs twice.",
    )(function)


def keyed(key: str | None, what: str = "--idempotency-key") -> Keyed | None:
    """The command's key (`what` names it in the message: `request` says "idempotency key")."""
    return None if key is None else Keyed(inputs.identifier(key, what, "idempotency_key"))


def note_replayed(key: Keyed | None) -> None:
    """Say on stderr that the result about to be shown is the key's first one, again."""
    if key is not None and key.replayed:
        click.echo(REPLAYED, err=True)


def answer(refund: Refund, who: Actor, key: Keyed | None, as_json: bool) -> None:
    """Print the refund as `who` sees it; say so on stderr when it is a replayed result."""
    note_replayed(key)
    render.refund(refund_view(refund, who), as_json)
