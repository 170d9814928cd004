"""Drive Oscar's real storefront views with Django's test client, as a customer would."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.messages import get_messages
from django.test import Client
from oscar.core.loading import get_model

OscarOrder = get_model("order", "Order")
Basket = get_model("basket", "Basket")

ADDRESS = {
    "first_name": "Bob",
    "last_name": "Martin",
    "line1": "1 rue de la Paix",
    "line4": "Paris",
    "postcode": "75002",
    "country": "FR",
    "phone_number": "",
}


@dataclass
class Shopper:
    client: Client

    def visit(self, path: str, **params: str) -> Any:
        return self.client.get(path, params, follow=True)

    def register(self, email: str, password: str = "un-mot-de-passe-Solide-42") -> Any:
        return self.client.post(
            "/shop/accounts/register/",
            {"email": email, "password1": password, "password2": password},
            follow=True,
        )

    def add_to_basket(self, product: Any, quantity: int = 1) -> Any:
        return self.client.post(
            f"/shop/basket/add/{product.pk}/", {"quantity": quantity}, follow=True
        )

    def apply_voucher(self, code: str) -> list[str]:
        response = self.client.post("/shop/basket/vouchers/add/", {"code": code}, follow=True)
        return [str(m) for m in get_messages(response.wsgi_request)] or [
            str(m) for m in response.context["messages"]
        ]

    def basket_total(self) -> Decimal:
        response = self.client.get("/shop/basket/")
        return response.context["basket"].total_incl_tax

    def checkout(self, guest_email: str = "") -> Any:
        """Address, the only shipping method, no payment step, place the order."""
        if guest_email:
            self.client.post(
                "/shop/checkout/",
                {"username": guest_email, "options": "anonymous"},
                follow=True,
            )
        response = self.client.post("/shop/checkout/shipping-address/", ADDRESS, follow=True)
        assert response.status_code == 200, response.content[:500]
        self.client.get("/shop/checkout/payment-details/", follow=True)
        response = self.client.post(
            "/shop/checkout/preview/", {"action": "place_order"}, follow=True
        )
        assert response.status_code == 200
        order_id = self.client.session.get("checkout_order_id")
        assert order_id, "the order was not placed"
        return OscarOrder.objects.get(pk=order_id), response
