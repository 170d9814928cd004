"""Outbound events: built from the core's signals, signed per Standard Webhooks, retried."""
