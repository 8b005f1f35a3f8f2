"""Separation of duties on a refund: who may not act because of what they did on it before.

People are compared by NAME (`Actor.person`): `agent:bob` and `verifier:bob` are one person.
Each refusal names its rule; the `policy.separation` rules may be switched off, the others
(`REQUESTER_DECIDES`, `SECOND_APPROVAL`, `DECIDER_RESOLVES`) hold whatever the policy says.
"""

from __future__ import annotations

from ledger.domain.actor import Actor
from ledger.domain.errors import SeparationOfDuties
from ledger.domain.policy import Policy
from ledger.domain.refund_state import RefundState

REQUESTER_DECIDES = "separation.requester_decides"
SECOND_APPROVAL = "separation.second_approval"
DECIDER_RESOLVES = "separation.decider_resolves"
REQUESTER_VERIFIES = "separation.requester_verifies"
PARTICIPANT_RESOLVES = "separation.participant_resolves"
PARTICIPANT_DECIDES_OVERTURN = "separation.participant_decides_overturn"
APPROVER_PAYS_OUT = "separation.approver_pays_out"


class SeparationChecks(RefundState):
    def _require_not_requester(
        self, actor: Actor, action: str, rule: str = REQUESTER_DECIDES
    ) -> None:
        if actor.person == self.requester.person:
            raise SeparationOfDuties(
                f"{actor} requested this refund (as {self.requester}); "
                f"somebody else must {action} it",
                rule,
            )

    def _require_second_person(self, actor: Actor) -> None:
        for earlier in self.approvals:
            if Actor.parse(earlier.actor).person == actor.person:
                raise SeparationOfDuties(
                    f"{actor} already gave the first approval ({earlier.actor}); "
                    "the second must come from a different person",
                    SECOND_APPROVAL,
                )

    def _require_impartial_resolver(self, actor: Actor, policy: Policy) -> None:
        """Nobody who decided, requested or disputed the refund resolves its dispute."""
        if actor.person in self.deciders:
            raise SeparationOfDuties(
                f"{actor} took part in the decision under dispute; somebody else must resolve it",
                DECIDER_RESOLVES,
            )
        if policy.separation.participant_resolves:
            self._require_not_requester(actor, "resolve the dispute on", PARTICIPANT_RESOLVES)
            if actor.person in self.openers:
                raise SeparationOfDuties(
                    f"{actor} opened a dispute on this refund; somebody else must resolve it",
                    PARTICIPANT_RESOLVES,
                )

    def _require_outsider_to_overturn(self, actor: Actor, action: str, policy: Policy) -> None:
        """An overturn waiting for approval is decided by somebody new to the refund."""
        if (
            self.overturn_amount is not None
            and policy.separation.participant_decides_overturn
            and actor.person in self._participants()
        ):
            raise SeparationOfDuties(
                f"{actor} took part in this refund before (requested, approved, rejected, "
                f"disputed or overturned it); somebody else must {action} the overturn",
                PARTICIPANT_DECIDES_OVERTURN,
            )

    def _require_not_approver(self, actor: Actor, action: str, policy: Policy) -> None:
        """Whoever approved the refund (or overturned a decision on it) pays none of it out."""
        if policy.separation.approver_pays_out and actor.person in self.approved_by:
            raise SeparationOfDuties(
                f"{actor} approved this refund or overturned a decision on it; "
                f"somebody else must {action} its payout",
                APPROVER_PAYS_OUT,
            )

    def _participants(self) -> set[str]:
        """The requester, everyone who approved, rejected or resolved, and every opener."""
        return {self.requester.person, *self.deciders, *self.openers}
