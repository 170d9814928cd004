"""A model row inserted by one written-out statement that skips a unique conflict.

``INSERT … ON CONFLICT … DO NOTHING RETURNING id``: a row whose unique key is taken (a
replay, a concurrent twin that waits for the first one's commit) is not inserted and is
not an error either (PostgreSQL logs none, the transaction goes on), in the same round
trip as the insert. The ORM's ``save()`` cannot say "unless it exists" without a read or a
savepoint first; the hot paths that need it (an order, an inbound delivery's claim, issue
16 §5) share this.

``after`` chains two such inserts into one statement, the second only if the first went
in: an inbound webhook's delivery claim and the order it carries are then one statement,
atomic by itself, with no transaction around it (no BEGIN and COMMIT round trips).
"""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.db.models import Field, Model


class Taken(Exception):
    """The row that had to go in first (``InsertUnlessTaken.after``) was taken: nothing
    was inserted."""


def _typed(field: Field) -> str:
    """A placeholder cast to the column's type: in ``INSERT … SELECT`` PostgreSQL does not
    infer a parameter's type from its column as ``VALUES`` does (a NULL would be text). A
    varchar is cast to text so that a value too long is still refused, not cut."""
    kind = field.cast_db_type(connection)
    return "%s::" + ("text" if re.fullmatch(r"varchar\(\d+\)", kind) else kind)


class InsertUnlessTaken:
    """``insert(instance)``: True if the row went in (its ``pk`` set, as ``save()`` would),
    False if a unique key of ``conflict`` (every unique index if empty) is taken."""

    def __init__(self, model: type[Model], conflict: str = "") -> None:
        self.fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        self.target = f"({conflict}) " if conflict else ""
        self.table, self.pk = model._meta.db_table, model._meta.pk.column
        self.sql = (
            f"INSERT INTO {self.table} ({self.columns}) "  # nosec B608 # our table and columns; values are parameters
            f"VALUES ({', '.join(['%s'] * len(self.fields))}) "
            f"ON CONFLICT {self.target}DO NOTHING RETURNING {self.pk}"
        )
        self._chained: dict[int, str] = {}

    def _values(self, instance: Model) -> list[object]:
        return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in self.fields]

    def __call__(self, instance: Model) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self._values(instance))
            row = cursor.fetchone()
        return _inserted(instance, row[0] if row else None)

    def after(self, first: InsertUnlessTaken, first_instance: Model, instance: Model) -> bool:
        """Insert ``first_instance`` (with ``first``), then ``instance`` only if that went
        in, in one statement: ``Taken`` if the first was not inserted (then neither was),
        else whether ``instance`` went in. Both rows are committed together or not at all,
        without a transaction around the statement."""
        if connection.vendor != "postgresql":  # SQLite: no INSERT in a WITH clause
            with transaction.atomic():
                if not first(first_instance):
                    raise Taken
                return self(instance)
        sql = self._chained.get(id(first))
        if sql is None:
            sql = self._chained[id(first)] = (
                f"WITH head AS ({first.sql}), "  # nosec B608 # our tables and columns; values are parameters
                f"tail AS (INSERT INTO {self.table} ({self.columns}) "
                f"SELECT {', '.join(_typed(f) for f in self.fields)} "
                f"WHERE EXISTS (SELECT 1 FROM head) "
                f"ON CONFLICT {self.target}DO NOTHING RETURNING {self.pk}) "
                f"SELECT (SELECT {first.pk} FROM head), (SELECT {self.pk} FROM tail)"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, first._values(first_instance) + self._values(instance))
            first_pk, pk = cursor.fetchone()
        if not _inserted(first_instance, first_pk):
            raise Taken
        return _inserted(instance, pk)


def _inserted(instance: Model, pk: object) -> bool:
    if pk is None:
        return False
    instance.pk = pk
    instance._state.adding, instance._state.db = False, connection.alias
    return True
