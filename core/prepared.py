"""Fixed-shape reads compiled once per process: the order path's hot SELECTs (issue 16 §5).

Building a queryset and compiling it to SQL is most of the Python an ORM read costs (a
``select_related`` read of one referral: about 7,000 function calls, for one round trip).
A read whose shape never changes, only its values, is described once by a function that
builds the queryset from sample values; the first call compiles it, finds where each sample
sits among the SQL's parameters, and later calls run the same SQL with their own values.
Rows come back through Django's own iterable: the same model instances, ``select_related``
objects and converters as the queryset gives. Each read binds its values on the server and
is prepared once per connection, with a generic plan (``server_prepared``): the API key
and the inbound endpoint read on every request are no longer parsed and planned each time.

Only plain comparisons (``=``, ``<``, ``>=``…) of the samples may be used: a sample must
reach the parameters unchanged (not escaped as in ``contains``, not split as in ``__in``),
and each sample must be a value no constant of the query equals (a construction check
refuses an ambiguous or missing one). On PostgreSQL only: other backends (the demo's
SQLite) build the queryset again at each call, as the plain ORM does.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet

from .conf import parrain_settings

M = TypeVar("M", bound=Model)


class Prepared(Generic[M]):
    """``build(*samples)`` compiled once; ``all(*values)``, ``first(*values)`` or
    ``rows(*values)`` run its SQL with ``values`` in the samples' places."""

    def __init__(self, build: Callable[..., QuerySet[M]], *samples: Any) -> None:
        self.build = build
        self.samples = samples
        # Per database alias: (queryset, compiler, sql, parameter slots).
        self._compiled: dict[str, tuple[QuerySet[M], Any, str, tuple[tuple[bool, Any], ...]]] = {}

    def _compile(self, alias: str) -> tuple[QuerySet[M], Any, str, tuple[tuple[bool, Any], ...]]:
        queryset = self.build(*self.samples).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots: list[tuple[bool, Any]] = []
        used: set[int] = set()
        for param in params:
            found = [
                n
                for n, sample in enumerate(self.samples)
                if type(param) is type(sample) and param == sample
            ]
            if len(found) > 1:
                raise ValueError(f"Prepared: samples {found} are equal; make them distinct.")
            if found:
                used.add(found[0])
                slots.append((True, found[0]))
            else:
                slots.append((False, param))
        if len(used) != len(self.samples):
            missing = sorted(set(range(len(self.samples))) - used)
            raise ValueError(f"Prepared: samples {missing} do not reach the SQL unchanged.")
        # The columns' converters are the same at every run: asked once, not per run.
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        converters = compiler.get_converters(fields)
        composite = compiler.has_composite_fields(fields)
        compiler.get_converters = lambda expressions: converters
        compiler.has_composite_fields = lambda expressions: composite
        compiled = (queryset, compiler, sql, tuple(slots))
        self._compiled[alias] = compiled
        return compiled

    def _query(self, values: tuple[Any, ...], alias: str) -> tuple[QuerySet[M], Any]:
        if len(values) != len(self.samples):
            raise TypeError(f"Prepared: {len(self.samples)} values expected.")
        if connections[alias].vendor != "postgresql":
            # Other backends adapt values while compiling (SQLite turns a datetime into
            # text), so a sample would not reach the SQL as given: the plain ORM there
            # (the demo's SQLite; nothing on it is hot).
            queryset = self.build(*values).using(alias)
            return queryset, queryset.query.get_compiler(using=alias)
        compiled = self._compiled.get(alias) or self._compile(alias)
        queryset, compiler, sql, slots = compiled
        params = tuple(values[v] if is_value else v for is_value, v in slots)
        run = copy.copy(compiler)
        run.connection = connections[alias]  # this thread's connection, not the compiler's
        run.as_sql = lambda *args, **kwargs: (sql, params)
        chained = queryset._chain()
        chained.query.get_compiler = lambda *args, **kwargs: run
        return chained, run

    def all(self, *values: Any, alias: str = "default") -> list[M]:
        """The model instances (or values) the queryset built from ``values`` gives."""
        with server_prepared(alias):
            return list(self._query(values, alias)[0])

    def first(self, *values: Any, alias: str = "default") -> M | None:
        """The first instance; ``build`` orders and slices (``[:1]``) as it means to."""
        found = self.all(*values, alias=alias)
        return found[0] if found else None

    def rows(self, *values: Any, alias: str = "default") -> list[tuple[Any, ...]]:
        """The raw rows (no converters): for ``values_list`` of plain columns, counts."""
        sql, params = self._query(values, alias)[1].as_sql()
        with server_prepared(alias), connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


#: Runs of one statement on a connection before PostgreSQL prepares it (psycopg counts).
PREPARE_AFTER = 2

#: A prepared statement is planned once, with its parameters unknown. PostgreSQL's default
#: plans the first five runs with their values and keeps doing so when the plan without
#: values looks costlier (a range such as ``issued_at >= $4`` does): then every run is
#: planned again, 0.3 ms for the invitation facts' after-commit probe whose execution
#: takes 0.03 ms (issue 16 §5). An order's statements (equalities on indexed keys, short
#: ranges) plan the same with or without their values.
GENERIC_PLANS = "SET plan_cache_mode = force_generic_plan"


@contextlib.contextmanager
def server_prepared(alias: str = "default") -> Iterator[None]:
    """Within the block, the connection's statements bind their values on the server, and
    psycopg has PostgreSQL prepare each one after ``PREPARE_AFTER`` runs on the connection:
    later runs skip parsing and planning (issue 16 §5: an order's 20 statements; 16.7 → 12.6
    ms an order in-process, 20.4 → 16.9 ms one request at a time over HTTP). Only around a
    unit whose SQL is known to bind on the server (``orders.record_order``): elsewhere
    Django's default, client-side binding, stays (a parameter repeated in SELECT and GROUP
    BY is one value only when bound in the client, Django ticket #34255). Off with
    ``PARRAIN_PREPARED_ORDERS = False`` and on other databases."""
    wrapper = connections[alias]
    if wrapper.vendor != "postgresql" or not parrain_settings.PREPARED_ORDERS:
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    wrapper.ensure_connection()
    raw = wrapper.connection
    if not getattr(raw, "_parrain_generic_plans", False):
        # Once per connection (a session setting): it only governs prepared statements,
        # and only these blocks prepare any.
        with raw.cursor() as cursor:
            cursor.execute(GENERIC_PLANS)
        raw._parrain_generic_plans = True
    before = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, PREPARE_AFTER
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = before
