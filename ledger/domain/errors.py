"""Domain errors. Each message tells a person what was wrong and what they can do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose.

    An error about an input names its field (`field`, e.g. "amount"). A message that speaks
    of fields holds each of them (`names`) as `{amount}` in `template`, so that every
    interface words them for its users (`worded`: the CLI says `--amount`); `message` calls
    them by their field names."""

    code = "ledger-error"

    def __init__(self, message: str, field: str | None = None, names: tuple[str, ...] = ()) -> None:
        self.template = message
        self.field = field
        self.names = names
        self.message = self.worded(lambda name: name)
        super().__init__(self.message)

    @classmethod
    def about(cls, field: str, template: str) -> Self:
        """An error about `field` whose message (`template`) speaks of it as `{field}`."""
        return cls(template.replace("{field}", "{" + field + "}"), field, (field,))

    def worded(self, name_of: Callable[[str], str]) -> str:
        """The message with each field it speaks of called as `name_of` calls it."""
        text = self.template
        for name in self.names:
            text = text.replace("{" + name + "}", name_of(name))
        return text


# --- Malformed input (the CLI answers with exit code 2) ---


class InvalidInput(LedgerError):
    """Input that cannot be understood at all."""

    code = "invalid-input"


class InvalidAmount(InvalidInput):
    code = "invalid-amount"

    def __init__(self, text: str, why: str) -> None:
        super().__init__(f"invalid amount {text!r}: {why}")


class InvalidCurrency(InvalidInput):
    code = "invalid-currency"

    def __init__(self, text: str) -> None:
        super().__init__(f"unknown currency {text!r}: use an ISO 4217 code such as EUR or USD")


class InvalidActor(InvalidInput):
    code = "invalid-actor"

    def __init__(self, text: str, why: str) -> None:
        super().__init__(f"invalid actor {text!r}: {why}")


class InvalidRefundId(InvalidInput):
    code = "invalid-refund-id"

    def __init__(self, text: str) -> None:
        super().__init__(f"invalid refund id {text!r}: expected a UUID as printed by `request`")


# --- Not found (exit code 1) ---


class RefundNotFound(LedgerError):
    code = "refund-not-found"

    def __init__(self, refund_id: object) -> None:
        super().__init__(f"refund {refund_id} not found")


class OrderNotFound(LedgerError):
    """No order of that id on record (or, to a customer, none of theirs: the same answer)."""

    code = "order-not-found"

    def __init__(self, order_id: str, hint: str = "") -> None:
        super().__init__(f"order {order_id} is not on record" + (f"; {hint}" if hint else ""))
        self.order_id = order_id


# --- Refused by a domain rule (exit code 1, nothing stored) ---


class RefundError(LedgerError):
    """A command on a refund that the rules refuse."""

    code = "refund-refused"


class IllegalTransition(RefundError):
    code = "illegal-transition"

    def __init__(self, action: str, status: str, allowed: tuple[str, ...]) -> None:
        where = " or ".join(allowed)
        super().__init__(f"cannot {action} a refund that is {status}; it must be {where}")


class RoleNotAllowed(RefundError):
    code = "role-not-allowed"

    def __init__(self, actor: str, action: str, roles: tuple[str, ...]) -> None:
        super().__init__(f"{actor} may not {action}; this needs one of: {', '.join(roles)}")


class AuthorityExceeded(RefundError):
    code = "authority-exceeded"


class SeparationOfDuties(RefundError):
    """One person doing two duties that the rule `rule` (`separation.*`) keeps apart."""

    code = "separation-of-duties"

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(f"{message} (rule {rule})")
        self.rule = rule


class AmountExceedsRefundable(RefundError):
    code = "amount-exceeds-refundable"


class OrderMismatch(RefundError):
    code = "order-mismatch"


class InvalidDecision(RefundError):
    """A decision whose content the rules refuse (an amount above the request, ...)."""

    code = "invalid-decision"


class IdempotencyConflict(RefundError):
    code = "idempotency-conflict"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different request; "
            "use a new key for a new request"
        )


class ConcurrencyConflict(RefundError):
    code = "concurrency-conflict"

    def __init__(self, refund_id: object) -> None:
        super().__init__(f"refund {refund_id} kept changing while this command ran; try it again")


class PolicyError(LedgerError):
    """The policy file is missing, unreadable or invalid."""

    code = "invalid-policy"
