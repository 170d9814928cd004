"""Reward-code backends, chosen by ``PARRAIN_FULFILMENT = {"BACKEND": "dotted.path"}``."""

from __future__ import annotations

from django.utils.module_loading import import_string

from ..conf import parrain_settings
from .base import FulfilmentBackend


def get_backend() -> FulfilmentBackend:
    setting = parrain_settings.FULFILMENT
    backend_class = import_string(setting.BACKEND)
    return backend_class(**setting.OPTIONS)


__all__ = ["FulfilmentBackend", "get_backend"]
