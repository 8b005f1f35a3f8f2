"""The relay: every stored refund event, in order, to a Kafka topic (docs/product.md §6), at
least once.

It reads the notification log a page at a time after its tracked position, publishes the
page's refund events (key = refund id, CloudEvents binary mode), waits until the broker has
acknowledged all of them, and only then moves its position past the page. Catching up, it
reads and sends the next page while the broker acknowledges the one before (one page ahead,
on the same idempotent producer, so a refund's events still go out in order). A crash
between an acknowledgement and the move publishes that page again, and the page sent ahead
of it (at most two pages): consumers deduplicate by `ce_source` and `ce_id`. The position
lives in the views' tracking table, as `relay.<topic>`, and moves by compare and set, so two
relays on one database never skip a page (one's move fails; it reads on from where the other
got).

Only refund events are published (`PUBLISHED_EVENTS`). The order, customer and address
histories are the ledger's own bookkeeping: the position passes them without publishing
(or decoding: their stored topic says what they are).
A row that cannot be decoded is logged and passed over; `ledger audit verify` reports it.

Any Kafka error (broker down, timeouts, a producer id the broker forgot) closes the producer;
after a backoff (exponential with jitter, capped) a new one re-sends the page from the
tracked position. Following, the relay never gives up; catching up once, it may be given a
time after which it raises `BrokerUnavailable`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.utils import resolve_topic
from kafka.errors import KafkaError

from ledger.kafka.backoff import Backoff, BrokerUnavailable
from ledger.kafka.cloudevents import DEFAULT_SOURCE, PUBLISHED_EVENTS, cloudevent
from ledger.kafka.defaults import BATCH
from ledger.kafka.producer import Message, Publisher, Sent
from ledger.store.lag import ViewState, tracked_state
from ledger.store.tracking import StalePosition, ViewStore, open_store
from ledger.store.wakeup import wakeup

logger = logging.getLogger(__name__)


def tracking_name(topic: str) -> str:
    return f"relay.{topic}"


def relay_state(app: Application[Any], topic: str, store: ViewStore | None = None) -> ViewState:
    """The position of the relay to `topic`, the newest notification id, and the lag."""
    return tracked_state(app, store or open_store(app), tracking_name(topic))


@dataclass
class Counts:
    published: int = 0
    skipped: int = 0
    retries: int = 0


class Relay:
    """Publish one application's refund events to `publisher.topic`."""

    def __init__(
        self,
        app: Application[Any],
        publisher: Publisher,
        source: str = DEFAULT_SOURCE,
        batch: int = BATCH,
        backoff: Backoff | None = None,
    ) -> None:
        self.app = app
        self.publisher = publisher
        self.source = source
        self.batch = batch
        self.backoff = backoff or Backoff()
        self.counts = Counts()
        self.name = tracking_name(publisher.topic)
        self.store = open_store(app)
        self.store.ensure(self.name, ())
        self._topics: dict[str, bool] = {}

    @property
    def position(self) -> int:
        return self.store.position(self.name)

    def state(self) -> ViewState:
        return relay_state(self.app, self.publisher.topic, self.store)

    def step(self) -> bool:
        """Publish the page after the position and move past it; False when there was none."""
        position = self.position
        page = self._read(position)
        if not page:
            return False
        messages = self._messages(page)
        self.publisher.publish(messages)
        self._advance(position, page, len(messages))
        return True

    def _pages(self, stop: threading.Event) -> Iterator[None]:
        """Publish page after page up to the head (or until `stop`), yielding each time the
        position moved. Each page is read and sent while the broker acknowledges the one
        before it; the position moves past a page only once all its messages are
        acknowledged, and by compare and set, as in `step`."""
        position = self.position
        current = self._send_page(position)
        while current is not None:
            page, sent, published = current
            following = None if stop.is_set() else self._send_page(page[-1].id)
            sent.wait()
            if self._advance(position, page, published):
                position = page[-1].id
                yield
            else:  # what we sent ahead was read from a position we do not hold
                if following is not None:
                    following[1].wait()
                position = self.position
                following = None if stop.is_set() else self._send_page(position)
            current = following

    def _send_page(self, position: int) -> tuple[list[Any], Sent, int] | None:
        """The page after `position`, sent (not yet acknowledged); None at the head."""
        page = self._read(position)
        if not page:
            return None
        messages = self._messages(page)
        return page, self.publisher.send(messages), len(messages)

    def _read(self, position: int) -> list[Any]:
        return list(
            self.app.recorder.select_notifications(
                start=position, limit=self.batch, inclusive_of_start=False
            )
        )

    def _messages(self, page: list[Any]) -> list[Message]:
        return [m for m in map(self._message, page) if m is not None]

    def _advance(self, position: int, page: list[Any], published: int) -> bool:
        """Move the position from `position` past `page`; False if another relay moved it."""
        self.counts.published += published
        self.counts.skipped += len(page) - published
        try:
            with self.store.advancing(self.name, position, page[-1].id):
                pass
        except StalePosition:  # another relay published this page too: at-least-once
            logger.info("position %s moved by another relay; reading on from it", position)
            return False
        return True

    def _message(self, notification: Any) -> Message | None:
        if not self._published_topic(notification.topic):
            return None  # an order's, customer's or address's event: not decoded at all
        try:
            event = self.app.mapper.to_domain_event(notification)
        except Exception:  # `audit verify` reports the row; the relay cannot publish it
            logger.warning("notification %s cannot be decoded; skipped", notification.id)
            return None
        if not isinstance(event, PUBLISHED_EVENTS):
            return None
        headers, body = cloudevent(event, self.source)
        return Message(str(event.originator_id).encode(), headers, body)

    def _published_topic(self, topic: str) -> bool:
        """Whether the stored event's class is a published one (a topic that does not
        resolve counts as published: decoding it logs why it is skipped)."""
        published = self._topics.get(topic)
        if published is None:
            try:
                published = issubclass(resolve_topic(topic), PUBLISHED_EVENTS)
            except Exception:
                published = True
            self._topics[topic] = published
        return published

    def catch_up(self, stop: threading.Event, give_up_after: float | None = None) -> None:
        """Publish every stored event up to the head (or until `stop`), retrying on Kafka
        errors; with `give_up_after`, raise BrokerUnavailable once it failed that long."""
        healthy_at = time.monotonic()
        while not stop.is_set():
            try:
                for _ in self._pages(stop):
                    self.backoff.reset()
                    healthy_at = time.monotonic()
                return
            except KafkaError as error:
                self._recover(error, stop, healthy_at, give_up_after)

    def _recover(
        self, error: KafkaError, stop: threading.Event, since: float, limit: float | None
    ) -> None:
        self.publisher.close()
        delay = self.backoff.next()
        failing = time.monotonic() - since
        if limit is not None and failing + delay > limit:
            raise BrokerUnavailable(
                f"Kafka at {self.publisher.bootstrap} failed for {failing:.0f} s ({error}); "
                f"nothing published past position {self.position}"
            ) from error
        self.counts.retries += 1
        logger.warning(
            "Kafka at %s failed (%s); retrying with a new producer in %.1f s from position %s",
            self.publisher.bootstrap,
            error,
            delay,
            self.position,
        )
        stop.wait(delay)

    def follow(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Catch up, then publish new events as they are stored, until `stop` is set.

        PostgreSQL wakes the relay when events commit (NOTIFY); SQLite is polled.
        """
        with wakeup(self.app.recorder) as news:
            while not stop.is_set():
                started = time.monotonic()
                self.catch_up(stop)
                news.wait(stop, max(poll_seconds - (time.monotonic() - started), 0))

    def close(self) -> None:
        self.publisher.close()
