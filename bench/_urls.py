"""The URLs gunicorn serves in a benchmark: the sandbox's, plus the bare baseline views.

The baselines are served by the same process, through the same middleware, as the paths
they are compared with; they exist only in benchmark runs (never in the sandbox's URLs).
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from parrain.core.models import Order, Program
from sandbox.urls import urlpatterns as sandbox_urlpatterns

_program_ids: dict[str, int] = {}


def bare(request: HttpRequest) -> JsonResponse:
    """The smallest Django view."""
    return JsonResponse({"ok": True})


@csrf_exempt
def bare_order(request: HttpRequest, slug: str) -> JsonResponse:
    """Parse the order's JSON and INSERT its row: what recording an order cannot do without."""
    data = json.loads(request.body)
    if slug not in _program_ids:
        _program_ids[slug] = Program.objects.values_list("pk", flat=True).get(slug=slug)
    order = Order.objects.create(
        program_id=_program_ids[slug],
        external_id=data["external_id"],
        amount=Decimal(data["amount"]),
        currency=data["currency"],
        placed_at=parse_datetime(data["placed_at"]),
    )
    return JsonResponse({"id": order.pk}, status=201)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/bare/orders/<slug:slug>/", bare_order),
    *sandbox_urlpatterns,
]
