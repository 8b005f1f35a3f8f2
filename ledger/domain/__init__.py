"""The refund domain: pure model, no infrastructure."""
