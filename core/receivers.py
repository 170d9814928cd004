"""Receivers of the core's own signals, connected in ParrainConfig.ready()."""

from __future__ import annotations


def connect() -> None:
    """Nothing in the core listens to itself yet; adapters connect their own receivers."""
