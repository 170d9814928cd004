"""Signals of the webhooks plugin, for the project around it (metrics, monitoring)."""

from django.dispatch import Signal

# sender=OutboundEndpoint, message=OutboundMessage (saved with its new status),
# status_code=int | None (None: no answer), result="delivered" | "retrying" | "failed":
# sent after each delivery attempt of an outbound webhook is recorded.
delivery_attempted = Signal()
