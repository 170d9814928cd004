"""The management API (issue 16 §2): account keys (``mk_…``, scope ``manage``) set up
programs over HTTP, as a shop owner does in the admin.

Paths live under ``/api/v1/manage/…``: programs, their reward rules, their secret API keys
and their identity key. Resources that belong to one program and already have endpoints
under ``/api/v1/programs/<slug>/…`` (badges, boosts, contests, scenario, message
templates, imports…) stay there: an account key is accepted on them too
(:class:`~parrain.core.api.security.ProgramAccess`). Plugins add their own resources
(the webhooks plugin: inbound and outbound endpoints) by adding a router with
``auth=ManageKey()`` to :data:`parrain.core.api.main.api` from their ``AppConfig.ready``.

Every change goes through a service (``core/services/program_setup.py``) that writes an
audit entry whose actor is :func:`~parrain.core.api.security.actor_of`; errors are the
same problem+json answers as the rest of the server API; secrets are returned once, at
creation and on rotation.
"""

from __future__ import annotations

from ninja import Router

from .security import ManageKey

MANAGE = "/manage"

router = Router(auth=ManageKey(), tags=["manage"])
