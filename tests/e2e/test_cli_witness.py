"""The witness through the real commands: consistent checkpoints published by the ledger are
cosigned (and the cosignature travels into receipts); an insider who rewrites history, wipes
the log's tables and its kept checkpoints and gets a fresh checkpoint signed is caught by the
witness, which raises one checkpoint_inconsistent alert."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from ledger.bootstrap import bootstrap
from ledger.config import Settings

from .support import Ledger, clean_env
from integration.insider import replacing, rewrite_refund
from integration.tamper import Tamper


def _keys(ledger: Ledger, root: Path) -> tuple[dict[str, str], list[str]]:
    for name, extra in (("log", []), ("witness", ["--witness", "--origin", "witness.test/w1"])):
        (root / name).mkdir()
        assert ledger.run("audit", "keygen", "--out", str(root / name), *extra).code == 0
    (root / "state").mkdir()
    env = clean_env(LEDGER_SIGNING_KEY=str(root / "log" / "ledger.key"))
    witness = [
        "audit", "witness", "--once", "--log", str(root / "published"),
        "--key", str(root / "witness" / "ledger.key"),
        "--log-key", str(root / "log" / "ledger.pub"), "--state", str(root / "state"),
    ]  # fmt: skip
    return env, witness


def _publish(ledger: Ledger, env: dict[str, str], root: Path) -> None:
    done = ledger.run("audit", "checkpoint", "--publish", str(root / "published"), env=env)
    assert done.code == 0, done.stderr


def test_consistent_checkpoints_are_cosigned_and_the_cosignature_reaches_receipts(
    ledger: Ledger, tmp_path: Path
) -> None:
    env, witness = _keys(ledger, tmp_path)
    first = ledger.request()
    _publish(ledger, env, tmp_path)
    looked = ledger.run(*witness)
    assert looked.code == 0 and looked.stdout.startswith("cosigned size "), looked.stderr
    ledger.request()
    _publish(ledger, env, tmp_path)
    again = ledger.run(*witness)
    assert again.code == 0 and again.stdout.startswith("cosigned size "), again.stderr
    cosigned = sorted((tmp_path / "state" / "cosigned").iterdir(), key=lambda p: int(p.name))
    witness_key = str(tmp_path / "witness" / "ledger.pub")
    added = ledger.run("audit", "add-cosignature", str(cosigned[-1]), "--witness-key", witness_key)
    assert added.code == 0, added.stderr
    receipt = tmp_path / "receipt.json"
    assert ledger.run("audit", "receipt", first["id"], "--out", str(receipt)).code == 0
    checked = ledger.run(
        "audit", "verify-receipt", str(receipt), "--key", str(tmp_path / "log" / "ledger.pub"),
        "--witness", witness_key, db=False,
    )  # fmt: skip
    assert checked.code == 0 and checked.stdout.rstrip().endswith("cosigned by witness.test/w1")


def test_a_forked_log_is_caught_by_the_witness_and_raises_one_alert(
    ledger: Ledger, tmp_path: Path
) -> None:
    env, witness = _keys(ledger, tmp_path)
    refund = ledger.request()
    ledger.request()
    _publish(ledger, env, tmp_path)
    assert ledger.run(*witness).code == 0

    # the insider: rewrite a stored event, wipe the log and its kept checkpoints
    app = bootstrap(Settings(database_url=ledger.database_url)).ledger
    try:
        rewrite_refund(
            app, Tamper(ledger.database_url), UUID(refund["id"]), replacing(1, '"30.00"', '"3.00"')
        )
    finally:
        app.close()
    tamper = Tamper(ledger.database_url)
    for table in ("audit_log_leaves", "audit_log_tiles", "audit_log_tree", "audit_checkpoints"):
        tamper._execute(f"DELETE FROM {table}")
    tracking = "projection_tracking" if tamper.postgres else "tracking"
    tamper._execute(
        f"UPDATE {tracking} SET notification_id = 0 WHERE application_name = 'projection.audit.log'"
    )
    ledger.request()  # the next checkpoint, of the forked history, is signed and published
    _publish(ledger, env, tmp_path)

    caught = ledger.run(*witness)
    assert caught.code == 3, caught.stdout + caught.stderr
    assert caught.stdout.startswith("inconsistent: the log forked: the log said size ")
    assert ledger.run(*witness).code == 3  # still inconsistent: the kept checkpoint stays
    alerts = ledger.ok("compliance", "alerts", "--kind", "checkpoint_inconsistent")
    assert len(alerts) == 1, alerts
    assert alerts[0]["detail"].startswith("the log forked: the log said size ")
