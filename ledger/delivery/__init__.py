"""Delivery to downstream systems: the Kafka relay, its CloudEvents and their schemas."""
