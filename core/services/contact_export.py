"""Right of access (issue 14): everything the program holds about one contact, as JSON.

``export(contact)`` returns a JSON-ready dict: the contact, consent records, invitations
sent and received, referrals on both sides, orders and refunds, rewards, badges, loyalty
ledger, messages (scheduled and sent), and the audit entries about them. Served by the
server API (``GET …/contacts/{contact}/export``) and by every admin as a download.
"""

from __future__ import annotations

from typing import Any

from ..models import Contact

#: Bumped when the layout changes; the first key of every export.
FORMAT = 1


def export(contact: Contact) -> dict[str, Any]:
    raise NotImplementedError
