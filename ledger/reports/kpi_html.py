"""The KPI report as one self-contained HTML page: inline CSS and inline SVG, nothing fetched.

`page(kpis, since, until, generated)` takes the dict of `ledger.projections.kpis.summarise`.
Every text that came from data passes through `html.escape`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any

from ledger.reports import figures, svg

BLUE, GREEN, TEAL, RED, GREY = "#3b6fd8", "#2f9e66", "#7cc4a4", "#d64545", "#b8c2cc"
SERIES = (("requested", "Requested", GREY), ("approved", "Approved", BLUE), ("paid", "Paid", GREEN))

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0;background:#f5f7fa;color:#1f2933}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{margin:0 0 4px;font-size:26px}h2{font-size:16px;margin:0 0 10px}
.sub{color:#5f6b7a;margin:0 0 20px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card,.chart{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px}
.card .value{font-size:28px;font-weight:600}.card .label{color:#5f6b7a;font-size:13px}
.card .note{color:#5f6b7a;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(480px,100%),1fr));gap:16px;
margin-top:16px}
.legend{font-size:12px;color:#5f6b7a;margin:6px 0 0}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}
.empty{background:#fff;border-radius:8px;padding:40px;text-align:center;font-size:18px}
footer{color:#5f6b7a;font-size:12px;margin-top:20px}
"""


def page(
    kpis: dict[str, Any], since: datetime | None, until: datetime | None, generated: datetime
) -> str:
    """The whole page; a period without refunds says so instead of drawing empty charts."""
    period = figures.period(since, until)
    title = f"Refund KPIs, {period}"
    body = _cards(kpis) + _charts(kpis) if kpis["refunds"] else _empty()
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f'<h1>Refund KPIs</h1><p class="sub">Refunds {escape(period)} &middot; generated '
        f"{escape(figures.moment(generated, seconds=True))}</p>{body}"
        "<footer>Periods are by request time. Amounts are shown per currency and never added "
        "across currencies. Hours run from the request to the first decision and to the first "
        "settled payout.</footer></main></body></html>\n"
    )


def _empty() -> str:
    return f'<p class="empty">{escape(figures.NO_REFUNDS.capitalize())}.</p>'


def _card(label: str, value: str, note: str = "") -> str:
    extra = f'<div class="note">{escape(note)}</div>' if note else ""
    return (
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div>{extra}</div>'
    )


def _cards(kpis: dict[str, Any]) -> str:
    decision, payout = kpis["hours_to_decision"], kpis["hours_to_payout"]
    cards = [
        _card("Refunds", str(kpis["refunds"])),
        _card("Approval rate", figures.percent(kpis["approval_rate"]), "of decided refunds"),
        _card("Automatic approval rate", figures.percent(kpis["automatic_approval_rate"]),
              "of decided refunds"),
        _card("Hours to decision (median)", figures.hours(decision["median"]),
              f"p90 {figures.hours(decision['p90'])}"),
        _card("Hours to payout (median)", figures.hours(payout["median"]),
              f"p90 {figures.hours(payout['p90'])}"),
        _card("SLA breaches", str(kpis["sla_breaches"])),
    ]  # fmt: skip
    return f'<section class="cards">{"".join(cards)}</section>'


def _chart(title: str, drawing: str, legend: str = "") -> str:
    return f'<section class="chart"><h2>{escape(title)}</h2>{drawing}{legend}</section>'


def _legend(items: list[tuple[str, str]]) -> str:
    keys = "".join(
        f'<span class="swatch" style="background:{colour}"></span>{escape(label)}'
        for label, colour in items
    )
    return f'<p class="legend">{keys}</p>'


def _counts(title: str, groups: dict[str, Any], key: str, colour: str) -> str:
    rows = [(name, [svg.Bar(g[key], str(g[key]), colour)]) for name, g in groups.items()]
    return _chart(title, svg.bars(title, rows))


def _charts(kpis: dict[str, Any]) -> str:
    d, buckets = kpis["decisions"], kpis["hours_buckets"]
    parts = [
        ("Approved automatically", d["approved_automatically"], GREEN),
        ("Approved by people", d["approved_by_people"], TEAL),
        ("Rejected", d["rejected"], RED),
        ("Undecided", d["undecided"], GREY),
    ]
    charts = [
        _counts("Refunds by reason", kpis["by_reason"], "count", BLUE),
        _counts("Refunds by channel", kpis["by_channel"], "count", BLUE),
        _chart("Decisions", svg.share("Decisions", parts),
               _legend([(f"{label}: {n}", colour) for label, n, colour in parts])),
    ]  # fmt: skip
    if kpis["sla_breaches"]:
        breached = {r: g for r, g in kpis["by_reason"].items() if g["sla_breaches"]}
        charts.append(_counts("SLA breaches by reason", breached, "sla_breaches", RED))
    else:
        charts.append(_chart("SLA breaches", '<p class="sub">None in this period.</p>'))
    for key, title in (("to_decision", "Hours to decision"), ("to_payout", "Hours to payout")):
        counts = [(b["label"], b["count"]) for b in buckets[key]]
        charts.append(_chart(title, svg.columns(title, counts, BLUE)))
    charts += [_amounts(kpis["by_reason"], currency) for currency in _currencies(kpis)]
    return f'<section class="charts">{"".join(charts)}</section>'


def _currencies(kpis: dict[str, Any]) -> list[str]:
    return sorted({c for g in kpis["by_reason"].values() for c in g["requested"]})


def _amounts(by_reason: dict[str, Any], currency: str) -> str:
    title = f"Amounts by reason, {currency}"
    rows = [
        (name, [svg.Bar(float(Decimal(g[k].get(currency, "0"))), g[k].get(currency, "-"),
                        colour, label) for k, label, colour in SERIES])
        for name, g in by_reason.items()
        if currency in g["requested"]
    ]  # fmt: skip
    return _chart(title, svg.bars(title, rows), _legend([(s[1], s[2]) for s in SERIES]))
