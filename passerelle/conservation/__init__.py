"""Retention: how long payloads, idempotency records and batch results are kept, and the purge
that destroys them (crypto-shredding of payloads), every destruction journaled."""
