"""Bearer tokens: issued once, stored only as a hash, refused with a reason, on both back ends."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg import sql

from ledger.app.service import RefundLedger
from ledger.app.tokens import (
    InvalidToken,
    IssuedToken,
    TokenNotFound,
    Tokens,
    iso,
)
from ledger.domain.actor import SYSTEM_POLICY, Actor
from ledger.domain.errors import InvalidActor

from .support import AGENT, MANAGER, FakeClock


@pytest.fixture
def tokens(app: RefundLedger) -> Tokens:
    return Tokens.open(app)


def _stored_rows(tokens: Tokens) -> list[dict[str, Any]]:
    with tokens.table.store.reading() as db:
        return db.rows(sql.SQL("SELECT * FROM {}").format(sql.Identifier("api_tokens")))


def _refused(tokens: Tokens, presented: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        tokens.authenticate(presented)
    assert refused.value.code == "invalid-token"
    return refused.value.message


def _with_secret(issued: IssuedToken, secret: str) -> str:
    return f"rlk_{issued.id}_{secret}"


def test_issued_token_authenticates_as_its_actor(tokens: Tokens, clock: FakeClock) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=30)

    assert tokens.authenticate(issued.token) == MANAGER
    assert issued.actor == "manager:bob"
    assert issued.token.startswith(f"rlk_{issued.id}_")
    assert len(issued.id) == 16 and int(issued.id, 16) >= 0
    assert issued.created_at == clock.now
    assert issued.expires_at == clock.now + timedelta(days=30)


def test_a_token_without_expiry_never_expires(tokens: Tokens, clock: FakeClock) -> None:
    issued = tokens.issue(AGENT, expires_in_days=None)
    clock.advance(days=36500)

    assert issued.expires_at is None
    assert tokens.authenticate(issued.token) == AGENT
    assert tokens.list()[0].status(clock.now) == "active"


def test_only_the_hash_of_the_token_is_stored(tokens: Tokens) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=90)
    prefix, token_id, secret = issued.token.split("_", 2)  # the secret may hold "_" itself
    assert (prefix, token_id) == ("rlk", issued.id) and len(secret) >= 32

    [row] = _stored_rows(tokens)
    stored = " ".join(str(value) for value in row.values())
    assert issued.token not in stored
    assert secret not in stored
    assert row["id"] == issued.id
    assert len(row["token_sha256"]) == 64


def test_a_wrong_secret_is_an_unknown_token(tokens: Tokens) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=90)
    other = tokens.issue(MANAGER, expires_in_days=90)
    wrong = _with_secret(issued, other.token.split("_", 2)[2])

    assert _refused(tokens, wrong) == "unknown bearer token"


def test_an_unknown_id_is_an_unknown_token(tokens: Tokens) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=90)
    unknown = issued.token.replace(issued.id, "0123456789abcdef")

    assert _refused(tokens, unknown) == "unknown bearer token"


@pytest.mark.parametrize(
    "presented",
    [
        "rlk_0123456789abcdef",
        "Bearer rlk_0123456789abcdef_" + "a" * 43,
        "rlk_0123456789ABCDEF_" + "a" * 43,
        "rlk_0123456789abcdef_" + "a" * 42,
        "rlk_0123456789abcdef_" + "a" * 43 + "\n",
        "xyz_0123456789abcdef_" + "a" * 43,
        "rlk_0123456789abcdef_" + "a" * 42 + "=",
    ],
)
def test_a_malformed_token_is_refused(tokens: Tokens, presented: str) -> None:
    message = _refused(tokens, presented)

    assert message == "malformed bearer token"


def test_a_missing_token_is_refused(tokens: Tokens) -> None:
    assert _refused(tokens, "") == "missing bearer token"


def test_a_revoked_token_is_refused(tokens: Tokens) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=90)
    tokens.revoke(issued.id)

    assert _refused(tokens, issued.token) == f"bearer token {issued.id} was revoked"


def test_an_expired_token_is_refused_from_the_moment_it_expires(
    tokens: Tokens, clock: FakeClock
) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=1)
    clock.advance(days=1, seconds=-1)
    assert tokens.authenticate(issued.token) == MANAGER

    clock.advance(seconds=1)

    assert _refused(tokens, issued.token) == (
        f"bearer token {issued.id} expired at {iso(issued.expires_at)}"
    )


def test_revoking_an_unknown_token_is_not_found(tokens: Tokens) -> None:
    tokens.issue(MANAGER, expires_in_days=90)

    with pytest.raises(TokenNotFound, match="^token 0123456789abcdef not found$"):
        tokens.revoke("0123456789abcdef")
    assert [info.revoked_at for info in tokens.list()] == [None]


def test_revoking_twice_keeps_the_first_time(tokens: Tokens, clock: FakeClock) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=90)
    first = tokens.revoke(issued.id)
    clock.advance(hours=1)

    again = tokens.revoke(issued.id)

    assert first.revoked_at == clock.now - timedelta(hours=1)
    assert again.revoked_at == first.revoked_at


def test_list_is_oldest_first_with_each_status(tokens: Tokens, clock: FakeClock) -> None:
    expiring = tokens.issue(AGENT, expires_in_days=1)
    clock.advance(minutes=1)
    revoked = tokens.issue(MANAGER, expires_in_days=90)
    clock.advance(minutes=1)
    active = tokens.issue(MANAGER, expires_in_days=None)
    tokens.revoke(revoked.id)
    clock.advance(days=2)

    listed = tokens.list()

    assert [info.id for info in listed] == [expiring.id, revoked.id, active.id]
    assert [info.status(clock.now) for info in listed] == ["expired", "revoked", "active"]
    assert [info.actor for info in listed] == ["agent:ann", "manager:bob", "manager:bob"]
    as_json = listed[1].to_json(clock.now)
    assert set(as_json) == {"id", "actor", "created_at", "expires_at", "revoked_at", "status"}
    assert as_json["revoked_at"] == iso(listed[1].revoked_at)
    assert as_json["revoked_at"].endswith("Z")
    assert listed[2].to_json(clock.now)["expires_at"] is None


def test_a_second_store_on_the_same_database_sees_the_tokens(
    app: RefundLedger, tokens: Tokens
) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=90)

    assert Tokens.open(app).authenticate(issued.token) == MANAGER


def test_no_token_is_issued_for_the_ledgers_own_actor(tokens: Tokens) -> None:
    with pytest.raises(InvalidActor, match="'system:policy': it is the ledger's own actor"):
        tokens.issue(SYSTEM_POLICY, expires_in_days=30)

    assert _stored_rows(tokens) == []


def test_an_edited_row_no_longer_authenticates_anybody(tokens: Tokens) -> None:
    issued = tokens.issue(MANAGER, expires_in_days=30)
    with tokens.table.store.writing() as db:  # the insider of issue 15
        db.execute(
            sql.SQL("UPDATE {} SET actor = %s WHERE id = %s").format(sql.Identifier("api_tokens")),
            ("finance:mallory", issued.id),
        )

    assert _refused(tokens, issued.token) == (
        f"bearer token {issued.id} does not match its issuing events"
    )


def test_a_row_inserted_without_events_authenticates_nobody(tokens: Tokens) -> None:
    secret = "rlk_0123456789abcdef_" + "A" * 43
    tokens.table.insert(
        "0123456789abcdef", hashlib.sha256(secret.encode()).hexdigest(), "finance:mallory",
        datetime.now(UTC), None,
    )  # fmt: skip

    assert _refused(tokens, secret) == (
        "bearer token 0123456789abcdef has no issuing events (issued before tokens were "
        "logged: `ledger tokens adopt`)"
    )


def test_adopting_the_rows_an_older_ledger_left_but_never_its_own_actors(
    tokens: Tokens,
) -> None:
    old, own = "rlk_00000000000000aa_" + "A" * 43, "rlk_00000000000000bb_" + "B" * 43
    for token, actor in ((old, "manager:old"), (own, "system:policy")):
        digest = hashlib.sha256(token.encode()).hexdigest()
        tokens.table.insert(token[4:20], digest, actor, datetime.now(UTC), None)

    assert tokens.adopt() == (["00000000000000aa"], ["00000000000000bb"])
    assert tokens.authenticate(old) == Actor.parse("manager:old")
    assert "has no issuing events" in _refused(tokens, own)
    assert tokens.adopt() == ([], ["00000000000000bb"])  # adopted once
