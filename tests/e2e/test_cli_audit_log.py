"""The audit log through the real `ledger` command: a killed `audit integrate` resumes with
the tree a clean run makes; keys, a checkpoint kept in a file, and `audit verify --checkpoint`
catching the insider of issue 15; a receipt checked offline."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from uuid import UUID

from ledger.audit.leaves import LoggedEvent
from ledger.audit.log import AuditLog
from ledger.audit.merkle import LeafNodes, leaf_hash
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actor import Actor

from .killing import kill_when, seed
from .support import Ledger, clean_env
from integration.insider import replacing, rewrite_refund
from integration.tamper import Tamper

AGENT, MANAGER = Actor.parse("agent:alice"), Actor.parse("manager:mo")


def _tree(url: str) -> tuple[int, bytes, bytes]:
    """The integrated tree's size and root, and the root of the stored events' own leaves."""
    container = bootstrap(Settings(database_url=url))
    try:
        log: AuditLog = container.audit_log
        rows = container.ledger.recorder.select_notifications(None, 10**7)
        leaves = [
            leaf_hash(
                LoggedEvent(str(r.originator_id), r.originator_version, r.topic, r.state).data()
            )
            for r in rows
        ]
        head = log.head()
        return head.size, head.root, LeafNodes(leaves).root(head.size) if head.size else b""
    finally:
        container.close()


def _count(url: str) -> int:
    container = bootstrap(Settings(database_url=url))
    try:
        return len(container.ledger.recorder.select_notifications(None, 10**7))
    finally:
        container.close()


def test_an_integrator_killed_mid_page_resumes_with_the_tree_of_a_clean_run(
    ledger: Ledger,
) -> None:
    seed(ledger.database_url, 300)
    kill_when(
        ledger,
        ["audit", "integrate", "--batch", "7"],
        lambda: _tree(ledger.database_url)[0] > 100,
        "a hundred leaves",
    )
    size, root, expected = _tree(ledger.database_url)
    total = _count(ledger.database_url)
    assert 0 < size < total, "the integrator was not killed in the middle of the log"
    assert root == expected  # what was committed is exactly the tree of the first `size`
    done = ledger.run("audit", "integrate", "--once")
    assert done.code == 0, done.stderr
    assert done.stdout == f"integrated {total - size} event(s); the log holds {total}\n"
    size, root, expected = _tree(ledger.database_url)
    assert (size, root) == (total, expected)


def _signed(ledger: Ledger, keys: Path) -> tuple[dict[str, str], Path]:
    made = ledger.run("audit", "keygen", "--out", str(keys), "--origin", "refunds.test/log")
    assert made.code == 0, made.stderr
    assert stat.S_IMODE((keys / "ledger.key").stat().st_mode) == 0o600
    env = clean_env(LEDGER_SIGNING_KEY=str(keys / "ledger.key"))
    kept = keys / "checkpoint-1"
    signed = ledger.run("audit", "checkpoint", "--out", str(kept), env=env)
    assert signed.code == 0, signed.stderr
    assert signed.stdout == kept.read_text() and signed.stdout.startswith("refunds.test/log\n")
    assert "PRIVATE" not in signed.stdout + signed.stderr
    return env, kept


def test_the_insider_who_rechains_an_edit_is_named_by_verify_with_a_kept_checkpoint(
    ledger: Ledger, tmp_path: Path
) -> None:
    assert ledger.run("demo").code == 0
    _env, kept = _signed(ledger, tmp_path)
    key = str(tmp_path / "ledger.pub")
    clean = ledger.run("audit", "verify", "--checkpoint", str(kept), "--key", key)
    assert clean.code == 0 and clean.stdout.startswith("intact: "), clean.stderr

    app = bootstrap(Settings(database_url=ledger.database_url)).ledger
    try:
        approval = next(
            r
            for r in app.recorder.select_notifications(None, 10**6)
            if r.topic.endswith(":Approved") and b"finance:fay" in r.state
        )
        tamper = Tamper(ledger.database_url)
        rewrite_refund(
            app,
            tamper,
            UUID(str(approval.originator_id)),
            replacing(approval.originator_version, "finance:fay", "finance:frank"),
        )
    finally:
        app.close()
    fooled = ledger.run("audit", "verify")
    assert fooled.code == 0, "today's chains alone should be fooled by the rechaining"
    caught = ledger.run("audit", "verify", "--checkpoint", str(kept), "--key", key)
    assert caught.code == 3, caught.stdout + caught.stderr
    assert caught.stderr.startswith("error: integrity failure: leaf ")
    assert (
        f"Approved of {approval.originator_id} version {approval.originator_version} was "
        "altered after it was logged" in caught.stderr
    )
    other_key = tmp_path / "other"
    other_key.mkdir()
    assert (
        ledger.run("audit", "keygen", "--out", str(other_key), "--origin", "refunds.test/log").code
        == 0
    )
    forged = ledger.run(
        "audit", "verify", "--checkpoint", str(kept), "--key", str(other_key / "ledger.pub")
    )
    assert forged.code == 3 and "no known key signed the note" in forged.stderr


def test_a_receipt_written_by_the_ledger_is_checked_offline(ledger: Ledger, tmp_path: Path) -> None:
    refund = ledger.request()
    _signed(ledger, tmp_path)
    out = tmp_path / "receipt.json"
    wrote = ledger.run("audit", "receipt", refund["id"], "--out", str(out))
    assert wrote.code == 0, wrote.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # the events hold customer data
    key = str(tmp_path / "ledger.pub")
    checked = ledger.run("audit", "verify-receipt", str(out), "--key", key, db=False)
    assert checked.code == 0, checked.stderr
    assert checked.stdout.startswith(f"valid: refund {refund['id']}, ")
    document = json.loads(out.read_text())
    document["proofs"] = document["proofs"][1:]
    out.write_text(json.dumps(document))
    refused = ledger.run("audit", "verify-receipt", str(out), "--key", key, db=False)
    assert refused.code == 3 and refused.stderr.startswith("error: integrity failure: ")


def test_the_whole_insider_of_issue_15_is_named_by_verify_with_a_checkpoint_and_views(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Edit an approval's actor and a settlement's reference, rechain both refunds and rewrite
    the chain heads, turn a customer's token into a finance token, delete a customer's
    history, hide an approver in the decision trail: today's checks pass; the kept checkpoint
    and the views do not."""
    assert ledger.run("demo").code == 0
    token = ledger.ok("tokens", "issue", "--actor", "customer:c-0042")
    _env, kept = _signed(ledger, tmp_path)
    key = str(tmp_path / "ledger.pub")
    app = bootstrap(Settings(database_url=ledger.database_url)).ledger
    tamper = Tamper(ledger.database_url)
    try:
        rows = app.recorder.select_notifications(None, 10**6)
        approval = next(
            r for r in rows if r.topic.endswith(":Approved") and b"finance:fay" in r.state
        )
        settled = next(r for r in rows if r.topic.endswith(":PayoutSettled") and b"PSP-" in r.state)
        history = next(r for r in rows if r.topic.endswith("CustomerHistory.RefundRecorded"))
        for row, old, new in (
            (approval, "finance:fay", "finance:frank"),
            (settled, "PSP-", "PSP-EVIL-"),
        ):
            rewrite_refund(
                app,
                tamper,
                UUID(str(row.originator_id)),
                replacing(row.originator_version, old, new),
            )
    finally:
        app.close()
    tamper._execute("UPDATE api_tokens SET actor = 'finance:mallory' WHERE id = ?", token["id"])
    tamper.delete(history.originator_id)
    ledger.run("projections", "run", "--once")
    tamper._execute(
        "UPDATE decision_trail SET actor = 'manager:nobody' WHERE refund_id = ? AND version = ?",
        str(approval.originator_id),
        approval.originator_version,
    )

    assert ledger.run("audit", "verify").code == 0, "today's checks alone are fooled"
    caught = ledger.run(
        "audit", "verify", "--checkpoint", str(kept), "--key", key, "--views", "--json"
    )
    assert caught.code == 3, caught.stderr
    report = json.loads(caught.stdout)
    problems = report["log"]["problems"] + report["views"]["problems"]
    assert report["intact"] is False
    assert report["log"]["first_problem"].startswith("leaf ")
    # the first leaf that differs, in log order: the deleted history's first event; every
    # edit after it is named too, the events being lined up with the leaves again
    assert report["log"]["first_problem"].endswith(
        f": the event of {history.originator_id} version 1 was removed from the events"
    )
    logged = report["log"]["problems"]
    for row in (approval, settled):
        kind = row.topic.rpartition(":")[2]
        altered = f"{kind} of {row.originator_id} version {row.originator_version} was altered"
        assert any(altered in problem for problem in logged), logged
    views = report["views"]["problems"]
    assert any(p.startswith(f"decision_trail refund_id {approval.originator_id} ") for p in views)
    assert f"api_tokens token {token['id']}: its actor is not the one its events record" in views
    assert caught.stderr.startswith("error: integrity failure: leaf "), problems
