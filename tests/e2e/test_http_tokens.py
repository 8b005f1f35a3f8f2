"""The server trusts an accepted token for at most TRUST_SECONDS: a revocation takes effect
within that bound, on a token that was just used successfully."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from ledger.access.tokens import TRUST_SECONDS

from .http_support import running_server


def test_a_revoked_token_is_refused_within_the_trust_period(
    database_url: str, tmp_path: Path
) -> None:
    with running_server(database_url, tmp_path) as server:
        token = server.token("manager:bob")
        with server.client(token=token) as manager:
            assert manager.get("/refunds?limit=1").status_code == 200
            assert manager.get("/refunds?limit=1").status_code == 200  # now from the cache
            with server._store(lambda: datetime.now(UTC)) as store:
                store.revoke(token.split("_")[1])
            revoked_at = time.monotonic()
            while (answer := manager.get("/refunds?limit=1")).status_code == 200:
                assert time.monotonic() - revoked_at < TRUST_SECONDS + 0.5, "still accepted"
                time.sleep(0.1)
        assert answer.status_code == 401
        assert answer.json()["detail"].endswith("was revoked")
