"""The fingerprint of a request: what makes two requests with one `Idempotency-Key` the same."""

from __future__ import annotations

import hashlib

from ledger.store.replays import fingerprint

PATH = "/refunds"


def test_json_whitespace_and_key_order_do_not_matter() -> None:
    compact = b'{"amount":"30.00","currency":"EUR","order_id":"O-1"}'
    spaced = b'{\n  "order_id": "O-1",\n  "currency": "EUR",\n  "amount": "30.00"\n}\n'

    assert fingerprint("POST", PATH, compact) == fingerprint("POST", PATH, spaced)


def test_nested_keys_are_sorted_too() -> None:
    one = b'{"form": {"b": 1, "a": [1, {"y": 2, "x": 3}]}}'
    other = b'{"form":{"a":[1,{"x":3,"y":2}],"b":1}}'

    assert fingerprint("POST", PATH, one) == fingerprint("POST", PATH, other)


def test_json_escapes_of_the_same_text_are_equal() -> None:
    assert fingerprint("POST", PATH, '{"note":"é"}'.encode()) == fingerprint(
        "POST", PATH, b'{"note":"\\u00e9"}'
    )


def test_different_json_values_differ() -> None:
    first = fingerprint("POST", PATH, b'{"amount": "30.00"}')

    assert fingerprint("POST", PATH, b'{"amount": "30.01"}') != first
    assert fingerprint("POST", PATH, b'{"amount": 30.00}') != first
    assert fingerprint("POST", PATH, b'{"amount": "30.00", "note": null}') != first
    assert fingerprint("POST", PATH, b'["amount", "30.00"]') != first


def test_a_body_that_is_not_json_counts_byte_for_byte() -> None:
    form = b"amount=30.00&currency=EUR"

    assert fingerprint("POST", PATH, form) == fingerprint("POST", PATH, form)
    assert fingerprint("POST", PATH, form) != fingerprint("POST", PATH, form + b" ")
    assert fingerprint("POST", PATH, b'{"amount": ') != fingerprint("POST", PATH, b'{"amount":')


def test_bytes_that_are_not_utf8_or_nested_too_deep_count_as_raw_bytes() -> None:
    latin1 = '{"note": "é"}'.encode("latin-1")
    deep = b"[" * 100_000 + b"]" * 100_000

    assert fingerprint("POST", PATH, latin1) != fingerprint("POST", PATH, '{"note":"é"}'.encode())
    assert fingerprint("POST", PATH, deep) != fingerprint("POST", PATH, deep[1:-1])


def test_the_path_and_its_query_matter() -> None:
    body = b'{"amount": "30.00"}'

    assert fingerprint("POST", "/refunds", body) != fingerprint("POST", "/refunds/r-1", body)
    assert fingerprint("POST", "/refunds?dry_run=1", body) != fingerprint("POST", PATH, body)


def test_the_method_matters() -> None:
    body = b'{"amount": "30.00"}'

    assert fingerprint("POST", PATH, body) != fingerprint("PUT", PATH, body)


def test_method_path_and_body_cannot_run_into_each_other() -> None:
    assert fingerprint("POST", "/a", b"b") != fingerprint("POST", "/ab", b"")
    assert fingerprint("POS", "T/a", b"") != fingerprint("POST", "/a", b"")


def test_it_is_a_sha256_hex_digest() -> None:
    digest = fingerprint("POST", PATH, b"")

    assert len(digest) == len(hashlib.sha256().hexdigest())
    assert int(digest, 16) >= 0
