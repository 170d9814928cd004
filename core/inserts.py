"""A model row inserted by one written-out statement that skips a unique conflict.

``INSERT … ON CONFLICT … DO NOTHING RETURNING id``: a row whose unique key is taken (a
replay, a concurrent twin that waits for the first one's commit) is not inserted and is
not an error either (PostgreSQL logs none, the transaction goes on), in the same round
trip as the insert. The ORM's ``save()`` cannot say "unless it exists" without a read or a
savepoint first; the hot paths that need it (an order, an inbound delivery's claim, issue
16 §5) share this.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


class InsertUnlessTaken:
    """``insert(instance)``: True if the row went in (its ``pk`` set, as ``save()`` would),
    False if a unique key of ``conflict`` (every unique index if empty) is taken."""

    def __init__(self, model: type[Model], conflict: str = "") -> None:
        self.fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        target = f"({conflict}) " if conflict else ""
        self.sql = (
            f"INSERT INTO {model._meta.db_table} ({columns}) "  # nosec B608 # our table and columns; values are parameters
            f"VALUES ({', '.join(['%s'] * len(self.fields))}) "
            f"ON CONFLICT {target}DO NOTHING RETURNING {model._meta.pk.column}"
        )

    def __call__(self, instance: Model) -> bool:
        values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, values)
            row = cursor.fetchone()
        if row is None:
            return False
        instance.pk = row[0]
        instance._state.adding, instance._state.db = False, connection.alias
        return True
