"""The composition root: settings in, a wired application out. Never runs at import time."""

from __future__ import annotations

from ledger.app.service import Clock, RefundLedger, utc_now
from ledger.config import Settings, persistence_env
from ledger.domain.policy import Policy
from ledger.policy_file import load_policy
from ledger.store.sqlite_file import create_private


def bootstrap(
    settings: Settings, policy: Policy | None = None, clock: Clock = utc_now
) -> RefundLedger:
    env = persistence_env(settings.database_url, settings.timeouts)
    create_private(env)
    return RefundLedger(policy or load_policy(settings.policy_path), env=env, clock=clock)
