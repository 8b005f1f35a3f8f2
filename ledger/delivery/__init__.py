"""Delivery to downstream systems: the CloudEvents body of each refund event and its schema."""
