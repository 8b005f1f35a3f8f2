"""The shipped policy holds the defaults of docs/product.md §2.3; overrides merge; bad files are
refused."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.domain.errors import PolicyError
from ledger.domain.policy import Policy
from ledger.domain.vocabulary import REASONS, ROLES
from ledger.policy_file import load_policy

GOODS_REASONS = {
    "damaged",
    "defective",
    "wrong_item",
    "wrong_quantity",
    "not_as_described",
    "change_of_mind",
}


@pytest.fixture(scope="module")
def default() -> Policy:
    return load_policy()


def override(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_goods_come_back_for_exactly_the_spec_reasons(default: Policy) -> None:
    assert set(default.verification.goods_return_reasons) == GOODS_REASONS
    assert {r for r in REASONS if default.goods_come_back(r)} == GOODS_REASONS


def test_return_window_is_30_days_and_14_for_change_of_mind(default: Policy) -> None:
    windows = {reason: default.return_window_days(reason) for reason in REASONS}

    assert windows.pop("change_of_mind") == 14
    assert set(windows.values()) == {30}


def test_auto_approval_up_to_50_except_goodwill_and_writeoffs(default: Policy) -> None:
    assert default.auto_approval.max_amount == Decimal("50.00")
    assert set(default.auto_approval.excluded_reasons) == {"goodwill", "short_payment_writeoff"}


def test_manager_may_approve_1000_and_finance_10000(default: Policy) -> None:
    assert default.approval.limits == {
        "manager": Decimal("1000.00"),
        "finance": Decimal("10000.00"),
        "disputes": Decimal("1000.00"),
    }
    assert default.approval.tiers == ("manager", "finance")


@pytest.mark.parametrize("role", ["customer", "agent", "verifier", "auditor", "system"])
def test_other_roles_cannot_approve_any_amount(default: Policy, role: str) -> None:
    assert not default.may_approve_amount(role, Decimal("0.01"))
    assert role not in default.roles_for("approve")


def test_the_disputes_limit_is_what_an_overturn_approves_alone_not_a_right_to_approve(
    default: Policy,
) -> None:
    assert default.limit_of("disputes") == Decimal("1000.00")
    assert "disputes" not in default.roles_for("approve")
    assert "disputes" not in default.approval.tiers


def test_every_separation_rule_is_enforced_by_default(default: Policy) -> None:
    assert default.separation.model_dump() == {
        "requester_verifies": True,
        "participant_resolves": True,
        "resolver_approves_alone": True,
        "participant_decides_overturn": True,
        "approver_pays_out": True,
    }


def test_a_separation_rule_is_switched_off_by_an_override(tmp_path: Path) -> None:
    relaxed = load_policy(override(tmp_path, "[separation]\napprover_pays_out = false\n"))

    assert not relaxed.separation.approver_pays_out
    assert relaxed.separation.requester_verifies


def test_a_separation_setting_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    path = override(tmp_path, '[separation]\nrequester_verifies = "sometimes"\n')

    with pytest.raises(PolicyError, match="separation.requester_verifies"):
        load_policy(path)


def test_above_5000_two_approvals_are_needed(default: Policy) -> None:
    assert default.approval.dual_control_above == Decimal("5000.00")
    assert default.approvals_required(Decimal("5000.00")) == 1
    assert default.approvals_required(Decimal("5000.01")) == 2


def test_above_10000_only_finance_approvals_count(default: Policy) -> None:
    assert default.approval.two_approvers_above == Decimal("10000.00")
    assert default.approval.two_approvers_role == "finance"
    assert default.may_approve_amount("finance", Decimal("10000.01"))
    assert not default.may_approve_amount("manager", Decimal("10000.01"))
    assert default.approvals_required(Decimal("10000.01")) == 2


def test_restocking_fee_is_15_percent_for_change_of_mind_only(default: Policy) -> None:
    assert default.restocking_fee_percent == {"change_of_mind": Decimal("15")}
    assert default.restocking_fee("change_of_mind", Decimal("99.99"), "EUR") == Decimal("15.00")
    assert default.restocking_fee("damaged", Decimal("99.99"), "EUR") == Decimal("0.00")


def test_standard_goodwill_is_10_percent_of_the_order_total(default: Policy) -> None:
    assert default.goodwill.standard_percent == Decimal("10")
    assert default.standard_goodwill(Decimal("123.45"), "EUR") == Decimal("12.35")
    assert default.standard_goodwill(Decimal("1005"), "JPY") == Decimal("101")


def test_sla_is_48_hours(default: Policy) -> None:
    assert default.sla.pending_approval_hours == 48


def test_fraud_rules_match_the_spec(default: Policy) -> None:
    rules = default.fraud
    assert (rules.max_refunds_per_customer, rules.refunds_window_days) == (3, 30)
    assert (rules.max_refund_to_order_ratio, rules.ratio_window_days) == (Decimal("0.80"), 90)
    assert rules.max_customers_per_address == 2


def test_payouts_are_finance_and_disputes_are_resolved_by_disputes(default: Policy) -> None:
    assert default.roles_for("payout") == ("finance",)
    assert default.roles_for("dispute_resolve") == ("disputes",)
    assert set(default.roles_for("approve")) == {"manager", "finance"}
    assert set(default.roles_for("reject")) == {"manager", "finance"}


def test_auditor_may_do_nothing(default: Policy) -> None:
    assert [action for action, roles in default.permissions.items() if "auditor" in roles] == []


def test_permissions_name_only_known_roles(default: Policy) -> None:
    used = {role for roles in default.permissions.values() for role in roles}
    assert used <= set(ROLES)


def test_version_is_a_stable_content_hash(default: Policy) -> None:
    assert len(default.version) == 16
    int(default.version, 16)
    assert load_policy().version == default.version


def test_version_changes_when_a_value_changes(default: Policy, tmp_path: Path) -> None:
    changed = load_policy(override(tmp_path, "[sla]\npending_approval_hours = 72\n"))

    assert changed.version != default.version


def test_override_with_the_default_values_keeps_the_version(
    default: Policy, tmp_path: Path
) -> None:
    same = load_policy(override(tmp_path, "[sla]\npending_approval_hours = 48\n"))

    assert same.version == default.version


def test_override_merges_table_by_table(default: Policy, tmp_path: Path) -> None:
    merged = load_policy(
        override(
            tmp_path, '[approval.limits]\nmanager = "2000.00"\n[sla]\npending_approval_hours = 24\n'
        )
    )

    assert merged.approval.limits == {
        "manager": Decimal("2000.00"),
        "finance": Decimal("10000.00"),
        "disputes": Decimal("1000.00"),
    }
    assert merged.sla.pending_approval_hours == 24
    assert merged.approval.dual_control_above == default.approval.dual_control_above
    assert merged.fraud == default.fraud
    assert merged.permissions == default.permissions


def assert_refused(path: Path, fragment: str) -> None:
    with pytest.raises(PolicyError, match=fragment) as raised:
        load_policy(path)
    assert "\n" not in str(raised.value)


def test_policy_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    assert_refused(override(tmp_path, "[sla\nhours = \n"), "is not valid TOML: Expected ']'")


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    assert_refused(
        override(tmp_path, "[sla]\npending_hours = 12\n"), "sla.pending_hours: Extra inputs"
    )


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    assert_refused(override(tmp_path, "[bonus]\nrate = 1\n"), "bonus: Extra inputs")


def test_unknown_reason_is_refused(tmp_path: Path) -> None:
    assert_refused(
        override(tmp_path, '[restocking_fee_percent]\nbored = "5"\n'),
        "restocking_fee_percent.bored.*Input should be 'damaged'",
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[sla]\npending_approval_hours = -1\n", "sla.pending_approval_hours"),
        ('[auto_approval]\nmax_amount = "-50.00"\n', "auto_approval.max_amount"),
        ('[approval.limits]\nmanager = "-1.00"\n', "approval.limits.manager"),
        (
            '[restocking_fee_percent]\nchange_of_mind = "-15"\n',
            "restocking_fee_percent.change_of_mind",
        ),
        (
            "[verification.return_window_days]\ndamaged = -3\n",
            "verification.return_window_days.damaged",
        ),
        ("[fraud]\nrefunds_window_days = -30\n", "fraud.refunds_window_days"),
    ],
)
def test_negative_numbers_are_refused(tmp_path: Path, text: str, where: str) -> None:
    assert_refused(override(tmp_path, text), f"{re.escape(where)}: Input should be greater than")


def test_restocking_fee_above_100_percent_is_refused(tmp_path: Path) -> None:
    assert_refused(
        override(tmp_path, '[restocking_fee_percent]\nchange_of_mind = "150"\n'),
        "less than or equal to 100",
    )


def test_missing_policy_file_is_refused(tmp_path: Path) -> None:
    assert_refused(tmp_path / "nowhere.toml", "cannot read policy file .*nowhere.toml")
