"""Defaults of the relay, in a module that imports no Kafka client (the CLI reads them)."""

DEFAULT_PARTITIONS = 3
DEFAULT_TIMEOUT_SECONDS = 5.0  # per request; a failure shows within about twice that
BATCH = 1000  # events read, published and acknowledged per step of the relay
