"""Two relays on one database and one topic (real broker, both back ends): the position moves
by compare and set, so a relay that lost the race neither moves it back nor skips a page."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence

from ledger.app.requests import RefundRequestIn, RequestForm
from ledger.app.service import RefundLedger
from ledger.delivery.producer import Message, Publisher
from ledger.delivery.relay import Relay

from .support import AGENT


class RacedPublisher(Publisher):
    """A real publisher that lets another relay publish and move the position first."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(bootstrap, topic)
        self.rival: Relay | None = None

    def publish(self, messages: Sequence[Message]) -> None:
        rival, self.rival = self.rival, None
        if rival is not None:
            assert rival.step()
        super().publish(messages)


def test_a_relay_that_lost_the_race_reads_on_from_the_winners_position(
    app: RefundLedger, kafka_bootstrap: str
) -> None:
    for n in range(3):
        form = RequestForm(
            order_id=f"O-{n}",
            customer_id=f"C-{n}",
            amount="20.00",
            currency="EUR",
            order_total="100.00",
            reason="billing_error",
        )
        app.request(AGENT, RefundRequestIn.parse(form))
    head = app.recorder.max_notification_id()
    topic = f"race-{uuid.uuid4().hex[:10]}"
    winner = Relay(app, Publisher(kafka_bootstrap, topic), batch=4)
    raced = RacedPublisher(kafka_bootstrap, topic)
    loser = Relay(app, raced, batch=4)
    try:
        raced.rival = winner
        assert loser.step()  # read at 0; the winner moved to its page's end meanwhile
        assert loser.position == winner.position > 0  # not moved back, not moved twice
        assert loser.counts.published == winner.counts.published  # the same page, twice
        loser.catch_up(threading.Event())
        assert loser.position == head
    finally:
        winner.close()
        loser.close()
