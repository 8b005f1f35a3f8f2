"""Money is exact: decimals quantized to the currency's minor unit, never float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from ledger.domain.errors import InvalidAmount, InvalidCurrency
from ledger.domain.money import Money, parse_amount, parse_currency, round_to_currency


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.5", "EUR", "12.50"),
        ("12", "EUR", "12.00"),
        (" 7.10 ", "EUR", "7.10"),
        ("1500", "JPY", "1500"),
        ("1.5", "KWD", "1.500"),
        ("0.001", "KWD", "0.001"),
        ("1.500", "EUR", "1.50"),
    ],
)
def test_amount_is_quantized_to_the_currency_minor_unit(
    text: str, currency: str, expected: str
) -> None:
    amount = parse_amount(text, currency)

    assert isinstance(amount, Decimal)
    assert str(amount) == expected


def test_amount_accepts_a_decimal() -> None:
    assert str(parse_amount(Decimal("3.3"), "EUR")) == "3.30"


def test_negative_amount_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="'-5.00': it must be greater than zero"):
        parse_amount("-5.00", "EUR")


def test_zero_amount_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="'0': it must be greater than zero"):
        parse_amount("0", "EUR")


@pytest.mark.parametrize("text", ["abc", "", "12,50", "1.2.3"])
def test_non_numeric_amount_is_refused(text: str) -> None:
    with pytest.raises(InvalidAmount, match="it is not a decimal number"):
        parse_amount(text, "EUR")


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_amount_that_is_not_finite_is_refused(text: str) -> None:
    with pytest.raises(InvalidAmount, match=f"'{text}': it is not a finite number"):
        parse_amount(text, "EUR")


def test_more_cents_than_euro_has_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="'1.001': EUR has 2 decimal places"):
        parse_amount("1.001", "EUR")


def test_fraction_of_a_yen_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="'1.5': JPY has 0 decimal places"):
        parse_amount("1.5", "JPY")


def test_huge_amount_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="'1e15': it must be below 1,000,000,000,000"):
        parse_amount("1e15", "EUR")


def test_lower_case_currency_code_is_accepted() -> None:
    assert parse_currency("eur") == "EUR"
    assert parse_currency(" jpy ") == "JPY"


@pytest.mark.parametrize("text", ["XYZ", "", "eu"])
def test_unknown_currency_is_refused(text: str) -> None:
    with pytest.raises(InvalidCurrency, match=f"unknown currency '{text}': use an ISO 4217 code"):
        parse_currency(text)


def test_computed_amounts_round_half_up_to_the_minor_unit() -> None:
    assert round_to_currency(Decimal("0.125"), "EUR") == Decimal("0.13")
    assert round_to_currency(Decimal("0.5"), "JPY") == Decimal("1")
    assert round_to_currency(Decimal("0.0005"), "KWD") == Decimal("0.001")


def test_money_parse_quantizes_and_normalizes_currency() -> None:
    money = Money.parse("12.5", "eur")

    assert money == Money(amount=Decimal("12.50"), currency="EUR")
    assert str(money) == "12.50 EUR"


def test_money_refuses_an_unknown_currency() -> None:
    with pytest.raises(InvalidCurrency, match="unknown currency 'xyz'"):
        Money(amount=Decimal("1.00"), currency="xyz")


def test_money_parse_refuses_an_over_precise_amount() -> None:
    with pytest.raises(InvalidAmount, match="JPY has 0 decimal places"):
        Money.parse("10.5", "JPY")


def test_money_is_immutable() -> None:
    money = Money.parse("1.00", "EUR")

    with pytest.raises(ValidationError, match="frozen"):
        money.amount = Decimal("2.00")  # type: ignore[misc]
    assert money.amount == Decimal("1.00")


@pytest.mark.parametrize("text", ["\u0663", "\uff11\uff10", "1\u06f5.00"])
def test_amount_in_non_ascii_digits_is_refused(text: str) -> None:
    with pytest.raises(InvalidAmount, match="use the digits 0-9"):
        parse_amount(text, "EUR")
