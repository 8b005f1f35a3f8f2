"""The command models (ledger/app/commands.py): what every interface fills, the typed values
they give the application, and errors that name fields, worded by each interface."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from cli.errors import flag
from cli.inputs import fill
from ledger.app.commands import ApprovalIn, ItemIn, RefundRequestIn, VerificationIn
from ledger.app.period import Period
from ledger.domain.errors import InvalidAmount, InvalidDecision, InvalidInput, LedgerError

REQUEST = {
    "order_id": " O-1 ",
    "customer_id": "C-1",
    "amount": "30.5",
    "currency": "eur",
    "order_total": "100",
    "reason": "Damaged",
    "channel": "phone",
    "method": "bank_transfer",
    "purchased_on": "2026-11-01",
    "items": [ItemIn.parse("SKU-1:2"), ItemIn.parse("A:B:1")],
    "address": "1 Main St",
    "note": "box\tempty",
}


def test_a_request_typed_as_text_becomes_typed_values() -> None:
    form = RefundRequestIn.model_validate(REQUEST)

    assert (form.order_id, form.currency, form.reason) == ("O-1", "EUR", "damaged")
    assert (form.amount, form.order_total) == (Decimal("30.50"), Decimal("100.00"))
    assert form.purchased_on == date(2026, 11, 1)
    assert [(i.sku, i.quantity) for i in form.goods()] == [("SKU-1", 2), ("A:B", 1)]


def test_a_requests_fingerprint_is_the_one_stored_before_the_models() -> None:
    # computed by ledger/app/requests.py (RequestForm -> RefundRequestIn) before this model:
    # a retried request stored then must still match its key
    form = RefundRequestIn.model_validate(REQUEST)

    assert form.fingerprint("agent:ann") == (
        "ba7d9eb19b6e01f0ab7ee4d9731ab3caf9d6f89acc5930c6ade3f059e99431f7"
    )


def test_an_amount_is_checked_in_the_requests_currency() -> None:
    with pytest.raises(InvalidAmount, match="JPY has 0 decimal places") as raised:
        RefundRequestIn.model_validate({**REQUEST, "currency": "JPY", "amount": "1.5"})

    assert raised.value.field == "amount"


@pytest.mark.parametrize("amount", [30, 30.5, ["12.50"]])
def test_a_json_number_for_an_amount_is_refused_as_not_a_string(amount: object) -> None:
    with pytest.raises(ValidationError, match="Input should be a valid string"):
        ApprovalIn.model_validate({"amount": amount})


def test_an_amount_without_a_currency_yet_is_a_positive_decimal() -> None:
    assert ApprovalIn.model_validate({"amount": " 12.50 "}).amount == Decimal("12.50")
    with pytest.raises(InvalidAmount, match="greater than zero") as raised:
        ApprovalIn.model_validate({"amount": "-1"})
    assert raised.value.field == "amount"


def test_a_text_error_names_its_field_and_the_cli_words_it_as_the_option() -> None:
    with pytest.raises(InvalidInput) as raised:
        VerificationIn.model_validate({"fail_reason": "box\x1bempty"})

    error = raised.value
    assert error.field == "fail_reason"
    assert error.message == "fail_reason contains a control character (U+001B) at position 4"
    assert error.worded(flag) == "--fail contains a control character (U+001B) at position 4"


def test_a_domain_refusal_names_the_field_it_needs() -> None:
    error = InvalidDecision.about("reference", "a settled payout needs the provider's {field}")

    assert error.message == "a settled payout needs the provider's reference"
    assert error.worded(flag) == "a settled payout needs the provider's --reference"


def test_a_period_that_ends_before_it_starts_names_both_fields() -> None:
    since, until = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)

    with pytest.raises(InvalidInput) as raised:
        Period(since=since, until=until)

    assert raised.value.message.startswith("since is after until (2026-11-02")
    assert raised.value.worded(flag).startswith("--since is after --until (2026-11-02")


def test_an_error_about_no_field_reads_the_same_everywhere() -> None:
    error = LedgerError("refund 1 not found")

    assert error.worded(flag) == error.message == "refund 1 not found"


def test_the_cli_refuses_a_shape_only_pydantic_checks_naming_the_option() -> None:
    items = [ItemIn.parse(f"SKU-{n}:1") for n in range(101)]

    with pytest.raises(InvalidInput) as raised:
        fill(RefundRequestIn, **{**REQUEST, "items": items})

    assert raised.value.worded(flag).startswith("--item: List should have at most 100 items")


@pytest.mark.parametrize(
    ("field", "option"),
    [("order_id", "--order"), ("fail_reason", "--fail"), ("order_total", "--order-total")],
)
def test_each_field_has_its_option(field: str, option: str) -> None:
    assert flag(field) == option


def test_an_amount_longer_than_its_schema_allows_is_refused_as_before() -> None:
    long = "0" * 40 + "1.00"

    for model, field in ((ApprovalIn, "amount"), (RefundRequestIn, "amount")):
        given = {field: long} if model is ApprovalIn else {**REQUEST, field: long}
        with pytest.raises(ValidationError, match="String should have at most 40 characters"):
            model.model_validate(given)


def test_the_api_refuses_a_length_outside_the_schema_first_and_the_cli_parses_first() -> None:
    with pytest.raises(ValidationError, match="String should have at least 1 character"):
        ApprovalIn.model_validate({"note": ""})
    with pytest.raises(InvalidInput, match="note must not be empty") as raised:
        fill(ApprovalIn, note="")
    assert raised.value.worded(flag) == "--note must not be empty"
