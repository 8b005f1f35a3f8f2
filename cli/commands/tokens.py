"""`ledger tokens issue|list|revoke`: bearer tokens for the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from cli import render
from cli.context import LedgerContext, pass_ledger
from cli.options import json_option
from ledger.app.tokens import TokenInfo, iso, token_id
from ledger.domain.actor import Actor

DEFAULT_DAYS = 90


@click.group(short_help="Bearer tokens for the HTTP API.")
def tokens() -> None:
    """Issue, list and revoke the bearer tokens the HTTP API accepts."""


@tokens.command(name="issue", short_help="Issue a token for an actor.")
@click.option(
    "--actor", required=True, metavar="ROLE:NAME", help="Whom the token acts as, e.g. manager:bob."
)
@click.option(
    "--expires-in",
    "days",
    type=click.IntRange(1, 3650),
    default=DEFAULT_DAYS,
    show_default=True,
    metavar="DAYS",
    help="Days until the token expires (1-3650).",
)
@json_option
@pass_ledger
def issue(ledger: LedgerContext, actor: str, days: int, as_json: bool) -> None:
    """Issue a token and print it; it is shown this once and never again."""
    acting = Actor.acting(actor)
    issued = ledger.container.tokens.issue(acting, expires_in_days=days)
    if as_json:
        render.emit_json(
            {
                "id": issued.id,
                "token": issued.token,
                "actor": issued.actor,
                "created_at": iso(issued.created_at),
                "expires_at": iso(issued.expires_at),
            }
        )
        return
    click.echo(issued.token)
    expires = iso(issued.expires_at) or "never"
    click.echo(
        f"issued token {issued.id} for {issued.actor}, expires {expires}; "
        "store it now: it is not shown again",
        err=True,
    )


@tokens.command(name="list", short_help="Every token and its status.")
@json_option
@pass_ledger
def list_tokens(ledger: LedgerContext, as_json: bool) -> None:
    """Every token, oldest first, with its actor and status (never the token itself)."""
    store = ledger.container.tokens
    infos, now = store.list(), store.clock()
    if as_json:
        render.emit_json([info.to_json(now) for info in infos])
        return
    table = render.Table(title=f"{len(infos)} token(s)")
    for column in ("id", "actor", "status", "created", "expires", "revoked"):
        table.add_column(column, no_wrap=column == "id")
    for info in infos:
        table.add_row(
            info.id,
            info.actor,
            info.status(now),
            _when(info.created_at),
            _when(info.expires_at),
            _when(info.revoked_at),
        )
    render.console().print(table)


@tokens.command(name="revoke", short_help="Revoke a token.")
@click.argument("token", metavar="ID")
@json_option
@pass_ledger
def revoke(ledger: LedgerContext, token: str, as_json: bool) -> None:
    """Revoke the token ID (as `tokens list` prints it); the API refuses it from now on."""
    wanted = token_id(token)
    store = ledger.container.tokens
    info = store.revoke(wanted)
    _print_info(info, store.clock(), as_json)


@tokens.command(name="adopt", short_help="Log the tokens an older ledger issued.")
@json_option
@pass_ledger
def adopt(ledger: LedgerContext, as_json: bool) -> None:
    """Write the issuing events of the tokens issued before tokens were logged (rows of
    api_tokens without events, which authenticate nobody until then). Run it once after the
    upgrade, when you trust the table as it stands; a row for the ledger's own actor is left
    refused."""
    adopted, left = ledger.container.tokens.adopt()
    if as_json:
        render.emit_json({"adopted": adopted, "left": left})
        return
    click.echo(f"adopted {len(adopted)} token(s)" + (f": {', '.join(adopted)}" if adopted else ""))
    if left:
        click.echo(f"left refused: {', '.join(left)} (the ledger's own actor, or none)")


def _print_info(info: TokenInfo, now: datetime, as_json: bool) -> None:
    data = info.to_json(now)
    if as_json:
        render.emit_json(data)
        return
    render.fields(data.items())


def _when(moment: datetime | None) -> str:
    """A time for people: to the second, in UTC."""
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
