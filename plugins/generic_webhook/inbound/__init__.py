"""Inbound presets: one module per platform, each with ``verify`` and ``handle``."""
