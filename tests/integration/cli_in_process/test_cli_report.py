"""`ledger report kpis` through the CLI (in-process), on six refunds with known times and outcomes.

The refunds are stored in-process with a clock the test sets (so hours are exact), once per
back end for the whole module; every test then reads them through the command.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cli_support import Outcome
from psycopg import sql

from ledger.app.commands import RefundRequestIn
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor

from ..in_process import Ledger

AGENT, MANAGER = Actor.parse("agent:ann"), Actor.parse("manager:bob")
VERIFIER, FINANCE = Actor.parse("verifier:vic"), Actor.parse("finance:fay")
DAY_0 = datetime(2026, 10, 1, 9, tzinfo=UTC)


class SetClock:
    """The app's clock: `set(day, hours)` moves it to DAY_0 + day days + hours."""

    def __init__(self) -> None:
        self.now = DAY_0

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: int, hours: float = 0) -> None:
        self.now = DAY_0 + timedelta(days=day, hours=hours)


def _seed(url: str) -> None:
    """A: auto-approved, paid after 26h; B: approved by bob after 5h, paid after 30h; C: USD,
    rejected after 10h; D: goodwill, 35.00 of 40.00 approved after 2h; E: 2000.00 at the top
    tier, breaches the SLA after 49h, undecided; F: damaged goods, verified and auto-approved
    after 3h. Each is requested three days after the one before, at 09:00 UTC.
    """
    clock = SetClock()
    app = bootstrap(Settings(database_url=url), clock=clock).ledger

    def request(day: int, reason: str, channel: str, amount: str, currency: str = "EUR") -> Any:
        clock.set(day)
        fields = dict(order_id=f"O-{day}", customer_id=f"C-{day}", amount=amount,
                             currency=currency, order_total="5000.00", reason=reason,
                             channel=channel, purchased_on=str(clock().date()))  # fmt: skip
        return app.request(AGENT, RefundRequestIn.model_validate(fields)).id

    def later(day: int, hours: float, action: Callable[[], object]) -> None:
        clock.set(day, hours)
        action()

    try:
        a = request(0, "billing_error", "portal", "30.00")
        later(0, 24, lambda: app.start_payout(a, FINANCE, None))
        later(0, 26, lambda: app.settle_payout(a, FINANCE, "PSP-A"))
        b = request(3, "billing_error", "phone", "200.00")
        later(3, 5, lambda: app.approve(b, MANAGER, None, None))
        later(3, 29, lambda: app.start_payout(b, FINANCE, None))
        later(3, 30, lambda: app.settle_payout(b, FINANCE, "PSP-B"))
        c = request(6, "late_delivery", "email", "120.00", "USD")
        later(6, 10, lambda: app.reject(c, MANAGER, "delivered on time"))
        d = request(9, "goodwill", "phone", "40.00")
        later(9, 2, lambda: app.approve(d, MANAGER, Decimal("35.00"), None))
        request(12, "price_adjustment", "api", "2000.00")
        later(12, 49, lambda: app.sweep_sla())
        f = request(15, "damaged", "store", "25.00")
        later(15, 3, lambda: app.verify(f, VERIFIER, "box dented", None))
    finally:
        app.close()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="module", params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """The `ledger` command on one database per back end, seeded once for the module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('report-db') / 'ledger.db'}"
    else:
        server_url = request.getfixturevalue("postgres_server").get_uri()
        name = f"test_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = request.getfixturevalue("postgres_server").get_uri(name)
    _seed(url)
    return Ledger(url, tmp_path_factory.mktemp("report-cwd"))


def eur(amount: str) -> dict[str, str]:
    return {"EUR": amount}


def group(count: int, requested: dict[str, str], approved: dict[str, str] | None = None,
          paid: dict[str, str] | None = None, breaches: int = 0) -> dict[str, Any]:  # fmt: skip
    return {"count": count, "requested": requested, "approved": approved or {},
            "paid": paid or {}, "sla_breaches": breaches}  # fmt: skip


def buckets(*counts: int) -> list[dict[str, Any]]:
    labels = ("under 1h", "1-4h", "4-24h", "24-48h", "48h-7d", "7d or more")
    return [{"label": label, "count": n} for label, n in zip(labels, counts, strict=True)]


def test_json_has_the_exact_figures_of_every_refund(ledger: Ledger) -> None:
    kpis = ledger.ok("report", "kpis")

    assert kpis == {
        "refunds": 6,
        "by_reason": {
            "billing_error": group(2, eur("230.00"), eur("230.00"), eur("230.00")),
            "damaged": group(1, eur("25.00"), eur("25.00")),
            "goodwill": group(1, eur("40.00"), eur("35.00")),
            "late_delivery": group(1, {"USD": "120.00"}),
            "price_adjustment": group(1, eur("2000.00"), breaches=1),
        },
        "by_channel": {
            "api": group(1, eur("2000.00"), breaches=1),
            "email": group(1, {"USD": "120.00"}),
            "phone": group(2, eur("240.00"), eur("235.00"), eur("200.00")),
            "portal": group(1, eur("30.00"), eur("30.00"), eur("30.00")),
            "store": group(1, eur("25.00"), eur("25.00")),
        },
        "approval_rate": 0.8,  # A, B, D, F of the five decided
        "automatic_approval_rate": 0.4,  # A and F
        "hours_to_decision": {"median": 3.0, "p90": 10.0},  # 0, 2, 3, 5, 10
        "hours_to_payout": {"median": 28.0, "p90": 30.0},  # 26, 30
        "sla_breaches": 1,
        "decisions": {
            "approved_automatically": 2,
            "approved_by_people": 2,
            "rejected": 1,
            "undecided": 1,
        },
        "hours_buckets": {
            "to_decision": buckets(1, 2, 2, 0, 0, 0),
            "to_payout": buckets(0, 0, 0, 2, 0, 0),
        },  # fmt: skip
        "period": {"since": None, "until": None},
    }


def test_since_and_until_select_by_request_time_both_ends_included(ledger: Ledger) -> None:
    later = ledger.ok("report", "kpis", "--since", "2026-10-10")
    assert later["refunds"] == 3
    assert set(later["by_reason"]) == {"goodwill", "price_adjustment", "damaged"}
    assert later["period"] == {"since": "2026-10-10T00:00:00+00:00", "until": None}

    earlier = ledger.ok("report", "kpis", "--until", "2026-10-07T23:59:59Z")
    assert set(earlier["by_reason"]) == {"billing_error", "late_delivery"}
    assert earlier["refunds"] == 3 and earlier["sla_breaches"] == 0

    # B at 2026-10-04 09:00 and C at 2026-10-07 09:00 exactly: both ends are included
    b_and_c = ledger.ok(
        "report", "kpis", "--since", "2026-10-04T09:00:00Z", "--until", "2026-10-07T11:00+02:00"
    )
    assert b_and_c["refunds"] == 2
    assert b_and_c["approval_rate"] == 0.5 and b_and_c["automatic_approval_rate"] == 0.0
    assert b_and_c["hours_to_decision"] == {"median": 7.5, "p90": 10.0}
    assert b_and_c["period"]["until"] == "2026-10-07T09:00:00+00:00"


def test_a_period_without_refunds_has_no_rates_and_says_so(ledger: Ledger) -> None:
    empty = ledger.ok("report", "kpis", "--until", "2000-01-01")
    assert empty["refunds"] == 0 and empty["by_reason"] == {} and empty["sla_breaches"] == 0
    assert empty["approval_rate"] is None and empty["automatic_approval_rate"] is None
    assert empty["hours_to_decision"] == {"median": None, "p90": None}
    assert empty["hours_to_payout"] == {"median": None, "p90": None}

    human = ledger.run("report", "kpis", "--since", "2030-01-01")
    assert human.code == 0 and human.stderr == "", human.describe()
    assert "no refunds in this period" in human.stdout


def test_tables_show_rates_hours_and_amounts_per_currency(ledger: Ledger) -> None:
    human = ledger.run("report", "kpis")

    assert human.code == 0 and human.stderr == "", human.describe()
    for figure in ("80.0%", "40.0%", "3.0 h / 10.0 h", "28.0 h / 30.0 h", "120.00 USD"):
        assert figure in human.stdout, figure
    phone = next(line for line in human.stdout.splitlines() if "phone" in line)
    assert "240.00 EUR" in phone and "235.00 EUR" in phone and "200.00 EUR" in phone


class Page(HTMLParser):
    """What a browser would see: tags, attributes, texts and the headline cards."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.texts: list[str] = []
        self.cards: dict[str, str] = {}
        self._in: str | None = None
        self._label = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href")]
        classes = dict(attrs).get("class")
        self._in = classes if classes in ("label", "value") else None

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._in == "label":
            self._label = data
        elif self._in == "value":
            self.cards[self._label] = data
        self._in = None


def test_html_page_is_self_contained_with_charts_and_the_headline_numbers(
    ledger: Ledger,
) -> None:
    out = ledger.workdir / "kpis.html"
    outcome = ledger.run("report", "kpis", "--since", "2026-10-01", "--html", str(out))

    assert outcome.code == 0 and outcome.stdout == f"wrote {out}\n", outcome.describe()
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert page.tags.count("svg") >= 6
    assert "script" not in page.tags and "link" not in page.tags and page.links == []
    assert "http://" not in text and "https://" not in text and "url(" not in text
    assert page.cards == {
        "Refunds": "6",
        "Approval rate": "80.0%",
        "Automatic approval rate": "40.0%",
        "Hours to decision (median)": "3.0 h",
        "Hours to payout (median)": "28.0 h",
        "SLA breaches": "1",
    }
    title = text[text.index("<title>") : text.index("</title>")]
    assert "requested from 2026-10-01 00:00 UTC" in title
    assert "generated" in " ".join(page.texts)
    for reason in ("billing_error", "price_adjustment", "Amounts by reason, USD"):
        assert reason in page.texts


def test_html_of_an_empty_period_and_html_with_json(ledger: Ledger) -> None:
    empty = ledger.workdir / "empty.html"
    assert ledger.run("report", "kpis", "--until", "2000-01-01", "--html", str(empty)).code == 0
    assert "No refunds in this period." in Page(empty.read_text(encoding="utf-8")).texts

    both = ledger.workdir / "both.html"
    outcome = ledger.run("report", "kpis", "--json", "--html", str(both))
    assert outcome.code == 0 and outcome.stderr == f"wrote {both}\n", outcome.describe()
    assert outcome.json()["refunds"] == 6 and "<svg" in both.read_text(encoding="utf-8")


def refused(outcome: Outcome, says: str) -> None:
    """Exit 2, nothing on stdout, one `error:` line on stderr that says `says`."""
    assert outcome.code == 2, outcome.describe()
    assert outcome.stdout == "" and outcome.stderr.count("\n") == 1, outcome.describe()
    assert outcome.stderr.startswith("error: ") and says in outcome.stderr, outcome.describe()
    assert "Traceback" not in outcome.stderr


def test_bad_report_input_exits_2_with_one_line_and_touches_nothing(tmp_path: Path) -> None:
    """Input is refused before the database is opened: no store is created, no page written."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)
    for args, says in (
        (("--since", "yesterday"), "invalid --since"),
        (("--until", "2026-13-01"), "invalid --until"),
        (("--since", "2026-10-08", "--until", "2026-10-01"), "ends before it starts"),
        (("--html", str(tmp_path / "missing" / "kpis.html")), "does not exist"),
        (("--html", str(tmp_path)), "is a directory"),
    ):
        refused(ledger.run("report", "kpis", *args), says)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_directory_nobody_can_write_in_is_refused_in_one_line(ledger: Ledger) -> None:
    """/proc refuses new files even to root: the failed write is exit 2, no traceback."""
    refused(ledger.run("report", "kpis", "--html", "/proc/kpis.html"), "cannot write")
    assert not Path("/proc/kpis.html").exists()
