"""How KPI figures read, the same in the terminal and on the HTML page."""

from __future__ import annotations

from datetime import UTC, datetime

NO_REFUNDS = "no refunds in this period"


def percent(rate: float | None) -> str:
    """A rate of 0-1 as a percentage with one decimal, or "-" when there is none."""
    return "-" if rate is None else f"{rate * 100:.1f}%"


def hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def amounts(per_currency: dict[str, str]) -> str:
    """Amounts per currency, never added across currencies: "230.00 EUR, 120.00 USD"."""
    return ", ".join(f"{amount} {currency}" for currency, amount in sorted(per_currency.items()))


def moment(value: datetime, seconds: bool = False) -> str:
    """A time in UTC to the minute, or to the second when asked or when it has seconds."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds or utc.second else "%Y-%m-%d %H:%M UTC")


def period(since: datetime | None, until: datetime | None) -> str:
    """The period of request times in words: "requested from ... until ..."."""
    parts = [] if since is None else [f"from {moment(since)}"]
    parts += [] if until is None else [f"until {moment(until)}"]
    return "requested " + (" ".join(parts) or "at any time")
