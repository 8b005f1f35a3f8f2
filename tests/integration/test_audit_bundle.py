"""Audit bundles on both back ends: export, verify offline, and catch every edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from cli.files import writing
from ledger.app.service import RefundLedger
from ledger.audit.bundle import BundleSummary, export_bundle
from ledger.audit.bundle_check import verify_bundle
from ledger.audit.errors import IntegrityFailure, InvalidBundle
from ledger.domain.errors import RefundNotFound

from .support import AGENT, MANAGER, form
from .tamper import Tamper


@pytest.fixture
def refunds(app: RefundLedger) -> tuple[Any, Any]:
    long = app.request(AGENT, form(order_id="O-1", amount="60.00"))
    long = app.approve(long.id, MANAGER, None, None)
    short = app.request(AGENT, form(order_id="O-2", amount="20.00"))
    return long, short


@pytest.fixture
def bundle(app: RefundLedger, refunds: tuple[Any, Any], tmp_path: Path) -> Path:
    path = tmp_path / "bundle.jsonl"
    summary = export_to(app, [], path)
    assert (summary.refunds, summary.events) == (2, 7)
    assert summary.policy_versions == (app.policy.version,)
    return path


def export_to(app: RefundLedger, refund_ids: list[UUID], path: Path) -> BundleSummary:
    """Export as `ledger audit export` does: nothing is left at `path` on a failure."""
    with writing(path, force=False, private=True) as out:
        return export_bundle(app, refund_ids, out, app.policy)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def rewrite(path: Path, edit: Any) -> None:
    path.write_text("".join(json.dumps(edit(line)) + "\n" for line in lines(path)))


def test_exported_bundle_verifies_offline(bundle: Path) -> None:
    kinds = [line["kind"] for line in lines(bundle)]
    assert kinds == ["header"] + ["event"] * 7 + ["checkpoint"] * 2 + ["policy", "end"]
    report = verify_bundle(bundle)
    assert (report.intact, report.refunds, report.events) == (True, 2, 7)


def test_bundle_of_chosen_refunds(
    app: RefundLedger, refunds: tuple[Any, Any], tmp_path: Path
) -> None:
    path = tmp_path / "one.jsonl"
    summary = export_to(app, [refunds[1].id], path)
    assert (summary.refunds, summary.events) == (1, 3)
    assert verify_bundle(path).intact


def test_unknown_refund_is_not_exported(
    app: RefundLedger, refunds: tuple[Any, Any], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RefundNotFound):
        export_to(app, [uuid4()], out / "x.jsonl")
    assert list(out.iterdir()) == []


def test_broken_ledger_is_not_exported(
    app: RefundLedger, refunds: tuple[Any, Any], database_url: str, tmp_path: Path
) -> None:
    Tamper(database_url).delete(refunds[0].id, 2)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(IntegrityFailure, match=f"refund {refunds[0].id} version 2"):
        export_to(app, [], out / "b.jsonl")
    assert list(out.iterdir()) == []


def test_edited_event_state_is_named(bundle: Path, refunds: tuple[Any, Any]) -> None:
    def edit(line: dict[str, Any]) -> dict[str, Any]:
        if line["kind"] == "event" and line["version"] == 1:
            line["state"] = line["state"].replace('"60.00"', '"70.00"')
        return line

    rewrite(bundle, edit)
    report = verify_bundle(bundle)
    assert (report.breaks[0].refund_id, report.breaks[0].version) == (str(refunds[0].id), 1)


def test_edited_recorded_hash_is_named(bundle: Path, refunds: tuple[Any, Any]) -> None:
    def edit(line: dict[str, Any]) -> dict[str, Any]:
        if line["kind"] == "event" and line["version"] == 4:
            line["hash"] = "0" * 64
        return line

    rewrite(bundle, edit)
    report = verify_bundle(bundle)
    assert (report.breaks[0].refund_id, report.breaks[0].version) == (str(refunds[0].id), 4)


def test_removed_event_line_is_named(bundle: Path, refunds: tuple[Any, Any]) -> None:
    short = str(refunds[1].id)

    def removed(line: dict[str, Any]) -> bool:
        return line["kind"] == "event" and (line["refund_id"], line["version"]) == (short, 3)

    kept = [line for line in lines(bundle) if not removed(line)]
    bundle.write_text("".join(json.dumps(line) + "\n" for line in kept))
    report = verify_bundle(bundle)
    assert (report.breaks[0].refund_id, report.breaks[0].version) == (str(refunds[1].id), 3)


def test_edited_policy_line_breaks_the_digest(bundle: Path) -> None:
    def edit(line: dict[str, Any]) -> dict[str, Any]:
        if line["kind"] == "policy":
            line["version"] = "feedfeedfeedfeed"
        return line

    rewrite(bundle, edit)
    with pytest.raises(IntegrityFailure, match="digest"):
        verify_bundle(bundle)


def test_cut_short_bundle_is_an_integrity_failure(bundle: Path) -> None:
    bundle.write_text("".join(json.dumps(line) + "\n" for line in lines(bundle)[:-1]))
    with pytest.raises(IntegrityFailure, match="end line is missing"):
        verify_bundle(bundle)


def test_garbage_line_is_an_integrity_failure(bundle: Path) -> None:
    bundle.write_bytes(
        bundle.read_bytes().replace(b'{"kind":"checkpoint"', b'{"kind":"chec\xff', 1)
    )
    with pytest.raises(IntegrityFailure, match="bundle line"):
        verify_bundle(bundle)


def test_not_a_bundle_is_invalid_input(tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n')
    with pytest.raises(InvalidBundle, match="not a bundle header"):
        verify_bundle(other)
    with pytest.raises(InvalidBundle, match="No such file"):
        verify_bundle(tmp_path / "missing.jsonl")
