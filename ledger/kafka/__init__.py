"""The Kafka side: the relay, its producer, the CloudEvents it publishes and their schemas,
the clients' security settings and the topics they create."""
