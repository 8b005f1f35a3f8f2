"""RefundLedger: the use cases. Each command loads, decides in the domain, saves atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
)
from eventsourcing.utils import get_topic

from ledger.app.commands import RefundRequestIn
from ledger.app.intake import Intake
from ledger.app.keys import Keyed, KeyUse, key_use
from ledger.app.order_commands import OrderCommands
from ledger.app.retry import attempts
from ledger.domain import verification
from ledger.domain.actor import Actor
from ledger.domain.command_key import CommandKey
from ledger.domain.errors import (
    ConcurrencyConflict,
    IdempotencyConflict,
    RefundNotFound,
)
from ledger.domain.ids import LEDGER_NAMESPACE
from ledger.domain.money import parse_amount
from ledger.domain.order import OrderBalance
from ledger.domain.payloads import NoteVisibility
from ledger.domain.policy import Policy
from ledger.domain.refund import Refund
from ledger.domain.refund_events import Requested
from ledger.store.library import LoadsMany, OrderOfRefund, project
from ledger.store.schema import CreatesSchemaSafely
from ledger.store.transcodings import register_payloads

Clock = Callable[[], datetime]
Command = Callable[[Refund, OrderBalance, datetime], None]
Reasoned = Callable[[Refund, Actor, str, Policy, datetime], None]  # a refund method: reject, ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class RefundLedger(OrderCommands, CreatesSchemaSafely, LoadsMany):
    """The refund ledger application, on whichever event store the environment names."""

    name = "RefundLedger"

    def __init__(self, policy: Policy, env: dict[str, str], clock: Clock = utc_now) -> None:
        self.policy = policy
        self.clock = clock
        self._orders = OrderOfRefund()
        super().__init__(env=env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_payloads(transcoder)

    # --- commands ---

    def request(self, actor: Actor, form: RefundRequestIn, key: Keyed | None = None) -> Refund:
        """Record a refund request; verify it now when no goods come back.

        With an idempotency key the refund's id comes from the key, and a retry gets the
        refund as the first request left it (`key.replayed` says so)."""
        # every command refuses system:policy too (the interfaces do already): defence in depth
        actor.require_acting()
        name = None if key is None else key.key
        refund_id = uuid5(LEDGER_NAMESPACE, f"/idempotency/{name}") if name else uuid4()
        fingerprint = form.fingerprint(str(actor))
        use = None if key is None else KeyUse(key, actor, "request", fingerprint)
        for attempt in attempts():
            mine = [refund_id, use.id] if use else []
            loaded = self._load(*mine, *Intake.lookups(form))
            more = Intake.more_lookups(form, loaded.get)
            if more:
                loaded.update(self._load(*more))
            if use is not None:
                existing, recorded = loaded.get(refund_id), loaded.get(use.id)
                if isinstance(existing, Refund):
                    return self._requested_before(existing, recorded, use)
                if isinstance(recorded, CommandKey):  # the key of another command
                    recorded.check(use.fingerprint)
            at = self.clock()
            refund, others = Intake(self.policy, loaded.get).open(
                refund_id, actor, form, fingerprint, at, name
            )
            try:
                self.save(refund, *others, _recorded(use, refund, at))
                self._orders.remember(refund_id, OrderBalance.id_for(form.order_id))
                return refund
            except IntegrityError:
                attempt.failed()
        raise ConcurrencyConflict(refund_id)

    def _requested_before(self, existing: Refund, recorded: Any, use: KeyUse) -> Refund:
        """The first result of a request made before with this key (a request stored before
        keys were recorded: the refund as it is now)."""
        if existing.request.fingerprint != use.fingerprint:
            raise IdempotencyConflict(use.keyed.key)
        use.keyed.replayed = True
        if isinstance(recorded, CommandKey):
            return self.get(existing.id, version=recorded.version)
        return existing

    def verify(
        self,
        refund_id: UUID,
        actor: Actor,
        condition: str | None,
        failure: str | None,
        key: Keyed | None = None,
    ) -> Refund:
        actor.require_acting()

        def command(refund: Refund, order: OrderBalance, at: datetime) -> None:
            outcome = verification.assess(
                refund.request,
                refund.created_on.date(),
                order.refundable(excluding=str(refund.id)),
                self.policy,
                condition=condition,
                failure=failure,
            )
            refund.verify(actor, outcome, self.policy, at)

        use = key_use(key, actor, "verify", refund_id, condition, failure)
        return self._run(refund_id, command, use)

    def approve(
        self,
        refund_id: UUID,
        actor: Actor,
        amount: Decimal | None,
        note: str | None,
        key: Keyed | None = None,
    ) -> Refund:
        actor.require_acting()

        def command(refund: Refund, order: OrderBalance, at: datetime) -> None:
            value = None if amount is None else parse_amount(amount, refund.currency)
            refund.approve(actor, value, note, self.policy, at)

        return self._run(
            refund_id, command, key_use(key, actor, "approve", refund_id, amount, note)
        )

    def reject(
        self, refund_id: UUID, actor: Actor, reason: str, key: Keyed | None = None
    ) -> Refund:
        return self._reasoned("reject", Refund.reject, refund_id, actor, reason, key)

    def escalate(
        self, refund_id: UUID, actor: Actor, reason: str, key: Keyed | None = None
    ) -> Refund:
        return self._reasoned("escalate", Refund.escalate, refund_id, actor, reason, key)

    def cancel(
        self, refund_id: UUID, actor: Actor, reason: str, key: Keyed | None = None
    ) -> Refund:
        return self._reasoned("cancel", Refund.cancel, refund_id, actor, reason, key)

    def start_payout(
        self, refund_id: UUID, actor: Actor, method: str | None, key: Keyed | None = None
    ) -> Refund:
        actor.require_acting()
        use = key_use(key, actor, "start_payout", refund_id, method)
        return self._run(
            refund_id, lambda r, o, at: r.start_payout(actor, method, self.policy, at), use
        )

    def settle_payout(
        self, refund_id: UUID, actor: Actor, reference: str, key: Keyed | None = None
    ) -> Refund:
        actor.require_acting()
        use = key_use(key, actor, "settle_payout", refund_id, reference)
        return self._run(
            refund_id, lambda r, o, at: r.settle_payout(actor, reference, self.policy, at), use
        )

    def fail_payout(
        self,
        refund_id: UUID,
        actor: Actor,
        reason: str,
        reference: str | None,
        key: Keyed | None = None,
    ) -> Refund:
        actor.require_acting()
        use = key_use(key, actor, "fail_payout", refund_id, reason, reference)
        return self._run(
            refund_id,
            lambda r, o, at: r.fail_payout(actor, reason, reference, self.policy, at),
            use,
        )

    def open_dispute(
        self, refund_id: UUID, actor: Actor, reason: str, key: Keyed | None = None
    ) -> Refund:
        return self._reasoned("open_dispute", Refund.open_dispute, refund_id, actor, reason, key)

    def resolve_dispute(
        self,
        refund_id: UUID,
        actor: Actor,
        outcome: str,
        amount: Decimal | None,
        rationale: str,
        key: Keyed | None = None,
    ) -> Refund:
        actor.require_acting()

        def command(refund: Refund, order: OrderBalance, at: datetime) -> None:
            value = None if amount is None else parse_amount(amount, refund.currency)
            refund.resolve_dispute(actor, outcome, value, rationale, self.policy, at)

        use = key_use(key, actor, "resolve_dispute", refund_id, outcome, amount, rationale)
        return self._run(refund_id, command, use)

    def add_note(
        self,
        refund_id: UUID,
        actor: Actor,
        text: str,
        visibility: NoteVisibility | None = None,
        key: Keyed | None = None,
    ) -> Refund:
        actor.require_acting()
        use = key_use(key, actor, "add_note", refund_id, text, visibility)
        return self._run(
            refund_id, lambda r, o, at: r.add_note(actor, text, self.policy, at, visibility), use
        )

    def sweep_sla(
        self, now: datetime | None = None, candidates: Iterable[UUID] | None = None
    ) -> list[Refund]:
        """Escalate (or mark as breached) every request waiting longer than the SLA.

        `candidates` narrows the refunds looked at (say, those a read model lists as pending);
        without it every refund in the store is.
        """
        moment = now or self.clock()
        acted: list[Refund] = []
        for refund_id in self.refund_ids() if candidates is None else candidates:
            if self.get(refund_id).sla_action_due(self.policy, moment):
                refund = self._run(refund_id, lambda r, o, at: r.sweep_sla(self.policy, moment, at))
                acted.append(refund)
        return acted

    def _reasoned(
        self,
        name: str,
        decide: Reasoned,
        refund_id: UUID,
        actor: Actor,
        reason: str,
        key: Keyed | None,
    ) -> Refund:
        """A command that takes only a reason: `decide` is the refund's method for it, and
        `name` the command's name in its key's fingerprint."""
        actor.require_acting()
        use = key_use(key, actor, name, refund_id, reason)
        return self._run(refund_id, lambda r, o, at: decide(r, actor, reason, self.policy, at), use)

    def _run(self, refund_id: UUID, command: Command, use: KeyUse | None = None) -> Refund:
        """Load, decide, keep the order balance in step, save (with the command's key, when
        it has one); retry when another writer won. A key recorded before returns the first
        result, and the command does not run again."""
        for attempt in attempts():
            refund, order, recorded = self._refund_and_order(refund_id, use)
            if use is not None and isinstance(recorded, CommandKey):
                return self._run_before(recorded, use, refund_id)
            at = self.clock()
            command(refund, order, at)
            order.hold(str(refund.id), refund.reserved_amount(), at)
            try:
                self.save(refund, order, _recorded(use, refund, at))
                return refund
            except IntegrityError:
                attempt.failed()
        raise ConcurrencyConflict(refund_id)

    def _run_before(self, recorded: CommandKey, use: KeyUse, refund_id: UUID) -> Refund:
        """The refund as the command first run with this key left it (the fingerprint names
        the refund: a key recorded on another refund, or an order, is refused)."""
        recorded.check(use.fingerprint)
        use.keyed.replayed = True
        return self.get(refund_id, version=recorded.version)

    def _refund_and_order(
        self, refund_id: UUID, use: KeyUse | None = None
    ) -> tuple[Refund, OrderBalance, Any]:
        """The refund, its order's balance, and the command's key as recorded (None: not
        recorded, or no key): one query once the order is known here."""
        key_ids = [] if use is None else [use.id]
        order_id = self._orders.get(refund_id)
        if order_id is None:
            refund = self.get(refund_id)
            order_id = OrderBalance.id_for(refund.request.order_id)
            self._orders.remember(refund_id, order_id)
            loaded = self._load(order_id, *key_ids)
        else:
            loaded = self._load(refund_id, order_id, *key_ids)
            refund = loaded[refund_id]
            if not isinstance(refund, Refund):
                raise RefundNotFound(refund_id)
        order = loaded[order_id]
        if not isinstance(order, OrderBalance):
            raise AggregateNotFoundError(f"order balance {order_id} of refund {refund_id}")
        return refund, order, loaded.get(use.id) if use is not None else None

    # --- queries ---

    def get(self, refund_id: UUID, version: int | None = None) -> Refund:
        try:
            refund: Any = self.repository.get(refund_id, version=version, projector_func=project)
        except AggregateNotFoundError:
            raise RefundNotFound(refund_id) from None
        if not isinstance(refund, Refund):
            raise RefundNotFound(refund_id)
        return refund

    def as_of(self, refund_id: UUID, moment: datetime) -> Refund:
        """The refund exactly as it stood at `moment`: replayed up to its last event by then."""
        versions = [
            event.originator_version
            for event in self.history(refund_id)
            if event.timestamp <= moment
        ]
        if not versions:
            raise RefundNotFound(f"{refund_id} (it did not exist yet at {moment.isoformat()})")
        return self.get(refund_id, version=versions[-1])

    def history(self, refund_id: UUID) -> list[Any]:
        """The refund's events, oldest first (one read: a refund's history opens with its
        request; any other aggregate's, or none, is not a refund)."""
        found = list(self.events.get(refund_id))
        if not found or not isinstance(found[0], Requested):
            raise RefundNotFound(refund_id)
        return found

    def refund_ids(self) -> Iterator[UUID]:
        """Every refund id, oldest first, by scanning the notification log."""
        topic = get_topic(Requested)
        start = 0
        while True:
            page = self.recorder.select_notifications(
                start=start, limit=500, topics=[topic], inclusive_of_start=False
            )
            if not page:
                return
            for notification in page:
                yield UUID(str(notification.originator_id))
            start = page[-1].id


def _recorded(use: KeyUse | None, refund: Refund, at: datetime) -> CommandKey | None:
    """The key of the command that just ran on `refund`, to save with its events."""
    if use is None:
        return None
    key, command = use.keyed.key, use.command
    return CommandKey.record(
        use.actor, key, command, use.fingerprint, refund.id, refund.version, at, use.id
    )
