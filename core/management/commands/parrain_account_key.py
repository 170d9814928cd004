"""``parrain_account_key``: the account keys (``mk_…``) of the management API.

- ``create --label "Agency"`` prints the clear key once (it is never stored);
- ``list`` shows each key's prefix, label, creation, last use and revocation;
- ``revoke mk_abc1234`` (a prefix, as ``list`` shows it) refuses it from now on.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parrain.core.models import AccountKey
from parrain.core.services import keys


class Command(BaseCommand):
    help = "Create, list or revoke the account keys (mk_…) of the management API."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a key; its clear value is shown once.")
        create.add_argument("--label", default="", help="What the key is for (max 80).")
        actions.add_parser("list", help="List the keys (never their clear value).")
        revoke = actions.add_parser("revoke", help="Refuse a key from now on.")
        revoke.add_argument("prefix", help="The key's prefix as `list` shows it (mk_…).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _actor(self) -> str:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "?"
        return f"command:parrain_account_key ({user})"

    def _create(self, options: dict[str, Any]) -> None:
        label = options["label"].strip()
        if len(label) > 80:
            raise CommandError("The label holds at most 80 characters.")
        key, clear = keys.create_account_key(label, actor=self._actor())
        self.stderr.write(f"Account key {key.prefix}… created. Copy it now, it is not shown again:")
        self.stdout.write(clear)

    def _list(self, options: dict[str, Any]) -> None:
        rows = AccountKey.objects.order_by("created_at", "pk")
        if not rows:
            self.stdout.write("No account key yet: create one with `parrain_account_key create`.")
        for key in rows:
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            self.stdout.write(
                f"{key.prefix}  {key.label or '-':30}  created {key.created_at:%Y-%m-%d %H:%M}"
                f"  last used {used}  {state}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        prefix = options["prefix"].rstrip("…").strip()
        found = list(AccountKey.objects.filter(prefix=prefix[:12]))
        if not found:
            raise CommandError(f"No account key with the prefix {prefix!r}.")
        if len(found) > 1:
            raise CommandError(
                f"Several keys share the prefix {prefix!r}; revoke one in the admin."
            )
        key = keys.revoke_account_key(found[0], actor=self._actor())
        self.stdout.write(f"Account key {key.prefix}… revoked at {key.revoked_at:%Y-%m-%d %H:%M}.")
