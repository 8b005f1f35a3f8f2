"""Downstream Kafka consumers."""
