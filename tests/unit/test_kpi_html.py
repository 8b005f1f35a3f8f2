"""The KPI page and its charts: hostile names are escaped, empty data draws no chart."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from ledger.projections.kpis import summarise
from ledger.reports import kpi_html, svg

GENERATED = datetime(2026, 11, 2, 8, 15, 30, tzinfo=UTC)
HOSTILE_REASON = '<script>alert("r")</script>'
HOSTILE_CHANNEL = '"><img src=x onerror=alert(1)>'


class Tags(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.texts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def row(reason: str, channel: str, currency: str = "EUR") -> dict[str, Any]:
    return {
        "reason": reason, "channel": channel, "currency": currency, "requested_amount": "12.50",
        "approved_amount": "12.50", "paid_amount": None, "created_at": "2026-10-01T09:00:00+00:00",
        "decided_at": "2026-10-01T10:30:00+00:00", "decision": "approved", "automatic": 0,
        "paid_at": None, "sla_breaches": 1,
    }  # fmt: skip


def test_hostile_reason_and_channel_are_escaped_text_not_markup() -> None:
    kpis = summarise([row(HOSTILE_REASON, HOSTILE_CHANNEL), row("damaged", "portal")])

    page = kpi_html.page(kpis, None, None, GENERATED)

    parsed = Tags(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert "&lt;script&gt;alert(&quot;r&quot;)&lt;/script&gt;" in page
    assert HOSTILE_REASON in parsed.texts and HOSTILE_CHANNEL in parsed.texts
    assert parsed.tags.count("svg") >= 6
    assert "generated 2026-11-02 08:15:30 UTC" in " ".join(parsed.texts)


def test_empty_period_says_so_and_draws_no_chart() -> None:
    since = datetime(2026, 10, 1, tzinfo=UTC)
    page = kpi_html.page(summarise([]), since, None, GENERATED)

    parsed = Tags(page)
    assert "No refunds in this period." in parsed.texts
    assert "svg" not in parsed.tags
    assert "Refund KPIs, requested from 2026-10-01 00:00 UTC" in parsed.texts
    assert "None" not in page and "nan" not in page


def test_charts_of_zero_values_draw_empty_marks_without_dividing_by_zero() -> None:
    bars = svg.bars("nothing", [("a", [svg.Bar(0, "0", "#000")]), ("b", [])])
    columns = svg.columns("nothing", [("under 1h", 0), ("1-4h", 0)], "#000")
    share = svg.share("nothing", [("rejected", 0, "#000")])

    for drawing in (bars, columns, share):
        assert drawing.startswith("<svg") and drawing.endswith("</svg>")
    assert 'width="0.0"' in bars and 'width="0.0"' in share
    assert columns.count('height="0.0"') == 2
    assert svg.bars("none", []).startswith("<svg")
