"""Values a process remembers for a few seconds: the public endpoints' hot paths.

The share link, the widget configuration and the public-key lookup answer thousands of
requests a second with the same few rows; a short per-process memory spares the database
(or cache) round trip. Other processes see a change once ``seconds`` have passed; the
process that made it forgets at once (``core/receivers.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Memo(Generic[T]):
    def __init__(self, seconds: float, max_entries: int = 1000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._items: dict[Hashable, tuple[float, T]] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The remembered value of ``key``, or ``compute()`` remembered from now on."""
        now = time.monotonic()
        item = self._items.get(key)
        if item is not None and item[0] > now:
            return item[1]
        value = compute()
        self._items.pop(key, None)  # re-inserted last: entries stay in order of age
        if len(self._items) >= self.max_entries:
            # Bounded memory: the oldest entry goes, not all of them (with more keys than
            # room, clearing everything made every lookup a miss).
            self._items.pop(next(iter(self._items)))
        self._items[key] = (now + self.seconds, value)
        return value

    def forget(self, key: Hashable | None = None) -> None:
        """Forget ``key``, or everything."""
        if key is None:
            self._items.clear()
        else:
            self._items.pop(key, None)


# A batch's own memory: values that stay the same for the few seconds a batch of work
# takes (the offer in force now, a program's rule), computed once for the batch instead of
# once per row. Nothing is remembered outside a ``batch_scope`` block.
_SCOPE: ContextVar[dict[Hashable, Any] | None] = ContextVar("parrain_batch_scope", default=None)


@contextmanager
def batch_scope() -> Iterator[None]:
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def scoped(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, remembered under ``key`` until the current ``batch_scope`` ends."""
    scope = _SCOPE.get()
    if scope is None:
        return compute()
    if key not in scope:
        scope[key] = compute()
    return scope[key]
